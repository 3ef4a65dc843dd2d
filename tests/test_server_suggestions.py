"""End to end over stdio: completion and code actions at holes, feedback for the ranker."""

from __future__ import annotations

import ast
import asyncio
import json
import re
import sqlite3
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from lift_lsp.server.feedback import chosen_text, whole_change
from lift_lsp.store.db import Store
from lift_lsp.suggest.ranker import Ranker
from lift_lsp.syntax.document import SourceDocument
from tests.conftest import (
    ENCODINGS,
    SERVER_COMMAND,
    capabilities,
    change_doc,
    command,
    diagnostics_for,
    init_params,
    open_doc,
    units,
)

SOURCE = """\
class Circle:
    def __init__(self, radius: float, name: str) -> None:
        self.radius = radius
        self.name = name

    def grow(self, by: float, times: int = 2) -> float:
        total = self.radius
        label = "x"
        größe = "é😀"; return ...

def helper(x, y):
    z = ...
    return z
"""
ACCEPT = "lift.acceptSuggestion"
TIMEOUT = 20.0


@pytest_lsp.fixture(params=ENCODINGS, config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):
    """A server not yet initialised: each test prepares its workspace, then ``start``s."""
    lsp_client.encoding = request.param  # type: ignore[attr-defined]
    yield
    if lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()


def read_code_actions_right(client: LanguageClient) -> None:
    """lsprotocol 2025 reads every code action that has a ``command`` as a Command (its
    ``command`` then a stringified object); tell them apart as clients do: a Command's
    ``command`` is a string."""
    converter = client.protocol._converter

    def hook(obj: Any, _: type) -> lsp.Command | lsp.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, lsp.Command)  # type: ignore[no-any-return]
        return converter.structure(obj, lsp.CodeAction)  # type: ignore[no-any-return]

    converter.register_structure_hook(
        Union[lsp.Command, lsp.CodeAction],  # noqa: UP007 - the very type lsprotocol hooks
        hook,
    )


async def start(client: LanguageClient, workspace: Path) -> None:
    read_code_actions_right(client)
    caps = capabilities(client.encoding)  # type: ignore[attr-defined]
    assert caps.workspace is not None
    assert caps.text_document is not None
    caps.workspace.workspace_edit = lsp.WorkspaceEditClientCapabilities(document_changes=True)
    caps.text_document.completion = lsp.CompletionClientCapabilities(
        completion_item=lsp.ClientCompletionItemOptions(
            documentation_format=[lsp.MarkupKind.Markdown, lsp.MarkupKind.PlainText]
        )
    )
    await client.initialize_session(init_params(workspace, caps))


async def stop(client: LanguageClient) -> None:
    await client.shutdown_session()
    client.capabilities = None


async def opened(client: LanguageClient, workspace: Path, text: str = SOURCE) -> str:
    uri = (workspace / "circle.py").as_uri()
    open_doc(client, uri, text)
    await diagnostics_for(client, uri, 1)
    return uri


# -- positions in the client's encoding ---------------------------------------------------


def hole_range(text: str, line: int, encoding: str, hole: str = "...") -> lsp.Range:
    """The range of the last ``hole`` on ``line``, in ``encoding`` units."""
    line_text = text.splitlines()[line]
    col = line_text.rindex(hole)
    start = units(line_text[:col], encoding)
    return lsp.Range(
        start=lsp.Position(line=line, character=start),
        end=lsp.Position(line=line, character=start + units(hole, encoding)),
    )


def index_of(text: str, position: lsp.Position, encoding: str) -> int:
    lines = text.splitlines(keepends=True)
    base = sum(len(line) for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    count = 0
    for i, ch in enumerate(line):
        if count >= position.character:
            return base + i
        count += units(ch, encoding)
    return base + len(line)


def apply(text: str, edit: lsp.TextEdit, encoding: str) -> str:
    start = index_of(text, edit.range.start, encoding)
    end = index_of(text, edit.range.end, encoding)
    return text[:start] + edit.new_text + text[end:]


GROW_LINE, HELPER_LINE = 8, 11


async def complete(
    client: LanguageClient, uri: str, position: lsp.Position
) -> lsp.CompletionList | list[lsp.CompletionItem] | None:
    return await client.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=position)
    )


async def completion_at_hole(
    client: LanguageClient, uri: str, line: int, text: str = SOURCE
) -> list[lsp.CompletionItem]:
    rng = hole_range(text, line, client.encoding)  # type: ignore[attr-defined]
    result = await complete(client, uri, rng.end)  # the cursor just after `...`
    assert isinstance(result, lsp.CompletionList)
    assert result.is_incomplete is False
    return list(result.items)


