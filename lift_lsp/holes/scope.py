"""What is in scope at a point of a function, and a light guess at expression types.

The guesses are deliberately shallow (annotations, literals, constructors, annotated
calls): a wrong type is worse than none, so anything unclear stays ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import cast

from tree_sitter import Node

from lift_lsp.holes import typeshed
from lift_lsp.holes.defs import (
    ModuleIndex,
    ParamKind,
    decorator_names,
    parameters,
    return_annotation,
    signature_text,
)
from lift_lsp.syntax.nodes import (
    assignment_of,
    definition_name,
    owning_class,
    strip_string_annotation,
    text,
)

_BUILTIN_CONSTRUCTORS = frozenset(
    {"int", "str", "float", "bool", "bytes", "list", "dict", "set", "tuple", "frozenset",
     "bytearray", "complex", "object", "range"}
)  # fmt: skip
_NUMERIC = {"int": 0, "float": 1, "complex": 2}
_LITERALS = {
    "integer": "int",
    "float": "float",
    "true": "bool",
    "false": "bool",
    "none": "None",
    "list_comprehension": "list",
    "dictionary_comprehension": "dict",
    "set_comprehension": "set",
    "comparison_operator": "bool",
    "not_operator": "bool",
    "concatenated_string": "str",
}
_COMPREHENSIONS = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)
_NESTED_SCOPES = frozenset({"function_definition", "class_definition", "lambda"})
MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class Binding:
    """A name visible at a point: ``kind`` is parameter, local or attribute."""

    name: str
    type: str | None
    kind: str
    offset: int


class ScopeView:
    """Bindings visible at ``offset`` inside ``func`` (or at module level when None)."""

    def __init__(
        self, index: ModuleIndex, func: Node | None, offset: int, *, attributes: bool = True
    ) -> None:
        self.index = index
        self.func = func
        self.offset = offset
        self._with_attributes = attributes
        # Bindings found so far while ``locals`` is being computed (values may refer
        # to earlier locals; asking ``locals`` itself then would recurse forever).
        self._building: dict[str, Binding] | None = None
        self._params_pending = False
        self.cls = owning_class(func) if func is not None else None

    # -- bindings ----------------------------------------------------------------------
    @cached_property
    def params(self) -> list[Binding]:
        if self.func is None:
            return []
        result = []
        params = parameters(self.func)
        self._params_pending = True  # a default naming another parameter must not recurse
        for i, p in enumerate(params):
            kind = p.kind
            ptype = p.annotation
            if ptype is not None and kind is ParamKind.VAR_POSITIONAL:
                ptype = f"tuple[{ptype}, ...]"
            elif ptype is not None and kind is ParamKind.VAR_KEYWORD:
                ptype = f"dict[str, {ptype}]"
            elif ptype is None and i == 0 and self.cls is not None:
                ptype = self._implicit_first_param(p.name)
            elif ptype is None and p.default is not None:
                ptype = self._literal(p.default)
            result.append(Binding(p.name, ptype, "parameter", p.node.start_byte))
        self._params_pending = False
        return result

    def _implicit_first_param(self, name: str) -> str | None:
        assert self.cls is not None
        assert self.func is not None
        decos = decorator_names(self.func)
        cls_name = definition_name(self.cls)
        if "staticmethod" in decos:
            return None
        if "classmethod" in decos or name == "cls":
            return f"type[{cls_name}]"
        return cls_name

    @cached_property
    def locals(self) -> list[Binding]:
        if self.func is None:
            return []
        body = self.func.child_by_field_name("body")
        found: dict[str, Binding] = {}
        if body is None:
            return []
        self._building = found
        try:
            for name, type_node_or_text, at in self._bindings_in(body):
                ptype = (
                    type_node_or_text
                    if isinstance(type_node_or_text, str) or type_node_or_text is None
                    else self.infer(type_node_or_text)
                )
                found.pop(name, None)  # re-insert: dict order is binding order
                found[name] = Binding(name, ptype, "local", at)
        finally:
            self._building = None
        return list(found.values())

    def _bindings_in(self, body: Node) -> list[tuple[str, str | Node | None, int]]:
        """(name, type text or value node, offset) bound before ``self.offset``, in order."""
        out: list[tuple[str, str | Node | None, int]] = []
        stack = list(reversed(body.named_children))
        while stack:
            node = stack.pop()
            if node.start_byte >= self.offset:
                continue
            t = node.type
            if t == "assignment":
                if node.end_byte <= self.offset:
                    out.extend(self._assignment_targets(node))
                right = node.child_by_field_name("right")
                if right is not None and right.type == "assignment":
                    stack.append(right)
                continue
            if t in ("function_definition", "class_definition"):
                name = definition_name(node)
                kind = signature_text(node) if t == "function_definition" else f"type[{name}]"
                out.append((name, kind, node.start_byte))
                continue
            if t == "lambda":
                continue
            if t in _COMPREHENSIONS and node.start_byte < self.offset < node.end_byte:
                # `[<hole> for i in items]`: the element sees the loop's names although
                # they are written after it.
                for clause in node.named_children:
                    left = (
                        clause.child_by_field_name("left")
                        if clause.type == "for_in_clause"
                        else None
                    )
                    if left is not None:
                        right = clause.child_by_field_name("right")
                        elem = self._element_type(right)
                        names = _target_names(left)
                        for name in names:
                            out.append((name, elem if len(names) == 1 else None, left.start_byte))
            if t in {"for_statement", "for_in_clause"}:
                left = node.child_by_field_name("left")
                if left is not None and left.end_byte <= self.offset:
                    right = node.child_by_field_name("right")
                    elem = self._element_type(right)
                    names = _target_names(left)
                    for name in names:
                        out.append((name, elem if len(names) == 1 else None, left.start_byte))
            elif t == "as_pattern":
                alias = node.child_by_field_name("alias")
                if alias is not None and alias.end_byte <= self.offset:
                    value = node.named_children[0] if node.named_children else None
                    is_except = node.parent is not None and node.parent.type == "except_clause"
                    names = _target_names(alias)
                    for name in names:
                        etype = _exception_type(value) if is_except and value else None
                        out.append((name, etype, alias.start_byte))
            elif t == "named_expression":
                name_node = node.child_by_field_name("name")
                if name_node is not None and node.end_byte <= self.offset:
                    out.append(
                        (text(name_node), node.child_by_field_name("value"), node.start_byte)
                    )
            stack.extend(reversed(node.named_children))
        return out

    def _assignment_targets(self, node: Node) -> list[tuple[str, str | Node | None, int]]:
        left = node.child_by_field_name("left")
        if left is None:
            return []
        annotation = node.child_by_field_name("type")
        right = node.child_by_field_name("right")
        while right is not None and right.type == "assignment":
            right = right.child_by_field_name("right")
        if left.type == "identifier":
            if annotation is not None:
                return [(text(left), strip_string_annotation(text(annotation)), node.start_byte)]
            return [(text(left), right, node.start_byte)]
        return [(name, None, node.start_byte) for name in _target_names(left)]

    @cached_property
    def attributes(self) -> list[Binding]:
        """``self.x`` attributes of the enclosing class, with their types when clear.

        They depend on the class only, not on where in it the question is asked: worked
        out once per class and document version (completion and hover both ask)."""
        if self.cls is None or not self._with_attributes:
            return []
        key = ("self-attributes", self.cls.start_byte, self.cls.end_byte)
        cached = self.index.memo.get(key)
        if cached is None:
            cached = self.index.memo[key] = self._class_attributes(self.cls)
        return list(cast("list[Binding]", cached))

    def _class_attributes(self, cls: Node) -> list[Binding]:
        info = self.index.classes.get(definition_name(cls))
        found: dict[str, Binding] = {}
        body = cls.child_by_field_name("body")
        if body is not None:
            for stmt in body.named_children:
                assign = assignment_of(stmt)
                if assign is None:
                    continue
                left = assign.child_by_field_name("left")
                ann = assign.child_by_field_name("type")
                if left is not None and left.type == "identifier" and ann is not None:
                    name = f"self.{text(left)}"
                    ann_text = strip_string_annotation(text(ann))
                    found[name] = Binding(name, ann_text, "attribute", assign.start_byte)
        methods = [m for ms in info.methods.values() for m in ms] if info is not None else []
        for method in methods:
            params = parameters(method)
            if not params:
                continue
            me = params[0].name
            scope = ScopeView(self.index, method, method.end_byte, attributes=False)
            for assign in _self_assignments(method, me):
                left = assign.child_by_field_name("left")
                attr = left.child_by_field_name("attribute") if left is not None else None
                if attr is None:
                    continue
                name = f"self.{text(attr)}"
                ann = assign.child_by_field_name("type")
                right = assign.child_by_field_name("right")
                if ann is not None:
                    atype: str | None = strip_string_annotation(text(ann))
                elif right is not None:
                    atype = scope.infer(right)
                else:
                    atype = None
                previous = found.get(name)
                if previous is None or (previous.type is None and atype is not None):
                    found[name] = Binding(name, atype, "attribute", assign.start_byte)
        return list(found.values())

    def visible(self) -> list[Binding]:
        """Parameters, locals and ``self`` attributes, nearest first, shadowed ones dropped."""
        by_name: dict[str, Binding] = {}
        for b in [*self.params, *self.locals]:
            by_name[b.name] = b  # a later local shadows a parameter
        everything = [*by_name.values(), *self.attributes]
        return sorted(everything, key=lambda b: abs(self.offset - b.offset))

    def lookup(self, name: str) -> Binding | None:
        if self._params_pending:
            return None
        local_bindings = (
            list(self._building.values()) if self._building is not None else self.locals
        )
        for b in reversed([*self.params, *local_bindings]):
            if b.name == name:
                return b
        return None

    # -- expression types ----------------------------------------------------------------
    def infer(self, node: Node, depth: int = 0) -> str | None:
        if depth > MAX_DEPTH:
            return None
        t = node.type
        if t in _LITERALS:
            return _LITERALS[t]
        if t == "string":
            start = node.child(0)
            prefix = text(start).lower() if start is not None else ""
            return "bytes" if "b" in prefix else "str"
        if t in ("list", "set", "tuple", "dictionary"):
            return self._container(node, depth)
        if t == "parenthesized_expression" and node.named_children:
            return self.infer(node.named_children[0], depth + 1)
        if t == "unary_operator":
            arg = node.child_by_field_name("argument")
            return self.infer(arg, depth + 1) if arg is not None else None
        if t == "binary_operator":
            return self._binary(node, depth)
        if t == "conditional_expression" and len(node.named_children) >= 3:
            a = self.infer(node.named_children[0], depth + 1)
            b = self.infer(node.named_children[2], depth + 1)
            return a if a == b else None
        if t == "identifier":
            name = text(node)
            binding = self.lookup(name)
            if binding is not None:
                return binding.type
            if name in self.index.classes:
                return f"type[{name}]"
            return None
        if t == "attribute":
            obj = node.child_by_field_name("object")
            if obj is not None and obj.type == "identifier" and self._is_self(text(obj)):
                attr = node.child_by_field_name("attribute")
                wanted = f"self.{text(attr) if attr is not None else ''}"
                return next((b.type for b in self.attributes if b.name == wanted), None)
            return None
        if t == "call":
            return self._call(node)
        return None

    def _is_self(self, name: str) -> bool:
        if self._params_pending:
            return False
        return bool(self.params) and self.cls is not None and self.params[0].name == name

    def _literal(self, node: Node) -> str | None:
        return self.infer(node, MAX_DEPTH - 1)

    def _container(self, node: Node, depth: int) -> str | None:
        kind = {"list": "list", "set": "set", "tuple": "tuple", "dictionary": "dict"}[node.type]
        items = node.named_children
        if not items or any(i.type in ("list_splat", "dictionary_splat") for i in items):
            return kind
        if kind == "dict":
            keys = {self.infer(p.named_children[0], depth + 1) for p in items if p.type == "pair"}
            vals = {self.infer(p.named_children[-1], depth + 1) for p in items if p.type == "pair"}
            if len(keys) == 1 and len(vals) == 1 and None not in keys and None not in vals:
                return f"dict[{keys.pop()}, {vals.pop()}]"
            return kind
        types = [self.infer(i, depth + 1) for i in items]
        if kind == "tuple":
            if all(types) and len(types) <= 4:
                return f"tuple[{', '.join(t for t in types if t)}]"
            return kind
        distinct = set(types)
        if len(distinct) == 1 and None not in distinct:
            return f"{kind}[{distinct.pop()}]"
        return kind

    def _binary(self, node: Node, depth: int) -> str | None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        op = node.child_by_field_name("operator")
        if left is None or right is None or op is None:
            return None
        lt = self.infer(left, depth + 1)
        rt = self.infer(right, depth + 1)
        return binary_result(text(op), lt, rt)

    def _call(self, node: Node) -> str | None:
        fn = node.child_by_field_name("function")
        if fn is None:
            return None
        if fn.type == "identifier":
            name = text(fn)
            if self.lookup(name) is not None:
                return None  # shadowed: we do not know what the local holds
            if name in self.index.classes:
                return name
            func = self.index.function(name)
            if func is not None:
                return return_annotation(func)
            if name in _BUILTIN_CONSTRUCTORS:
                return name
            return typeshed.builtin_return_type(name)
        if fn.type == "attribute":
            obj = fn.child_by_field_name("object")
            attr = fn.child_by_field_name("attribute")
            bound = obj is not None and obj.type == "identifier" and self._is_self(text(obj))
            if bound and attr is not None and self.cls is not None:
                method = self.index.find_method(definition_name(self.cls), text(attr))
                return return_annotation(method) if method is not None else None
        return None

    def _element_type(self, iterable: Node | None) -> str | None:
        if iterable is None:
            return None
        if iterable.type == "call":
            fn = iterable.child_by_field_name("function")
            if fn is not None and text(fn) == "range" and self.lookup("range") is None:
                return "int"
        itype = self.infer(iterable)
        if itype is None:
            return None
        return element_type(itype)


def binary_result(op: str, lt: str | None, rt: str | None) -> str | None:
    """The type of ``lt <op> rt`` for numbers, strings and sequences; None if unsure."""
    if lt is None or rt is None:
        return None
    if lt in _NUMERIC and rt in _NUMERIC:
        if op == "/":
            return "complex" if "complex" in (lt, rt) else "float"
        if op in ("+", "-", "*", "//", "%", "**"):
            return lt if _NUMERIC[lt] >= _NUMERIC[rt] else rt
        if op in ("&", "|", "^", "<<", ">>") and lt == rt == "int":
            return "int"
        return None
    if op == "%" and lt == "str":
        return "str"
    if op == "+" and lt == rt:
        return lt
    if op == "*" and {lt, rt} & {"int"} and ({lt, rt} - {"int"}) <= {"str", "bytes", "list"}:
        return (({lt, rt} - {"int"}) or {"int"}).pop()
    return None


def element_type(container: str) -> str | None:
    """``list[int]`` → ``int``; ``str`` → ``str``; ``dict[K, V]`` → ``K``."""
    if container in ("str", "bytes"):
        return "str" if container == "str" else "int"
    head, sep, rest = container.partition("[")
    if not sep or not rest.endswith("]"):
        return None
    args = split_type_args(rest[:-1])
    if head in ("list", "set", "frozenset", "Sequence", "Iterable", "Iterator", "List", "Set"):
        return args[0] if args else None
    if head in ("dict", "Dict", "Mapping") and args:
        return args[0]
    if head in ("tuple", "Tuple") and len(args) == 2 and args[1] == "...":
        return args[0]
    return None


def split_top(text: str, separator: str) -> list[str]:
    """Split a type expression at ``separator`` outside brackets, parts stripped."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if current:
        parts.append("".join(current).strip())
    return parts


