/** The palette commands (category "Lift"). */

import * as vscode from 'vscode';

import { EditorCommand, type EditorCommandId, ServerCommand } from './commandIds';
import {
  EXECUTION_LIST_LIMIT,
  MIN_EXECUTION_PREFIX,
  executionIdProblem,
  executionPickItem,
  parseExecutions,
} from './executions';
import { type ListedHole, holePickItem, listSummary, parseListHoles, parseLocation } from './holes';
import { plural } from './json';
import type { KeyStore } from './keyStore';
import {
  type Choice,
  OPTIMIZE_CHOICES,
  ROLLBACK_CHOICES,
  optimizeArguments,
  optimizeOutcome,
  rollbackArguments,
  rollbackMessage,
} from './learning';
import { type LiftClient, configuredRoute } from './liftClient';
import { analyzeSummary, statsDocument, traceText } from './results';
import type { StoredKeyName } from './serverEnv';

interface HoleItem extends vscode.QuickPickItem {
  readonly hole: ListedHole;
}

interface ExecutionItem extends vscode.QuickPickItem {
  readonly id: string;
}

export class LiftCommands {
  /** The last run of "Analyze Workspace", offered by "Show Execution Trace". */
  private lastExecution: string | undefined;
  private traceChannel: vscode.OutputChannel | undefined;

  constructor(
    private readonly client: LiftClient,
    private readonly keys: KeyStore,
    private readonly output: vscode.OutputChannel,
  ) {}

  register(): vscode.Disposable[] {
    const handlers: Record<EditorCommandId, (...args: unknown[]) => Promise<void>> = {
      [EditorCommand.listHoles]: () => this.listHoles(),
      [EditorCommand.nextHole]: () => this.stepHole(ServerCommand.nextHole),
      [EditorCommand.previousHole]: () => this.stepHole(ServerCommand.previousHole),
      [EditorCommand.analyzeWorkspace]: () => this.analyzeWorkspace(),
      [EditorCommand.optimize]: () => this.optimize(),
      [EditorCommand.rollback]: () => this.rollback(),
      [EditorCommand.showExecutionTrace]: (execution) => this.showExecutionTrace(execution),
      [EditorCommand.showStats]: () => this.showStats(),
      [EditorCommand.setAnthropicKey]: () => this.setAnthropicKey(),
      [EditorCommand.setModalKeys]: () => this.setModalKeys(),
      [EditorCommand.clearKeys]: () => this.clearKeys(),
      [EditorCommand.restartServer]: () => this.client.restart(),
      [EditorCommand.showOutput]: () => {
        this.output.show();
        return Promise.resolve();
      },
    };
    const disposables = Object.entries(handlers).map(([id, handler]) => vscode.commands.registerCommand(id, handler));
    disposables.push(new vscode.Disposable(() => this.traceChannel?.dispose()));
    return disposables;
  }

