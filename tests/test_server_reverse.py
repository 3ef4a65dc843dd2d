"""End to end over stdio: didSave lifts the file into the IR; hints, hovers, commands."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import (
    ENCODINGS,
    SERVER_COMMAND,
    capabilities,
    change_doc,
    command,
    diagnostics_for,
    hover,
    init_params,
    open_doc,
    units,
)

SOURCE = '''\
import json


def load(path, retries=3):
    """Read a settings file."""
    with open(path) as fh:
        return json.load(fh)


def combine(a, b):
    return a + b


class Box:
    def scale(self, factor: float) -> "Box":
        return self


def größe(wert, n=2):
    return wert * n
'''
IR_CODES = {"hole.signature", "hole.intent"}
#: Where each name of SOURCE ends: (qualname, parameter or "return"/"intent") -> text before.
NAME_ENDS = {
    ("load", "path"): "def load(path",
    ("load", "retries"): "def load(path, retries",
    ("combine", "a"): "def combine(a",
    ("combine", "b"): "def combine(a, b",
    ("Box.scale", "self"): "def scale(self",
    ("Box.scale", "factor"): "def scale(self, factor",
    ("größe", "wert"): "def größe(wert",
    ("größe", "n"): "def größe(wert, n",
}
CLOSING = {
    "load": "def load(path, retries=3)",
    "combine": "def combine(a, b)",
    "Box.scale": "def scale(self, factor: float)",
    "größe": "def größe(wert, n=2)",
}
TIMEOUT = 30.0


@pytest_lsp.fixture(params=ENCODINGS, config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):
    """A server not yet initialised: each test prepares its workspace, then ``start``s."""
    lsp_client.encoding = request.param  # type: ignore[attr-defined]
    yield
    if lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()


async def start(
    client: LanguageClient, workspace: Path, caps: lsp.ClientCapabilities | None = None, **opts: Any
) -> None:
    caps = caps or capabilities(client.encoding)  # type: ignore[attr-defined]
    await client.initialize_session(init_params(workspace, caps, **opts))


def record_publishes(client: LanguageClient) -> list[lsp.PublishDiagnosticsParams]:
    """Every publishDiagnostics the client receives from now on (not only the last)."""
    published: list[lsp.PublishDiagnosticsParams] = []
    features = client.protocol.fm.features
    original = features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def recording(params: lsp.PublishDiagnosticsParams) -> Any:
        published.append(params)
        return original(params)

    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = recording
    return published


def save(client: LanguageClient, uri: str) -> None:
    client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )


def ir_diagnostics(diagnostics: Any) -> list[lsp.Diagnostic]:
    return [d for d in diagnostics if d.code in IR_CODES]


async def lifted(client: LanguageClient, uri: str, version: int) -> list[lsp.Diagnostic]:
    """Wait for the diagnostics of ``uri`` at ``version`` that include the IR's holes."""

    async def wait() -> list[lsp.Diagnostic]:
        while True:
            found = await diagnostics_for(client, uri, version, TIMEOUT)
            if ir_diagnostics(found):
                return found

    return await asyncio.wait_for(wait(), TIMEOUT)


async def eventually(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def inlay_hints(client: LanguageClient, uri: str) -> list[lsp.InlayHint]:
    result = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(
                start=lsp.Position(line=0, character=0), end=lsp.Position(line=10_000, character=0)
            ),
        )
    )
    return list(result or [])


def position_after(text: str, needle: str, encoding: str) -> lsp.Position:
    """The position just after the first ``needle`` in ``text``."""
    end = text.index(needle) + len(needle)
    line = text.count("\n", 0, end)
    column = units(text[text.rfind("\n", 0, end) + 1 : end], encoding)
    return lsp.Position(line=line, character=column)


def name_range(qualname: str, target: str, encoding: str) -> lsp.Range:
    """The range of a parameter's name, or of the def name for ``return`` / ``intent``."""
    if target in ("return", "intent"):
        needle, name = f"def {qualname.rsplit('.', 1)[-1]}", qualname.rsplit(".", 1)[-1]
    else:
        needle, name = NAME_ENDS[qualname, target], target
    end = position_after(SOURCE, needle, encoding)
    start = lsp.Position(line=end.line, character=end.character - units(name, encoding))
    return lsp.Range(start=start, end=end)


