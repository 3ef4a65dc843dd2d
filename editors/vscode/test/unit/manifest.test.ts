/** package.json and the code agree: every contributed command and setting is handled. */

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { EditorCommand } from '../../src/commandIds';
import { CLIENT_SETTINGS, ROUTES, SECTION, SERVER_SETTINGS } from '../../src/settings';

const root = path.join(__dirname, '..', '..');

interface Manifest {
  main: string;
  contributes: {
    commands: { command: string; title: string; category: string }[];
    configuration: { properties: Record<string, { default?: unknown; enum?: unknown[] }> };
  };
}

const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

describe('package.json', () => {
  it('contributes exactly the commands the extension registers, in category Lift', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(contributed, Object.values(EditorCommand).sort());
    for (const command of manifest.contributes.commands) {
      assert.equal(command.category, 'Lift');
    }
  });

  it('contributes exactly the settings the extension reads or sends', () => {
    const contributed = Object.keys(manifest.contributes.configuration.properties).sort();
    const known = [...SERVER_SETTINGS, ...CLIENT_SETTINGS].map((key) => `${SECTION}.${key}`).sort();
    assert.deepEqual(contributed, known);
  });

  it('offers the routes the status bar knows, local by default', () => {
    const route = manifest.contributes.configuration.properties['lift.route'];
    assert.ok(route);
    assert.deepEqual(route.enum, [...ROUTES]);
    assert.equal(route.default, 'local');
    assert.equal(manifest.contributes.configuration.properties['lift.completionBudgetMs']?.default, 300);
  });

  it('points main at the bundle', () => {
    assert.equal(manifest.main, './dist/extension.js');
  });
});

describe('modules without vscode', () => {
  /** Only these may import 'vscode' (or the language client, which does); the rest runs under plain Node. */
  const editorModules = new Set(['commands.ts', 'extension.ts', 'keyStore.ts', 'liftClient.ts', 'statusBar.ts']);

  it('keep the logic importable under Node', () => {
    const offenders = readdirSync(path.join(root, 'src'))
      .filter((file) => file.endsWith('.ts') && !editorModules.has(file))
      .filter((file) =>
        /from 'vscode(-languageclient[^']*)?'/.test(readFileSync(path.join(root, 'src', file), 'utf8')),
      );
    assert.deepEqual(offenders, []);
  });
});
