"""Remove parameter and return annotations from Python source, keeping them as ground truth.

    result = strip_source(source_bytes)
    result.text                      # the same module without parameter/return annotations
    result.ground_truth("pkg/m.py")  # {(path, qualname, param or "return"): annotation}

Every function and method is stripped, nested ones, ``@overload`` stubs and functions
under ``if TYPE_CHECKING:`` included, so that no annotation is left for a tool to read;
only the last two are left out of the ground truth (the implementation of an overloaded
function counts, its stubs do not). Variable and class-attribute annotations, defaults
and docstrings stay. A qualname is ``Class.method`` or ``outer.inner``; a name defined
twice in one scope (a property's getter and setter, per-platform variants) gets ``#2``,
``#3`` … on its later definitions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import tree_sitter_python
from tree_sitter import Language, Node, Parser

_OVERLOAD = {"overload", "typing.overload", "t.overload", "typing_extensions.overload"}
_TYPE_CHECKING = {"TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING"}


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_python.language()))


@dataclass(frozen=True)
class Param:
    name: str  # without the stars of ``*args`` / ``**kw``
    kind: str  # "plain", "var_positional", "var_keyword"
    annotation: str | None


@dataclass
class Function:
    qualname: str  # with "#2" … for a repeated definition (see the module docstring)
    name: str
    params: list[Param]
    returns: str | None
    decorators: list[str]
    skip: str | None  # "overload", "type_checking" or None
    is_method: bool = False  # defined directly in a class body
    is_async: bool = False
    # 1-based rows in the *stripped* text: first decorator (or the def) and the `def`.
    first_row: int = 0
    def_row: int = 0
    end_row: int = 0
    # Byte offset in the stripped text just after the definition (decorators included).
    end_byte: int = 0
    indent: str = ""


@dataclass
class StripResult:
    text: str
    functions: list[Function] = field(default_factory=list)
    original_parses: bool = True

    def ground_truth(self, path: str) -> dict[tuple[str, str, str], str]:
        """``(path, qualname, param) -> annotation`` and ``(path, qualname, "return") -> ...``."""
        truth: dict[tuple[str, str, str], str] = {}
        for fn in self.functions:
            if fn.skip:
                continue
            for p in fn.params:
                if p.annotation is not None:
                    truth[(path, fn.qualname, p.name)] = p.annotation
            if fn.returns is not None:
                truth[(path, fn.qualname, "return")] = fn.returns
        return truth


def _text(node: Node) -> str:
    return node.text.decode("utf-8") if node.text is not None else ""


def _decorators(fn: Node) -> list[str]:
    parent = fn.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    return [
        _text(c.named_children[0])
        for c in parent.named_children
        if c.type == "decorator" and c.named_children
    ]


def _under_type_checking(node: Node) -> bool:
    child, parent = node, node.parent
    while parent is not None:
        if parent.type == "if_statement":
            cond = parent.child_by_field_name("condition")
            body = parent.child_by_field_name("consequence")
            if (
                cond is not None
                and _text(cond) in _TYPE_CHECKING
                and body is not None
                and body.start_byte <= child.start_byte < body.end_byte
            ):
                return True
        child, parent = parent, parent.parent
    return False


def _qualname(fn: Node) -> str:
    parts = []
    node: Node | None = fn
    while node is not None:
        if node.type in ("function_definition", "class_definition"):
            name = node.child_by_field_name("name")
            parts.append(_text(name) if name is not None else "<anonymous>")
        node = node.parent
    return ".".join(reversed(parts))


def _params(parameters: Node, edits: list[tuple[int, int, bytes]]) -> list[Param]:
    params = []
    for child in parameters.named_children:
        kind, annotation, target = "plain", None, child
        if child.type == "typed_parameter":
            target = child.named_children[0]
            type_node = child.child_by_field_name("type")
            annotation = _text(type_node) if type_node is not None else None
            edits.append((child.start_byte, child.end_byte, target.text or b""))
        elif child.type == "typed_default_parameter":
            target = child.child_by_field_name("name") or child.named_children[0]
            type_node = child.child_by_field_name("type")
            value = child.child_by_field_name("value")
            annotation = _text(type_node) if type_node is not None else None
            if value is not None:
                edits.append((target.end_byte, value.start_byte, b"="))
        elif child.type == "default_parameter":
            target = child.child_by_field_name("name") or child.named_children[0]
        elif child.type not in ("identifier", "list_splat_pattern", "dictionary_splat_pattern"):
            continue  # `/`, `*`, comments
        if target.type == "list_splat_pattern":
            kind = "var_positional"
        elif target.type == "dictionary_splat_pattern":
            kind = "var_keyword"
        name = _text(target).lstrip("*").strip()
        params.append(Param(name, kind, annotation))
    return params


def _function_nodes(root: Node) -> list[Node]:
    """Every ``function_definition`` in source order (preorder)."""
    found: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            found.append(node)
        stack.extend(reversed(node.children))
    return found


def strip_source(source: bytes | str) -> StripResult:
    """The source without parameter/return annotations, and what was removed, per function."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    tree = _parser().parse(data)
    edits: list[tuple[int, int, bytes]] = []
    functions: list[Function] = []
    seen: Counter[str] = Counter()
    for node in _function_nodes(tree.root_node):
        parameters = node.child_by_field_name("parameters")
        params = _params(parameters, edits) if parameters is not None else []
        ret = node.child_by_field_name("return_type")
        returns = None
        if ret is not None and parameters is not None:
            returns = _text(ret)
            edits.append((parameters.end_byte, ret.end_byte, b""))
        decorators = _decorators(node)
        skip = None
        if any(d in _OVERLOAD or d.endswith(".overload") for d in decorators):
            skip = "overload"
        elif _under_type_checking(node):
            skip = "type_checking"
        qualname = _qualname(node)
        if skip is None:
            seen[qualname] += 1
            if seen[qualname] > 1:
                qualname = f"{qualname}#{seen[qualname]}"
        name_node = node.child_by_field_name("name")
        name = _text(name_node) if name_node is not None else "<anonymous>"
        outer = node.parent if node.parent and node.parent.type == "decorated_definition" else node
        block = outer.parent
        is_method = (
            block is not None
            and block.parent is not None
            and block.parent.type == "class_definition"
        )
        is_async = any(c.type == "async" for c in node.children)
        functions.append(
            Function(qualname, name, params, returns, decorators, skip, is_method, is_async)
        )

    out = bytearray(data)
    last_start = len(data) + 1
    for start, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        if end > last_start:
            raise ValueError(f"overlapping edits at byte {start}")
        out[start:end] = replacement
        last_start = start
    stripped = bytes(out)

    # Positions in the stripped text: its functions come in the same order.
    new_nodes = _function_nodes(_parser().parse(stripped).root_node)
    if len(new_nodes) != len(functions):
        raise ValueError("stripping changed the number of functions")
    for fn, node in zip(functions, new_nodes, strict=True):
        outer = node.parent if node.parent and node.parent.type == "decorated_definition" else node
        fn.first_row = outer.start_point.row + 1
        fn.def_row = node.start_point.row + 1
        fn.end_row = outer.end_point.row + 1
        fn.end_byte = outer.end_byte
        line_start = stripped.rfind(b"\n", 0, outer.start_byte) + 1
        fn.indent = stripped[line_start : outer.start_byte].decode("utf-8", "replace")
    return StripResult(stripped.decode("utf-8"), functions, not tree.root_node.has_error)
