"""Shared helpers: a real lift-lsp server over stdio, driven by pytest-lsp."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
SERVER_COMMAND = [sys.executable, "-m", "lift_lsp", "serve", "--stdio"]
ENCODINGS = ["utf-16", "utf-8"]


@pytest.fixture
def examples_dir() -> Path:
    return ROOT / "examples"


def capabilities(
    encoding: str = "utf-16",
    *,
    pull: bool = False,
    hierarchical: bool = True,
    work_done: bool = True,
    configuration: bool = False,
) -> lsp.ClientCapabilities:
    """What a client says it can do; each test picks the variant it exercises."""
    return lsp.ClientCapabilities(
        general=lsp.GeneralClientCapabilities(position_encodings=[encoding]),
        text_document=lsp.TextDocumentClientCapabilities(
            hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
            document_symbol=lsp.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=hierarchical
            ),
            diagnostic=lsp.DiagnosticClientCapabilities() if pull else None,
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(
                version_support=True, related_information=True
            ),
        ),
        window=lsp.WindowClientCapabilities(work_done_progress=work_done),
        workspace=lsp.WorkspaceClientCapabilities(configuration=configuration),
    )


def init_params(root: Path, caps: lsp.ClientCapabilities, **options: Any) -> lsp.InitializeParams:
    return lsp.InitializeParams(
        capabilities=caps,
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=options or None,
    )


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=text
            )
        )
    )


def change_doc(
    client: LanguageClient,
    uri: str,
    version: int,
    text: str,
    start: tuple[int, int] | None = None,
    end: tuple[int, int] | None = None,
) -> None:
    """An incremental change (or a whole-document one when no range is given)."""
    change: lsp.TextDocumentContentChangeEvent
    if start is None:
        change = lsp.TextDocumentContentChangeWholeDocument(text=text)
    else:
        stop = end or start
        change = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(
                start=lsp.Position(line=start[0], character=start[1]),
                end=lsp.Position(line=stop[0], character=stop[1]),
            ),
            text=text,
        )
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change],
        )
    )


async def diagnostics_for(
    client: LanguageClient, uri: str, version: int, timeout: float = 20.0
) -> list[lsp.Diagnostic]:
    """Wait until the server has published diagnostics of ``uri`` at ``version``."""

    async def wait() -> list[lsp.Diagnostic]:
        while True:
            params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)

    return await asyncio.wait_for(wait(), timeout)


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the encoding's code units."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


async def hover(client: LanguageClient, uri: str, line: int, character: int) -> lsp.Hover | None:
    return await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=line, character=character),
        )
    )


async def command(client: LanguageClient, name: str, *args: Any) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=name, arguments=list(args))
    )