  private async listHoles(): Promise<void> {
    const answer = await this.client.execute(ServerCommand.listHoles);
    if (answer === undefined) {
      return;
    }
    const listing = parseListHoles(answer.result);
    if (listing === undefined) {
      this.unexpected(ServerCommand.listHoles, answer.result);
      return;
    }
    for (const problem of listing.errors) {
      this.output.appendLine(`${ServerCommand.listHoles}: ${problem.path}: ${problem.message}`);
    }
    if (listing.holes.length === 0) {
      const unread =
        listing.errors.length === 0 ? '' : ` (${plural(listing.errors.length, 'file')} not read: see the Lift output)`;
      void vscode.window.showInformationMessage(`Lift: no holes in the workspace${unread}.`);
      return;
    }
    const items: HoleItem[] = listing.holes.map((hole) => ({ ...holePickItem(hole), hole }));
    const picked = await vscode.window.showQuickPick(items, {
      placeHolder: `${listSummary(listing)}: pick one to go to it`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (picked !== undefined) {
      await reveal(picked.hole.uri, picked.hole.range);
    }
  }

  private async stepHole(command: typeof ServerCommand.nextHole | typeof ServerCommand.previousHole): Promise<void> {
    if (this.client.ensureRunning() === undefined) {
      return;
    }
    const editor = vscode.window.activeTextEditor;
    const uri = editor === undefined ? undefined : this.client.uriOf(editor.document);
    if (editor === undefined || uri === undefined || editor.document.languageId !== 'python') {
      void vscode.window.showInformationMessage('Lift: open a Python file to move between its holes.');
      return;
    }
    const { line, character } = editor.selection.active;
    const answer = await this.client.execute(command, [uri, { line, character }]);
    if (answer === undefined) {
      return;
    }
    if (answer.result === null) {
      vscode.window.setStatusBarMessage('Lift: no holes in this file', 3000);
      return;
    }
    const location = parseLocation(answer.result);
    if (location === undefined) {
      this.unexpected(command, answer.result);
      return;
    }
    await reveal(location.uri, location.range);
  }

  private async analyzeWorkspace(): Promise<void> {
    const answer = await this.client.execute(ServerCommand.analyzeWorkspace);
    if (answer === undefined) {
      return;
    }
    const summary = analyzeSummary(answer.result);
    if (summary === undefined) {
      this.unexpected(ServerCommand.analyzeWorkspace, answer.result);
      return;
    }
    for (const problem of summary.problems) {
      this.output.appendLine(`${ServerCommand.analyzeWorkspace}: ${problem}`);
    }
    this.lastExecution = summary.executions.at(-1) ?? this.lastExecution;
    const actions = [
      ...(summary.executions.length > 0 ? ['Show Trace'] : []),
      ...(summary.problems.length > 0 ? ['Show Output'] : []),
    ];
    const choice = await vscode.window.showInformationMessage(`Lift: ${summary.message}`, ...actions);
    if (choice === 'Show Trace') {
      await this.showExecutionTrace(this.lastExecution);
    } else if (choice === 'Show Output') {
      this.output.show();
    }
  }

  private async optimize(): Promise<void> {
    // Asking first would be wasted on a stopped server.
    if (this.client.ensureRunning() === undefined) {
      return;
    }
    const what = await pickChoice(OPTIMIZE_CHOICES, 'Lift: Optimize Ranker and LLM Programs', 'What to optimize');
    if (what === undefined) {
      return;
    }
    const answer = await this.client.execute(ServerCommand.optimize, optimizeArguments(what));
    if (answer === undefined) {
      return;
    }
    const outcome = optimizeOutcome(answer.result);
    if (outcome === undefined) {
      this.unexpected(ServerCommand.optimize, answer.result);
      return;
    }
    const text = `Lift: ${outcome.messages.join(' ')}`;
    if (!outcome.failed) {
      void vscode.window.showInformationMessage(text);
    } else if ((await vscode.window.showWarningMessage(text, 'Show Output')) !== undefined) {
      this.output.show(); // the server logged the failure there
    }
  }

  private async rollback(): Promise<void> {
    if (this.client.ensureRunning() === undefined) {
      return;
    }
    const kind = await pickChoice(
      ROLLBACK_CHOICES,
      'Lift: Roll Back Ranker or LLM Programs',
      'What to roll back to its previous version',
    );
    if (kind === undefined) {
      return;
    }
    const answer = await this.client.execute(ServerCommand.rollback, rollbackArguments(kind));
    if (answer !== undefined) {
      this.inform(ServerCommand.rollback, rollbackMessage(answer.result), answer.result);
    }
  }

  private async showExecutionTrace(execution?: unknown): Promise<void> {
    const id = typeof execution === 'string' && execution !== '' ? execution : await this.pickExecution();
    if (id === undefined) {
      return;
    }
    const answer = await this.client.execute(ServerCommand.replayExecution, [id.trim()]);
    if (answer === undefined) {
      return;
    }
    const text = traceText(answer.result);
    if (text === undefined) {
      this.unexpected(ServerCommand.replayExecution, answer.result);
      return;
    }
    this.traceChannel ??= vscode.window.createOutputChannel('Lift Trace');
    this.traceChannel.replace(`${text}\n`);
    this.traceChannel.show(true);
  }

  /** A recent run from the server's list; the input box when there is none to pick or no list. */
  private async pickExecution(): Promise<string | undefined> {
    if (this.client.ensureRunning() === undefined) {
      return undefined;
    }
    if (!this.client.offers(ServerCommand.listExecutions)) {
      return this.askExecutionId('');
    }
    const answer = await this.client.execute(ServerCommand.listExecutions, [EXECUTION_LIST_LIMIT]);
    if (answer === undefined) {
      return undefined;
    }
    const executions = parseExecutions(answer.result);
    if (executions === undefined) {
      this.unexpected(ServerCommand.listExecutions, answer.result);
      return undefined;
    }
    if (executions.length === 0) {
      return this.askExecutionId('No runs are recorded in this workspace yet (Analyze Workspace records them). ');
    }
    const now = Date.now();
    const items: ExecutionItem[] = executions.map((e) => ({ ...executionPickItem(e, now), id: e.id }));
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Lift: Show Execution Trace',
      placeHolder: `${plural(items.length, 'recent run')}, newest first: pick one to show its trace`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    return picked?.id;
  }

  /** `note` (a sentence, or empty) says why the user has to type an id. */
  private async askExecutionId(note: string): Promise<string | undefined> {
    return vscode.window.showInputBox({
      title: 'Lift: Show Execution Trace',
      prompt: `${note}An execution id, or a unique prefix of ${String(MIN_EXECUTION_PREFIX)}+ characters (hovers on lifted functions show it)`,
      value: this.lastExecution ?? '',
      validateInput: executionIdProblem,
    });
  }

  private async showStats(): Promise<void> {
    const answer = await this.client.execute(ServerCommand.showStats);
    if (answer === undefined) {
      return;
    }
    const shown = statsDocument(answer.result);
    const document = await vscode.workspace.openTextDocument(shown);
    await vscode.window.showTextDocument(document, { preview: true });
  }

  private async setAnthropicKey(): Promise<void> {
    const key = await askSecret('Anthropic API key', 'ANTHROPIC_API_KEY');
    if (key !== undefined) {
      await this.storeKeys({ anthropicApiKey: key }, 'Anthropic API key');
    }
  }

  private async setModalKeys(): Promise<void> {
    const key = await askSecret('Modal proxy key', 'LIFT_MODAL_KEY');
    if (key === undefined) {
      return;
    }
    const secret = await askSecret('Modal proxy secret', 'LIFT_MODAL_SECRET');
    if (secret !== undefined) {
      await this.storeKeys({ modalKey: key, modalSecret: secret }, 'Modal proxy key and secret');
    }
  }

  private async clearKeys(): Promise<void> {
    await this.keys.clear();
    await this.client.restart();
    void vscode.window.showInformationMessage('Lift: stored keys cleared; the server restarted without them.');
  }

  /** A new key reaches the server only through the environment of a new process. */
  private async storeKeys(values: Partial<Record<StoredKeyName, string>>, what: string): Promise<void> {
    await this.keys.store(values);
    await this.client.restart();
    const route = configuredRoute();
    const hint = route === 'local' ? ' The route is "local": set lift.route to use it.' : '';
    const choice = await vscode.window.showInformationMessage(
      `Lift: ${what} stored; the server restarted with it.${hint}`,
      ...(hint === '' ? [] : ['Open Settings']),
    );
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'lift.route');
    }
  }

