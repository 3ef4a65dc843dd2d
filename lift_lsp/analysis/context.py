"""What every static analysis gets: one function and the module around it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tree_sitter import Node

from lift_lsp.holes.defs import ModuleIndex
from lift_lsp.syntax.document import SourceDocument
from lift_lsp.syntax.nodes import (
    ancestors,
    body_statements,
    is_docstring,
    qualname,
    strip_string_annotation,
    text,
    walk,
)


@dataclass
class ModuleContext:
    """A parsed module: its text, tree, definitions and imports."""

    doc: SourceDocument
    path: str | None = None
    #: Module-wide facts an analysis computed once and shares between functions.
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def index(self) -> ModuleIndex:
        return ModuleIndex.build(self.doc.tree.root_node)

    @cached_property
    def imports(self) -> dict[str, str]:
        """Local name → what it refers to: ``{"sp": "subprocess", "Path": "pathlib.Path"}``."""
        return module_imports(self.doc.tree.root_node)

    def functions(self) -> list[FunctionUnit]:
        """Every function and method of the module (nested ones too), in source order.

        A name defined again in the same scope (an overload's implementation, a property
        setter, per-platform variants) is told apart as ``name#2``, ``name#3``...
        """
        units = []
        seen: dict[str, int] = {}
        for node in walk(self.doc.tree.root_node):
            if node.type != "function_definition":
                continue
            unit = FunctionUnit(node, self)
            base = qualname(node)
            seen[base] = seen.get(base, 0) + 1
            if seen[base] > 1:
                unit.qualname = f"{base}#{seen[base]}"
            units.append(unit)
        return units


@dataclass
class FunctionUnit:
    """One function to lift into the IR."""

    node: Node
    module: ModuleContext
    _hash: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.qualname: str = qualname(self.node)

    @property
    def source(self) -> str:
        return text(self.node)

    @cached_property
    def content_hash(self) -> str:
        """Changes when the function's own text changes (the cache key of its analyses)."""
        return hashlib.sha256(self.node.text or b"").hexdigest()[:16]

    @cached_property
    def docstring(self) -> str | None:
        stmts = body_statements(self.node)
        if stmts and is_docstring(stmts[0]):
            return _string_value(stmts[0].named_children[0])
        return None

    @property
    def is_method(self) -> bool:
        parent = self.node.parent
        if parent is not None and parent.type == "decorated_definition":
            parent = parent.parent
        owner = parent.parent if parent is not None and parent.type == "block" else None
        return owner is not None and owner.type == "class_definition"

    @property
    def is_nested(self) -> bool:
        return any(a.type == "function_definition" for a in ancestors(self.node))


def _string_value(node: Node) -> str:
    parts = [text(c) for c in walk(node) if c.type == "string_content"]
    return "".join(parts)


def module_imports(root: Node) -> dict[str, str]:
    """Names bound by ``import``/``from … import`` anywhere in the module."""
    names: dict[str, str] = {}
    for node in walk(root):
        if node.type == "import_statement":
            for child in node.named_children:
                if child.type == "dotted_name":
                    dotted = text(child)
                    names[dotted.split(".")[0]] = dotted.split(".")[0]
                elif child.type == "aliased_import":
                    name = child.child_by_field_name("name")
                    alias = child.child_by_field_name("alias")
                    if name is not None and alias is not None:
                        names[text(alias)] = text(name)
        elif node.type == "import_from_statement":
            module = node.child_by_field_name("module_name")
            base = text(module) if module is not None else ""
            for i, child in enumerate(node.children):
                if node.field_name_for_child(i) != "name":
                    continue
                if child.type == "dotted_name":
                    names[text(child)] = f"{base}.{text(child)}"
                elif child.type == "aliased_import":
                    name = child.child_by_field_name("name")
                    alias = child.child_by_field_name("alias")
                    if name is not None and alias is not None:
                        names[text(alias)] = f"{base}.{text(name)}"
    return names


def annotation_text(node: Node | None) -> str | None:
    return strip_string_annotation(text(node)) if node is not None else None
