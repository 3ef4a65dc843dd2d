"""Definitions of a module: functions, classes, parameters and signatures as written."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tree_sitter import Node

from lift_lsp.syntax.nodes import (
    decorators,
    definition_name,
    dotted_tail,
    strip_string_annotation,
    text,
    walk,
)


class ParamKind(StrEnum):
    POSITIONAL_ONLY = "positional_only"
    POSITIONAL_OR_KEYWORD = "positional_or_keyword"
    VAR_POSITIONAL = "var_positional"
    KEYWORD_ONLY = "keyword_only"
    VAR_KEYWORD = "var_keyword"


_POSITIONAL = frozenset({ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD})
_NAMEABLE = frozenset({ParamKind.POSITIONAL_OR_KEYWORD, ParamKind.KEYWORD_ONLY})


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ParamKind
    annotation: str | None
    default: Node | None
    node: Node

    def render(self) -> str:
        prefix = {ParamKind.VAR_POSITIONAL: "*", ParamKind.VAR_KEYWORD: "**"}.get(self.kind, "")
        out = prefix + self.name
        if self.annotation is not None:
            out += f": {self.annotation}"
        if self.default is not None:
            out += (" = " if self.annotation is not None else "=") + text(self.default)
        return out


def _annotation(node: Node | None) -> str | None:
    return strip_string_annotation(text(node)) if node is not None else None


def parameters(func: Node) -> list[Param]:
    """The parameters of a function (or lambda) definition, in source order."""
    params_node = func.child_by_field_name("parameters")
    if params_node is None:
        return []
    raw: list[tuple[str, ParamKind | None, str | None, Node | None, Node]] = []
    slash_at: int | None = None
    star_seen = False
    for child in params_node.named_children:
        kind: ParamKind | None = None
        if child.type == "positional_separator":
            slash_at = len(raw)
            continue
        if child.type == "keyword_separator":
            star_seen = True
            continue
        annotation = _annotation(child.child_by_field_name("type"))
        default = child.child_by_field_name("value")
        target = child
        if child.type == "typed_parameter":
            target = child.named_children[0]
        elif child.type in ("default_parameter", "typed_default_parameter"):
            name_node = child.child_by_field_name("name")
            target = name_node if name_node is not None else child
        if target.type == "list_splat_pattern":
            kind = ParamKind.VAR_POSITIONAL
            star_seen = True
            target = target.named_children[0] if target.named_children else target
        elif target.type == "dictionary_splat_pattern":
            kind = ParamKind.VAR_KEYWORD
            target = target.named_children[0] if target.named_children else target
        elif star_seen:
            kind = ParamKind.KEYWORD_ONLY
        raw.append((text(target), kind, annotation, default, child))
    result = []
    for i, (name, maybe_kind, annotation, default, node) in enumerate(raw):
        kind = maybe_kind
        if kind is None:
            positional_only = slash_at is not None and i < slash_at
            kind = ParamKind.POSITIONAL_ONLY if positional_only else ParamKind.POSITIONAL_OR_KEYWORD
        result.append(Param(name, kind, annotation, default, node))
    return result


def param_for_argument(
    params: list[Param], position: int | None, keyword: str | None
) -> Param | None:
    """The parameter that receives the ``position``-th positional or ``keyword`` argument."""
    if keyword is not None:
        for p in params:
            if p.name == keyword and p.kind in _NAMEABLE:
                return p
        return next((p for p in params if p.kind is ParamKind.VAR_KEYWORD), None)
    if position is None:
        return None
    positional = [p for p in params if p.kind in _POSITIONAL]
    if position < len(positional):
        return positional[position]
    return next((p for p in params if p.kind is ParamKind.VAR_POSITIONAL), None)


def return_annotation(func: Node) -> str | None:
    return _annotation(func.child_by_field_name("return_type"))


def signature_text(func: Node) -> str:
    """``(self, radius: float) -> float``, as the source writes it."""
    params = parameters(func)
    parts: list[str] = []
    for i, p in enumerate(params):
        if p.kind is ParamKind.KEYWORD_ONLY and (i == 0 or params[i - 1].kind in _POSITIONAL):
            parts.append("*")
        parts.append(p.render())
        if p.kind is ParamKind.POSITIONAL_ONLY and (
            i + 1 == len(params) or params[i + 1].kind is not ParamKind.POSITIONAL_ONLY
        ):
            parts.append("/")
    out = f"({', '.join(parts)})"
    ret = return_annotation(func)
    return f"{out} -> {ret}" if ret is not None else out


def def_header(func: Node) -> str:
    prefix = "async def" if is_async(func) else "def"
    return f"{prefix} {definition_name(func)}{signature_text(func)}"


def is_async(func: Node) -> bool:
    return any(child.type == "async" for child in func.children)


def is_generator(func: Node) -> bool:
    """True when ``yield`` occurs in the body itself (not in nested scopes)."""
    body = func.child_by_field_name("body")
    if body is None:
        return False
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type == "yield":
            return True
        if node.type in ("function_definition", "class_definition", "lambda"):
            continue
        stack.extend(node.named_children)
    return False


def decorator_names(definition: Node) -> set[str]:
    return {dotted_tail(d) for d in decorators(definition)}


@dataclass(slots=True)
class ClassInfo:
    node: Node
    name: str
    bases: list[str]
    methods: dict[str, list[Node]] = field(default_factory=dict)

    def method(self, name: str) -> Node | None:
        found = self.methods.get(name)
        return found[0] if found else None


@dataclass(slots=True)
class ModuleIndex:
    """Top-level functions and classes, with methods (all overloads kept, in order)."""

    functions: dict[str, list[Node]] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    #: What scope analysis derives from the index alone (a class's ``self`` attributes),
    #: kept for as long as the index: the same document version.
    memo: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, root: Node) -> ModuleIndex:
        index = cls()
        for node in _top_level_definitions(root):
            if node.type == "function_definition":
                index.functions.setdefault(definition_name(node), []).append(node)
            else:
                info = ClassInfo(node, definition_name(node), _bases(node))
                for member in _top_level_definitions(node.child_by_field_name("body")):
                    if member.type == "function_definition":
                        info.methods.setdefault(definition_name(member), []).append(member)
                index.classes[info.name] = info
        return index

    def function(self, name: str) -> Node | None:
        found = self.functions.get(name)
        return found[0] if found else None

    def find_method(self, class_name: str, method: str, _depth: int = 0) -> Node | None:
        """A method of a class of this module, looking through bases of this module."""
        info = self.classes.get(class_name)
        if info is None or _depth > 20:
            return None
        found = info.method(method)
        if found is not None:
            return found
        for base in info.bases:
            found = self.find_method(base, method, _depth + 1)
            if found is not None:
                return found
        return None


#: Enough for the imports and a few dozen signatures; a model needs no more.
OUTLINE_CHARS = 4000
_IMPORTS = frozenset({"import_statement", "import_from_statement", "future_import_statement"})


def module_outline(root: Node, leave_out: Node | None = None) -> str:
    """The module's imports, then the headers of its functions and classes (with their
    methods'), bodies elided: the names code in the module can use, for a model to read.
    ``leave_out`` is the function being asked about."""
    lines = [" ".join(text(n).split()) for n in root.named_children if n.type in _IMPORTS]
    for node in _top_level_definitions(root):
        if node.type == "function_definition":
            if node != leave_out:
                lines.append(f"{written_header(node)} ...")
            continue
        lines.append(written_header(node))
        for member in _top_level_definitions(node.child_by_field_name("body")):
            if member.type == "function_definition" and member != leave_out:
                lines.append(f"    {written_header(member)} ...")
    return "\n".join(lines)[:OUTLINE_CHARS]


def header_end(definition: Node) -> int:
    """The byte just after the ``:`` that ends a def or class header."""
    body = definition.child_by_field_name("body")
    limit = body.start_byte if body is not None else definition.end_byte
    colons = [c for c in definition.children if c.type == ":" and c.end_byte <= limit]
    return colons[-1].end_byte if colons else limit


def written_header(definition: Node) -> str:
    """``def f(x: int) -> 'T':`` as the source writes it, on one line."""
    data = (definition.text or b"")[: header_end(definition) - definition.start_byte]
    return " ".join(data.decode("utf-8", "replace").split())


def _bases(class_node: Node) -> list[str]:
    supers = class_node.child_by_field_name("superclasses")
    if supers is None:
        return []
    return [dotted_tail(b) for b in supers.named_children if b.type != "keyword_argument"]


def _top_level_definitions(block: Node | None) -> list[Node]:
    """Definitions directly in ``block``, looking into ``if``/``try`` (version checks)."""
    if block is None:
        return []
    found: list[Node] = []
    stack = list(reversed(block.named_children))
    while stack:
        node = stack.pop()
        if node.type == "decorated_definition":
            inner = node.child_by_field_name("definition")
            if inner is not None:
                found.append(inner)
        elif node.type in ("function_definition", "class_definition"):
            found.append(node)
        elif node.type in (
            "if_statement",
            "elif_clause",
            "else_clause",
            "try_statement",
            "except_clause",
            "finally_clause",
            "block",
        ):
            stack.extend(reversed(node.named_children))
    return found


def first_identifiers(node: Node) -> list[str]:
    """Every identifier inside ``node`` (used to spot private typeshed names)."""
    return [text(n) for n in walk(node) if n.type == "identifier"]
