/** The `lift/routeStatus` notification (and `lift.routeStatus` answer) and its status bar text. */

import { booleanField, isRecord, recordField, stringField } from './json';
import { type Route, ROUTES, isRoute } from './settings';

export type Breaker = 'closed' | 'open' | 'half-open';

export interface RouteState {
  readonly configured: boolean;
  readonly breaker: Breaker;
}

export interface RouteStatus {
  readonly route: Route;
  readonly routes: Readonly<Partial<Record<Route, RouteState>>>;
}

function parseBreaker(value: unknown): Breaker {
  return value === 'open' || value === 'half-open' ? value : 'closed';
}

/** The status, or `undefined` when `value` is not one (an older or newer server). */
export function parseRouteStatus(value: unknown): RouteStatus | undefined {
  if (!isRecord(value) || !isRoute(value.route)) {
    return undefined;
  }
  const routes: Partial<Record<Route, RouteState>> = {};
  const raw = recordField(value, 'routes') ?? {};
  for (const name of ROUTES) {
    const entry = raw[name];
    if (isRecord(entry)) {
      routes[name] = {
        configured: booleanField(entry, 'configured') ?? false,
        breaker: parseBreaker(stringField(entry, 'breaker')),
      };
    }
  }
  return { route: value.route, routes };
}

/** Configured routes whose breaker is open: their calls fail fast until it closes. */
export function openBreakers(status: RouteStatus): Route[] {
  return ROUTES.filter((name) => {
    const state = status.routes[name];
    return state !== undefined && state.configured && state.breaker === 'open';
  });
}

export type ClientState = 'starting' | 'running' | 'stopped';

export interface StatusBarView {
  readonly text: string;
  readonly tooltip: string;
  readonly background: 'warning' | 'error' | undefined;
}

const ICON = '$(symbol-variable)';

function routeLine(name: Route, state: RouteState | undefined): string {
  if (state === undefined) {
    return `${name}: unknown`;
  }
  if (!state.configured) {
    return `${name}: not configured`;
  }
  return `${name}: configured, breaker ${state.breaker}`;
}

/**
 * `$(symbol-variable) lift: local`, with the breakers that are open. Before the server
 * reports a status (or when it never does) the route comes from the settings.
 */
export function statusBarView(
  state: ClientState,
  status: RouteStatus | undefined,
  configuredRoute: Route,
): StatusBarView {
  if (state === 'starting') {
    return { text: '$(sync~spin) lift: starting', tooltip: 'The lift-lsp server is starting.', background: undefined };
  }
  if (state === 'stopped') {
    return {
      text: '$(error) lift: stopped',
      tooltip: 'The lift-lsp server is not running. Click to restart it.',
      background: 'error',
    };
  }
  if (status === undefined) {
    return {
      text: `${ICON} lift: ${configuredRoute}`,
      tooltip: `Route: ${configuredRoute} (from the settings; this server does not report its routes)`,
      background: undefined,
    };
  }
  const open = openBreakers(status);
  const suffix = open.length === 0 ? '' : ` (${open.join(', ')} breaker${open.length === 1 ? '' : 's'} open)`;
  const lines = [
    `Route: ${status.route}`,
    ...ROUTES.filter((r) => r !== 'auto').map((r) => routeLine(r, status.routes[r])),
  ];
  if (open.length > 0) {
    lines.push('An open breaker: calls to that route failed repeatedly and are paused for a while.');
  }
  lines.push('Click for route statistics.');
  return {
    text: `${ICON} lift: ${status.route}${suffix}`,
    tooltip: lines.join('\n'),
    background: open.length > 0 ? 'warning' : undefined,
  };
}
