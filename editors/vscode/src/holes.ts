/** Results of `lift.listHoles` and `lift.nextHole` / `lift.previousHole`, and their quick-pick items. */

import type { Location, Range } from 'vscode-languageserver-protocol';

import { arrayField, booleanField, isRecord, numberField, plural, recordField, stringField } from './json';

export interface ListedHole {
  readonly uri: string;
  readonly range: Range;
  /** Relative to its workspace folder. */
  readonly path: string;
  readonly kind: string;
  readonly name: string;
  readonly expectedType: string | undefined;
  readonly function: string | undefined;
  readonly message: string;
}

export interface FileProblem {
  readonly path: string;
  readonly message: string;
}

export interface ListHolesResult {
  readonly holes: readonly ListedHole[];
  readonly errors: readonly FileProblem[];
  readonly cancelled: boolean;
}

export function parseRange(value: unknown): Range | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const start = recordField(value, 'start');
  const end = recordField(value, 'end');
  const position = (p: Record<string, unknown> | undefined): { line: number; character: number } | undefined => {
    if (p === undefined) {
      return undefined;
    }
    const line = numberField(p, 'line');
    const character = numberField(p, 'character');
    return line === undefined || character === undefined ? undefined : { line, character };
  };
  const from = position(start);
  const to = position(end);
  return from === undefined || to === undefined ? undefined : { start: from, end: to };
}

/** The answer of `lift.nextHole` / `lift.previousHole`: a location, or `null` when there is no hole. */
export function parseLocation(value: unknown): Location | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const uri = stringField(value, 'uri');
  const range = parseRange(value.range);
  return uri === undefined || range === undefined ? undefined : { uri, range };
}

function parseHole(value: unknown): ListedHole | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const uri = stringField(value, 'uri');
  const range = parseRange(value.range);
  const name = stringField(value, 'name');
  if (uri === undefined || range === undefined || name === undefined) {
    return undefined;
  }
  return {
    uri,
    range,
    path: stringField(value, 'path') ?? uri,
    kind: stringField(value, 'kind') ?? 'hole',
    name,
    expectedType: stringField(value, 'expected_type'),
    function: stringField(value, 'function'),
    message: stringField(value, 'message') ?? '',
  };
}

function parseProblem(value: unknown): FileProblem | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const path = stringField(value, 'path');
  const message = stringField(value, 'message');
  return path === undefined || message === undefined ? undefined : { path, message };
}

function defined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

export function parseListHoles(value: unknown): ListHolesResult | undefined {
  if (!isRecord(value) || !Array.isArray(value.holes)) {
    return undefined;
  }
  return {
    holes: arrayField(value, 'holes').map(parseHole).filter(defined),
    errors: arrayField(value, 'errors').map(parseProblem).filter(defined),
    cancelled: booleanField(value, 'cancelled') ?? false,
  };
}

/** Codicons per hole kind (docs/holes.md, docs/ir.md). */
const KIND_ICONS: Readonly<Record<string, string>> = {
  expression: 'symbol-variable',
  body: 'symbol-method',
  named: 'symbol-key',
  signature: 'symbol-interface',
  intent: 'comment',
};

export interface HolePickItem {
  readonly label: string;
  readonly description: string;
  readonly detail: string;
}

/**
 * `$(symbol-variable) area#1` · `float · expression in area` · `geometry.py:2:12 — hole of type float`.
 * Lines and columns are shown 1-based, as in the CLI.
 */
export function holePickItem(hole: ListedHole): HolePickItem {
  const icon = KIND_ICONS[hole.kind] ?? 'circle-outline';
  const type = hole.expectedType ?? 'unknown type';
  const where = hole.function === undefined ? hole.kind : `${hole.kind} in ${hole.function}`;
  const position = `${hole.path}:${String(hole.range.start.line + 1)}:${String(hole.range.start.character + 1)}`;
  return {
    label: `$(${icon}) ${hole.name}`,
    description: `${type} · ${where}`,
    detail: hole.message === '' ? position : `${position} — ${hole.message}`,
  };
}

/** Placeholder text summarising a listing. */
export function listSummary(result: ListHolesResult): string {
  const files = new Set(result.holes.map((h) => h.uri)).size;
  const parts = [`${plural(result.holes.length, 'hole')} in ${plural(files, 'file')}`];
  if (result.errors.length > 0) {
    parts.push(`${plural(result.errors.length, 'file')} not read (see the Lift output)`);
  }
  if (result.cancelled) {
    parts.push('listing cancelled, incomplete');
  }
  return parts.join('; ');
}