def split_type_args(inner: str) -> list[str]:
    """Split ``int, dict[str, int]`` at top-level commas."""
    return split_top(inner, ",")


def _target_names(node: Node) -> list[str]:
    """Names an assignment target binds (``self.x`` and ``d[k]`` bind none)."""
    if node.type == "identifier":
        return [text(node)]
    if node.type in ("attribute", "subscript"):
        return []
    names: list[str] = []
    for child in node.named_children:
        if child.type in ("attribute", "subscript"):
            continue
        names.extend(_target_names(child))
    return names


def _exception_type(value: Node) -> str | None:
    if value.type in ("identifier", "attribute"):
        return text(value)
    if value.type in ("tuple", "parenthesized_expression"):
        parts = [text(c) for c in value.named_children if c.type in ("identifier", "attribute")]
        return " | ".join(parts) if parts else None
    return None


def _self_assignments(method: Node, me: str) -> list[Node]:
    """``me.x = …`` assignments in a method's own body (not in nested functions)."""
    body = method.child_by_field_name("body")
    found: list[Node] = []
    if body is None:
        return found
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type in _NESTED_SCOPES:
            continue
        if node.type == "assignment":
            left = node.child_by_field_name("left")
            obj = left.child_by_field_name("object") if left is not None else None
            is_attr = left is not None and left.type == "attribute"
            if is_attr and obj is not None and obj.type == "identifier" and text(obj) == me:
                found.append(node)
        stack.extend(node.named_children)
    found.sort(key=lambda n: n.start_byte)
    return found