def confidence(item: lsp.CompletionItem) -> float:
    assert isinstance(item.documentation, lsp.MarkupContent)
    assert item.documentation.kind == lsp.MarkupKind.Markdown
    found = re.search(r"confidence: (\d+)%", item.documentation.value)
    assert found, item.documentation.value
    return int(found.group(1)) / 100


def feedback(workspace: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(workspace / ".lift" / "lift.db") as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM feedback ORDER BY id").fetchall()
    return [dict(r) for r in rows]


async def feedback_appears(
    workspace: Path, count: int, timeout: float = TIMEOUT
) -> list[dict[str, Any]]:
    """Poll the database (while the server runs) until ``count`` feedback rows are there
    (one decision is written row by row: stopping the server earlier could cut it)."""

    async def poll() -> list[dict[str, Any]]:
        while True:
            try:
                rows = feedback(workspace)
            except sqlite3.Error:
                rows = []
            if len(rows) >= count:
                return rows
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(poll(), timeout)


# -- completion ---------------------------------------------------------------------------


async def test_completion_at_a_hole_replaces_exactly_the_hole(
    client: LanguageClient, tmp_path: Path
):
    encoding = client.encoding  # type: ignore[attr-defined]
    await start(client, tmp_path)
    uri = await opened(client, tmp_path)
    items = await completion_at_hole(client, uri, GROW_LINE)
    labels = [i.label for i in items]
    assert "total" in labels
    assert "by" in labels
    assert "self.radius" in labels
    # float-typed values in scope rank above the str ones
    assert labels.index("total") < labels.index("label")
    # A str for a float hole ranks below, or off the list.
    assert "self.name" not in labels or labels.index("self.radius") < labels.index("self.name")
    assert [i.sort_text for i in items] == sorted(i.sort_text or "" for i in items)
    assert len({i.sort_text for i in items}) == len(items)
    confidences = [confidence(i) for i in items]
    assert confidences == sorted(confidences, reverse=True)
    assert items[0].preselect is True

    expected_range = hole_range(SOURCE, GROW_LINE, encoding)
    line_prefix = SOURCE.splitlines()[GROW_LINE].rsplit("...", 1)[0]
    for i, item in enumerate(items):
        assert isinstance(item.text_edit, lsp.TextEdit)
        assert item.text_edit.range == expected_range
        assert item.text_edit.new_text == item.label
        filled = apply(SOURCE, item.text_edit, encoding)
        ast.parse(filled)  # every fill leaves valid Python
        assert filled.splitlines()[GROW_LINE] == line_prefix + item.label
        assert item.filter_text is not None
        assert item.filter_text.startswith("...")  # not filtered out by the typed `...`
        assert item.detail is not None
        assert item.detail.endswith(" · static")
        assert item.command is not None
        assert item.command.command == ACCEPT
        assert item.command.arguments is not None
        assert item.command.arguments[0] == uri
        assert item.command.arguments[2] == i
    by_label = {i.label: i for i in items}
    assert by_label["total"].detail == "float · static"
    assert by_label["total"].kind == lsp.CompletionItemKind.Variable
    assert by_label["self.radius"].kind == lsp.CompletionItemKind.Field
    doc = by_label["total"].documentation
    assert isinstance(doc, lsp.MarkupContent)
    assert "local in scope" in doc.value
    assert "expected type: `float`" in doc.value
    assert "ranked by: `ranker-0`" in doc.value
    literals = [i for i in items if i.label == "0.0"]
    assert literals
    assert literals[0].kind == lsp.CompletionItemKind.Value


async def test_completion_away_from_holes_is_empty(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    uri = await opened(client, tmp_path)
    assert await complete(client, uri, lsp.Position(line=0, character=3)) is None
    assert await complete(client, uri, lsp.Position(line=6, character=10)) is None
    assert await complete(client, uri, lsp.Position(line=500, character=0)) is None


async def test_hole_without_expected_type_gets_suggestions(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    uri = await opened(client, tmp_path)
    items = await completion_at_hole(client, uri, HELPER_LINE)
    # The parameters first (untyped: `?`), then literals and constants written nearby.
    assert sorted(i.label for i in items[:2]) == ["x", "y"]
    assert all(i.detail == "? · static" for i in items[:2])
    doc = items[0].documentation
    assert isinstance(doc, lsp.MarkupContent)
    assert "expected type: unknown" in doc.value


async def test_syntax_error_elsewhere_still_gets_suggestions(
    client: LanguageClient, tmp_path: Path
):
    text = SOURCE + "\n\ndef broken(:\n    pass\n"
    await start(client, tmp_path)
    uri = await opened(client, tmp_path, text)
    items = await completion_at_hole(client, uri, GROW_LINE, text)
    assert "total" in [i.label for i in items]
    for item in items:
        assert isinstance(item.text_edit, lsp.TextEdit)
        filled = apply(text, item.text_edit, client.encoding)  # type: ignore[attr-defined]
        assert filled.splitlines()[GROW_LINE].endswith("return " + item.label)


async def test_completion_ranks_with_the_stores_active_ranker(
    client: LanguageClient, tmp_path: Path
):
    weights = {"kind_literal": 20.0, "type_fit": 1.0}
    store = await Store.open(tmp_path / ".lift" / "lift.db")
    try:
        await store.save_program(
            "ranker", "ranker-lit", Ranker("ranker-lit", weights).to_json(), {}, activate=True
        )
    finally:
        await store.close()
    await start(client, tmp_path)
    uri = await opened(client, tmp_path)
    items = await completion_at_hole(client, uri, GROW_LINE)
    assert items[0].label == "0.0"  # the literal, which only that ranker puts first
    doc = items[0].documentation
    assert isinstance(doc, lsp.MarkupContent)
    assert "ranked by: `ranker-lit`" in doc.value


# -- code actions -------------------------------------------------------------------------


async def code_actions(
    client: LanguageClient,
    uri: str,
    rng: lsp.Range,
    diagnostics: list[lsp.Diagnostic] | None = None,
    only: list[lsp.CodeActionKind] | None = None,
    trigger: lsp.CodeActionTriggerKind | None = None,
) -> list[lsp.CodeAction | lsp.Command] | None:
    return await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=lsp.CodeActionContext(
                diagnostics=diagnostics or [], only=only, trigger_kind=trigger
            ),
        )
    )


def the_edit(action: lsp.CodeAction | lsp.Command, uri: str) -> lsp.TextEdit:
    assert isinstance(action, lsp.CodeAction)
    assert action.edit is not None
    (change,) = action.edit.document_changes or []
    assert isinstance(change, lsp.TextDocumentEdit)
    assert change.text_document.uri == uri
    assert change.text_document.version == 1
    (edit,) = change.edits
    assert isinstance(edit, lsp.TextEdit)
    return edit


async def test_code_actions_fill_the_hole(client: LanguageClient, tmp_path: Path):
    encoding = client.encoding  # type: ignore[attr-defined]
    await start(client, tmp_path)
    uri = (tmp_path / "circle.py").as_uri()
    open_doc(client, uri, SOURCE)
    diagnostics = await diagnostics_for(client, uri, 1)
    (grow_hole,) = [d for d in diagnostics if d.range.start.line == GROW_LINE]
    # The whole line selected, the hole's diagnostic in the context.
    line_range = lsp.Range(
        start=lsp.Position(line=GROW_LINE, character=0),
        end=lsp.Position(line=GROW_LINE, character=0),
    )
    actions = await code_actions(client, uri, line_range, [grow_hole])
    assert actions is not None
    assert len(actions) == 3
    assert all(isinstance(a, lsp.CodeAction) for a in actions), actions
    first, *rest = [a for a in actions if isinstance(a, lsp.CodeAction)]
    assert first.title == "Fill hole with `total`"
    assert first.kind == lsp.CodeActionKind.QuickFix
    assert first.is_preferred is True
    assert first.diagnostics is not None
    assert [d.code for d in first.diagnostics] == ["hole.expression"]
    assert all(a.kind == lsp.CodeActionKind.RefactorRewrite for a in rest)
    assert not any(a.is_preferred for a in rest)
    line_prefix = SOURCE.splitlines()[GROW_LINE].rsplit("...", 1)[0]
    for i, action in enumerate([first, *rest]):
        edit = the_edit(action, uri)
        assert edit.range == hole_range(SOURCE, GROW_LINE, encoding)
        filled = apply(SOURCE, edit, encoding)
        ast.parse(filled)
        assert filled.splitlines()[GROW_LINE] == line_prefix + edit.new_text
        assert action.title == f"Fill hole with `{edit.new_text}`"
        assert action.command is not None
        assert action.command.command == ACCEPT
        assert action.command.arguments is not None
        assert action.command.arguments[0] == uri
        assert action.command.arguments[2] == i

    # At the cursor, without a diagnostic; `only` is respected.
    cursor = hole_range(SOURCE, GROW_LINE, encoding)
    cursor = lsp.Range(start=cursor.start, end=cursor.start)
    at_cursor = await code_actions(client, uri, cursor)
    assert at_cursor is not None
    assert [a.title for a in at_cursor] == [a.title for a in actions]
    refactors = await code_actions(client, uri, cursor, only=[lsp.CodeActionKind.Refactor])
    assert refactors is not None
    assert len(refactors) == 3
    assert all(
        isinstance(a, lsp.CodeAction) and a.kind == lsp.CodeActionKind.RefactorRewrite
        for a in refactors
    )
    fixes = await code_actions(client, uri, cursor, only=[lsp.CodeActionKind.QuickFix])
    assert fixes is not None
    assert [a.title for a in fixes] == ["Fill hole with `total`"]
    assert await code_actions(client, uri, cursor, only=[lsp.CodeActionKind.Source]) is None
    away = lsp.Range(start=lsp.Position(line=0, character=2), end=lsp.Position(line=0, character=2))
    assert await code_actions(client, uri, away) is None


SENTINEL_SOURCE = """\
from pathlib import Path


class Store:
    def __init__(self, root: str) -> None:
        self.root = root

    def base(self) -> Path:
        return Path(...)
"""
SENTINEL_LINE = 8


async def test_a_sentinel_ellipsis_is_filled_when_asked(client: LanguageClient, tmp_path: Path):
    """``Path(...)`` reads as a required-argument marker, so no diagnostic; a user who
    asks for completion, or invokes code actions there, gets fills all the same."""
    encoding = client.encoding  # type: ignore[attr-defined]
    await start(client, tmp_path)
    uri = (tmp_path / "circle.py").as_uri()
    open_doc(client, uri, SENTINEL_SOURCE)
    assert await diagnostics_for(client, uri, 1) == []
    items = await completion_at_hole(client, uri, SENTINEL_LINE, SENTINEL_SOURCE)
    assert "self.root" in [i.label for i in items[:3]]
    edit = items[0].text_edit
    assert isinstance(edit, lsp.TextEdit)
    assert edit.range == hole_range(SENTINEL_SOURCE, SENTINEL_LINE, encoding)

    cursor = hole_range(SENTINEL_SOURCE, SENTINEL_LINE, encoding)
    cursor = lsp.Range(start=cursor.start, end=cursor.start)
    # The editor's own lightbulb (automatic, or a client that does not say) stays dark.
    assert await code_actions(client, uri, cursor) is None
    automatic = lsp.CodeActionTriggerKind.Automatic
    assert await code_actions(client, uri, cursor, trigger=automatic) is None
    invoked = lsp.CodeActionTriggerKind.Invoked
    actions = await code_actions(client, uri, cursor, trigger=invoked)
    assert actions is not None
    assert [the_edit(a, uri).new_text for a in actions] == [i.label for i in items[:3]]
    filled = apply(SENTINEL_SOURCE, the_edit(actions[0], uri), encoding)
    assert filled.splitlines()[SENTINEL_LINE] == f"        return Path({items[0].label})"


# -- feedback -----------------------------------------------------------------------------


async def test_accepting_a_suggestion_records_feedback(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    uri = await opened(client, tmp_path)
    items = await completion_at_hole(client, uri, GROW_LINE)
    taken = items[1]
    assert taken.command is not None
    assert taken.command.arguments is not None
    result = await command(client, ACCEPT, *taken.command.arguments)
    assert result == {"recorded": len(items), "accepted": taken.label}
    again = await command(client, ACCEPT, *taken.command.arguments)
    assert again["recorded"] == 0  # one decision, recorded once
    with pytest.raises(Exception, match="expected arguments"):
        await command(client, ACCEPT, uri)
    await stop(client)

    rows = feedback(tmp_path)
    assert len(rows) == len(items)
    assert [r["suggestion"] for r in rows] == [i.label for i in items]
    assert [r["suggestion"] for r in rows if r["accepted"]] == [taken.label]
    assert sum(not r["accepted"] for r in rows) == len(items) - 1
    assert len({r["hole_key"] for r in rows}) == 1
    assert rows[0]["hole_key"].startswith(f"{uri}#grow#1@{GROW_LINE + 1}")
    assert {r["program_version"] for r in rows} == {"ranker-0"}
    assert {r["source"] for r in rows} == {"static"}
    assert all(r["chosen"] is None for r in rows)
    total = next(r for r in rows if r["suggestion"] == "total")
    assert json.loads(total["features"])["type_exact"] == 1.0


async def test_a_hole_filled_by_hand_records_what_was_written(
    client: LanguageClient, tmp_path: Path
):
    encoding = client.encoding  # type: ignore[attr-defined]
    await start(client, tmp_path)
    uri = await opened(client, tmp_path)
    items = await completion_at_hole(client, uri, GROW_LINE)
    # Lines added above first: the hole is followed to where it moved.
    change_doc(client, uri, 2, "# a note\n\n", start=(0, 0))
    rng = hole_range(SOURCE, GROW_LINE, encoding)
    start_at = (rng.start.line + 2, rng.start.character)
    end_at = (rng.end.line + 2, rng.end.character)
    # Typed in two keystrokes: the half-typed `t` is not what gets recorded.
    change_doc(client, uri, 3, "t", start=start_at, end=end_at)
    change_doc(client, uri, 4, "otal * 2", start=(start_at[0], start_at[1] + 1))
    await feedback_appears(tmp_path, len(items))
    await stop(client)

    rows = feedback(tmp_path)
    assert len(rows) == len(items)
    assert not any(r["accepted"] for r in rows)
    assert {r["chosen"] for r in rows} == {"total * 2"}
    assert [r["suggestion"] for r in rows] == [i.label for i in items]


async def test_writing_a_suggestion_by_hand_counts_as_accepting_it(
    client: LanguageClient, tmp_path: Path
):
    await start(client, tmp_path)
    uri = await opened(client, tmp_path)
    items = await completion_at_hole(client, uri, HELPER_LINE)
    assert sorted(i.label for i in items[:2]) == ["x", "y"]
    # A client that sends the whole text, and writes the fill without running the command.
    change_doc(client, uri, 2, SOURCE.replace("z = ...", "z = x"))
    await feedback_appears(tmp_path, len(items))
    await stop(client)

    rows = feedback(tmp_path)
    assert len(rows) == len(items)
    assert [r["suggestion"] for r in rows if r["accepted"]] == ["x"]
    assert all(r["chosen"] is None for r in rows)


async def test_replacing_the_holes_lines_records_nothing(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    uri = await opened(client, tmp_path)
    await completion_at_hole(client, uri, HELPER_LINE)
    # Its lines replaced (a paste over them): the hole went, it was not filled.
    change_doc(client, uri, 2, "    return 0\n", start=(HELPER_LINE, 0), end=(HELPER_LINE + 2, 0))
    # Then, far from it, a hole filled after its suggestions were shown: recorded.
    items = await completion_at_hole(client, uri, GROW_LINE)
    rng = hole_range(SOURCE, GROW_LINE, client.encoding)  # type: ignore[attr-defined]
    change_doc(
        client,
        uri,
        3,
        "by",
        start=(rng.start.line, rng.start.character),
        end=(rng.end.line, rng.end.character),
    )
    await feedback_appears(tmp_path, len(items))
    await asyncio.sleep(0.5)  # the helper's rows, if any, would have come first
    await stop(client)

    rows = feedback(tmp_path)
    assert len(rows) == len(items)  # the helper's hole left no rows
    assert [r["suggestion"] for r in rows if r["accepted"]] == ["by"]


# -- the pieces of hand-fill detection ----------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "edit"),
    [
        (b"x = ...\n", b"x = total\n", (4, 7, 9)),
        (b"x = ...\n", b"x = ...\n", (8, 8, 8)),
        (b"aaa", b"aaaa", (3, 3, 4)),
        (b"", b"abc", (0, 0, 3)),
        (b"f(..., ...)", b"f(a, ...)", (2, 5, 3)),
    ],
)
def test_whole_change_is_the_smallest_edit(old: bytes, new: bytes, edit: tuple[int, int, int]):
    change = whole_change(old, new)
    assert (change.start, change.old_end, change.new_end) == edit
    assert old[: change.start] + new[change.start : change.new_end] + old[change.old_end :] == new


@pytest.mark.parametrize(
    ("text", "written", "chosen"),
    [
        ("y = total + 1\n", "total", "total"),  # the hole was the left operand
        ("y = f(a, b)\n", "f(a, b)", "f(a, b)"),
        ("def f():\n    return z\n", "return z", "return z"),
        ("y = x  \n", "x  ", "x"),
        ("y = \n", "", ""),
    ],
)
def test_chosen_text_is_what_was_written_in_the_holes_place(text: str, written: str, chosen: str):
    start = text.index(written) if written else text.index("\n")
    source = SourceDocument(text)
    end = start + len(written.encode())
    assert chosen_text(source, start, end) == chosen
