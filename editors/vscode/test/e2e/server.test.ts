/**
 * The real lift-lsp over stdio, driven as the extension's client drives it: settings in
 * both places, hole diagnostics, hover, completion, code actions, the commands the
 * palette calls (their answers read by the extension's own parsers), and a clean exit;
 * then pull diagnostics, which is how vscode-languageclient 9 asks for them.
 */

import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import {
  type ClientCapabilities,
  type CodeAction,
  CodeActionRequest,
  CompletionRequest,
  type Diagnostic,
  DiagnosticSeverity,
  DidOpenTextDocumentNotification,
  DocumentDiagnosticRequest,
  ExecuteCommandRequest,
  ExitNotification,
  HoverRequest,
  type InitializeResult,
  type Range,
  ShutdownRequest,
  TextDocumentEdit,
} from 'vscode-languageserver-protocol/node';

import { ServerCommand, serverOffers } from '../../src/commandIds';
import { EXECUTION_LIST_LIMIT, executionPickItem, parseExecutions } from '../../src/executions';
import { holePickItem, parseListHoles, parseLocation } from '../../src/holes';
import { optimizeArguments, optimizeOutcome, rollbackArguments, rollbackMessage } from '../../src/learning';
import { analyzeSummary, statsDocument, traceText } from '../../src/results';
import { parseRouteStatus } from '../../src/routeStatus';
import { type ServerSettingKey, explicitServerSettings } from '../../src/settings';
import { LspSession, findServer } from './lspSession';

const SOURCE = ['def area(radius: float) -> float:', '    return ...', ''].join('\n');
/** The `...` on line 2 (0-based line 1, characters 11-14). */
const HOLE: Range = { start: { line: 1, character: 11 }, end: { line: 1, character: 14 } };
const WAIT_MS = 30_000;

/** What VS Code's language client announces, as far as these features go. */
const CAPABILITIES: ClientCapabilities = {
  general: { positionEncodings: ['utf-16'] },
  workspace: {
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true },
    executeCommand: { dynamicRegistration: true },
    workspaceFolders: true,
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, didSave: true },
    publishDiagnostics: { versionSupport: true, relatedInformation: true },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    completion: {
      completionItem: {
        snippetSupport: true,
        documentationFormat: ['markdown', 'plaintext'],
        insertReplaceSupport: false,
      },
      contextSupport: true,
    },
    codeAction: {
      codeActionLiteralSupport: {
        codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'refactor.rewrite', 'source'] },
      },
      isPreferredSupport: true,
    },
  },
  window: { workDoneProgress: true },
};

/** A value for every server setting, as a person would set them in VS Code. */
const USER_SETTINGS: Record<ServerSettingKey, unknown> = {
  severity: 'warning',
  enabledKinds: ['expression', 'body', 'named', 'signature', 'intent'],
  exclude: ['build/'],
  extendExclude: ['generated/'],
  maxFileBytes: 1_000_000,
  route: 'local',
  anthropicModel: 'a-model',
  anthropicBaseUrl: 'https://anthropic.example.invalid',
  modalUrl: 'https://modal.example.invalid',
  modalModel: 'a-model',
  remoteExclude: ['*.pem'],
  extendRemoteExclude: ['private/'],
  completionBudgetMs: 300,
  runGeneratedTests: false,
  limits: { reverse: { maxCalls: 40, maxTokens: 20_000, maxConcurrent: 2 } },
};

function sameRange(a: Range | undefined, b: Range): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface OpenedWorkspace {
  /** The file holding {@link SOURCE}, open in the server. */
  readonly uri: string;
  readonly session: LspSession;
  readonly initialized: InitializeResult;
}

