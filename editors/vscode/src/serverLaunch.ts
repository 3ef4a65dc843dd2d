/** Which command starts lift-lsp, in the order the extension tries them. */

import * as path from 'node:path';

/** How the server is reached: stdio, explicitly (the bare command means the same). */
export const SERVE_ARGS: readonly string[] = ['serve', '--stdio'];

export type LaunchOrigin = 'setting' | 'python' | 'path';

export interface ServerLaunch {
  readonly command: string;
  /** Arguments before {@link SERVE_ARGS} (`-m lift_lsp` for an interpreter). */
  readonly prefix: readonly string[];
  readonly origin: LaunchOrigin;
}

export interface LaunchInputs {
  /** `lift.server.path`. */
  readonly serverPath?: string | undefined;
  /** `lift.server.pythonPath`. */
  readonly pythonPath?: string | undefined;
  /** The interpreter the Python extension has selected, if it is installed. */
  readonly selectedInterpreter?: string | undefined;
  readonly platform: NodeJS.Platform;
  readonly workspaceFolder?: string | undefined;
  readonly home?: string | undefined;
}

export function defaultPython(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'python' : 'python3';
}

/** `~` and `${workspaceFolder}` as in VS Code's own path settings; a relative path is taken from the folder. */
export function expandPath(raw: string, inputs: Pick<LaunchInputs, 'workspaceFolder' | 'home'>): string {
  let out = raw.trim();
  const folder = inputs.workspaceFolder;
  if (folder !== undefined) {
    out = out.replaceAll('${workspaceFolder}', folder);
  }
  if (inputs.home !== undefined && (out === '~' || out.startsWith('~/') || out.startsWith('~\\'))) {
    out = inputs.home + out.slice(1);
  }
  // A bare name ("lift-lsp") is looked up on PATH; only paths with a separator are relative.
  const hasSeparator = out.includes('/') || out.includes('\\');
  if (folder !== undefined && hasSeparator && !path.isAbsolute(out)) {
    out = path.join(folder, out);
  }
  return out;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * `lift.server.path` alone when it is set (a wrong path should be reported, not
 * silently replaced); otherwise `<python> -m lift_lsp`, then `lift-lsp` on PATH.
 */
export function launchCandidates(inputs: LaunchInputs): ServerLaunch[] {
  const serverPath = nonEmpty(inputs.serverPath);
  if (serverPath !== undefined) {
    return [{ command: expandPath(serverPath, inputs), prefix: [], origin: 'setting' }];
  }
  const configured = nonEmpty(inputs.pythonPath);
  const python =
    configured !== undefined
      ? expandPath(configured, inputs)
      : (nonEmpty(inputs.selectedInterpreter) ?? defaultPython(inputs.platform));
  return [
    { command: python, prefix: ['-m', 'lift_lsp'], origin: 'python' },
    { command: 'lift-lsp', prefix: [], origin: 'path' },
  ];
}

export function serveArgs(launch: ServerLaunch): string[] {
  return [...launch.prefix, ...SERVE_ARGS];
}

export function versionArgs(launch: ServerLaunch): string[] {
  return [...launch.prefix, '--version'];
}

/** A command line for messages: quoted only where a space would make it ambiguous. */
export function describeLaunch(launch: ServerLaunch): string {
  return [launch.command, ...launch.prefix].map((part) => (/\s/.test(part) ? `"${part}"` : part)).join(' ');
}

export type ProbeResult =
  { readonly ok: true; readonly version: string } | { readonly ok: false; readonly reason: string };

export interface LaunchFailure {
  readonly launch: ServerLaunch;
  readonly reason: string;
}

export type LaunchChoice =
  | {
      readonly found: true;
      readonly launch: ServerLaunch;
      readonly version: string;
      readonly failures: readonly LaunchFailure[];
    }
  | { readonly found: false; readonly failures: readonly LaunchFailure[] };

/** The first candidate whose `--version` answers as lift-lsp. */
export async function chooseLaunch(
  candidates: readonly ServerLaunch[],
  probe: (launch: ServerLaunch) => Promise<ProbeResult>,
): Promise<LaunchChoice> {
  const failures: LaunchFailure[] = [];
  for (const launch of candidates) {
    const result = await probe(launch);
    if (result.ok) {
      return { found: true, launch, version: result.version, failures };
    }
    failures.push({ launch, reason: result.reason });
  }
  return { found: false, failures };
}

export const INSTALL_HINT = 'pip install lift-lsp';

/** What went wrong and what to do about it, for an error notification. */
export function notFoundMessage(failures: readonly LaunchFailure[]): string {
  const fromSetting = failures.find((f) => f.launch.origin === 'setting');
  if (fromSetting !== undefined) {
    return (
      `Lift: the server at lift.server.path (${fromSetting.launch.command}) did not start: ` +
      `${fromSetting.reason}. Point lift.server.path at the lift-lsp executable, ` +
      `or clear it to use "python -m lift_lsp" or lift-lsp on PATH.`
    );
  }
  const tried = failures.map((f) => `"${describeLaunch(f.launch)}" (${f.reason})`).join(', ');
  return (
    `Lift: the lift-lsp language server was not found; tried ${tried}. ` +
    `Install it with "${INSTALL_HINT}" in the Python environment of this workspace, ` +
    `or set lift.server.path to the lift-lsp executable.`
  );
}

/** The probe answered but the language client could not start the server. */
export function startFailedMessage(launch: ServerLaunch, reason: string): string {
  return (
    `Lift: "${describeLaunch(launch)}" answered --version but did not start as a language server: ${reason}. ` +
    `Reinstall it with "${INSTALL_HINT}", or set lift.server.path to a working lift-lsp executable (see the Lift output).`
  );
}
