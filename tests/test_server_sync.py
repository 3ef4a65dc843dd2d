"""End to end over stdio: open/change → pushed diagnostics, in UTF-16 and UTF-8 clients."""

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
    diagnostics_for,
    init_params,
    open_doc,
    units,
)

SOURCE = """\
class Circle:
    def __init__(self, radius: float) -> None:
        self.radius = radius

    def area(self) -> float:
        return ...
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path


@pytest_lsp.fixture(params=ENCODINGS, config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient, workspace: Path):
    result = await lsp_client.initialize_session(
        init_params(workspace, capabilities(request.param))
    )
    assert result.capabilities.position_encoding == request.param
    lsp_client.encoding = request.param  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_open_pushes_holes_with_version(client: LanguageClient, workspace: Path):
    uri = (workspace / "shapes.py").as_uri()
    open_doc(client, uri, SOURCE, version=7)
    (diag,) = await diagnostics_for(client, uri, 7)
    assert diag.code == "hole.expression"
    assert diag.source == "lift"
    assert diag.severity == lsp.DiagnosticSeverity.Information
    assert diag.message == "area#1: hole of type float"
    assert diag.range == lsp.Range(
        start=lsp.Position(line=5, character=15), end=lsp.Position(line=5, character=18)
    )


async def test_incremental_changes_move_add_and_remove_holes(
    client: LanguageClient, workspace: Path
):
    uri = (workspace / "shapes.py").as_uri()
    open_doc(client, uri, SOURCE)
    await diagnostics_for(client, uri, 1)

    change_doc(client, uri, 2, "import math\n\n", start=(0, 0))  # two lines above
    (moved,) = await diagnostics_for(client, uri, 2)
    assert moved.range.start == lsp.Position(line=7, character=15)

    change_doc(client, uri, 3, "\n    def double(self) -> int:\n        return ...", start=(7, 18))
    holes = await diagnostics_for(client, uri, 3)
    assert [d.message for d in holes] == [
        "area#1: hole of type float",
        "double#1: hole of type int",
    ]

    change_doc(client, uri, 4, "self.radius ** 2 * math.pi", start=(7, 15), end=(7, 18))
    (left,) = await diagnostics_for(client, uri, 4)
    assert left.message == "double#1: hole of type int"

    change_doc(client, uri, 5, "x: str = ...\n")  # whole-document replacement
    (whole,) = await diagnostics_for(client, uri, 5)
    assert whole.message == "shapes#1: hole of type str"


async def test_columns_count_the_negotiated_units(client: LanguageClient, workspace: Path):
    encoding = client.encoding  # type: ignore[attr-defined]
    prefix = 'label = "😀 漢字"; x: int = '
    uri = (workspace / "wide.py").as_uri()
    open_doc(client, uri, prefix + "...\n")
    (diag,) = await diagnostics_for(client, uri, 1)
    start = units(prefix, encoding)
    assert diag.range.start == lsp.Position(line=0, character=start)
    assert diag.range.end == lsp.Position(line=0, character=start + 3)

    # An edit addressed in client units after the wide characters lands where it should.
    after_emoji = units('label = "😀', encoding)
    change_doc(client, uri, 2, "🎉", start=(0, after_emoji))
    (moved,) = await diagnostics_for(client, uri, 2)
    assert moved.range.start.character == start + units("🎉", encoding)


async def test_close_clears_diagnostics(client: LanguageClient, workspace: Path):
    uri = (workspace / "gone.py").as_uri()
    open_doc(client, uri, "x: int = ...\n")
    assert await diagnostics_for(client, uri, 1)
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert params.uri == uri
    assert list(params.diagnostics) == []


async def test_named_hole_links_its_other_uses(client: LanguageClient, workspace: Path):
    uri = (workspace / "named.py").as_uri()
    text = (
        "from lift_holes import hole\n"
        "def a() -> int:\n    return hole('total')\n"
        "def b() -> int:\n    return hole('total')\n"
    )
    open_doc(client, uri, text)
    first, second = await diagnostics_for(client, uri, 1)
    assert first.code == second.code == "hole.named"
    assert first.related_information is not None
    (link,) = first.related_information
    assert link.location.uri == uri
    assert link.location.range == second.range
