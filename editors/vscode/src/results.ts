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

function metric(metrics: Record<string, unknown> | undefined, key: string): string | undefined {
  const m = metrics === undefined ? undefined : recordField(metrics, key);
  const top1 = m === undefined ? undefined : numberField(m, 'top1');
  return top1 === undefined ? undefined : top1.toFixed(3);
}

/** `lift.optimize`: which ranker is active now, and why. */
export function optimizeMessage(value: unknown): string | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const active = stringField(value, 'active') ?? '?';
  const reason = stringField(value, 'reason') ?? '';
  const metrics = recordField(value, 'metrics');
  const before = metric(metrics, 'current');
  const after = metric(metrics, 'new');
  const scores = before !== undefined && after !== undefined ? ` (top-1 ${after} vs ${before})` : '';
  if (booleanField(value, 'activated') === true) {
    return `Activated ranker ${active}${scores}: ${reason}.`;
  }
  return `Kept ranker ${active}${scores}: ${reason}.`;
}

/** `lift.rollback`: the server already words it. */
export function rollbackMessage(value: unknown): string | undefined {
  return isRecord(value) ? stringField(value, 'message') : undefined;
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

/**
 * `lift.showStats`: its text table (and route) as Markdown with the whole answer below
 * it; Markdown the server wrote as it is; anything else as JSON.
 */
export function statsDocument(value: unknown): ShownDocument {
  if (typeof value === 'string') {
    return { language: 'markdown', content: value };
  }
  if (!isRecord(value)) {
    return { language: 'json', content: `${JSON.stringify(value, null, 2)}\n` };
  }
  const markdown = stringField(value, 'markdown');
  if (markdown !== undefined) {
    return { language: 'markdown', content: markdown };
  }
  const text = stringField(value, 'text');
  if (text === undefined) {
    return { language: 'json', content: `${JSON.stringify(value, null, 2)}\n` };
  }
  const route = routeLine(value.status);
  const parts = [
    '# Lift: route statistics',
    ...(route === undefined ? [] : [route]),
    ['```text', text, '```'].join('\n'),
    '## The whole answer',
    ['```json', JSON.stringify(value, null, 2), '```'].join('\n'),
  ];
  return { language: 'markdown', content: `${parts.join('\n\n')}\n` };
}
