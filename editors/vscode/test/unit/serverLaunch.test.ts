import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  type ProbeResult,
  type ServerLaunch,
  chooseLaunch,
  describeLaunch,
  expandPath,
  launchCandidates,
  notFoundMessage,
  serveArgs,
  startFailedMessage,
  versionArgs,
} from '../../src/serverLaunch';

const linux = { platform: 'linux' as const, workspaceFolder: '/work/project', home: '/home/ada' };

describe('launchCandidates', () => {
  it('uses lift.server.path alone when it is set', () => {
    const [only, ...rest] = launchCandidates({
      ...linux,
      serverPath: '/opt/lift/bin/lift-lsp',
      pythonPath: '/usr/bin/python3.12',
    });
    assert.deepEqual(only, { command: '/opt/lift/bin/lift-lsp', prefix: [], origin: 'setting' });
    assert.equal(rest.length, 0);
  });

  it('tries the configured interpreter with -m lift_lsp, then lift-lsp on PATH', () => {
    const candidates = launchCandidates({
      ...linux,
      pythonPath: '${workspaceFolder}/.venv/bin/python',
      selectedInterpreter: '/usr/bin/python3',
    });
    assert.deepEqual(candidates, [
      { command: '/work/project/.venv/bin/python', prefix: ['-m', 'lift_lsp'], origin: 'python' },
      { command: 'lift-lsp', prefix: [], origin: 'path' },
    ]);
  });

  it("falls back to the Python extension's interpreter, then python3 (python on Windows)", () => {
    assert.equal(
      launchCandidates({ ...linux, selectedInterpreter: '/envs/a/bin/python' })[0]?.command,
      '/envs/a/bin/python',
    );
    assert.equal(launchCandidates(linux)[0]?.command, 'python3');
    assert.equal(launchCandidates({ platform: 'win32' })[0]?.command, 'python');
  });

  it('treats blank settings as unset', () => {
    assert.equal(launchCandidates({ ...linux, serverPath: '  ', pythonPath: '' })[0]?.origin, 'python');
  });
});

describe('expandPath', () => {
  it('expands ~ and ${workspaceFolder}, and resolves relative paths from the folder', () => {
    assert.equal(expandPath('~/bin/lift-lsp', linux), '/home/ada/bin/lift-lsp');
    assert.equal(expandPath('${workspaceFolder}/tools/lift-lsp', linux), '/work/project/tools/lift-lsp');
    assert.equal(expandPath('.venv/bin/lift-lsp', linux), path.join('/work/project', '.venv/bin/lift-lsp'));
  });

  it('leaves a bare command name to the PATH lookup', () => {
    assert.equal(expandPath('lift-lsp', linux), 'lift-lsp');
  });
});

describe('arguments', () => {
  const python: ServerLaunch = { command: '/usr/bin/python3', prefix: ['-m', 'lift_lsp'], origin: 'python' };

  it('serves over stdio and probes with --version', () => {
    assert.deepEqual(serveArgs(python), ['-m', 'lift_lsp', 'serve', '--stdio']);
    assert.deepEqual(versionArgs(python), ['-m', 'lift_lsp', '--version']);
  });

  it('describes a launch as a command line', () => {
    assert.equal(describeLaunch(python), '/usr/bin/python3 -m lift_lsp');
    assert.equal(
      describeLaunch({ command: 'C:\\Program Files\\py.exe', prefix: [], origin: 'setting' }),
      '"C:\\Program Files\\py.exe"',
    );
  });
});

describe('chooseLaunch', () => {
  const candidates = launchCandidates(linux);

  it('picks the first candidate that answers and keeps the failures before it', async () => {
    const answers: ProbeResult[] = [
      { ok: false, reason: 'No module named lift_lsp' },
      { ok: true, version: 'lift-lsp 0.1.0' },
    ];
    const choice = await chooseLaunch(candidates, () => Promise.resolve(answers.shift() ?? { ok: false, reason: '?' }));
    assert.ok(choice.found);
    assert.equal(choice.launch.origin, 'path');
    assert.equal(choice.version, 'lift-lsp 0.1.0');
    assert.deepEqual(
      choice.failures.map((f) => f.reason),
      ['No module named lift_lsp'],
    );
  });

  it('reports every failure when nothing answers', async () => {
    const choice = await chooseLaunch(candidates, () => Promise.resolve({ ok: false, reason: 'not found' }));
    assert.equal(choice.found, false);
    assert.equal(choice.failures.length, 2);
  });
});

describe('notFoundMessage', () => {
  it('says how to install and where to point the setting', () => {
    const message = notFoundMessage([
      {
        launch: { command: 'python3', prefix: ['-m', 'lift_lsp'], origin: 'python' },
        reason: 'No module named lift_lsp',
      },
      { launch: { command: 'lift-lsp', prefix: [], origin: 'path' }, reason: 'not found' },
    ]);
    assert.match(message, /pip install lift-lsp/);
    assert.match(message, /lift\.server\.path/);
    assert.match(message, /"python3 -m lift_lsp" \(No module named lift_lsp\)/);
  });

  it('names the setting when lift.server.path is wrong', () => {
    const message = notFoundMessage([
      { launch: { command: '/nope/lift-lsp', prefix: [], origin: 'setting' }, reason: 'not found' },
    ]);
    assert.match(message, /lift\.server\.path \(\/nope\/lift-lsp\) did not start: not found/);
  });
});

describe('startFailedMessage', () => {
  it('says what to do when the server answered --version but did not start', () => {
    const message = startFailedMessage({ command: 'lift-lsp', prefix: [], origin: 'path' }, 'connection closed');
    assert.match(message, /"lift-lsp" answered --version but did not start as a language server: connection closed/);
    assert.match(message, /pip install lift-lsp/);
    assert.match(message, /lift\.server\.path/);
  });
});
