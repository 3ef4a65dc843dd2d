"""Hover on a hole: name and kind, expected type, enclosing signature, bindings in scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from lift_lsp.holes.analysis import HoleDescription
from lift_lsp.server.convert import from_lsp_position, hole_range
from lift_lsp.server.ir_cache import ir_hover

if TYPE_CHECKING:
    from lift_lsp.server.app import LiftServer

MAX_BINDINGS = 20


def render(desc: HoleDescription, line_of: dict[int, int]) -> str:
    hole = desc.hole
    expected = f"`{hole.expected_type}`" if hole.expected_type else "unknown"
    lines = [f"**hole** `{hole.name}` · {hole.kind.value}", "", f"expected type: {expected}"]
    if desc.enclosing:
        lines += ["", "```python", desc.enclosing, "```"]
    if desc.bindings:
        lines += ["", "in scope, nearest first:", ""]
        for b in desc.bindings[:MAX_BINDINGS]:
            typed = f"{b.name}: {b.type}" if b.type else b.name
            lines.append(f"- `{typed}` · {b.kind}")
        if len(desc.bindings) > MAX_BINDINGS:
            lines.append(f"- … and {len(desc.bindings) - MAX_BINDINGS} more")
    if desc.same_name:
        where = ", ".join(f"line {line_of[h.start] + 1}" for h in desc.same_name)
        lines += ["", f"also used at {where}"]
    return "\n".join(lines)


def register(server: LiftServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: LiftServer, params: lsp.HoverParams) -> lsp.Hover | None:
        doc = ls.require_document(params.text_document.uri)
        offset, clamped = doc.source.offset_at(from_lsp_position(params.position), ls.encoding)
        if clamped:
            return None
        analysis = doc.analysis(ls.settings_for(doc))
        hole = analysis.hole_at(offset)
        if hole is None:  # a def or parameter name: its IR, if the last save's is current
            lifted = ls.ir.current(doc)
            return ir_hover(lifted, offset, ls.encoding) if lifted is not None else None
        desc = analysis.describe(hole)
        line_of = {h.start: doc.source.line_of(h.start) for h in desc.same_name}
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=render(desc, line_of)),
            range=hole_range(doc.source, hole, ls.encoding),
        )
