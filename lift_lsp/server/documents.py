"""Open documents: text kept by the server itself, edited incrementally, analysed lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pygls.uris import to_fs_path

from lift_lsp.config import Settings
from lift_lsp.holes.analysis import Analysis
from lift_lsp.syntax.document import SourceDocument
from lift_lsp.workspace import FileError, read_source


class Warner(Protocol):
    def warn(self, message: str, *, show: bool = False) -> None: ...


class UnknownDocument(LookupError):
    """A request named a document that is neither open nor a readable file."""


def uri_to_path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    fs = to_fs_path(uri)
    return Path(fs) if fs else None


@dataclass
class OpenDocument:
    uri: str
    source: SourceDocument
    version: int | None
    path: Path | None = None
    #: Bumped on every change; analyses and pull-diagnostic result ids key on it.
    revision: int = 0
    _analysis: tuple[int, Settings, Analysis] | None = field(default=None, repr=False)
    #: Problems already reported for this document (each is said once).
    warned: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        if self.path is None:
            self.path = uri_to_path(self.uri)

    def warn_once(self, ls: Warner, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            ls.warn(f"lift-lsp: {message}")

    def analysis(self, settings: Settings) -> Analysis:
        cached = self._analysis
        if cached is not None and cached[0] == self.revision and cached[1] == settings:
            return cached[2]
        path = str(self.path) if self.path is not None else self.uri
        result = Analysis(self.source, path, settings.enabled_kinds)
        self._analysis = (self.revision, settings, result)
        return result


class DocumentStore:
    def __init__(self) -> None:
        self._docs: dict[str, OpenDocument] = {}

    def open(self, uri: str, text: str, version: int | None) -> OpenDocument:
        doc = OpenDocument(uri, SourceDocument(text, version=version), version)
        self._docs[uri] = doc
        return doc

    def close(self, uri: str) -> OpenDocument | None:
        return self._docs.pop(uri, None)

    def get(self, uri: str) -> OpenDocument | None:
        return self._docs.get(uri)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._docs.values()))

    def require(self, uri: str, max_bytes: int) -> OpenDocument:
        """An open document, or a read-only snapshot of the file behind ``uri``."""
        doc = self._docs.get(uri)
        if doc is not None:
            return doc
        path = uri_to_path(uri)
        if path is None or not path.is_file():
            raise UnknownDocument(f"unknown document {uri}: it is not open and not a file")
        source = read_source(path, max_bytes)
        if isinstance(source, FileError):
            raise UnknownDocument(f"cannot analyse {uri}: {source.message}")
        return OpenDocument(uri, SourceDocument(source.text), None, path)
