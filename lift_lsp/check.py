"""The ``check`` job: holes of files and folders (shared by the CLI and ``lift.listHoles``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lift_lsp.config import Settings
from lift_lsp.holes import Hole, find_holes
from lift_lsp.syntax.document import SourceDocument
from lift_lsp.workspace import FileError, SourceText, iter_python_files, read_source


@dataclass(frozen=True, slots=True)
class FileHoles:
    path: Path
    doc: SourceDocument
    holes: list[Hole]


def holes_in_text(text: str, path: Path | None, settings: Settings) -> FileHoles:
    doc = SourceDocument(text)
    holes = find_holes(
        doc, path=str(path) if path is not None else None, kinds=settings.enabled_kinds
    )
    return FileHoles(path or Path("<text>"), doc, holes)


def check_paths(paths: Sequence[Path], settings: Settings) -> Iterator[FileHoles | FileError]:
    """Each file's holes, or why it could not be analysed, in a stable order."""
    for item in iter_python_files(paths, settings):
        if isinstance(item, FileError):
            yield item
            continue
        source = read_source(item, settings.max_file_bytes)
        if isinstance(source, FileError):
            yield source
            continue
        yield check_source(source, settings)


def check_source(source: SourceText, settings: Settings) -> FileHoles | FileError:
    try:
        return holes_in_text(source.text, source.path, settings)
    except RecursionError:
        return FileError(source.path, "nesting too deep to analyse")
