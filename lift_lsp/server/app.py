"""The lift-lsp language server: pygls wiring; each capability lives in ``features/``."""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from lift_lsp import __version__
from lift_lsp.config import Settings
from lift_lsp.server.convert import encoding_of
from lift_lsp.server.documents import DocumentStore, OpenDocument, UnknownDocument
from lift_lsp.server.feedback import FeedbackState
from lift_lsp.server.ir_cache import IRState
from lift_lsp.server.protocol import LiftProtocol
from lift_lsp.server.routes import RouteState
from lift_lsp.server.settings import SettingsManager
from lift_lsp.syntax.positions import Encoding


class LiftServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "lift-lsp",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            protocol_cls=LiftProtocol,
        )
        self.documents = DocumentStore()
        self.settings = SettingsManager()
        self.pending_diagnostics: set[str] = set()
        #: The latest IR of each document, the running lifts, the reverse engine.
        self.ir = IRState()
        #: Suggestions shown per hole (feedback for the ranker) and the ranker in use.
        self.feedback = FeedbackState()
        #: The router (rebuilt when settings change) and what the editor was last told.
        self.routes = RouteState()
        # Set once the editor's settings have been read after `initialized`, so the first
        # diagnostics already have the user's severity and kinds (no flash of defaults).
        self.configured = asyncio.Event()

    @property
    def encoding(self) -> Encoding:
        return encoding_of(self.workspace.position_encoding)

    def settings_for(self, doc: OpenDocument) -> Settings:
        settings = self.settings.for_path(doc.path)
        for problem in self.settings.new_problems(settings):
            self.warn(f"lift-lsp settings: {problem}", show=True)
        return settings

    def require_document(self, uri: str) -> OpenDocument:
        """An open document (or the file behind ``uri``); an LSP error response otherwise."""
        try:
            return self.documents.require(uri, self.settings.for_path(None).max_file_bytes)
        except UnknownDocument as exc:
            raise JsonRpcInvalidParams(str(exc)) from None

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        self.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    def warn(self, message: str, *, show: bool = False) -> None:
        self.log(message, lsp.MessageType.Warning)
        if show:
            self.window_show_message(
                lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=message)
            )

    def client_supports(self, dotted: str) -> bool:
        """Whether a client capability such as ``textDocument.diagnostic`` is present/true."""
        node: object = self.client_capabilities
        for part in dotted.split("."):
            snake = "".join("_" + c.lower() if c.isupper() else c for c in part)
            node = getattr(node, snake, None)
            if node is None:
                return False
        return node is not False


def create_server() -> LiftServer:
    from lift_lsp.server.features import (
        code_actions,
        commands,
        completion,
        diagnostics,
        generate,
        hover,
        inlay,
        learning,
        lifecycle,
        reverse,
        route_commands,
        symbols,
        sync,
    )

    server = LiftServer()
    for feature in (
        lifecycle,
        sync,
        diagnostics,
        hover,
        symbols,
        commands,
        reverse,
        inlay,
        completion,
        code_actions,
        generate,
        learning,
        route_commands,
    ):
        feature.register(server)
    return server
