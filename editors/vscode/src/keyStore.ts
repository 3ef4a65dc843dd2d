/** API keys in VS Code's SecretStorage (the OS keychain), never in settings. */

import * as vscode from 'vscode';

import { STORED_KEY_NAMES, type StoredKeyName, type StoredKeys } from './serverEnv';

const SECRET_PREFIX = 'lift.';

export class KeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async read(): Promise<StoredKeys> {
    const entries = await Promise.all(
      STORED_KEY_NAMES.map(async (name) => [name, await this.secrets.get(SECRET_PREFIX + name)] as const),
    );
    return Object.fromEntries(entries);
  }

  async store(values: Partial<Record<StoredKeyName, string>>): Promise<void> {
    for (const name of STORED_KEY_NAMES) {
      const value = values[name];
      if (value !== undefined) {
        await this.secrets.store(SECRET_PREFIX + name, value);
      }
    }
  }

  async clear(): Promise<void> {
    for (const name of STORED_KEY_NAMES) {
      await this.secrets.delete(SECRET_PREFIX + name);
    }
  }
}
