"""Commands: ``lift.listHoles`` (workspace-wide) and ``lift.nextHole`` / ``lift.previousHole``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import from_fs_path

from lift_lsp.config import Settings
from lift_lsp.holes.analysis import Analysis
from lift_lsp.report import CONTRACT_VERSION, hole_json

# A runtime import: pygls reads command handlers' annotations with get_type_hints.
from lift_lsp.server.app import LiftServer
from lift_lsp.server.convert import from_lsp_position, hole_range
from lift_lsp.server.documents import uri_to_path
from lift_lsp.server.progress import WorkDone
from lift_lsp.syntax.document import SourceDocument
from lift_lsp.workspace import FileError, iter_python_files, read_source

LIST_HOLES = "lift.listHoles"
NEXT_HOLE = "lift.nextHole"
PREVIOUS_HOLE = "lift.previousHole"
#: Below this many files a listing is quick enough to need no progress bar.
PROGRESS_MIN_FILES = 20
PROGRESS_EVERY = 10


def _position_arg(args: tuple[Any, ...]) -> tuple[str, lsp.Position]:
    """``[uri, {"line": L, "character": C}]`` (or one object with both)."""
    if len(args) == 1 and isinstance(args[0], dict):
        args = (args[0].get("uri"), args[0].get("position"))
    if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], dict):
        raise JsonRpcInvalidParams("expected arguments [uri, {line, character}]")
    try:
        position = lsp.Position(line=int(args[1]["line"]), character=int(args[1]["character"]))
    except (KeyError, TypeError, ValueError):
        raise JsonRpcInvalidParams("position must be {line: int, character: int}") from None
    return args[0], position


def _step(ls: LiftServer, args: tuple[Any, ...], backwards: bool) -> lsp.Location | None:
    uri, position = _position_arg(args)
    doc = ls.require_document(uri)
    offset, _ = doc.source.offset_at(from_lsp_position(position), ls.encoding)
    hole = doc.analysis(ls.settings_for(doc)).next_hole(offset, backwards=backwards)
    if hole is None:
        return None
    return lsp.Location(uri=uri, range=hole_range(doc.source, hole, ls.encoding))


def _targets(ls: LiftServer, args: tuple[Any, ...]) -> list[Path]:
    """Folders or files named in the arguments, else the workspace folders."""
    named: list[Path] = []
    for arg in args:
        items = arg if isinstance(arg, list) else [arg]
        for raw in items:
            item = raw.get("uri") or raw.get("path") if isinstance(raw, dict) else raw
            if not isinstance(item, str):
                raise JsonRpcInvalidParams("lift.listHoles takes folder or file URIs")
            path = uri_to_path(item) if item.startswith("file:") else Path(item)
            if path is None:
                raise JsonRpcInvalidParams(f"not a file URI: {item}")
            named.append(path)
    return named or list(ls.settings.roots)


def _entry(ls: LiftServer, uri: str, display: str, analysis: Analysis) -> list[dict[str, Any]]:
    out = []
    for hole in analysis.holes:
        entry = hole_json(display, analysis.doc, hole)
        rng = hole_range(analysis.doc, hole, ls.encoding)
        entry["uri"] = uri
        entry["range"] = {
            "start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character},
        }
        out.append(entry)
    return out


def _display(path: Path, roots: list[Path]) -> str:
    for root in roots:
        if path == root or root in path.parents:
            return path.relative_to(root).as_posix() if path != root else path.name
    return path.as_posix()


async def list_holes(ls: LiftServer, args: tuple[Any, ...]) -> dict[str, Any]:
    targets = _targets(ls, args)
    files: list[Path] = []
    errors: list[dict[str, str]] = []
    for target in targets:
        settings = ls.settings.for_path(target)
        found = await asyncio.to_thread(_list_files, target, settings)
        for item in found:
            if isinstance(item, FileError):
                errors.append({"path": item.path.as_posix(), "message": item.message})
            else:
                files.append(item)

    holes: list[dict[str, Any]] = []
    roots = ls.settings.roots or targets
    cancelled = False
    progress = await WorkDone.start(
        ls, "Listing holes", f"0/{len(files)} files", enabled=len(files) >= PROGRESS_MIN_FILES
    )
    async with progress:
        for i, path in enumerate(files, 1):
            if progress.cancelled:
                cancelled = True
                break
            uri = from_fs_path(str(path)) or path.as_uri()
            display = _display(path, roots)
            open_doc = ls.documents.get(uri)
            settings = ls.settings.for_path(path)
            if open_doc is not None:
                holes.extend(_entry(ls, uri, display, open_doc.analysis(settings)))
            else:
                result = _analyse_file(path, settings)
                if isinstance(result, FileError):
                    errors.append({"path": display, "message": result.message})
                else:
                    holes.extend(_entry(ls, uri, display, result))
            if i % PROGRESS_EVERY == 0:
                progress.report(f"{i}/{len(files)} files", i * 100 // len(files))
                await asyncio.sleep(0)  # let edits and hovers through
        progress.summary = "cancelled" if cancelled else f"{len(holes)} holes in {len(files)} files"
    return {"version": CONTRACT_VERSION, "holes": holes, "errors": errors, "cancelled": cancelled}


def _list_files(target: Path, settings: Settings) -> list[Path | FileError]:
    return list(iter_python_files([target], settings))


def _analyse_file(path: Path, settings: Settings) -> Analysis | FileError:
    source = read_source(path, settings.max_file_bytes)
    if isinstance(source, FileError):
        return source
    try:
        return Analysis(SourceDocument(source.text), str(path), settings.enabled_kinds)
    except RecursionError:
        return FileError(path, "nesting too deep to analyse")


def register(server: LiftServer) -> None:
    @server.command(LIST_HOLES)
    async def list_holes_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await list_holes(ls, args)

    @server.command(NEXT_HOLE)
    def next_hole(ls: LiftServer, *args: Any) -> lsp.Location | None:
        return _step(ls, args, backwards=False)

    @server.command(PREVIOUS_HOLE)
    def previous_hole(ls: LiftServer, *args: Any) -> lsp.Location | None:
        return _step(ls, args, backwards=True)
