/**
 * `lift.optimize` and `lift.rollback`: the choices the palette offers, the argument each
 * one sends, and the words for the answers.
 */

import { booleanField, isRecord, numberField, recordField, stringField } from './json';

export type OptimizeTarget = 'all' | 'ranker' | 'programs';
export type RollbackKind = 'ranker' | 'programs:anthropic' | 'programs:modal';

export interface Choice<T> {
  readonly label: string;
  readonly detail: string;
  readonly value: T;
}

/** The server's default (`all`) comes first, so the quick pick preselects it. */
export const OPTIMIZE_CHOICES: readonly Choice<OptimizeTarget>[] = [
  {
    label: 'Suggestion ranker and LLM programs',
    detail: 'Refit the ranker on the recorded feedback; compile the programs of the remote route, if one is configured',
    value: 'all',
  },
  { label: 'Suggestion ranker only', detail: 'Refit the ranker on the recorded feedback', value: 'ranker' },
  {
    label: 'LLM programs only',
    detail: "Compile the remote route's programs from the fills people kept (this calls the route)",
    value: 'programs',
  },
];

export const ROLLBACK_CHOICES: readonly Choice<RollbackKind>[] = [
  { label: 'Suggestion ranker', detail: 'Re-activate the ranker the active one replaced', value: 'ranker' },
  {
    label: 'Anthropic programs',
    detail: "Re-activate the Anthropic route's previous compiled programs",
    value: 'programs:anthropic',
  },
  {
    label: 'Modal programs',
    detail: "Re-activate the Modal route's previous compiled programs",
    value: 'programs:modal',
  },
];

/** The arguments of `lift.optimize`: one object. */
export function optimizeArguments(what: OptimizeTarget): [{ what: OptimizeTarget }] {
  return [{ what }];
}

/** The arguments of `lift.rollback`: one object. */
export function rollbackArguments(kind: RollbackKind): [{ kind: RollbackKind }] {
  return [{ kind }];
}

export interface OptimizeOutcome {
  /** One sentence per part: the ranker's, then the programs'. */
  readonly messages: readonly string[];
  /** Compiling the programs failed (the ranker's result, if any, still stands). */
  readonly failed: boolean;
}

const ROUTE_NAMES: Readonly<Record<string, string>> = { anthropic: 'Anthropic', modal: 'Modal' };

function top1(metrics: Record<string, unknown> | undefined, key: string): number | undefined {
  const m = metrics === undefined ? undefined : recordField(metrics, key);
  return m === undefined ? undefined : numberField(m, 'top1');
}

function scores(label: string, after: number | undefined, before: number | undefined): string {
  return after === undefined || before === undefined ? '' : ` (${label} ${after.toFixed(3)} vs ${before.toFixed(3)})`;
}

function rankerMessage(report: Record<string, unknown>): string {
  const active = stringField(report, 'active') ?? '?';
  const reason = stringField(report, 'reason') ?? '';
  const metrics = recordField(report, 'metrics');
  const compared = scores('top-1', top1(metrics, 'new'), top1(metrics, 'current'));
  const verb = booleanField(report, 'activated') === true ? 'Activated' : 'Kept';
  return `${verb} ranker ${active}${compared}: ${reason}.`;
}

/** The programs' part: compiled and judged, skipped (no remote route), or failed. */
function programsMessage(report: Record<string, unknown>): { message: string; failed: boolean } {
  const skipped = stringField(report, 'skipped');
  if (skipped !== undefined) {
    return { message: `LLM programs not compiled: ${skipped}.`, failed: false };
  }
  const error = stringField(report, 'error');
  if (error !== undefined) {
    return { message: `Compiling the LLM programs failed: ${error}.`, failed: true };
  }
  const route = stringField(report, 'route') ?? stringField(report, 'kind')?.replace(/^programs:/, '') ?? '';
  const name = `${ROUTE_NAMES[route] ?? route} programs`.trim();
  const active = stringField(report, 'active') ?? '?';
  const reason = stringField(report, 'reason') ?? '';
  const metrics = recordField(report, 'metrics');
  const compared =
    metrics === undefined ? '' : scores('score', numberField(metrics, 'new'), numberField(metrics, 'current'));
  const verb = booleanField(report, 'activated') === true ? 'Activated' : 'Kept';
  return { message: `${verb} ${name} ${active}${compared}: ${reason}.`, failed: false };
}

/**
 * The answer of `lift.optimize`: the ranker's report at the top level (absent when only
 * the programs were asked for), the programs' under `programs` (absent when only the
 * ranker was). `undefined` when it has neither.
 */
export function optimizeOutcome(value: unknown): OptimizeOutcome | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const messages: string[] = [];
  let failed = false;
  if (typeof value.activated === 'boolean' || typeof value.active === 'string') {
    messages.push(rankerMessage(value));
  }
  const programs = recordField(value, 'programs');
  if (programs !== undefined) {
    const part = programsMessage(programs);
    messages.push(part.message);
    failed = part.failed;
  }
  return messages.length === 0 ? undefined : { messages, failed };
}

/** `lift.rollback`: the server already words it. */
export function rollbackMessage(value: unknown): string | undefined {
  return isRecord(value) ? stringField(value, 'message') : undefined;
}
