"""Fills from a parallel definition: what a sibling whose name differs by a word writes.

Classes and modules are full of definitions written in parallel::

    def user_state_path(self) -> Path:
        return Path(self.user_state_dir)

    def site_state_path(self) -> Path:
        return Path(...)

The hole's function and a sibling (a method of the same class, or a function of the
module) have names of as many ``_``-separated words, differing in one or two and
keeping at least as many as they change: ``user`` → ``site``. Each simple statement of
the sibling, with those words swapped (``USER`` → ``SITE`` too), that reads exactly as
the hole's statement around the hole gives the fill: what stands where the hole is,
``self.site_state_dir``. A fill is kept only when every name it reads outside strings
is written somewhere in the module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from lift_lsp.holes.defs import ModuleIndex
from lift_lsp.suggest.nearby import whole_words
from lift_lsp.syntax.nodes import definition_name, owning_class

#: Words of two names that may differ for them to be parallel.
MAX_CHANGED_WORDS = 2
#: Statements of all siblings looked at, at most.
MAX_STATEMENTS = 400
_SIMPLE = frozenset({"expression_statement", "return_statement"})
_STRING = re.compile(r"""[rRbBuUfF]{0,3}(?:'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")""")
_IDENT = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def word_map(sibling: str, name: str) -> dict[str, str] | None:
    """``user_state_path``, ``site_state_path`` → ``{"user": "site"}``; ``None`` when
    the names are not parallel (other word counts, too many or no changed words)."""
    a, b = sibling.split("_"), name.split("_")
    if len(a) != len(b):
        return None
    changed = {x: y for x, y in zip(a, b, strict=True) if x != y}
    if (
        not changed
        or len(changed) > MAX_CHANGED_WORDS
        or not all(changed)
        or not all(changed.values())
    ):
        return None
    # As many words kept as changed: `_copy_items` and `_bench_hole` are not parallel.
    shared = sum(1 for x, y in zip(a, b, strict=True) if x == y and x)
    return changed if shared >= len(changed) else None


def swap_words(text: str, words: dict[str, str]) -> str:
    """Whole words swapped, in any case that is all lower, all upper or capitalised."""
    for old, new in words.items():
        for o, n in {
            (old.lower(), new.lower()),
            (old.upper(), new.upper()),
            (old.capitalize(), new.capitalize()),
        }:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(o)}(?![A-Za-z0-9])", n, text)
    return text


def _squeeze(text: str) -> str:
    """One line: line breaks and the indentation around them become one space (spaces
    inside a line, as in a string literal, are kept: the fill is cut from this text)."""
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _siblings(index: ModuleIndex, func: Node) -> Iterator[tuple[Node, dict[str, str]]]:
    name = definition_name(func)
    cls = owning_class(func)
    if cls is not None:
        info = index.classes.get(definition_name(cls))
        pool = info.methods if info is not None else {}
    else:
        pool = index.functions
    for other, nodes in pool.items():
        words = word_map(other, name)
        if words is None:
            continue
        for node in nodes:
            if node.id != func.id:
                yield node, words


def _statements(func: Node) -> Iterator[Node]:
    body = func.child_by_field_name("body")
    stack = list(reversed(body.named_children)) if body is not None else []
    while stack:
        node = stack.pop()
        if node.type in _SIMPLE:
            yield node
        elif node.type not in ("function_definition", "class_definition", "decorated_definition"):
            stack.extend(reversed(node.named_children))


def analogies(
    index: ModuleIndex, data: bytes, func: Node | None, statement: Node, hole: Node
) -> list[tuple[str, str]]:
    """``(fill, sibling name)`` for the hole at ``hole`` in ``statement`` (a simple
    statement of ``func``)."""
    if func is None or statement.type not in _SIMPLE:
        return []
    prefix = _squeeze(data[statement.start_byte : hole.start_byte].decode("utf-8", "replace"))
    suffix = _squeeze(data[hole.end_byte : statement.end_byte].decode("utf-8", "replace"))
    if not prefix and not suffix:
        prefix = "return "  # a body hole: what a sibling returns is returned here
    out: dict[str, str] = {}
    seen = 0
    for sibling, words in _siblings(index, func):
        for stmt in _statements(sibling):
            seen += 1
            if seen > MAX_STATEMENTS:
                return list(out.items())
            raw = data[stmt.start_byte : stmt.end_byte].decode("utf-8", "replace")
            mapped = _squeeze(swap_words(raw, words))
            if len(mapped) <= len(prefix) + len(suffix):
                continue
            if not (mapped.startswith(prefix) and mapped.endswith(suffix)):
                continue
            fill = mapped[len(prefix) : len(mapped) - len(suffix)].strip()
            if fill and fill != "..." and names_exist(fill, data):
                out.setdefault(fill, definition_name(sibling))
    return list(out.items())


def names_exist(fill: str, data: bytes) -> bool:
    """Every name the fill reads or gets (outside strings) is written in the module."""
    code = _STRING.sub('""', fill)
    names = set(_IDENT.findall(code)) | set(re.findall(r"\.\s*([A-Za-z_]\w*)", code))
    return all(next(whole_words(data, n), None) is not None for n in names)
