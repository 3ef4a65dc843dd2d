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
        if not getattr(doc, "_size_warned", False):
            doc._size_warned = True  # type: ignore[attr-defined]
            limit = settings.max_file_bytes / (1024 * 1024)
            ls.warn(f"lift-lsp: {doc.uri} is larger than {limit:g} MB; holes are not shown")
        return []
    analysis = doc.analysis(settings)
    encoding = ls.encoding
    return [
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
    asyncio.get_running_loop().call_soon(publish, ls, uri)


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


def register(server: LiftServer) -> None:
    @server.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(
            identifier=IDENTIFIER, inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    def pull(ls: LiftServer, params: lsp.DocumentDiagnosticParams) -> lsp.DocumentDiagnosticReport:
        doc = ls.require_document(params.text_document.uri)
        result_id = f"{id(doc)}:{doc.revision}:{ls.settings.generation}"
        if params.previous_result_id == result_id:
            return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return lsp.RelatedFullDocumentDiagnosticReport(
            items=document_diagnostics(ls, doc), result_id=result_id
        )