/** A temporary folder with one file, the server started in it, initialized, and the file opened. */
async function openWorkspace(
  capabilities: ClientCapabilities,
  opened: (folder: string) => void,
): Promise<OpenedWorkspace> {
  // realpath: macOS's tmpdir is a symlink, and the server reports resolved paths.
  const folder = await realpath(await mkdtemp(path.join(tmpdir(), 'lift-e2e-')));
  opened(folder);
  const file = path.join(folder, 'geometry.py');
  await writeFile(file, SOURCE);
  const uri = pathToFileURL(file).href;
  const session = LspSession.start({ launch: await findServer(), workspace: folder, configuration: USER_SETTINGS });
  // initializationOptions say "hint"; the editor's settings (workspace/configuration) win.
  const initializationOptions = explicitServerSettings((key) => ({
    globalValue: key === 'severity' ? 'hint' : undefined,
  }));
  const initialized = await session.initialize({
    // Deprecated in favour of workspaceFolders, but still sent by VS Code (and required by the type).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    rootUri: pathToFileURL(folder).href,
    workspaceFolders: [{ uri: pathToFileURL(folder).href, name: 'e2e' }],
    capabilities,
    initializationOptions,
    clientInfo: { name: 'lift-vscode-e2e' },
  });
  await session.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'python', version: 1, text: SOURCE },
  });
  return { uri, session, initialized };
}

async function shutDown(session: LspSession): Promise<void> {
  await session.connection.sendRequest(ShutdownRequest.type);
  await session.connection.sendNotification(ExitNotification.type);
  assert.equal(await session.exitCode(WAIT_MS), 0, session.stderrText);
}

/** Opens a workspace in the suite's `before` and removes it in its `after`; the tests get it from the function returned. */
function withWorkspace(capabilities: ClientCapabilities): () => OpenedWorkspace {
  let folder = '';
  let opened: OpenedWorkspace | undefined;
  before(async () => {
    opened = await openWorkspace(capabilities, (f) => (folder = f));
  });
  after(async () => {
    opened?.session.kill();
    if (folder !== '') {
      await rm(folder, { recursive: true, force: true });
    }
  });
  return () => {
    assert.ok(opened, 'the server did not start');
    return opened;
  };
}

