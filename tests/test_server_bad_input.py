"""Bad input over stdio: a clear message, and the server keeps answering."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import (
    SERVER_COMMAND,
    capabilities,
    change_doc,
    diagnostics_for,
    hover,
    init_params,
    open_doc,
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, workspace: Path):
    await lsp_client.initialize_session(init_params(workspace, capabilities("utf-16")))
    yield
    await lsp_client.shutdown_session()


async def still_alive(client: LanguageClient, workspace: Path) -> None:
    uri = (workspace / "alive.py").as_uri()
    open_doc(client, uri, "def f() -> int:\n    return ...\n")
    (diag,) = await diagnostics_for(client, uri, 1)
    result = await hover(client, uri, 1, 12)
    assert result is not None
    assert diag.code == "hole.expression"


async def test_syntax_errors_leave_the_other_holes(client: LanguageClient, workspace: Path):
    uri = (workspace / "broken.py").as_uri()
    text = "def ok() -> int:\n    return ...\n\ndef broken(:\n    pass\n\nx: str = ...\n"
    open_doc(client, uri, text)
    diags = await diagnostics_for(client, uri, 1)
    assert [d.message for d in diags] == ["ok#1: hole of type int", "broken#1: hole of type str"]


async def test_out_of_range_change_is_clamped_and_reported(client: LanguageClient, workspace: Path):
    uri = (workspace / "r.py").as_uri()
    open_doc(client, uri, "x: int = ...\n")
    await diagnostics_for(client, uri, 1)
    change_doc(client, uri, 2, "\ny: str = ...\n", start=(40, 3), end=(41, 0))
    diags = await diagnostics_for(client, uri, 2)
    assert [d.message for d in diags] == ["r#1: hole of type int", "r#2: hole of type str"]
    assert any("out of range" in m.message for m in client.log_messages)
    await still_alive(client, workspace)


async def test_change_to_a_document_never_opened(client: LanguageClient, workspace: Path):
    change_doc(client, (workspace / "ghost.py").as_uri(), 2, "x", start=(0, 0))
    await still_alive(client, workspace)
    assert any("not open" in m.message for m in client.log_messages)


async def test_hover_on_unknown_document_is_an_error_response(
    client: LanguageClient, workspace: Path
):
    with pytest.raises(Exception, match="unknown document"):
        await hover(client, (workspace / "nowhere.py").as_uri(), 0, 0)
    await still_alive(client, workspace)


async def test_hover_on_a_file_that_is_not_open_reads_it(client: LanguageClient, workspace: Path):
    path = workspace / "on_disk.py"
    path.write_text("def f() -> bytes:\n    return ...\n")
    result = await hover(client, path.as_uri(), 1, 12)
    assert result is not None
    assert "expected type: `bytes`" in str(result.contents)


async def test_nul_bytes_are_reported(client: LanguageClient, workspace: Path):
    uri = (workspace / "nul.py").as_uri()
    open_doc(client, uri, "x: int = ...\ny = '\x00'\n")
    diags = await diagnostics_for(client, uri, 1)
    assert [d.message for d in diags] == ["nul#1: hole of type int"]
    assert any("NUL byte (line 2)" in m.message for m in client.log_messages)
    await still_alive(client, workspace)


async def test_lone_surrogates_do_not_break_the_server(client: LanguageClient, workspace: Path):
    uri = (workspace / "sur.py").as_uri()
    open_doc(client, uri, "s = '\ud800'\nx: int = ...\n")
    (diag,) = await diagnostics_for(client, uri, 1)
    assert diag.range.start == lsp.Position(line=1, character=9)


async def test_five_megabyte_file(client: LanguageClient, workspace: Path):
    block = "def f{n}(a: int) -> int:\n    b = a * 2\n    return b + {n}\n\n"
    body = "".join(block.format(n=n) for n in range(80_000))
    assert len(body) > 5_000_000
    uri = (workspace / "huge.py").as_uri()
    open_doc(client, uri, body + "def last() -> str:\n    return ...\n")
    (diag,) = await diagnostics_for(client, uri, 1, timeout=60)
    assert diag.message == "last#1: hole of type str"
    change_doc(client, uri, 2, "# edited\n", start=(0, 0))
    (moved,) = await diagnostics_for(client, uri, 2, timeout=60)
    assert moved.range.start.line == diag.range.start.line + 1


async def test_deep_nesting(client: LanguageClient, workspace: Path):
    depth = 150
    nested = "".join("    " * i + f"if c{i}:\n" for i in range(depth))
    nested += "    " * depth + "x: int = ...\n"
    parens = "y: int = " + "(" * 5000 + "1" + ")" * 5000 + "\n"  # beyond CPython's limit
    uri = (workspace / "deep.py").as_uri()
    open_doc(client, uri, nested + parens)
    (diag,) = await diagnostics_for(client, uri, 1, timeout=60)
    assert diag.message == "deep#1: hole of type int"
    await still_alive(client, workspace)


async def test_garbage_settings_are_reported_not_fatal(workspace: Path):
    # Covered in-process: an invalid pyproject.toml must only produce a warning.
    from lift_lsp.server.settings import SettingsManager

    (workspace / "pyproject.toml").write_text("[tool.lift-lsp\nseverity = ")
    manager = SettingsManager()
    manager.roots = [workspace]
    settings = manager.for_path(workspace / "a.py")
    assert settings.severity.value == "information"
    assert any("cannot read" in p for p in settings.problems)