def hint_target(position: lsp.Position, encoding: str) -> tuple[str, str]:
    """(qualname, parameter or "return") of the hint at ``position``."""
    for qualname, needle in CLOSING.items():
        if position_after(SOURCE, needle, encoding) == position:
            return qualname, "return"
    for (qualname, name), needle in NAME_ENDS.items():
        if position_after(SOURCE, needle, encoding) == position:
            return qualname, name
    raise AssertionError(f"no parameter or return ends at {position}")


async def lift_in_process(text: str) -> dict[str, dict[str, Any]]:
    """The engine run here on the same text: what the server must show, by qualname."""
    from lift_lsp.graphs.runner import ReverseRunner
    from lift_lsp.store.db import Store

    async with await Store.open(None) as store:
        result = await ReverseRunner(store).run("x.py", text)
    return {fn["qualname"]: fn for fn in result.file_ir["functions"]}


def errors_logged(client: LanguageClient) -> list[str]:
    return [
        m.message
        for m in client.log_messages
        if m.type == lsp.MessageType.Error or "Traceback" in m.message
    ]


def executions(workspace: Path) -> list[tuple[str, str, str]]:
    """(status, path, input) of every recorded execution, oldest first."""
    with sqlite3.connect(workspace / ".lift" / "lift.db") as db:
        rows = db.execute(
            "SELECT status, json_extract(input, '$.path'), input FROM graph_executions"
            " ORDER BY created_at, rowid"
        ).fetchall()
    return [(str(s), str(p), str(i)) for s, p, i in rows]


async def test_save_shows_ir_holes_and_inlay_hints(client: LanguageClient, tmp_path: Path):
    encoding = client.encoding  # type: ignore[attr-defined]
    expected = await lift_in_process(SOURCE)
    await start(client, tmp_path)
    uri = (tmp_path / "settings.py").as_uri()
    open_doc(client, uri, SOURCE)
    first = await diagnostics_for(client, uri, 1)
    assert ir_diagnostics(first) == []  # nothing before a save
    assert await inlay_hints(client, uri) == []

    save(client, uri)
    diagnostics = ir_diagnostics(await lifted(client, uri, 1))
    assert {d.code for d in diagnostics} == IR_CODES
    want = {
        (
            fn["qualname"],
            h["target"],
            h["message"],
            str(name_range(fn["qualname"], h["target"], encoding)),
        )
        for fn in expected.values()
        for h in fn["holes"]
    }
    got = {(d.data["function"], d.data["target"], d.message, str(d.range)) for d in diagnostics}
    assert len(got) == len(diagnostics)
    assert got == want
    for d in diagnostics:
        assert d.severity == lsp.DiagnosticSeverity.Information
        assert d.source == "lift"
        (hole,) = [
            h for h in expected[d.data["function"]]["holes"] if h["target"] == d.data["target"]
        ]
        assert d.code == f"hole.{hole['kind']}"
        assert d.data["kind"] == hole["kind"]
        assert d.data["candidates"] == hole["candidates"]
    # The implicit and annotated parameters of Box.scale are never holes.
    assert not [d for d in diagnostics if d.data["target"] in ("self", "factor")]

    hints = await inlay_hints(client, uri)
    got_hints = {(h.position.line, h.position.character, h.label) for h in hints}
    want_hints = set()
    for qualname, fn in expected.items():
        for param in fn["params"]:
            annotated = param["provenance"]["source"] == "annotation"
            if param["type"] and not annotated and param["name"] not in ("self", "cls"):
                at = name_range(qualname, param["name"], encoding).end
                want_hints.add((at.line, at.character, f": {param['type']}"))
        returns = fn["returns"]
        if returns["type"] and returns["provenance"]["source"] != "annotation":
            at = position_after(SOURCE, CLOSING[qualname], encoding)
            want_hints.add((at.line, at.character, f" -> {returns['type']}"))
    assert want_hints  # the example has inferred types to show
    assert got_hints == want_hints
    assert all(h.kind == lsp.InlayHintKind.Type for h in hints)
    assert not [h for h in hints if h.position.line == 14]  # self, factor, -> "Box"

    for hint in hints:
        assert isinstance(hint.tooltip, lsp.MarkupContent)
        tooltip = hint.tooltip.value
        qualname, target = hint_target(hint.position, encoding)
        element = (
            expected[qualname]["returns"]
            if target == "return"
            else next(p for p in expected[qualname]["params"] if p["name"] == target)
        )
        assert f"confidence {element['confidence']:.2f}" in tooltip
        for i, candidate in enumerate(element["candidates"], 1):
            assert f"{i}. `{candidate['type']}` · {candidate['confidence']:.2f}" in tooltip
        prov = element["provenance"]
        assert f"{prov['source']} · route {prov['route']} · program {prov['program_version']}" in (
            tooltip
        )
        assert f"calibration {prov['calibration']}" in tooltip
        assert "execution `" in tooltip
        if target != "return":
            (edit,) = hint.text_edits or []
            assert edit.range.start == hint.position
    # Double-clicking the hint of ``retries=3`` writes ``retries: T = 3`` (PEP 8 spacing).
    retries = [h for h in hints if h.position == position_after(SOURCE, "retries", encoding)]
    for hint in retries:
        (edit,) = hint.text_edits or []
        assert edit.new_text == f"{hint.label} = "
        assert edit.range.end == position_after(SOURCE, "retries=", encoding)
    assert errors_logged(client) == []


