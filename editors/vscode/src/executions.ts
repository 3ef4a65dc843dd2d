/** `lift.listExecutions`: the recorded runs, as quick-pick items for "Show Execution Trace". */

import { arrayField, isRecord, numberField, plural, stringField } from './json';

/** How many runs the quick pick offers (the server accepts 1 to 500). */
export const EXECUTION_LIST_LIMIT = 30;

/** The server resolves ids from unique prefixes of at least this many characters. */
export const MIN_EXECUTION_PREFIX = 6;

export interface ExecutionSummary {
  readonly id: string;
  readonly graphType: string;
  readonly status: string;
  /** The lifted file; runs not tied to one have none. */
  readonly path: string | undefined;
  readonly createdAt: string | undefined;
  readonly durationMs: number | undefined;
  readonly llmCalls: number;
}

function parseExecution(value: unknown): ExecutionSummary | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const id = stringField(value, 'id');
  if (id === undefined || id === '') {
    return undefined;
  }
  return {
    id,
    graphType: stringField(value, 'graph_type') ?? 'run',
    status: stringField(value, 'status') ?? 'unknown',
    path: stringField(value, 'path'),
    createdAt: stringField(value, 'created_at'),
    durationMs: numberField(value, 'duration_ms'),
    llmCalls: numberField(value, 'llm_calls') ?? 0,
  };
}

/** The runs, newest first as the server orders them; `undefined` when `value` is no listing. */
export function parseExecutions(value: unknown): ExecutionSummary[] | undefined {
  if (!isRecord(value) || !Array.isArray(value.executions)) {
    return undefined;
  }
  return arrayField(value, 'executions')
    .map(parseExecution)
    .filter((e): e is ExecutionSummary => e !== undefined);
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `2026-11-26 11:20:01 UTC`; a time that does not parse is shown as the server wrote it. */
export function formatTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`. */
export function formatAge(iso: string, now: number): string | undefined {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return undefined;
  }
  const minutes = Math.floor(Math.max(0, now - time) / 60_000);
  if (minutes < 1) {
    return 'just now';
  }
  if (minutes < 60) {
    return `${String(minutes)} min ago`;
  }
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? `${String(hours)} h ago` : `${plural(Math.floor(hours / 24), 'day')} ago`;
}

export interface ExecutionPickItem {
  readonly label: string;
  readonly description: string;
  readonly detail: string;
}

/**
 * `geometry.py` · `reverse · completed · 1.8 ms` · `3dca4382… · 2026-11-26 11:20:01 UTC · 5 min ago`.
 * The id stays whole in the detail so that typing a prefix of it filters the pick.
 */
export function executionPickItem(execution: ExecutionSummary, now: number): ExecutionPickItem {
  const facts = [execution.graphType, execution.status];
  if (execution.durationMs !== undefined) {
    facts.push(formatDuration(execution.durationMs));
  }
  if (execution.llmCalls > 0) {
    facts.push(plural(execution.llmCalls, 'LLM call'));
  }
  const when =
    execution.createdAt === undefined
      ? []
      : [formatTime(execution.createdAt), formatAge(execution.createdAt, now)].filter(
          (part): part is string => part !== undefined,
        );
  return {
    label: execution.path ?? `(${execution.graphType} run, no file)`,
    description: facts.join(' · '),
    detail: [execution.id, ...when].join(' · '),
  };
}

/** Why `value` cannot name an execution, for the input box; `undefined` when it can. */
export function executionIdProblem(value: string): string | undefined {
  const enough = value.trim().length >= MIN_EXECUTION_PREFIX;
  return enough ? undefined : `At least ${String(MIN_EXECUTION_PREFIX)} characters`;
}
