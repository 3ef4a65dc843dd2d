"""The function a body hole belongs to, and where its new body goes.

Everything the forward graph needs about the hole is captured once, as plain JSON, so
that a recorded run can be replayed without the file: the names and signature a model
reads, and the byte range the generated body replaces.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
from dataclasses import asdict, dataclass, field
from typing import Any

from tree_sitter import Node

from lift_lsp.holes.analysis import Analysis
from lift_lsp.holes.defs import (
    header_end,
    is_async,
    module_outline,
    parameters,
    return_annotation,
    signature_text,
)
from lift_lsp.syntax.document import SourceDocument
from lift_lsp.syntax.nodes import (
    body_statements,
    definition_name,
    enclosing_function,
    is_docstring,
    qualname,
    text,
)
from lift_lsp.syntax.positions import decode

#: Added to the def line's indentation when a one-line ``def f(): ...`` gets a block.
INDENT_UNIT = "    "


class NotABodyHole(ValueError):
    """The position is not on a body hole (a function whose body is only ``...``)."""


@dataclass(frozen=True)
class BodyTarget:
    path: str
    qualname: str
    name: str
    #: Decorators and the def line(s) as written, dedented, ending with ``:``.
    header: str
    #: ``(a: int, b: int) -> int``.
    signature: str
    docstring: str | None
    #: The header and the docstring as written: what the code-writing step reads.
    context: str
    #: ``[{"name", "kind", "annotation"}]`` in source order.
    params: list[dict[str, Any]]
    returns: str | None
    is_async: bool
    #: 1-based position of ``def`` (the IR's location).
    row: int
    column: int
    hole_start: int
    hole_end: int
    #: The bytes the generated body replaces (the ``...``, or more for a one-line def).
    replace_start: int
    replace_end: int
    #: Indentation of the body's lines.
    body_indent: str
    #: ``def f(): ...`` on one line: the replacement starts with a line break.
    inline: bool
    #: Start of the first line of the definition (decorators included) and its end.
    func_start: int
    func_end: int
    #: Hash of the whole file's text: an edit of another version is refused.
    text_sha: str
    #: The docstring statement's source, when it must be re-emitted (one-line defs).
    docstring_source: str | None = field(default=None)
    #: The module's imports and the other definitions' headers (no bodies): the names
    #: the new body may use.
    module_context: str = field(default="")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BodyTarget:
        return cls(**data)

    @property
    def has_doctests(self) -> bool:
        return self.docstring is not None and ">>>" in self.docstring


def text_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def find_body_target(text_: str, offset: int, path: str) -> BodyTarget:
    """The body hole at byte ``offset`` of ``text_`` (its ``...``, or right after it)."""
    doc = SourceDocument(text_)
    hole = Analysis(doc, path).hole_at(offset)
    if hole is None or not hole.is_body:
        raise NotABodyHole("no body hole here: a function whose body is only `...`")
    node = doc.tree.root_node.descendant_for_byte_range(hole.start, hole.end)
    func = enclosing_function(node) if node is not None else None
    if func is None:
        raise NotABodyHole("the body hole has no enclosing function")
    return _target(doc, func, hole.start, hole.end, path)


def _line_start(data: bytes, offset: int) -> int:
    return data.rfind(b"\n", 0, offset) + 1


def _docstring(node: Node | None) -> str | None:
    if node is None:
        return None
    try:
        value = ast.literal_eval(text(node))
    except (ValueError, SyntaxError):
        return None
    return inspect.cleandoc(value) if isinstance(value, str) else None


def _target(doc: SourceDocument, func: Node, start: int, end: int, path: str) -> BodyTarget:
    data = doc.data
    parent = func.parent
    outer = parent if parent is not None and parent.type == "decorated_definition" else func
    func_start = _line_start(data, outer.start_byte)
    colon_end = header_end(func)
    stmts = body_statements(func)
    doc_stmt = stmts[0] if stmts and is_docstring(stmts[0]) else None
    if doc_stmt is not None and doc_stmt.start_byte >= start:
        doc_stmt = None
    hole_line = _line_start(data, start)
    prefix = decode(data[hole_line:start])
    inline = prefix.strip() != ""
    def_line = _line_start(data, func.start_byte)
    line = decode(data[def_line : func.start_byte])
    def_indent = line[: len(line) - len(line.lstrip())]
    context_end = doc_stmt.end_byte if doc_stmt is not None else colon_end
    pos = doc.position_at(func.start_byte)
    docstring_source = None
    if inline:
        replace_start, indent = colon_end, def_indent + INDENT_UNIT
        if doc_stmt is not None and doc_stmt.start_byte >= colon_end:
            docstring_source = text(doc_stmt)
    else:
        replace_start, indent = start, prefix
    return BodyTarget(
        path=path,
        qualname=qualname(func),
        name=definition_name(func),
        header=textwrap.dedent(decode(data[func_start:colon_end])),
        signature=signature_text(func),
        docstring=_docstring(doc_stmt.named_children[0] if doc_stmt is not None else None),
        context=textwrap.dedent(decode(data[func_start:context_end])),
        params=[
            {"name": p.name, "kind": p.kind.value, "annotation": p.annotation}
            for p in parameters(func)
        ],
        returns=return_annotation(func),
        is_async=is_async(func),
        row=pos.line + 1,
        column=pos.column + 1,
        hole_start=start,
        hole_end=end,
        replace_start=replace_start,
        replace_end=end,
        body_indent=indent,
        inline=inline,
        func_start=func_start,
        func_end=outer.end_byte,
        text_sha=text_hash(data),
        docstring_source=docstring_source,
        module_context=module_outline(doc.tree.root_node, func),
    )
