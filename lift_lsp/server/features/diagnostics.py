"""Holes as diagnostics: pushed on open/change, or pulled by clients that support it.

A client that advertises pull diagnostics (``textDocument.diagnostic``) gets only
pull: pushing as well would show every hole twice in editors that keep the two
collections apart (VS Code does).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from lift_lsp.holes import HoleKind
from lift_lsp.server.convert import hole_diagnostic
from lift_lsp.server.documents import OpenDocument
from lift_lsp.server.ir_cache import ir_diagnostics

if TYPE_CHECKING:
    from lift_lsp.server.app import LiftServer

IDENTIFIER = "lift"


def uses_pull(ls: LiftServer) -> bool:
    return ls.client_supports("textDocument.diagnostic")


def document_diagnostics(ls: LiftServer, doc: OpenDocument) -> list[lsp.Diagnostic]:
    settings = ls.settings_for(doc)
    if ls.settings.is_excluded(doc.path, settings):
        return []
    if len(doc.source.data) > settings.max_file_bytes:
        limit = settings.max_file_bytes / (1024 * 1024)
        doc.warn_once(ls, "size", f"{doc.uri} is larger than {limit:g} MB; holes are not shown")
        return []
    nul = doc.source.data.find(b"\x00")
    if nul >= 0:
        doc.warn_once(
            ls,
            "nul",
            f"{doc.uri} contains a NUL byte (line {doc.source.line_of(nul) + 1}); Python "
            "cannot run it and holes after it may be missed",
        )
    else:
        doc.warned.discard("nul")
    analysis = doc.analysis(settings)
    encoding = ls.encoding
    holes = [
        hole_diagnostic(
            doc.uri,
            doc.source,
            hole,
            encoding,
            settings.severity,
            analysis.by_name.get(hole.name, []) if hole.kind is HoleKind.NAMED else [],
        )
        for hole in analysis.holes
    ]
    lifted = ls.ir.current(doc)  # signature and intent holes of the last save, if current
    return holes + ir_diagnostics(lifted, settings, encoding) if lifted is not None else holes


def publish(ls: LiftServer, uri: str) -> None:
    ls.pending_diagnostics.discard(uri)
    doc = ls.documents.get(uri)
    if doc is None:
        return
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(
            uri=uri, diagnostics=document_diagnostics(ls, doc), version=doc.version
        )
    )


def schedule(ls: LiftServer, uri: str) -> None:
    """Publish soon, once per burst of changes, always for the newest version."""
    if uses_pull(ls) or uri in ls.pending_diagnostics:
        return
    ls.pending_diagnostics.add(uri)
    if ls.configured.is_set():
        asyncio.get_running_loop().call_soon(publish, ls, uri)


def configuration_ready(ls: LiftServer) -> None:
    """The first settings are known: publish what waited for them."""
    ls.configured.set()
    loop = asyncio.get_running_loop()
    for uri in list(ls.pending_diagnostics):
        loop.call_soon(publish, ls, uri)


def clear(ls: LiftServer, uri: str) -> None:
    if not uses_pull(ls):
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def refresh_all(ls: LiftServer) -> None:
    """After a settings change: re-publish, or ask a pull client to pull again."""
    if uses_pull(ls):
        if ls.client_supports("workspace.diagnostics.refreshSupport"):
            ls.workspace_diagnostic_refresh(None)
        return
    for doc in ls.documents:
        schedule(ls, doc.uri)


async def wait_configured(ls: LiftServer, timeout: float = 10.0) -> None:
    try:
        await asyncio.wait_for(ls.configured.wait(), timeout)
    except TimeoutError:
        ls.configured.set()  # never hold diagnostics hostage to a silent client


def register(server: LiftServer) -> None:
    @server.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(
            identifier=IDENTIFIER, inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    async def pull(
        ls: LiftServer, params: lsp.DocumentDiagnosticParams
    ) -> lsp.DocumentDiagnosticReport:
        await wait_configured(ls)
        doc = ls.require_document(params.text_document.uri)
        result_id = f"{id(doc)}:{doc.revision}:{ls.settings.generation}:{ls.ir.generation}"
        if params.previous_result_id == result_id:
            return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return lsp.RelatedFullDocumentDiagnosticReport(
            items=document_diagnostics(ls, doc), result_id=result_id
        )
