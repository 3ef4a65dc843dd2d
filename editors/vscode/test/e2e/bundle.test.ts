/** The esbuild bundle loads under plain Node (with a stand-in `vscode`) and exports the entry points. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const BUNDLE = path.resolve(__dirname, '..', '..', 'dist', 'extension.js');

/**
 * Every property is a constructible stand-in, so the bundle's top level can run. It sits
 * on the prototype because esbuild's interop wrapper inherits from the module's prototype.
 */
const VSCODE_STAND_IN = `
const handler = { get: (target, key) => (key in target ? target[key] : (target[key] = new Proxy(class {}, handler))) };
module.exports = Object.create(new Proxy({}, handler));
`;

/** The error line of a failed run, not the minified source line Node prints above it. */
function errorOf(stderr: string): string {
  return (
    stderr
      .split('\n')
      .filter((line) => /Error/.test(line) && line.length < 500)
      .join('\n') || stderr.slice(-2000)
  );
}

describe('dist/extension.js', () => {
  it('loads and exports activate and deactivate', async () => {
    assert.ok(existsSync(BUNDLE), 'no bundle: run "npm run build" first');
    const modules = await mkdtemp(path.join(tmpdir(), 'lift-bundle-'));
    try {
      await mkdir(path.join(modules, 'vscode'));
      await writeFile(path.join(modules, 'vscode', 'index.js'), VSCODE_STAND_IN);
      const script = `const m = require(${JSON.stringify(BUNDLE)}); console.log(typeof m.activate, typeof m.deactivate);`;
      const run = spawnSync(process.execPath, ['-e', script], {
        env: { ...process.env, NODE_PATH: modules },
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, errorOf(run.stderr));
      assert.equal(run.stdout.trim(), 'function function');
    } finally {
      await rm(modules, { recursive: true, force: true });
    }
  });
});
