/**
 * The `lift` settings the server reads, and which of them a person actually set.
 *
 * The server ranks its sources: defaults < pyproject.toml < initializationOptions <
 * workspace/configuration. VS Code fills every declared setting with its default, so
 * sending `getConfiguration('lift')` as it is would let the editor's defaults override
 * the project's `[tool.lift-lsp]`. Only explicitly set values are sent.
 */

export const SECTION = 'lift';

/** Keys of section `lift` the server understands (docs/configuration.md). */
export const SERVER_SETTINGS = [
  'severity',
  'enabledKinds',
  'exclude',
  'extendExclude',
  'maxFileBytes',
  'route',
  'anthropicModel',
  'anthropicBaseUrl',
  'modalUrl',
  'modalModel',
  'remoteExclude',
  'extendRemoteExclude',
  'completionBudgetMs',
  'runGeneratedTests',
  'limits',
] as const;

export type ServerSettingKey = (typeof SERVER_SETTINGS)[number];

/** Keys only the extension reads; the server ignores them. */
export const CLIENT_SETTINGS = ['server.path', 'server.pythonPath', 'trace.server'] as const;

/** Settings that change how the server process is started, so a change restarts it. */
export const RESTART_SETTINGS = ['server.path', 'server.pythonPath'] as const;

export const ROUTES = ['local', 'anthropic', 'modal', 'auto'] as const;
export type Route = (typeof ROUTES)[number];

export function isRoute(value: unknown): value is Route {
  return typeof value === 'string' && (ROUTES as readonly string[]).includes(value);
}

/** The parts of `WorkspaceConfiguration.inspect()` that a person can set. */
export interface InspectedSetting {
  readonly globalValue?: unknown;
  readonly workspaceValue?: unknown;
  readonly workspaceFolderValue?: unknown;
}

/** The most specific value a person set (folder over workspace over user), if any. */
export function explicitValue(inspected: InspectedSetting | undefined): unknown {
  if (inspected === undefined) {
    return undefined;
  }
  for (const value of [inspected.workspaceFolderValue, inspected.workspaceValue, inspected.globalValue]) {
    if (value !== undefined && value !== null) {
      return value;
    }
  }
  return undefined;
}

/**
 * `{severity: "warning", ...}` with only the keys a person set: the initializationOptions,
 * and the answer to workspace/configuration.
 */
export function explicitServerSettings(
  inspect: (key: ServerSettingKey) => InspectedSetting | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const value = explicitValue(inspect(key));
    if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}
