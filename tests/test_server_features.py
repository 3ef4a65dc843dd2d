"""End to end over stdio: hover, symbols, commands, pull diagnostics, settings."""

from __future__ import annotations

from pathlib import Path

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
)

SOURCE = """\
class Circle:
    def __init__(self, radius: float, name: str) -> None:
        self.radius = radius
        self.name = name

    def grow(self, by: float, times: int = 2) -> float:
        total = self.radius
        label = "x"
        return ...

def helper() -> None:
    ...
"""
HOLE_LINE, HOLE_COL = 8, 15


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path


@pytest_lsp.fixture(params=ENCODINGS, config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient, workspace: Path):
    await lsp_client.initialize_session(init_params(workspace, capabilities(request.param)))
    yield
    await lsp_client.shutdown_session()


async def opened(client: LanguageClient, workspace: Path, text: str = SOURCE) -> str:
    uri = (workspace / "circle.py").as_uri()
    open_doc(client, uri, text)
    await diagnostics_for(client, uri, 1)
    return uri


async def test_hover_describes_the_hole(client: LanguageClient, workspace: Path):
    uri = await opened(client, workspace)
    result = await hover(client, uri, HOLE_LINE, HOLE_COL + 1)
    assert result is not None
    assert isinstance(result.contents, lsp.MarkupContent)
    text = result.contents.value
    assert "`grow#1` · expression" in text
    assert "expected type: `float`" in text
    assert "def grow(self, by: float, times: int = 2) -> float" in text
    scope = [line for line in text.splitlines() if line.startswith("- ")]
    # Nearest first: the locals just above, then the parameters, then attributes.
    assert scope[:2] == ["- `label: str` · local", "- `total: float` · local"]
    assert "- `by: float` · parameter" in scope
    assert "- `self: Circle` · parameter" in scope
    assert "- `self.name: str` · attribute" in scope
    assert result.range == lsp.Range(
        start=lsp.Position(line=HOLE_LINE, character=HOLE_COL),
        end=lsp.Position(line=HOLE_LINE, character=HOLE_COL + 3),
    )


async def test_hover_away_from_holes_is_empty(client: LanguageClient, workspace: Path):
    uri = await opened(client, workspace)
    assert await hover(client, uri, 0, 3) is None
    assert await hover(client, uri, 500, 0) is None  # past the end: nothing, no error


async def test_holes_in_document_symbols(client: LanguageClient, workspace: Path):
    uri = await opened(client, workspace)
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert symbols is not None
    circle, helper = symbols
    assert isinstance(circle, lsp.DocumentSymbol)
    assert isinstance(helper, lsp.DocumentSymbol)
    assert (circle.name, circle.kind) == ("Circle", lsp.SymbolKind.Class)
    (grow,) = circle.children or []
    assert grow.name == "grow"
    (hole,) = grow.children or []
    assert hole.name == "grow#1"
    assert hole.detail == "expression hole · float"
    assert [c.name for c in helper.children or []] == ["helper#1"]


async def test_next_and_previous_hole_wrap_around(client: LanguageClient, workspace: Path):
    uri = await opened(client, workspace)
    first = await command(client, "lift.nextHole", uri, {"line": 0, "character": 0})
    assert first["range"]["start"] == {"line": HOLE_LINE, "character": HOLE_COL}
    second = await command(client, "lift.nextHole", uri, first["range"]["start"])
    assert second["range"]["start"] == {"line": 11, "character": 4}
    wrapped = await command(client, "lift.nextHole", uri, second["range"]["start"])
    assert wrapped == first
    back = await command(client, "lift.previousHole", uri, {"line": 0, "character": 0})
    assert back == second


async def test_bad_command_arguments_get_an_error_response(client: LanguageClient, workspace: Path):
    with pytest.raises(Exception, match="expected arguments"):
        await command(client, "lift.nextHole", "not enough")


async def test_list_holes_reports_work_done_progress(client: LanguageClient, workspace: Path):
    for i in range(25):
        (workspace / f"m{i:02}.py").write_text(f"def f{i}() -> int:\n    return ...\n")
    (workspace / "bad.py").write_bytes(b"x = '\xff'\n")
    (workspace / ".venv").mkdir()
    (workspace / ".venv" / "skipped.py").write_text("x: int = ...\n")
    result = await command(client, "lift.listHoles")
    assert result["version"] == 1
    assert len(result["holes"]) == 25
    assert result["holes"][0]["path"] == "m00.py"
    assert result["holes"][0]["expected_type"] == "int"
    assert result["errors"] == [
        {"path": "bad.py", "message": "not valid UTF-8 (byte 0xff at offset 5)"}
    ]
    (reports,) = client.progress_reports.values()
    assert reports[0].kind == "begin"
    assert reports[-1].kind == "end"
    assert reports[-1].message == "25 holes in 26 files"
    assert any(r.kind == "report" for r in reports)


