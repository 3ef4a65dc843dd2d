/** Starts, restarts and talks to the lift-lsp server through vscode-languageclient. */

import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  type ConfigurationParams,
  ExecuteCommandRequest,
  type LanguageClientOptions,
  LanguageClient,
  type ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { ROUTE_STATUS_NOTIFICATION, ServerCommand, serverOffers } from './commandIds';
import type { KeyStore } from './keyStore';
import { probeLaunch } from './probe';
import { PYTHON_EXTENSION_ID, interpreterFromPythonApi, onInterpreterChange } from './pythonApi';
import { type ClientState, type RouteStatus, parseRouteStatus } from './routeStatus';
import { serverEnvironment, storedKeysSummary } from './serverEnv';
import {
  type LaunchChoice,
  chooseLaunch,
  describeLaunch,
  launchCandidates,
  notFoundMessage,
  serveArgs,
  startFailedMessage,
} from './serverLaunch';
import { type Route, SECTION, explicitServerSettings, isRoute } from './settings';

const CLIENT_ID = 'lift';
const CLIENT_NAME = 'Lift';

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function liftConfiguration(scope?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scope ?? null);
}

/** What a person set in section `lift` for `scope` (see settings.ts for why not the defaults). */
export function explicitSettingsFor(scope?: vscode.Uri): Record<string, unknown> {
  const config = liftConfiguration(scope);
  return explicitServerSettings((key) => config.inspect(key));
}

export function configuredRoute(): Route {
  const route = liftConfiguration().get<unknown>('route');
  return isRoute(route) ? route : 'local';
}

async function pythonApi(): Promise<unknown> {
  const extension = vscode.extensions.getExtension<unknown>(PYTHON_EXTENSION_ID);
  if (extension === undefined) {
    return undefined;
  }
  try {
    return extension.isActive ? extension.exports : await extension.activate();
  } catch {
    return undefined; // without the Python extension's answer, python3 and PATH remain
  }
}

/** Whether the server is started with the Python extension's interpreter (nothing more specific is set). */
export function usesSelectedInterpreter(): boolean {
  const config = liftConfiguration(vscode.workspace.workspaceFolders?.[0]?.uri);
  return !config.get<string>('server.path')?.trim() && !config.get<string>('server.pythonPath')?.trim();
}

/** Calls `listener` when the interpreter selected in the Python extension changes. */
export async function watchSelectedInterpreter(listener: () => void): Promise<vscode.Disposable | undefined> {
  const subscription = onInterpreterChange(await pythonApi(), listener);
  return subscription === undefined ? undefined : new vscode.Disposable(() => subscription.dispose());
}