  private inform(command: string, message: string | undefined, result: unknown): void {
    if (message === undefined) {
      this.unexpected(command, result);
    } else {
      void vscode.window.showInformationMessage(`Lift: ${message}`);
    }
  }

  private unexpected(command: string, result: unknown): void {
    this.output.appendLine(`${command} answered in an unexpected shape: ${JSON.stringify(result)}`);
    void vscode.window.showWarningMessage(`Lift: ${command} answered in an unexpected shape (see the Lift output).`);
  }
}

async function pickChoice<T>(
  choices: readonly Choice<T>[],
  title: string,
  placeHolder: string,
): Promise<T | undefined> {
  const picked = await vscode.window.showQuickPick(choices, { title, placeHolder });
  return picked?.value;
}

async function askSecret(what: string, variable: string): Promise<string | undefined> {
  const value = await vscode.window.showInputBox({
    title: `Lift: ${what}`,
    prompt: `Kept in VS Code's secret storage and given to lift-lsp only as ${variable}.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (input) => (input.trim() === '' ? 'Empty: press Escape to cancel' : undefined),
  });
  return value?.trim();
}

async function reveal(
  uri: string,
  range: { start: { line: number; character: number }; end: { line: number; character: number } },
): Promise<void> {
  const selection = new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
  const editor = await vscode.window.showTextDocument(vscode.Uri.parse(uri), { selection });
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
