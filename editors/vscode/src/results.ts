/** Messages and documents made from the answers of the server's longer commands. */

import { arrayField, booleanField, isRecord, numberField, plural, recordField, stringField } from './json';
import { openBreakers, parseRouteStatus } from './routeStatus';

/** `lift.analyzeWorkspace`: one line, and the executions that can be replayed. */
export interface AnalyzeSummary {
  readonly message: string;
  readonly executions: readonly string[];
  readonly problems: readonly string[];
}

export function analyzeSummary(value: unknown): AnalyzeSummary | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const files = numberField(value, 'files') ?? 0;
  const functions = numberField(value, 'functions') ?? 0;
  const holes = numberField(value, 'holes') ?? 0;
  const problems = arrayField(value, 'errors')
    .filter(isRecord)
    .map((e) => `${stringField(e, 'path') ?? '?'}: ${stringField(e, 'message') ?? 'error'}`);
  let message = `Lifted ${plural(functions, 'function')} with ${plural(holes, 'hole')} in ${plural(files, 'file')}`;
  if (problems.length > 0) {
    message += `; ${plural(problems.length, 'file')} skipped`;
  }
  if (booleanField(value, 'cancelled') === true) {
    message += ' (cancelled)';
  }
  const executions = arrayField(value, 'executions').filter((e): e is string => typeof e === 'string');
  return { message: `${message}.`, executions, problems };
}

/** `lift.replayExecution`: a header and the node-by-node lines the server formats. */
export function traceText(value: unknown): string | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const execution = recordField(value, 'execution');
  const lines = arrayField(value, 'lines').filter((l): l is string => typeof l === 'string');
  if (execution === undefined) {
    return undefined;
  }
  const facts = [
    stringField(execution, 'graph_type'),
    stringField(execution, 'status'),
    stringField(execution, 'path'),
    stringField(execution, 'created_at'),
  ].filter((f): f is string => f !== undefined);
  const total = numberField(execution, 'total_duration_ms');
  if (total !== undefined) {
    facts.push(`${total.toFixed(1)} ms`);
  }
  const header = `Execution ${stringField(execution, 'id') ?? '?'} · ${facts.join(' · ')}`;
  const body = lines.length > 0 ? lines : ['(no nodes recorded)'];
  return [header, ...body].join('\n');
}

export interface ShownDocument {
  readonly language: 'markdown' | 'json';
  readonly content: string;
}

function routeLine(value: unknown): string | undefined {
  const status = parseRouteStatus(value);
  if (status === undefined) {
    return undefined;
  }
  const open = openBreakers(status);
  return `Route: **${status.route}**${open.length === 0 ? '' : ` · breaker open: ${open.join(', ')}`}`;
}

/** The answer without its `text` and `markdown` renderings, which the document already shows. */
function rawAnswer(value: Record<string, unknown>): string {
  const rest = Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'text' && key !== 'markdown'));
  return ['```json', JSON.stringify(rest, null, 2), '```'].join('\n');
}

/**
 * `lift.showStats`: a heading and the route over the server's Markdown table (else its
 * text table), with the rest of the answer below; a bare string as Markdown; anything
 * else as JSON.
 */
export function statsDocument(value: unknown): ShownDocument {
  if (typeof value === 'string') {
    return { language: 'markdown', content: value };
  }
  if (!isRecord(value)) {
    return { language: 'json', content: `${JSON.stringify(value, null, 2)}\n` };
  }
  const markdown = stringField(value, 'markdown');
  const text = stringField(value, 'text');
  const table = markdown ?? (text === undefined ? undefined : ['```text', text, '```'].join('\n'));
  if (table === undefined) {
    return { language: 'json', content: `${JSON.stringify(value, null, 2)}\n` };
  }
  const route = routeLine(value.status);
  const parts = [
    '# Lift: route statistics',
    ...(route === undefined ? [] : [route]),
    table,
    '## The whole answer',
    rawAnswer(value),
  ];
  return { language: 'markdown', content: `${parts.join('\n\n')}\n` };
}
