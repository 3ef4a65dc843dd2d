/** Command identifiers, on both sides of the connection. */

import { isRecord } from './json';

/** Commands the server runs on `workspace/executeCommand`. */
export const ServerCommand = {
  listHoles: 'lift.listHoles',
  nextHole: 'lift.nextHole',
  previousHole: 'lift.previousHole',
  analyzeWorkspace: 'lift.analyzeWorkspace',
  optimize: 'lift.optimize',
  rollback: 'lift.rollback',
  listExecutions: 'lift.listExecutions',
  replayExecution: 'lift.replayExecution',
  showStats: 'lift.showStats',
  routeStatus: 'lift.routeStatus',
} as const;

/**
 * The extension's own commands (palette, category "Lift").
 *
 * The language client registers every command the server advertises under the
 * server's id (so completion items and code actions can run `lift.acceptSuggestion`),
 * so the palette commands live in a namespace of their own.
 */
export const EditorCommand = {
  listHoles: 'lift.editor.listHoles',
  nextHole: 'lift.editor.nextHole',
  previousHole: 'lift.editor.previousHole',
  analyzeWorkspace: 'lift.editor.analyzeWorkspace',
  optimize: 'lift.editor.optimize',
  rollback: 'lift.editor.rollback',
  showExecutionTrace: 'lift.editor.showExecutionTrace',
  showStats: 'lift.editor.showStats',
  setAnthropicKey: 'lift.editor.setAnthropicKey',
  setModalKeys: 'lift.editor.setModalKeys',
  clearKeys: 'lift.editor.clearKeys',
  restartServer: 'lift.editor.restartServer',
  showOutput: 'lift.editor.showOutput',
} as const;

export type EditorCommandId = (typeof EditorCommand)[keyof typeof EditorCommand];

/** Sent by the server after initialization and whenever a route or breaker changes. */
export const ROUTE_STATUS_NOTIFICATION = 'lift/routeStatus';

/** Whether the server advertised `command` in its `executeCommandProvider`. */
export function serverOffers(capabilities: unknown, command: string): boolean {
  const provider = isRecord(capabilities) ? capabilities.executeCommandProvider : undefined;
  return isRecord(provider) && Array.isArray(provider.commands) && provider.commands.includes(command);
}
