/** Asks a candidate command for `--version` before the language client is started with it. */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

import { type ProbeResult, type ServerLaunch, versionArgs } from './serverLaunch';

export const PROBE_TIMEOUT_MS = 15_000;
const MAX_REASON = 200;

function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  // Python prints the useful part of a traceback last ("No module named lift_lsp").
  const line = lines.at(-1) ?? '';
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}

function spawnErrorReason(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') {
    return 'not found';
  }
  if (error.code === 'EACCES') {
    return 'not executable';
  }
  return error.message;
}

/** Runs `<command> [-m lift_lsp] --version`; the server's own environment is not needed for that. */
export function probeLaunch(
  launch: ServerLaunch,
  options: { readonly cwd?: string | undefined; readonly timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  return new Promise((resolve) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(launch.command, versionArgs(launch), { cwd: options.cwd, windowsHide: true });
    } catch (error) {
      resolve({ ok: false, reason: error instanceof Error ? error.message : String(error) });
      return;
    }
    let stdout = '';
    let stderr = '';
    let settled = false;
    const timer = setTimeout(() => {
      child.kill();
      settle({ ok: false, reason: `no answer to --version within ${String(timeoutMs / 1000)} s` });
    }, timeoutMs);
    function settle(result: ProbeResult): void {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(result);
      }
    }
    child.stdin.end();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      settle({ ok: false, reason: spawnErrorReason(error) });
    });
    child.on('close', (code) => {
      const version = lastLine(stdout);
      if (code === 0 && version.startsWith('lift-lsp')) {
        settle({ ok: true, version });
      } else if (code === 0) {
        settle({ ok: false, reason: `not lift-lsp (--version printed "${version}")` });
      } else {
        settle({ ok: false, reason: lastLine(stderr) || `exit code ${String(code)}` });
      }
    });
  });
}