describe('lift-lsp over stdio', { timeout: 120_000 }, () => {
  const workspace = withWorkspace(CAPABILITIES);
  const session = (): LspSession => workspace().session;
  let holeDiagnostic: Diagnostic;

  it('advertises the commands the extension calls', () => {
    for (const command of [
      ServerCommand.listHoles,
      ServerCommand.nextHole,
      ServerCommand.previousHole,
      ServerCommand.analyzeWorkspace,
      ServerCommand.optimize,
      ServerCommand.rollback,
      ServerCommand.listExecutions,
      ServerCommand.replayExecution,
    ]) {
      assert.ok(serverOffers(workspace().initialized.capabilities, command), `${command} is not offered`);
    }
  });

  it('publishes the hole as a diagnostic with the severity from the settings', async () => {
    const published = await session().diagnostics.next(
      (p) => p.uri === workspace().uri && p.diagnostics.length > 0,
      'hole diagnostics',
      WAIT_MS,
    );
    assert.equal(published.diagnostics.length, 1);
    const [diagnostic] = published.diagnostics;
    assert.ok(diagnostic);
    holeDiagnostic = diagnostic;
    assert.deepEqual(diagnostic.range, HOLE);
    assert.equal(diagnostic.source, 'lift');
    assert.match(String(diagnostic.code), /^hole\./);
    assert.match(diagnostic.message, /float/);
    assert.equal(diagnostic.severity, DiagnosticSeverity.Warning);
    assert.ok(session().configurationRequests.length > 0, 'the server never asked for the settings');
  });

  it('accepts every setting the extension contributes', () => {
    const complaints = session()
      .messages.all()
      .filter((m) => m.includes('settings:') || m.includes('unknown setting'));
    assert.deepEqual(complaints, []);
  });

  it('describes the hole on hover, with its type', async () => {
    const hover = await session().connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: workspace().uri },
      position: { line: 1, character: 12 },
    });
    assert.ok(hover);
    const text =
      typeof hover.contents === 'object' && 'value' in hover.contents
        ? hover.contents.value
        : JSON.stringify(hover.contents);
    assert.match(text, /float/);
  });

  it('completes the hole with the parameter, replacing the `...`', async () => {
    const answer = await session().connection.sendRequest(CompletionRequest.type, {
      textDocument: { uri: workspace().uri },
      position: HOLE.end,
    });
    const items = Array.isArray(answer) ? answer : (answer?.items ?? []);
    const radius = items.find((item) => item.textEdit?.newText === 'radius');
    assert.ok(radius, `no "radius" among ${JSON.stringify(items.map((i) => i.label))}`);
    assert.ok(radius.textEdit && 'range' in radius.textEdit);
    assert.deepEqual(radius.textEdit.range, HOLE);
  });

  it('offers "Fill hole" code actions that carry their edit', async () => {
    const answer = await session().connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: workspace().uri },
      range: HOLE,
      context: { diagnostics: [holeDiagnostic] },
    });
    const actions = (answer ?? []).filter(
      (a): a is CodeAction => 'title' in a && !('command' in a && typeof a.command === 'string'),
    );
    const fill = actions.find((a) => a.title === 'Fill hole with `radius`');
    assert.ok(fill, `no "Fill hole with \`radius\`" among ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.equal(fill.kind, 'quickfix');
    const change = fill.edit?.documentChanges?.[0];
    assert.ok(change && TextDocumentEdit.is(change));
    assert.equal(change.textDocument.uri, workspace().uri);
    assert.deepEqual(
      change.edits.map((e) => [e.range, e.newText]),
      [[HOLE, 'radius']],
    );
  });

  it('lists the hole for the quick pick', async () => {
    const answer: unknown = await session().connection.sendRequest(ExecuteCommandRequest.type, {
      command: ServerCommand.listHoles,
      arguments: [],
    });
    const listing = parseListHoles(answer);
    assert.ok(listing, `unexpected answer ${JSON.stringify(answer)}`);
    assert.equal(listing.holes.length, 1);
    const [hole] = listing.holes;
    assert.ok(hole);
    assert.equal(hole.uri, workspace().uri);
    assert.deepEqual(hole.range, HOLE);
    assert.deepEqual(holePickItem(hole), {
      label: '$(symbol-variable) area#1',
      description: 'float · expression in area',
      detail: 'geometry.py:2:12 — hole of type float',
    });
  });

  it('moves to the next and the previous hole', async () => {
    for (const command of [ServerCommand.nextHole, ServerCommand.previousHole]) {
      const answer: unknown = await session().connection.sendRequest(ExecuteCommandRequest.type, {
        command,
        arguments: [workspace().uri, { line: 0, character: 0 }],
      });
      const location = parseLocation(answer);
      assert.ok(location, `${command} answered ${JSON.stringify(answer)}`);
      assert.equal(location.uri, workspace().uri);
      assert.ok(sameRange(location.range, HOLE));
    }
  });

  it('reports its routes, when it offers them', async (t) => {
    if (!serverOffers(workspace().initialized.capabilities, ServerCommand.routeStatus)) {
      t.skip(`this lift-lsp does not offer ${ServerCommand.routeStatus}`);
      return;
    }
    const answer: unknown = await session().connection.sendRequest(ExecuteCommandRequest.type, {
      command: ServerCommand.routeStatus,
      arguments: [],
    });
    assert.equal(parseRouteStatus(answer)?.route, 'local', `unexpected answer ${JSON.stringify(answer)}`);
    const notified = await session().routeStatuses.next(() => true, 'a lift/routeStatus notification', WAIT_MS);
    assert.ok(parseRouteStatus(notified), `unexpected notification ${JSON.stringify(notified)}`);
  });

  it('lifts the workspace, lists its execution and replays it as a trace', async () => {
    const analysis = analyzeSummary(
      await session().connection.sendRequest(ExecuteCommandRequest.type, {
        command: ServerCommand.analyzeWorkspace,
        arguments: [],
      }),
    );
    assert.ok(analysis);
    assert.match(analysis.message, /^Lifted 1 function with \d+ holes? in 1 file\.$/);
    const execution = analysis.executions.at(-1);
    assert.ok(execution !== undefined, 'no execution recorded');
    const listed: unknown = await session().connection.sendRequest(ExecuteCommandRequest.type, {
      command: ServerCommand.listExecutions,
      arguments: [EXECUTION_LIST_LIMIT],
    });
    const executions = parseExecutions(listed);
    assert.ok(executions, `unexpected answer ${JSON.stringify(listed)}`);
    // The workspace's only runs are this analysis's, and the listing is newest first.
    assert.deepEqual(
      executions.map((e) => e.id),
      [...analysis.executions].reverse(),
    );
    const [newest] = executions;
    assert.ok(newest);
    const item = executionPickItem(newest, Date.now());
    assert.equal(item.label, 'geometry.py');
    assert.match(item.description, /^reverse · completed · [\d.]+ m?s$/);
    assert.ok(item.detail.startsWith(`${execution} · `), item.detail);
    const replay: unknown = await session().connection.sendRequest(ExecuteCommandRequest.type, {
      command: ServerCommand.replayExecution,
      arguments: [execution],
    });
    const trace = traceText(replay);
    assert.ok(trace, `unexpected answer ${JSON.stringify(replay)}`);
    assert.ok(trace.startsWith(`Execution ${execution} · `), trace);
    assert.ok(trace.split('\n').length > 1, trace);
  });

  it('optimizes and rolls back the ranker alone, in shapes the extension words', async () => {
    const optimized: unknown = await session().connection.sendRequest(ExecuteCommandRequest.type, {
      command: ServerCommand.optimize,
      arguments: optimizeArguments('ranker'),
    });
    const outcome = optimizeOutcome(optimized);
    assert.ok(outcome, JSON.stringify(optimized));
    assert.equal(outcome.failed, false);
    // Only the ranker's sentence: the programs were not asked for.
    assert.equal(outcome.messages.length, 1, JSON.stringify(optimized));
    assert.match(outcome.messages[0] ?? '', /^(Activated|Kept) ranker /);
    const rolledBack: unknown = await session().connection.sendRequest(ExecuteCommandRequest.type, {
      command: ServerCommand.rollback,
      arguments: rollbackArguments('ranker'),
    });
    assert.match(rollbackMessage(rolledBack) ?? '', /ranker/, JSON.stringify(rolledBack));
  });

  it('shows route statistics, when it offers them', async (t) => {
    if (!serverOffers(workspace().initialized.capabilities, ServerCommand.showStats)) {
      t.skip(`this lift-lsp does not offer ${ServerCommand.showStats}`);
      return;
    }
    const answer: unknown = await session().connection.sendRequest(ExecuteCommandRequest.type, {
      command: ServerCommand.showStats,
      arguments: [],
    });
    const shown = statsDocument(answer);
    assert.equal(shown.language, 'markdown', JSON.stringify(answer));
    assert.match(shown.content, /Route: \*\*local\*\*/);
    assert.match(shown.content, /^\| route \| calls \|/m, 'the Markdown table');
  });

  it('shuts down and exits with 0', async () => {
    await shutDown(session());
  });
});

describe('lift-lsp with pull diagnostics, as vscode-languageclient 9 asks for them', { timeout: 60_000 }, () => {
  const workspace = withWorkspace({
    ...CAPABILITIES,
    textDocument: {
      ...CAPABILITIES.textDocument,
      diagnostic: { dynamicRegistration: true, relatedDocumentSupport: false },
    },
  });

  it('answers textDocument/diagnostic with the hole, and pushes nothing', async () => {
    const { session, uri } = workspace();
    const report = await session.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } });
    assert.equal(report.kind, 'full');
    assert.deepEqual(
      report.items.map((d) => [d.range, d.severity]),
      [[HOLE, DiagnosticSeverity.Warning]],
    );
    assert.deepEqual(
      session.diagnostics.all().filter((p) => p.diagnostics.length > 0),
      [],
    );
    await shutDown(session);
  });
});
