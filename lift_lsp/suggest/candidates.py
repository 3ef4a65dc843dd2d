"""What could fill a hole: everything in scope, and a few things built from it.

Parameters, locals bound before the hole, ``self`` attributes, attribute chains of
those (``self.client.timeout``), module globals and imported names, calls of the
module's functions and methods whose return type fits — with nested holes for their
required arguments (GHC's "refinement fits") — and default literals of the expected
type. Each candidate carries the facts the ranker weighs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from tree_sitter import Node

from lift_lsp.holes.defs import (
    ModuleIndex,
    ParamKind,
    decorator_names,
    parameters,
    return_annotation,
)
from lift_lsp.holes.model import Hole, HoleKind
from lift_lsp.holes.scope import Binding, ScopeView
from lift_lsp.suggest.typecompat import fits, split_union
from lift_lsp.syntax.nodes import (
    assignment_of,
    definition_name,
    enclosing_function,
    field_of,
    owning_class,
    strip_string_annotation,
    text,
)

_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
#: The literal a hole of a given type can start from.
DEFAULT_LITERALS = {
    "int": "0", "float": "0.0", "str": '""', "bytes": 'b""', "bool": "False",
    "list": "[]", "dict": "{}", "set": "set()", "tuple": "()", "None": "None",
}  # fmt: skip
MAX_CALLS = 12


@dataclass
class Candidate:
    text: str
    type: str | None
    kind: str  # parameter, local, attribute, global, imported, call, literal
    rationale: str
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class HoleContext:
    """What the ranker needs to know about the hole itself."""

    hole: Hole
    node: Node
    expected: str | None
    #: The name the value will be known by: an assignment target, a parameter, the
    #: function (for ``return``), the hole's own name.
    target: str | None
    func: Node | None
    body_text: str
    #: For a body hole: fills are ``return <value>`` of the function's return type.
    returns_into_body: bool = False
    #: The full target of an assignment (``self.radius``): never its own fill.
    assigned: str | None = None


def words(name: str) -> set[str]:
    return {w.lower() for w in _WORDS.findall(name)}


def name_similarity(candidate: str, target: str | None) -> float:
    """1 for the same name, else the overlap of their words (``user_id`` ~ ``uid`` is 0)."""
    if not target:
        return 0.0
    last = candidate.rsplit(".", 1)[-1].rstrip("()")
    if last.lower() == target.lower():
        return 1.0
    a, b = words(last), words(target)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def hole_context(root: Node, hole: Hole, index: ModuleIndex, doc_text: bytes) -> HoleContext:
    node = root.descendant_for_byte_range(hole.start, hole.end) or root
    while (
        node.parent is not None
        and (node.start_byte, node.end_byte) == (node.parent.start_byte, node.parent.end_byte)
        and node.parent.type != "expression_statement"
    ):
        node = node.parent
    func = enclosing_function(node)
    expected = hole.expected_type
    returns_into_body = False
    if hole.is_body and func is not None:
        expected = return_annotation(func)
        returns_into_body = True
    target = _target_name(node, hole)
    body = func.child_by_field_name("body") if func is not None else None
    body_text = text(body) if body is not None else ""
    parent = node.parent
    assigned = None
    if parent is not None and parent.type == "assignment" and field_of(node) == "right":
        left = parent.child_by_field_name("left")
        assigned = text(left) if left is not None else None
    return HoleContext(hole, node, expected, target, func, body_text, returns_into_body, assigned)


def _target_name(node: Node, hole: Hole) -> str | None:
    if hole.kind is HoleKind.NAMED:
        return hole.name
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "assignment" and field_of(node) == "right":
        left = parent.child_by_field_name("left")
        return text(left).rsplit(".", 1)[-1] if left is not None else None
    if parent.type == "keyword_argument":
        key = parent.child_by_field_name("name")
        return text(key) if key is not None else None
    if parent.type == "return_statement" or hole.is_body:
        func = enclosing_function(node)
        return definition_name(func) if func is not None else None
    if parent.type == "argument_list":
        call = parent.parent
        fn = call.child_by_field_name("function") if call is not None else None
        return text(fn).rsplit(".", 1)[-1] if fn is not None else None
    return None


class CandidateFinder:
    def __init__(self, index: ModuleIndex, root: Node, ctx: HoleContext) -> None:
        self.index = index
        self.root = root
        self.ctx = ctx
        self.scope = ScopeView(index, ctx.func, ctx.hole.start)
        self.cls = owning_class(ctx.func) if ctx.func is not None else None

    def is_subclass(self, child: str, parent: str, depth: int = 0) -> bool:
        info = self.index.classes.get(child)
        if info is None or depth > 10:
            return False
        return parent in info.bases or any(
            self.is_subclass(b, parent, depth + 1) for b in info.bases
        )

    def fit(self, type_text: str | None) -> float | None:
        return fits(type_text, self.ctx.expected, self.is_subclass)

    # -- gathering -------------------------------------------------------------------------
    def all(self) -> list[Candidate]:
        found: list[Candidate] = []
        visible = self.scope.visible()
        found += self._bindings(visible)
        found += self._chains(visible)
        found += self._globals()
        found += self._calls()
        found += self._literals()
        unique: dict[str, Candidate] = {}
        for c in found:
            unique.setdefault(c.text, c)
        return list(unique.values())

    def _bindings(self, visible: list[Binding]) -> list[Candidate]:
        out = []
        for rank, b in enumerate(visible):
            kind = "attribute" if b.kind == "attribute" else b.kind
            if b.type is not None and b.type.startswith("(") and "->" in b.type:
                continue  # a nested function: offered as a call, not as a value
            out.append(
                Candidate(
                    b.name,
                    b.type,
                    kind,
                    f"{b.kind} in scope" + (f", type {b.type}" if b.type else ""),
                    {"recency": 1 / (1 + rank), "proximity": self._proximity(b.offset)},
                )
            )
        return out

    def _proximity(self, offset: int) -> float:
        lines = self.ctx_text_lines(offset)
        return 1 / (1 + lines / 5)

    def ctx_text_lines(self, offset: int) -> int:
        lo, hi = sorted((offset, self.ctx.hole.start))
        data = self.root.text or b""
        return data.count(b"\n", lo, hi)

    def _attributes_of(self, class_name: str) -> list[tuple[str, str | None]]:
        info = self.index.classes.get(class_name)
        if info is None:
            return []
        found: dict[str, str | None] = {}
        # Class-level annotations and self.x assignments in any method.
        view = ScopeView(
            self.index, next(iter(info.methods.values()), [None])[0], info.node.end_byte
        )
        for b in view.attributes:
            found[b.name.removeprefix("self.")] = b.type
        for name, methods in info.methods.items():
            method = methods[0]
            if "property" in decorator_names(method) or "cached_property" in decorator_names(
                method
            ):
                found.setdefault(name, return_annotation(method))
        return list(found.items())

    def _chains(self, visible: list[Binding]) -> list[Candidate]:
        out = []
        for b in visible:
            base_type = (b.type or "").split("[")[0]
            if base_type not in self.index.classes:
                continue
            for attr, atype in self._attributes_of(base_type):
                chain = f"{b.name}.{attr}"
                out.append(
                    Candidate(
                        chain,
                        atype,
                        "attribute",
                        f"attribute of {b.name} ({base_type})"
                        + (f", type {atype}" if atype else ""),
                        {"depth": chain.count("."), "proximity": self._proximity(b.offset) * 0.8},
                    )
                )
        return out

    def _globals(self) -> list[Candidate]:
        out = []
        for stmt in self.root.named_children:
            if stmt.start_byte >= self.ctx.hole.start:
                break
            assign = assignment_of(stmt)
            if assign is None:
                continue
            left = assign.child_by_field_name("left")
            if left is None or left.type != "identifier":
                continue
            ann = assign.child_by_field_name("type")
            right = assign.child_by_field_name("right")
            gtype = (
                strip_string_annotation(text(ann))
                if ann is not None
                else (self.scope.infer(right) if right is not None else None)
            )
            name = text(left)
            out.append(
                Candidate(
                    name, gtype, "global", "module global" + (f", type {gtype}" if gtype else "")
                )
            )
        return out

    def _calls(self) -> list[Candidate]:
        """Functions and methods whose return type fits, arguments left as holes."""
        if self.ctx.expected is None:
            return []
        out = []
        funcs: list[tuple[str, Node, bool]] = [
            (name, fs[0], False) for name, fs in self.index.functions.items()
        ]
        funcs += [(name, info.node, True) for name, info in self.index.classes.items()]
        if self.cls is not None and self.scope.params:
            me = self.scope.params[0].name
            info = self.index.classes.get(definition_name(self.cls))
            if info is not None:
                funcs += [
                    (f"{me}.{name}", ms[0], False)
                    for name, ms in info.methods.items()
                    if not name.startswith("__")
                    and not decorator_names(ms[0]) & {"property", "cached_property", "staticmethod"}
                ]
        current = definition_name(self.ctx.func) if self.ctx.func is not None else None
        at_module_level = self.ctx.func is None and self.cls is None
        for name, node, is_class in funcs:
            if name.rsplit(".", 1)[-1] == current and not is_class:
                continue  # calling itself is rarely the fill
            if at_module_level and node.start_byte > self.ctx.hole.start:
                continue  # defined below: not there yet when the module runs
            rtype = name if is_class else return_annotation(node)
            score = self.fit(rtype)
            if not score:
                continue
            args = self._required_args(node, is_class, bound="." in name)
            call = f"{name}({', '.join(args)})"
            out.append(
                Candidate(
                    call,
                    rtype,
                    "call",
                    f"calls {name}, returns {rtype}",
                    {"nested_holes": float(len(args))},
                )
            )
        out.sort(key=lambda c: -(self.fit(c.type) or 0))
        return out[:MAX_CALLS]

    def _required_args(self, node: Node, is_class: bool, bound: bool) -> list[str]:
        if is_class:
            info = self.index.classes.get(definition_name(node))
            init = info.method("__init__") if info is not None else None
            params = parameters(init)[1:] if init is not None else []
        else:
            params = parameters(node)[1:] if bound else parameters(node)
        required = [
            p
            for p in params
            if p.default is None and p.kind not in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD)
        ]
        return [f"{p.name}=..." if p.kind is ParamKind.KEYWORD_ONLY else "..." for p in required]

    def _literals(self) -> list[Candidate]:
        expected = self.ctx.expected
        if expected is None:
            return []
        out = []
        for member in split_union(expected):
            head = member.split("[", 1)[0].strip()
            literal = DEFAULT_LITERALS.get(head)
            if literal is not None:
                out.append(Candidate(literal, head, "literal", f"a default {head}"))
            if head == "bool":
                out.append(Candidate("True", "bool", "literal", "a default bool"))
        return out


def frequency(candidate: str, body_text: str) -> float:
    """How often the candidate's text occurs in the function (log-scaled)."""
    if not body_text:
        return 0.0
    return math.log1p(body_text.count(candidate.split("(", maxsplit=1)[0]))
