"""didOpen / didChange / didClose: the tree is edited in place, never re-parsed from scratch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from lift_lsp.server.convert import from_lsp_position
from lift_lsp.server.features.diagnostics import clear, schedule
from lift_lsp.server.feedback import note_edit

if TYPE_CHECKING:
    from lift_lsp.server.app import LiftServer


def register(server: LiftServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LiftServer, params: lsp.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.documents.open(item.uri, item.text, item.version)
        schedule(ls, item.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LiftServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = ls.documents.get(uri)
        if doc is None:
            ls.warn(f"lift-lsp: ignored a change to {uri}, which is not open")
            return
        encoding = ls.encoding
        for change in params.content_changes:
            old = doc.source.data
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                outcome = doc.source.apply_change(
                    from_lsp_position(change.range.start),
                    from_lsp_position(change.range.end),
                    change.text,
                    encoding,
                )
                if outcome.clamped:
                    ls.warn(
                        f"lift-lsp: a change to {uri} (version {params.text_document.version}) "
                        f"was out of range ({outcome.clamped}); applied at the nearest valid "
                        "position. If holes look misplaced, close and reopen the file."
                    )
                note_edit(ls, doc, old, outcome)  # holes shown and filled by hand
            else:
                doc.source.replace_all(change.text)
                note_edit(ls, doc, old, None)
            doc.revision += 1
        doc.version = params.text_document.version
        doc.source.version = doc.version
        schedule(ls, uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LiftServer, params: lsp.DidCloseTextDocumentParams) -> None:
        if ls.documents.close(params.text_document.uri) is not None:
            clear(ls, params.text_document.uri)