async def test_enabled_kinds_can_hide_intent_holes(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path, enabledKinds=["signature", "expression"], severity="warning")
    uri = (tmp_path / "kinds.py").as_uri()
    open_doc(client, uri, SOURCE)
    await diagnostics_for(client, uri, 1)
    save(client, uri)
    diagnostics = ir_diagnostics(await lifted(client, uri, 1))
    assert {d.code for d in diagnostics} == {"hole.signature"}
    assert {d.severity for d in diagnostics} == {lsp.DiagnosticSeverity.Warning}


async def test_a_newer_save_supersedes_the_running_one(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    published = record_publishes(client)
    uri = (tmp_path / "race.py").as_uri()
    open_doc(client, uri, "def alpha(a, b):\n    return a\n")
    await diagnostics_for(client, uri, 1)
    save(client, uri)
    save(client, uri)  # the same version again: the first lift is cancelled
    change_doc(client, uri, 2, "def beta(c, d):\n    return c\n")
    save(client, uri)
    save(client, uri)
    diagnostics = ir_diagnostics(await lifted(client, uri, 2))
    assert {d.data["function"] for d in diagnostics} == {"beta"}

    shown = [
        (p.version, d.data["function"])
        for p in published
        if p.uri == uri
        for d in ir_diagnostics(p.diagnostics)
    ]
    assert shown
    assert {version for version, _ in shown} == {2}
    assert {function for _, function in shown} == {"beta"}
    assert errors_logged(client) == []
    await client.shutdown_session()
    client.capabilities = None
    runs = executions(tmp_path)
    completed = [text for status, _, text in runs if status == "completed"]
    assert len(completed) == 1, runs
    assert "beta" in completed[0]
    assert {status for status, _, _ in runs} <= {"completed", "cancelled"}


async def test_results_for_an_older_version_are_not_shown(client: LanguageClient, tmp_path: Path):
    encoding = client.encoding  # type: ignore[attr-defined]
    await start(client, tmp_path)
    published = record_publishes(client)
    uri = (tmp_path / "stale.py").as_uri()
    open_doc(client, uri, SOURCE)
    await diagnostics_for(client, uri, 1)
    save(client, uri)
    await lifted(client, uri, 1)
    combine = position_after(SOURCE, "def comb", encoding)
    assert await hover(client, uri, combine.line, combine.character) is not None

    # An edit hides the IR of the saved text at once.
    change_doc(client, uri, 2, "\n", (0, 0))
    assert ir_diagnostics(await diagnostics_for(client, uri, 2)) == []
    assert await inlay_hints(client, uri) == []
    assert await hover(client, uri, combine.line + 1, combine.character) is None

    # A lift that finishes after the next edit is dropped, not published.
    save(client, uri)
    change_doc(client, uri, 3, "\n", (0, 0))
    await eventually(
        lambda: any(
            "changed while it was lifted (version 2)" in m.message for m in client.log_messages
        )
    )
    await asyncio.sleep(0.3)
    assert [p for p in published if p.version in (2, 3) and ir_diagnostics(p.diagnostics)] == []
    # Nothing at all is published for the dropped result: only the edit's own publish.
    assert [p.version for p in published if p.version == 3] == [3]
    assert await inlay_hints(client, uri) == []
    assert errors_logged(client) == []


async def test_hover_on_a_def_name_and_a_parameter(client: LanguageClient, tmp_path: Path):
    encoding = client.encoding  # type: ignore[attr-defined]
    expected = await lift_in_process(SOURCE)
    await start(client, tmp_path)
    uri = (tmp_path / "hover.py").as_uri()
    open_doc(client, uri, SOURCE)
    await diagnostics_for(client, uri, 1)
    save(client, uri)
    await lifted(client, uri, 1)

    load = expected["load"]
    at = position_after(SOURCE, "def lo", encoding)
    result = await hover(client, uri, at.line, at.character)
    assert result is not None
    assert isinstance(result.contents, lsp.MarkupContent)
    text = result.contents.value
    assert text.startswith("**def** `load`")
    intent = load["intent"]
    assert f"intent: {intent['summary']} (confidence {intent['confidence']:.2f})" in text
    assert load["effects"]
    for effect in load["effects"]:
        assert f"- {effect['kind']}: {effect['detail']}" in text
    for hole in load["holes"]:
        assert f"- {hole['kind']} `{hole['target']}`: {hole['message']}" in text
    assert "provenance: static · route local" in text
    assert result.range == name_range("load", "intent", encoding)

    for qualname, name in (("combine", "b"), ("größe", "wert")):
        param = next(p for p in expected[qualname]["params"] if p["name"] == name)
        rng = name_range(qualname, name, encoding)
        result = await hover(client, uri, rng.start.line, rng.start.character)
        assert result is not None
        assert isinstance(result.contents, lsp.MarkupContent)
        shown = f"`{param['type']}`" if param["type"] else "type unknown"
        assert result.contents.value.startswith(f"**parameter** `{name}`: {shown}")
        assert f"confidence {param['confidence']:.2f}" in result.contents.value
        assert "provenance: static" in result.contents.value
        assert result.range == rng
    # Away from names: still nothing.
    assert await hover(client, uri, 1, 0) is None


async def holes_lifted_in_process(texts: list[str]) -> int:
    """The engine run here, on the same texts: what the server must have counted."""
    from lift_lsp.graphs.runner import ReverseRunner
    from lift_lsp.store.db import Store

    async with await Store.open(None) as store:
        runner = ReverseRunner(store)
        results = [await runner.run(f"m{i:02}.py", text) for i, text in enumerate(texts)]
    return sum(len(fn["holes"]) for r in results for fn in r.file_ir["functions"])


async def test_analyze_workspace_then_replay_an_execution(client: LanguageClient, tmp_path: Path):
    texts = [f"def f{i}(x, y):\n    return x + {i}\n" for i in range(24)]
    for i, text in enumerate(texts):
        (tmp_path / f"m{i:02}.py").write_text(text)
    m00 = "def f0(x, y):\n    return y\n\ndef h(): ...\n"
    (tmp_path / "bad.py").write_bytes(b"x = '\xff'\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "skipped.py").write_text("def g(x):\n    return x\n")
    await start(client, tmp_path)
    open_doc(client, (tmp_path / "m00.py").as_uri(), m00)

    result = await command(client, "lift.analyzeWorkspace")
    assert result["version"] == 1
    assert result["files"] == 24
    assert result["functions"] == 25  # the open m00.py counts with its unsaved text
    assert result["holes"] == await holes_lifted_in_process([m00, *(texts[1:])])
    assert result["errors"] == [
        {"path": "bad.py", "message": "not valid UTF-8 (byte 0xff at offset 5)"}
    ]
    assert len(result["executions"]) == 24
    assert result["cancelled"] is False
    (reports,) = client.progress_reports.values()
    assert reports[0].kind == "begin"
    assert reports[0].cancellable is True
    assert sum(r.kind == "report" for r in reports) == 24
    assert reports[-1].kind == "end"
    assert reports[-1].message == f"25 functions, {result['holes']} holes in 24 files"

    execution = result["executions"][-1]
    replay = await command(client, "lift.replayExecution", execution[:8])
    assert replay["execution"]["id"] == execution
    assert replay["execution"]["status"] == "completed"
    assert replay["execution"]["path"] == "m23.py"
    nodes = [n["node"] for n in replay["nodes"]]
    assert nodes == [
        "LoadCode",
        "ParseAST",
        "ExtractIntentFromCode",
        "InferTypeFromUsage",
        "DetectConstraints",
        "DetectEffects",
        "AssignConfidence",
        "PromoteToHoles",
        "ValidateIR",
    ]
    assert [n["seq"] for n in replay["nodes"]] == list(range(1, 10))
    assert replay["nodes"][2]["item"] == "f23"
    assert len(replay["lines"]) == 9
    assert "InferTypeFromUsage" in replay["lines"][3]
    listed = (await command(client, "lift.listExecutions", 5))["executions"]
    assert len(listed) == 5
    assert listed[0]["id"] == execution  # the newest first
    assert listed[0]["path"] == "m23.py"
    assert {e["status"] for e in listed} == {"completed"}
    with pytest.raises(Exception, match="between 1 and 500"):
        await command(client, "lift.listExecutions", 0)
    with pytest.raises(Exception, match="no execution"):
        await command(client, "lift.replayExecution", "ffffffffff")
    with pytest.raises(Exception, match="expected one argument"):
        await command(client, "lift.replayExecution")


async def test_show_graph_returns_mermaid(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    result = await command(client, "lift.showGraph")
    assert "InferTypeFromUsage" in result["mermaid"]
    assert "ValidateIR" in result["mermaid"]


@pytest.mark.parametrize("problem", ["corrupt", "locked"])
async def test_an_unusable_database_warns_once_and_saves_still_lift(
    client: LanguageClient, tmp_path: Path, problem: str
):
    db_path = tmp_path / ".lift" / "lift.db"
    db_path.parent.mkdir()
    holder = None
    if problem == "corrupt":
        db_path.write_bytes(b"this is not an SQLite database" * 100)
    else:
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
    try:
        await start(client, tmp_path)
        uri = (tmp_path / "db.py").as_uri()
        open_doc(client, uri, SOURCE)
        await diagnostics_for(client, uri, 1)
        save(client, uri)
        assert ir_diagnostics(await lifted(client, uri, 1))
        change_doc(client, uri, 2, "\n", (0, 0))
        save(client, uri)
        assert ir_diagnostics(await lifted(client, uri, 2))
    finally:
        if holder is not None:
            holder.close()
    warnings = [m for m in client.messages if m.type == lsp.MessageType.Warning]
    assert len(warnings) == 1, warnings
    assert str(db_path) in warnings[0].message
    assert ("corrupt" if problem == "corrupt" else "locked") in warnings[0].message
    assert "in-memory" in warnings[0].message


async def test_interrupted_runs_resume_after_initialized(client: LanguageClient, tmp_path: Path):
    from lift_lsp.store.db import Store, default_db_path

    store = await Store.open(default_db_path(tmp_path))
    interrupted = await store.create_execution(
        "reverse", {"path": "gone.py", "text": "def f(x):\n    return x\n", "use_cache": True}, {}
    )
    await store.close()
    await start(client, tmp_path)
    await eventually(
        lambda: any("resumed 1 interrupted run" in m.message for m in client.log_messages)
    )
    await client.shutdown_session()
    client.capabilities = None
    statuses = {path: status for status, path, _ in executions(tmp_path)}
    assert statuses == {"gone.py": "completed"}
    assert interrupted


async def test_pull_clients_are_asked_to_refresh(client: LanguageClient, tmp_path: Path):
    caps = capabilities(client.encoding, pull=True)  # type: ignore[attr-defined]
    caps.workspace = lsp.WorkspaceClientCapabilities(
        diagnostics=lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    )
    await start(client, tmp_path, caps)
    uri = (tmp_path / "pull.py").as_uri()
    open_doc(client, uri, SOURCE)
    params = lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    before = await client.text_document_diagnostic_async(params)
    assert isinstance(before, lsp.RelatedFullDocumentDiagnosticReport)
    assert ir_diagnostics(before.items) == []
    save(client, uri)
    await eventually(lambda: client.diagnostic_refresh_count > 0)
    params.previous_result_id = before.result_id
    after = await client.text_document_diagnostic_async(params)
    assert isinstance(after, lsp.RelatedFullDocumentDiagnosticReport)
    assert ir_diagnostics(after.items)


async def test_excluded_files_are_not_lifted(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path, extendExclude=["generated_*.py"])
    uri = (tmp_path / "generated_api.py").as_uri()
    open_doc(client, uri, SOURCE)
    await diagnostics_for(client, uri, 1)
    save(client, uri)
    await eventually(
        lambda: any("is not lifted: excluded" in m.message for m in client.log_messages)
    )
    assert not (tmp_path / ".lift").exists()  # the engine was never needed
