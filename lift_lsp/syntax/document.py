"""A Python source kept as UTF-8 bytes with its tree-sitter tree, edited incrementally."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from tree_sitter import Node, Parser, Point, Tree

from lift_lsp.syntax.parser import new_parser
from lift_lsp.syntax.positions import (
    Encoding,
    byte_col_to_units,
    decode,
    encode,
    units_to_byte_col,
)

# LSP counts \n, \r\n and \r as line breaks; so do we (tree-sitter rows count \n only,
# which is why positions are always derived from byte offsets, never from Node points).
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Position:
    """A zero-based line and a column counted in some encoding's units."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """What applying one change did; ``clamped`` names a repaired out-of-range position."""

    start: int
    old_end: int
    new_end: int
    clamped: str | None = None


def _ts_point(data: bytes, offset: int) -> Point:
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return Point(row, offset - line_start)


def _update_line_starts(
    starts: list[int], data: bytes, start: int, end: int, new: bytes
) -> list[int]:
    """Line starts after replacing ``start..end`` by ``new``, rescanning only near the edit.

    One line of margin on each side keeps a ``\r`` + ``\n`` pair split or joined by
    the edit right; everything after the margin just shifts.
    """
    delta = len(new) - (end - start)
    first = max(0, bisect.bisect_right(starts, start) - 2)
    last = bisect.bisect_right(starts, end) + 1  # index of the first untouched start
    begin = starts[first]
    stop = starts[last] + delta if last < len(starts) else len(data)
    middle = [m.end() + begin for m in _LINE_BREAK.finditer(data[begin:stop])]
    if last < len(starts):
        middle = [s for s in middle if s < stop]
    return [*starts[: first + 1], *middle, *(s + delta for s in starts[last:])]


class SourceDocument:
    """Text + tree for one file. Every edit updates the tree incrementally."""

    def __init__(self, text: str | bytes, *, version: int | None = None) -> None:
        self._parser: Parser = new_parser()
        self.data: bytes = encode(text) if isinstance(text, str) else text
        self.version = version
        self.tree: Tree = self._parser.parse(self.data)
        self._line_starts: list[int] | None = None

    # -- lines -------------------------------------------------------------------------
    @property
    def line_starts(self) -> list[int]:
        """Byte offset at which each line starts (the last entry may be the end)."""
        if self._line_starts is None:
            self._line_starts = [0, *(m.end() for m in _LINE_BREAK.finditer(self.data))]
        return self._line_starts

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_bytes(self, line: int) -> bytes:
        """The bytes of ``line`` without its line break."""
        starts = self.line_starts
        start = starts[line]
        end = starts[line + 1] if line + 1 < len(starts) else len(self.data)
        return self.data[start:end].rstrip(b"\r\n")

    @property
    def text(self) -> str:
        return decode(self.data)

    # -- positions ---------------------------------------------------------------------
    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1

    def position_at(self, offset: int, encoding: Encoding = Encoding.UTF32) -> Position:
        """The position of a byte offset, its column counted in ``encoding`` units."""
        offset = max(0, min(offset, len(self.data)))
        line = self.line_of(offset)
        byte_col = offset - self.line_starts[line]
        return Position(line, byte_col_to_units(self.line_bytes(line), byte_col, encoding))

    def offset_at(
        self, position: Position, encoding: Encoding = Encoding.UTF32
    ) -> tuple[int, str | None]:
        """The byte offset of ``position`` and, if it was out of range, why it was clamped.

        A column past the end of its line means the end of the line (as LSP specifies);
        a line past the end of the document means the end of the document.
        """
        if position.line < 0 or position.column < 0:
            return 0, f"negative position {position.line}:{position.column}"
        if position.line >= self.line_count:
            reason = f"line {position.line} is past the end ({self.line_count} lines)"
            return len(self.data), reason
        line = self.line_bytes(position.line)
        byte_col = units_to_byte_col(line, position.column, encoding)
        return self.line_starts[position.line] + byte_col, None

    # -- edits -------------------------------------------------------------------------
    def replace_all(self, text: str, version: int | None = None) -> None:
        self.data = encode(text)
        self.version = version
        self.tree = self._parser.parse(self.data)
        self._line_starts = None

    def apply_change(
        self,
        start: Position,
        end: Position,
        text: str,
        encoding: Encoding = Encoding.UTF32,
    ) -> ChangeOutcome:
        """Replace the range ``start..end`` with ``text`` and re-parse incrementally."""
        s, why_s = self.offset_at(start, encoding)
        e, why_e = self.offset_at(end, encoding)
        clamped = why_s or why_e
        if e < s:
            s, e = e, s
            clamped = clamped or "range end before start"
        return self.splice(s, e, encode(text), clamped)

    def splice(self, start: int, end: int, new: bytes, clamped: str | None = None) -> ChangeOutcome:
        """Replace bytes ``start..end`` with ``new``: ``tree.edit`` then incremental parse."""
        old = self.data
        data = old[:start] + new + old[end:]
        new_end = start + len(new)
        self.tree.edit(
            start_byte=start,
            old_end_byte=end,
            new_end_byte=new_end,
            start_point=_ts_point(old, start),
            old_end_point=_ts_point(old, end),
            new_end_point=_ts_point(data, new_end),
        )
        self.data = data
        self.tree = self._parser.parse(data, self.tree)
        if self._line_starts is not None:
            self._line_starts = _update_line_starts(self._line_starts, data, start, end, new)
        return ChangeOutcome(start, end, new_end, clamped)

    # -- nodes -------------------------------------------------------------------------
    def node_text(self, node: Node) -> str:
        return decode(self.data[node.start_byte : node.end_byte])
