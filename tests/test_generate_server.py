"""Generate implementation end to end: the real server over stdio, configured through its
environment for the Anthropic route, the fake Messages API on 127.0.0.1 as the model."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import SERVER_COMMAND, capabilities, change_doc, command, init_params, open_doc
from tests.fakes.anthropic_server import Delay, FakeAnthropicServer, Status
from tests.test_forward_responder import ForwardResponder
from tests.test_server_suggestions import read_code_actions_right

KEY = "sk-ant-e2e-generate-8c41d07b2f9a"
GENERATE = "lift.generateImplementation"
SOURCE = '''\
def fizz(n: int) -> str:
    """'Fizz' for multiples of 3, else the number.

    >>> fizz(9)
    'Fizz'
    >>> fizz(4)
    '4'
    """
    ...
'''
HOLE_LINE = 8
BODY = '    if n % 3 == 0:\n        return "Fizz"\n    return str(n)\n'


@dataclass
class Session:
    client: LanguageClient
    fake: FakeAnthropicServer
    model: ForwardResponder
    root: Path
    #: Every workspace/applyEdit the server sent, and what the client answers.
    edits: list[lsp.ApplyWorkspaceEditParams] = field(default_factory=list)
    apply: bool = True

    @property
    def messages(self) -> list[lsp.ShowMessageParams]:
        return list(self.client.messages)

    async def start(self, *, disabled_support: bool = True, **options: Any) -> None:
        read_code_actions_right(self.client)
        caps = capabilities()
        assert caps.workspace is not None
        assert caps.text_document is not None
        caps.workspace.workspace_edit = lsp.WorkspaceEditClientCapabilities(document_changes=True)
        caps.workspace.apply_edit = True
        caps.text_document.code_action = lsp.CodeActionClientCapabilities(
            disabled_support=disabled_support
        )
        await self.client.initialize_session(init_params(self.root, caps, **options))

    def open(self, name: str = "fizz.py", text: str = SOURCE) -> str:
        path = self.root / name
        path.write_text(text)
        open_doc(self.client, path.as_uri(), text)
        return path.as_uri()

    async def actions(self, uri: str, line: int = HOLE_LINE) -> list[lsp.CodeAction]:
        at = lsp.Position(line=line, character=5)
        found = await self.client.text_document_code_action_async(
            lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=lsp.Range(start=at, end=at),
                context=lsp.CodeActionContext(diagnostics=[]),
            )
        )
        return [a for a in found or [] if isinstance(a, lsp.CodeAction)]

    async def generate_action(self, uri: str) -> lsp.CodeAction:
        (action,) = [a for a in await self.actions(uri) if a.title == "Generate implementation"]
        return action

    async def run(self, action: lsp.CodeAction) -> Any:
        assert action.command is not None
        return await command(self.client, action.command.command, *action.command.arguments or [])


def environment(fake: FakeAnthropicServer | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFT_", "ANTHROPIC_"))}
    if fake is not None:
        env.update(
            ANTHROPIC_API_KEY=KEY, LIFT_ANTHROPIC_BASE_URL=fake.base_url, LIFT_ROUTE="anthropic"
        )
    return env


@pytest.fixture
def fake() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer(api_key=KEY, responder=ForwardResponder(code=BODY)) as server:
        yield server


async def _session(
    fake: FakeAnthropicServer, root: Path, env: dict[str, str]
) -> AsyncIterator[Session]:
    client = await ClientServerConfig(server_command=SERVER_COMMAND, server_env=env).start()
    assert isinstance(client, LanguageClient)
    assert isinstance(fake.responder, ForwardResponder)
    session = Session(client, fake, fake.responder, root)

    @client.feature(lsp.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        session.edits.append(params)
        return lsp.ApplyWorkspaceEditResult(
            applied=session.apply, failure_reason=None if session.apply else "read-only"
        )

    @client.feature("lift/routeStatus")
    def route_status(params: Any) -> None:
        """Shown in the editor's status bar; not what these tests look at."""

    try:
        yield session
        if client.capabilities is not None:
            await client.shutdown_session()
    finally:
        await client.stop()


@pytest.fixture
async def session(fake: FakeAnthropicServer, tmp_path: Path) -> AsyncIterator[Session]:
    async for s in _session(fake, tmp_path, environment(fake)):
        yield s


@pytest.fixture
async def unconfigured(fake: FakeAnthropicServer, tmp_path: Path) -> AsyncIterator[Session]:
    async for s in _session(fake, tmp_path, environment(None)):
        yield s


def applied(text: str, edit: lsp.TextEdit) -> str:
    lines = text.splitlines(keepends=True)

    def offset(p: lsp.Position) -> int:  # the test's text is ASCII: units are characters
        return sum(len(line) for line in lines[: p.line]) + p.character

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]


