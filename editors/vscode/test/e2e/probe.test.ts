/** The --version probe the extension runs before starting a candidate server. */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { probeLaunch } from '../../src/probe';
import type { ServerLaunch } from '../../src/serverLaunch';

/** `node -e <script> -- --version`: the `--` keeps node from reading `--version` itself. */
function nodeScript(script: string): ServerLaunch {
  return { command: process.execPath, prefix: ['-e', script, '--'], origin: 'setting' };
}

const venvPython = path.resolve(__dirname, '..', '..', '..', '..', '.venv', 'bin', 'python');

describe('probeLaunch', () => {
  it(
    'finds lift-lsp as `python -m lift_lsp`',
    { skip: !existsSync(venvPython) && 'no .venv in this checkout' },
    async () => {
      const result = await probeLaunch({ command: venvPython, prefix: ['-m', 'lift_lsp'], origin: 'python' });
      assert.ok(result.ok, JSON.stringify(result));
      assert.match(result.version, /^lift-lsp \d/);
    },
  );

  it('says "not found" for a command that does not exist', async () => {
    const result = await probeLaunch({ command: 'lift-lsp-that-does-not-exist', prefix: [], origin: 'path' });
    assert.deepEqual(result, { ok: false, reason: 'not found' });
  });

  it("reports an interpreter's last line of error output", async () => {
    const launch = nodeScript('console.error("Traceback\\nNo module named lift_lsp"); process.exit(1)');
    assert.deepEqual(await probeLaunch(launch), { ok: false, reason: 'No module named lift_lsp' });
  });

  it('rejects a program that is not lift-lsp', async () => {
    const launch = nodeScript('console.log("other 1.0")');
    assert.deepEqual(await probeLaunch(launch), { ok: false, reason: 'not lift-lsp (--version printed "other 1.0")' });
  });

  it('gives up on a program that does not answer', async () => {
    const launch = nodeScript('setTimeout(() => {}, 10000)');
    const result = await probeLaunch(launch, { timeoutMs: 200 });
    assert.deepEqual(result, { ok: false, reason: 'no answer to --version within 0.2 s' });
  });
});