export class LiftClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  /** Starts and stops run one at a time, in the order asked. */
  private queue: Promise<void> = Promise.resolve();
  private readonly stateChanged = new vscode.EventEmitter<ClientState>();
  private readonly routeStatusChanged = new vscode.EventEmitter<RouteStatus>();
  readonly onDidChangeState = this.stateChanged.event;
  readonly onDidChangeRouteStatus = this.routeStatusChanged.event;

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly keys: KeyStore,
  ) {}

  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.startNow());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.stopNow();
      await this.startNow();
    });
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow());
  }

  /** The running client, or `undefined` after offering to restart it. */
  ensureRunning(): LanguageClient | undefined {
    const client = this.running;
    if (client === undefined) {
      void vscode.window
        .showWarningMessage('Lift: the language server is not running.', 'Restart Server')
        .then((choice) => {
          if (choice !== undefined) {
            void this.restart();
          }
        });
    }
    return client;
  }

  /** Whether the running server advertised `command` (an older one may not have it). */
  offers(command: string): boolean {
    return serverOffers(this.running?.initializeResult?.capabilities, command);
  }

  /** `workspace/executeCommand` on the running server; `undefined` after telling the user why not. */
  async execute(command: string, args: unknown[] = []): Promise<{ readonly result: unknown } | undefined> {
    const client = this.ensureRunning();
    if (client === undefined) {
      return undefined;
    }
    if (!serverOffers(client.initializeResult?.capabilities, command)) {
      void vscode.window.showWarningMessage(
        `Lift: this lift-lsp does not offer ${command}; update it ("pip install -U lift-lsp").`,
      );
      return undefined;
    }
    try {
      const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
      return { result };
    } catch (error) {
      void vscode.window.showErrorMessage(`Lift: ${command} failed: ${errorText(error)}`);
      return undefined;
    }
  }

  /** The protocol URI of a document, spelled as the client spelled it in didOpen. */
  uriOf(document: vscode.TextDocument): string | undefined {
    return this.running?.code2ProtocolConverter.asUri(document.uri);
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.stateChanged.dispose();
    this.routeStatusChanged.dispose();
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async findServer(folder: vscode.Uri | undefined): Promise<LaunchChoice> {
    const config = liftConfiguration(folder);
    const candidates = launchCandidates({
      serverPath: config.get<string>('server.path'),
      pythonPath: config.get<string>('server.pythonPath'),
      selectedInterpreter: usesSelectedInterpreter() ? interpreterFromPythonApi(await pythonApi(), folder) : undefined,
      platform: process.platform,
      workspaceFolder: folder?.fsPath,
      home: os.homedir(),
    });
    return chooseLaunch(candidates, (launch) => probeLaunch(launch, { cwd: folder?.fsPath }));
  }

  private async startNow(): Promise<void> {
    this.stateChanged.fire('starting');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const choice = await this.findServer(folder);
    for (const failure of choice.failures) {
      this.output.appendLine(`lift-lsp not started with ${describeLaunch(failure.launch)}: ${failure.reason}`);
    }
    if (!choice.found) {
      this.stateChanged.fire('stopped');
      void this.reportStartProblem(notFoundMessage(choice.failures));
      return;
    }
    const keys = await this.keys.read();
    this.output.appendLine(
      `Starting ${choice.version} with ${describeLaunch(choice.launch)} (API keys: ${storedKeysSummary(keys)})`,
    );
    const serverOptions: ServerOptions = {
      command: choice.launch.command,
      args: serveArgs(choice.launch),
      options: {
        env: serverEnvironment(process.env, keys),
        ...(folder === undefined ? {} : { cwd: folder.fsPath }),
      },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, this.clientOptions());
    this.client = client;
    client.onDidChangeState(({ newState }) => {
      if (this.client === client) {
        this.stateChanged.fire(
          newState === State.Running ? 'running' : newState === State.Starting ? 'starting' : 'stopped',
        );
      }
    });
    client.onNotification(ROUTE_STATUS_NOTIFICATION, (params: unknown) => {
      this.publishRouteStatus(params);
    });
    try {
      await client.start();
    } catch (error) {
      this.stateChanged.fire('stopped');
      void this.reportStartProblem(startFailedMessage(choice.launch, errorText(error)));
      return;
    }
    await this.askRouteStatus(client);
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      try {
        await client.dispose();
      } catch (error) {
        this.output.appendLine(`Stopping lift-lsp: ${errorText(error)}`);
      }
    }
    this.stateChanged.fire('stopped');
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: [
        { scheme: 'file', language: 'python' },
        { scheme: 'untitled', language: 'python' },
      ],
      outputChannel: this.output,
      initializationOptions: explicitSettingsFor(),
      middleware: {
        workspace: {
          configuration: async (params: ConfigurationParams, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) {
              return answers;
            }
            return params.items.map((item, i): unknown =>
              item.section === SECTION
                ? explicitSettingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
                : answers[i],
            );
          },
          // The client would push every `lift` value, defaults included; an empty
          // notification makes the server ask, and the answer above has only what was set.
          didChangeConfiguration: (_sections, next) => next(undefined),
        },
      },
    };
  }

  private async askRouteStatus(client: LanguageClient): Promise<void> {
    if (!serverOffers(client.initializeResult?.capabilities, ServerCommand.routeStatus)) {
      return; // an older server: the status bar shows the configured route
    }
    try {
      this.publishRouteStatus(
        await client.sendRequest(ExecuteCommandRequest.type, { command: ServerCommand.routeStatus, arguments: [] }),
      );
    } catch (error) {
      this.output.appendLine(`${ServerCommand.routeStatus} failed: ${errorText(error)}`);
    }
  }

  private publishRouteStatus(value: unknown): void {
    const status = parseRouteStatus(value);
    if (status !== undefined) {
      this.routeStatusChanged.fire(status);
    }
  }

  private async reportStartProblem(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output');
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'lift.server');
    } else if (choice === 'Show Output') {
      this.output.show();
    }
  }
}