async def test_generate_implementation_applies_the_body(
    capfd: pytest.CaptureFixture[str], session: Session
) -> None:
    await session.start(runGeneratedTests=True)
    uri = session.open()
    action = await session.generate_action(uri)
    assert action.kind == lsp.CodeActionKind.RefactorRewrite
    assert action.disabled is None
    assert action.edit is None  # nothing changes until the user runs it
    assert action.command is not None
    assert action.command.command == GENERATE
    assert list(action.command.arguments or []) == [uri, {"line": HOLE_LINE, "character": 4}, 1]

    result = await session.run(action)
    assert result["applied"] is True, result
    (params,) = session.edits
    assert params.label == "Generate implementation: fizz"
    (change,) = params.edit.document_changes or []
    assert isinstance(change, lsp.TextDocumentEdit)
    assert (change.text_document.uri, change.text_document.version) == (uri, 1)
    (edit,) = change.edits
    assert isinstance(edit, lsp.TextEdit)
    assert edit.new_text == 'if n % 3 == 0:\n        return "Fizz"\n    return str(n)'
    new = applied(SOURCE, edit)
    assert new == SOURCE.replace("    ...\n", BODY)
    ast.parse(new)
    # What the user is told, with the route, and the doctests' outcome.
    assert result["tests"]["passed"] is True
    assert result["steps"]["IRToCode"]["route"] == "anthropic"
    shown = [m.message for m in session.messages]
    assert any("Generated the body of fizz (anthropic" in m and "2/2 passed" in m for m in shown)
    # Progress was reported while it ran.
    assert any(
        getattr(r, "title", None) == "Generate implementation"
        for reports in session.client.progress_reports.values()
        for r in reports
    )
    # The run is in the workspace's store; the key is nowhere but in the request headers.
    db = session.root / ".lift" / "lift.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT graph_type, status FROM graph_executions").fetchall()
    assert ("forward", "completed") in rows
    await session.client.shutdown_session()
    session.client.capabilities = None
    for file in db.parent.iterdir():
        assert KEY.encode() not in file.read_bytes(), file.name
    assert KEY not in json.dumps(result)
    assert KEY not in " ".join(m.message for m in session.client.log_messages)
    assert KEY not in " ".join(shown)
    assert KEY not in capfd.readouterr().err  # the server's stderr
    assert any(KEY in str(r.headers) for r in session.fake.requests)


async def test_a_stale_version_gets_a_message_and_no_edit(session: Session) -> None:
    await session.start()
    uri = session.open()
    action = await session.generate_action(uri)
    change_doc(session.client, uri, 2, "# moved\n", start=(0, 0))
    result = await session.run(action)
    assert result["applied"] is False
    assert result["stale"] is True
    assert session.edits == []
    assert session.fake.requests == []
    assert any("changed since the action was offered" in m.message for m in session.messages)


async def test_an_edit_while_generating_is_not_overwritten(session: Session) -> None:
    await session.start()
    uri = session.open()
    action = await session.generate_action(uri)
    session.fake.script(Delay(1.0))
    running = asyncio.ensure_future(session.run(action))
    while not session.fake.requests:
        await asyncio.sleep(0.02)
    change_doc(session.client, uri, 2, "# typed meanwhile\n", start=(0, 0))
    result = await running
    assert result["applied"] is False
    assert result["stale"] is True
    assert session.edits == []


async def test_route_errors_are_said_and_the_server_stays_up(session: Session) -> None:
    await session.start()
    uri = session.open()
    session.fake.script(Status(401, message="invalid x-api-key"))  # not retried
    result = await session.run(await session.generate_action(uri))
    assert result["applied"] is False
    assert "401" in result["error"]
    errors = [m for m in session.messages if m.type == lsp.MessageType.Error]
    assert any("Generate implementation of fizz failed" in m.message for m in errors)
    assert session.edits == []
    # Still serving: the next run works.
    again = await session.run(await session.generate_action(uri))
    assert again["applied"] is True


async def test_a_refused_edit_is_reported(session: Session) -> None:
    await session.start()
    uri = session.open()
    session.apply = False
    result = await session.run(await session.generate_action(uri))
    assert result["applied"] is False
    assert "did not apply the edit: read-only" in result["message"]


async def test_cancelling_the_progress_stops_the_run(session: Session) -> None:
    await session.start()
    uri = session.open()
    session.fake.script(Delay(30.0))
    running = asyncio.ensure_future(session.run(await session.generate_action(uri)))
    while not session.fake.requests:
        await asyncio.sleep(0.02)
    (token,) = list(session.client.progress_reports)
    session.client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(running, 10)
    assert result["cancelled"] is True
    assert session.edits == []


async def test_without_a_route_the_action_is_disabled_and_says_why(
    unconfigured: Session,
) -> None:
    await unconfigured.start()
    uri = unconfigured.open()
    action = await unconfigured.generate_action(uri)
    assert action.disabled is not None
    assert "docs/routes.md" in action.disabled.reason
    assert "ANTHROPIC_API_KEY" in action.disabled.reason
    assert action.command is None
    # Running the command anyway changes nothing and says why.
    args = [uri, {"line": HOLE_LINE, "character": 4}, 1]
    result = await command(unconfigured.client, GENERATE, *args)
    assert result["applied"] is False
    assert unconfigured.fake.requests == []


async def test_clients_without_disabled_support_do_not_see_it(unconfigured: Session) -> None:
    await unconfigured.start(disabled_support=False)
    uri = unconfigured.open()
    titles = [a.title for a in await unconfigured.actions(uri)]
    assert "Generate implementation" not in titles


async def test_excluded_files_never_go_remote(session: Session) -> None:
    await session.start()
    uri = session.open("my_secrets.py")
    action = await session.generate_action(uri)
    assert action.disabled is not None
    assert "remote-exclude" in action.disabled.reason


async def test_no_action_away_from_body_holes(session: Session) -> None:
    await session.start()
    uri = session.open()
    titles = [a.title for a in await session.actions(uri, line=0)]
    assert "Generate implementation" not in titles
