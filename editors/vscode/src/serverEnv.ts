/**
 * API keys reach the server only as environment variables of its process: never
 * settings, initializationOptions or log lines.
 */

export interface StoredKeys {
  readonly anthropicApiKey?: string | undefined;
  readonly modalKey?: string | undefined;
  readonly modalSecret?: string | undefined;
}

export type StoredKeyName = keyof StoredKeys;

/** The variable each key is passed as (the server reads these names). */
export const KEY_ENVIRONMENT: Readonly<Record<StoredKeyName, string>> = {
  anthropicApiKey: 'ANTHROPIC_API_KEY',
  modalKey: 'LIFT_MODAL_KEY',
  modalSecret: 'LIFT_MODAL_SECRET',
};

export const STORED_KEY_NAMES = Object.keys(KEY_ENVIRONMENT) as StoredKeyName[];

/**
 * The whole environment of the server process: the language client passes it to
 * `spawn` as it is, so it starts from the editor's own. A stored key wins over an
 * inherited variable; without a stored key the inherited one (if any) stays.
 */
export function serverEnvironment(base: NodeJS.ProcessEnv, keys: StoredKeys): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined) {
      env[name] = value;
    }
  }
  for (const key of STORED_KEY_NAMES) {
    const value = keys[key];
    if (value !== undefined && value !== '') {
      env[KEY_ENVIRONMENT[key]] = value;
    }
  }
  return env;
}

/** Which keys are stored, for messages: names only, never values. */
export function storedKeysSummary(keys: StoredKeys): string {
  const stored = STORED_KEY_NAMES.filter((key) => (keys[key] ?? '') !== '').map((key) => KEY_ENVIRONMENT[key]);
  return stored.length === 0 ? 'no keys stored' : `stored: ${stored.join(', ')}`;
}
