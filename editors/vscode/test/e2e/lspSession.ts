/**
 * A stdio LSP session with the real lift-lsp, answering the requests the server makes
 * of its client the way VS Code's language client does.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

import {
  ConfigurationRequest,
  type InitializeParams,
  type InitializeResult,
  InitializeRequest,
  InitializedNotification,
  LogMessageNotification,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowMessageNotification,
  StreamMessageReader,
  StreamMessageWriter,
  UnregistrationRequest,
  WorkDoneProgressCreateRequest,
  createProtocolConnection,
} from 'vscode-languageserver-protocol/node';

import { ROUTE_STATUS_NOTIFICATION } from '../../src/commandIds';
import { probeLaunch } from '../../src/probe';
import { type ServerLaunch, chooseLaunch, describeLaunch, serveArgs } from '../../src/serverLaunch';

const EXTENSION_ROOT = path.join(__dirname, '..', '..');

/**
 * `LIFT_LSP_COMMAND` (an executable), else the repository's `.venv/bin/lift-lsp`, else
 * `lift-lsp` on PATH: the first that answers `--version`, found with the extension's own probe.
 */
export async function findServer(): Promise<ServerLaunch> {
  const fromEnv = process.env.LIFT_LSP_COMMAND?.trim();
  const venv = path.resolve(
    EXTENSION_ROOT,
    '..',
    '..',
    '.venv',
    process.platform === 'win32' ? 'Scripts/lift-lsp.exe' : 'bin/lift-lsp',
  );
  const candidates: ServerLaunch[] =
    fromEnv !== undefined && fromEnv !== ''
      ? [{ command: fromEnv, prefix: [], origin: 'setting' }]
      : [
          ...(existsSync(venv) ? [{ command: venv, prefix: [], origin: 'setting' as const }] : []),
          { command: 'lift-lsp', prefix: [], origin: 'path' },
        ];
  const choice = await chooseLaunch(candidates, (launch) => probeLaunch(launch));
  if (!choice.found) {
    const tried = choice.failures.map((f) => `${describeLaunch(f.launch)}: ${f.reason}`).join('; ');
    throw new Error(`no lift-lsp to test against (${tried}); set LIFT_LSP_COMMAND`);
  }
  return choice.launch;
}

export interface SessionOptions {
  readonly launch: ServerLaunch;
  readonly workspace: string;
  /** The answer to `workspace/configuration` for section `lift`. */
  readonly configuration: Record<string, unknown>;
}

/** Resolves with the first value `predicate` accepts among those pushed to it. */
class Waiters<T> {
  private readonly seen: T[] = [];
  private readonly waiting: { predicate: (value: T) => boolean; resolve: (value: T) => void }[] = [];

  push(value: T): void {
    this.seen.push(value);
    for (const waiter of this.waiting.filter((w) => w.predicate(value))) {
      this.waiting.splice(this.waiting.indexOf(waiter), 1);
      waiter.resolve(value);
    }
  }

  all(): readonly T[] {
    return this.seen;
  }

  next(predicate: (value: T) => boolean, what: string, timeoutMs: number): Promise<T> {
    const found = this.seen.find(predicate);
    if (found !== undefined) {
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiting.push({
        predicate,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
      });
    });
  }
}

export class LspSession {
  readonly diagnostics = new Waiters<PublishDiagnosticsParams>();
  readonly messages = new Waiters<string>();
  readonly routeStatuses = new Waiters<unknown>();
  readonly configurationRequests: unknown[] = [];
  private stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly connection: ProtocolConnection,
    private readonly process: ChildProcessWithoutNullStreams,
    private readonly options: SessionOptions,
  ) {
    this.exited = new Promise((resolve) =>
      process.once('exit', (code) => {
        resolve(code);
      }),
    );
    process.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    connection.onRequest(ConfigurationRequest.type, (params) => {
      this.configurationRequests.push(params);
      return params.items.map((item) => (item.section === 'lift' ? this.options.configuration : null));
    });
    connection.onRequest(RegistrationRequest.type, () => null);
    connection.onRequest(UnregistrationRequest.type, () => null);
    connection.onRequest(WorkDoneProgressCreateRequest.type, () => null);
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.diagnostics.push(params);
    });
    connection.onNotification(ShowMessageNotification.type, (params) => {
      this.messages.push(params.message);
    });
    connection.onNotification(LogMessageNotification.type, (params) => {
      this.messages.push(params.message);
    });
    connection.onNotification(ROUTE_STATUS_NOTIFICATION, (params: unknown) => {
      this.routeStatuses.push(params);
    });
    // Progress ($/progress) and anything else the server sends are of no interest here.
    connection.onUnhandledNotification(() => undefined);
    connection.listen();
  }

  static start(options: SessionOptions): LspSession {
    const child = spawn(options.launch.command, serveArgs(options.launch), { cwd: options.workspace, stdio: 'pipe' });
    const connection = createProtocolConnection(
      new StreamMessageReader(child.stdout),
      new StreamMessageWriter(child.stdin),
    );
    return new LspSession(connection, child, options);
  }

  async initialize(params: Omit<InitializeParams, 'processId'>): Promise<InitializeResult> {
    const result = await this.connection.sendRequest(InitializeRequest.type, { ...params, processId: process.pid });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return result;
  }

  /** The exit code, or an error with the server's stderr when it does not exit in time. */
  async exitCode(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`the server did not exit within ${String(timeoutMs)} ms; stderr:\n${this.stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get stderrText(): string {
    return this.stderr;
  }

  /** Ends the process if a test failed before shutting it down. */
  kill(): void {
    this.connection.dispose();
    if (this.process.exitCode === null) {
      this.process.kill();
    }
  }
}