async def test_list_holes_sees_unsaved_text(client: LanguageClient, workspace: Path):
    path = workspace / "draft.py"
    path.write_text("x = 1\n")
    open_doc(client, path.as_uri(), "x: int = ...\n")
    await diagnostics_for(client, path.as_uri(), 1)
    result = await command(client, "lift.listHoles")
    assert [h["name"] for h in result["holes"]] == ["draft#1"]


# -- pull diagnostics ---------------------------------------------------------------------


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def pull_client(lsp_client: LanguageClient, workspace: Path):
    result = await lsp_client.initialize_session(
        init_params(workspace, capabilities("utf-16", pull=True))
    )
    assert result.capabilities.diagnostic_provider is not None
    yield
    await lsp_client.shutdown_session()


async def pull(client: LanguageClient, uri: str, previous: str | None = None):
    return await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), previous_result_id=previous
        )
    )


async def test_pull_diagnostics_report_and_unchanged(pull_client: LanguageClient, workspace: Path):
    uri = (workspace / "p.py").as_uri()
    open_doc(pull_client, uri, "def f() -> int:\n    return ...\n")
    full = await pull(pull_client, uri)
    assert isinstance(full, lsp.RelatedFullDocumentDiagnosticReport)
    assert [d.code for d in full.items] == ["hole.expression"]
    same = await pull(pull_client, uri, full.result_id)
    assert isinstance(same, lsp.RelatedUnchangedDocumentDiagnosticReport)

    change_doc(pull_client, uri, 2, "\n    ...", start=(1, 14))
    newer = await pull(pull_client, uri, full.result_id)
    assert isinstance(newer, lsp.RelatedFullDocumentDiagnosticReport)
    assert newer.result_id != full.result_id
    assert len(newer.items) == 1  # `return ...` then a stray statement `...`: not a body
    # A client that pulls is not also pushed to (the holes would show twice).
    assert uri not in pull_client.diagnostics


async def test_pull_for_unknown_document_is_an_error(pull_client: LanguageClient, workspace: Path):
    with pytest.raises(Exception, match="unknown document"):
        await pull(pull_client, (workspace / "never-opened.py").as_uri())


# -- settings -----------------------------------------------------------------------------


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def configured(lsp_client: LanguageClient, workspace: Path):
    (workspace / "pyproject.toml").write_text(
        '[tool.lift-lsp]\nseverity = "warning"\nexclude = ["generated/"]\n'
    )
    await lsp_client.initialize_session(
        init_params(workspace, capabilities("utf-16"), enabledKinds=["expression", "named"])
    )
    yield
    await lsp_client.shutdown_session()


async def test_settings_from_pyproject_and_initialization_options(
    configured: LanguageClient, workspace: Path
):
    uri = (workspace / "s.py").as_uri()
    open_doc(configured, uri, "def f() -> int:\n    return ...\ndef g():\n    ...\n")
    (diag,) = await diagnostics_for(configured, uri, 1)  # body holes are disabled
    assert diag.code == "hole.expression"
    assert diag.severity == lsp.DiagnosticSeverity.Warning  # from pyproject.toml
    excluded = (workspace / "generated" / "g.py").as_uri()
    open_doc(configured, excluded, "x: int = ...\n")
    assert await diagnostics_for(configured, excluded, 1) == []


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def editor_settings(lsp_client: LanguageClient, workspace: Path):
    lsp_client.set_configuration({"severity": "error"}, section="lift")
    await lsp_client.initialize_session(
        init_params(workspace, capabilities("utf-16", configuration=True), severity="hint")
    )
    yield
    await lsp_client.shutdown_session()


async def test_workspace_configuration_wins_and_is_reread(
    editor_settings: LanguageClient, workspace: Path
):
    uri = (workspace / "c.py").as_uri()
    open_doc(editor_settings, uri, "x: int = ...\n")
    (diag,) = await diagnostics_for(editor_settings, uri, 1)
    assert diag.severity == lsp.DiagnosticSeverity.Error  # not the "hint" of initOptions

    editor_settings.set_configuration({"severity": "loud"}, section="lift")
    editor_settings.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings=None)
    )
    message = await editor_settings.wait_for_notification(lsp.WINDOW_SHOW_MESSAGE)
    assert "severity must be one of" in message.message
    change_doc(editor_settings, uri, 2, "y: str = ...\n")
    (diag,) = await diagnostics_for(editor_settings, uri, 2)
    # The bad editor value is ignored; the next source (initializationOptions) applies.
    assert diag.severity == lsp.DiagnosticSeverity.Hint
