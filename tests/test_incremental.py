"""Property: after any sequence of edits, the incremental tree equals a fresh parse."""

from __future__ import annotations

import re

import pytest
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


@settings(max_examples=150, deadline=None)
@given(
    initial=st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6).map("".join),
    steps=edits,
)
def test_line_table_is_kept_up_to_date(initial: str, steps: list) -> None:
    doc = SourceDocument(initial)
    assert doc.line_starts  # computed, so later edits update it incrementally
    for line, col, span, end_col, insert in steps:
        doc.apply_change(Position(line, col), Position(line + span, end_col), insert)
        assert doc.line_starts == SourceDocument(doc.data).line_starts


@pytest.mark.parametrize(
    ("before", "start", "end", "insert"),
    [
        (b"a\rb", 2, 2, b"\n"),  # joins \r + \n into one break
        (b"a\r\nb", 2, 3, b""),  # splits \r\n: the \n goes
        (b"a\nb", 1, 1, b"\r"),  # \r before an existing \n
        (b"a\r\nb\nc", 1, 2, b"x"),  # drops the \r of a pair
        (b"x\ny\rz\n", 0, 7, b"\r\r\n"),  # the whole text
        (b"a\r", 2, 2, b"\nb"),  # at the very end
    ],
)
def test_line_table_around_carriage_returns(
    before: bytes, start: int, end: int, insert: bytes
) -> None:
    doc = SourceDocument(before)
    assert doc.line_starts
    doc.splice(start, end, insert)
    assert doc.line_starts == SourceDocument(doc.data).line_starts
