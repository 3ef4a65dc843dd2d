"""The stable JSON and compiler-style text of the command line (CLI_CONTRACT.md, v1)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lift_lsp.holes import Hole
from lift_lsp.syntax.document import SourceDocument

CONTRACT_VERSION = 1


def display_path(path: Path) -> str:
    """Relative to the working directory when inside it, with ``/`` separators."""
    try:
        rel = Path(os.path.relpath(path))
    except ValueError:
        return path.as_posix()
    return path.as_posix() if rel.as_posix().startswith("..") else rel.as_posix()


def location(doc: SourceDocument, offset: int) -> dict[str, int]:
    """1-based row and column, the column counted in code points."""
    pos = doc.position_at(offset)
    return {"row": pos.line + 1, "column": pos.column + 1}


def hole_json(path: str, doc: SourceDocument, hole: Hole) -> dict[str, Any]:
    return {
        "path": path,
        "location": location(doc, hole.start),
        "end_location": location(doc, hole.end),
        "kind": hole.kind.value,
        "name": hole.name,
        "expected_type": hole.expected_type,
        "function": hole.function,
        "message": hole.message,
    }


def hole_text(entry: dict[str, Any]) -> str:
    loc = entry["location"]
    return (
        f"{entry['path']}:{loc['row']}:{loc['column']}: {entry['kind']}: "
        f"{entry['name']}: {entry['message']}"
    )
