"""Property: after any sequence of edits, the incremental tree equals a fresh parse."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lift_lsp.holes import find_holes
from lift_lsp.syntax.document import Position, SourceDocument
from lift_lsp.syntax.nodes import walk
from lift_lsp.syntax.positions import Encoding

SNIPPETS = [
    "def area(self) -> float:\n    return ...\n",
    "x: int = ...\n",
    'label = "😀 漢字"\r\n',
    "class C:\n    def m(self, a: str) -> str:\n        ...\n",
    "send(1, retries=...)\n",
    "t: tuple[int, ...] = (1, 2)\r",
    "if x is ...:\n    pass\n",
]
INSERTS = ["...", "\n", "\r\n", "(", ")", "😀", "漢", "def f():", " ", "x", "return ", ":", '"']


def reference_offset(text: str, line: int, units: int, encoding: Encoding) -> int:
    """An independent model of LSP positions over a Python string (code-point offsets)."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    if line >= len(starts):
        return len(text)
    begin = starts[line]
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    content = text[begin:end].rstrip("\r\n")
    seen = 0
    for i, ch in enumerate(content):
        width = {
            Encoding.UTF8: len(ch.encode("utf-8", "surrogatepass")),
            Encoding.UTF16: 2 if ord(ch) > 0xFFFF else 1,
            Encoding.UTF32: 1,
        }[encoding]
        if seen + width > units:
            return begin + i
        seen += width
    return begin + len(content)


def shape(doc: SourceDocument) -> list[tuple[str, int, int]]:
    return [(n.type, n.start_byte, n.end_byte) for n in walk(doc.tree.root_node)]


edits = st.lists(
    st.tuples(
        st.integers(0, 12),  # start line
        st.integers(0, 40),  # start column
        st.integers(0, 3),  # lines spanned
        st.integers(0, 40),  # end column
        st.lists(st.sampled_from(INSERTS), max_size=4).map("".join),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    initial=st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6).map("".join),
    steps=edits,
    encoding=st.sampled_from(list(Encoding)),
)
def test_incremental_matches_fresh_parse(initial: str, steps: list, encoding: Encoding) -> None:
    doc = SourceDocument(initial)
    model = initial
    for line, col, span, end_col, insert in steps:
        end_line = line + span
        start = reference_offset(model, line, col, encoding)
        end = reference_offset(model, end_line, end_col, encoding)
        if end < start:
            start, end = end, start
        model = model[:start] + insert + model[end:]
        doc.apply_change(Position(line, col), Position(end_line, end_col), insert, encoding)
        assert doc.text == model

    fresh = SourceDocument(model)
    assert shape(doc) == shape(fresh)
    assert find_holes(doc) == find_holes(fresh)
