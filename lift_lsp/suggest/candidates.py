"""What could fill a hole: everything in scope, and a few things built from it.

Parameters, locals bound before the hole, ``self`` attributes, attribute chains of
those (``self.client.timeout``, two levels deep), module globals and imported names,
calls of the module's functions, classes and methods — with their arguments taken from
what is in scope by name and type (``connect(host, port=port)``), or left as nested
holes (GHC's "refinement fits") — default literals of the expected type, expressions
the module already writes nearby (``suggest/nearby.py``), and the same pattern as the
hole's neighbours (``color=args.color`` after ``verbose=args.verbose``). Each candidate
carries the facts the ranker weighs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from tree_sitter import Node

from lift_lsp.holes import typeshed
from lift_lsp.holes.defs import (
    ModuleIndex,
    Param,
    ParamKind,
    decorator_names,
    param_for_argument,
    parameters,
    return_annotation,
)
from lift_lsp.holes.model import Hole, HoleKind
from lift_lsp.holes.scope import Binding, ScopeView
from lift_lsp.suggest.analogy import analogies, names_exist, swap_words, word_map
from lift_lsp.suggest.nearby import (
    Nearby,
    free_names,
    imported_names,
    module_level_names,
    visible_names,
)
from lift_lsp.suggest.renamed import features as rename_features
from lift_lsp.suggest.renamed import renamed
from lift_lsp.suggest.typecompat import conflicts, fits, split_union
from lift_lsp.syntax.nodes import (
    assignment_of,
    definition_name,
    enclosing_function,
    field_of,
    owning_class,
    strip_string_annotation,
    text,
)

_IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
#: The literal a hole of a given type can start from.
DEFAULT_LITERALS = {
    "int": "0", "float": "0.0", "str": '""', "bytes": 'b""', "bool": "False",
    "list": "[]", "dict": "{}", "set": "set()", "tuple": "()", "None": "None",
}  # fmt: skip
#: Calls offered at most (the best by type fit, then by name).
MAX_CALLS = 16
#: Expressions written elsewhere offered at most.
MAX_WRITTEN = 60
#: Attribute chains are followed this deep (``self.client.timeout`` is 2 from ``self``).
MAX_DEPTH = 2
#: Neighbouring statements or arguments looked at for the hole's pattern.
NEIGHBOURS = 3
_SHAPES = {
    "identifier": "global", "attribute": "attribute", "call": "call", "string": "literal",
    "integer": "literal", "float": "literal", "true": "literal", "false": "literal",
    "none": "literal", "concatenated_string": "literal", "unary_operator": "literal",
}  # fmt: skip
_PROPERTIES = frozenset({"property", "cached_property"})


def shape_kind(node_type: str) -> str:
    """The candidate kind of an expression written in the code, by its syntax."""
    return _SHAPES.get(node_type, "expression")


@dataclass
class Candidate:
    text: str
    type: str | None
    kind: str  # parameter, local, attribute, global, imported, call, literal, expression
    rationale: str
    features: dict[str, float] = field(default_factory=dict)
    #: Where a parameter or local is bound (its reads before the hole are counted).
    offset: int | None = None


@dataclass
class HoleContext:
    """What the ranker needs to know about the hole itself."""

    hole: Hole
    node: Node
    expected: str | None
    #: The name the value will be known by: an assignment target (or the key of a
    #: subscript target), a keyword, the parameter of the called function, the function
    #: (for ``return``), the hole's own name.
    target: str | None
    func: Node | None
    body_text: str
    #: For a body hole: fills are ``return <value>`` of the function's return type.
    returns_into_body: bool = False
    #: The full target of an assignment (``self.radius``): never its own fill.
    assigned: str | None = None
    #: For an argument: the last name of the function called (``join`` of ``os.path.join``).
    callee: str | None = None
    #: Where the hole stands (``slot_kind``).
    slot: str = "other"
    #: For an argument: the name the call's value is known by (``month`` for
    #: ``month=parts.get(...)``).
    outer: str | None = None
    #: The text of the hole's statement and the names it uses (the hole left out).
    statement: str = ""
    statement_names: frozenset[str] = frozenset()
    #: For an argument: the call's text before and after the hole, and the texts of
    #: its other arguments but literals (a fill that repeats either is rarely meant;
    #: constants do repeat, ``Entry(path, None, None)``).
    call_around: tuple[str, str] | None = None
    sibling_args: frozenset[str] = frozenset()


@lru_cache(maxsize=4096)
def words(name: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORDS.findall(name))


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
    target = _target_name(node, hole, index)
    body = func.child_by_field_name("body") if func is not None else None
    body_text = text(body) if body is not None else ""
    parent = node.parent
    assigned = None
    if parent is not None and parent.type == "assignment" and field_of(node) == "right":
        left = parent.child_by_field_name("left")
        assigned = text(left) if left is not None else None
    callee = outer = call_around = None
    siblings: frozenset[str] = frozenset()
    data = doc_text
    call = _call_of_argument(node)
    if call is not None:
        fn = call.child_by_field_name("function")
        callee = text(fn).rsplit(".", 1)[-1].strip() if fn is not None else None
        outer = slot_name(call, index)
        call_around = (
            data[call.start_byte : hole.start].decode("utf-8", "replace"),
            data[hole.end : call.end_byte].decode("utf-8", "replace"),
        )
        siblings = frozenset(_argument_values(call, node))
    stmt = statement_of(node)
    statement = (data[stmt.start_byte : hole.start] + b" " + data[hole.end : stmt.end_byte]).decode(
        "utf-8", "replace"
    )
    return HoleContext(
        hole,
        node,
        expected,
        target,
        func,
        body_text,
        returns_into_body,
        assigned,
        callee,
        slot_kind(node, hole),
        outer,
        statement,
        frozenset(_IDENTIFIER.findall(statement)),
        call_around,
        siblings,
    )


def _argument_values(call: Node, hole_node: Node) -> Iterator[str]:
    """The texts of a call's arguments other than the hole's (keyword values too),
    literals left out."""
    args = call.child_by_field_name("arguments")
    for arg in args.named_children if args is not None else ():
        value = arg.child_by_field_name("value") if arg.type == "keyword_argument" else arg
        if value is None or value.type == "comment" or value == hole_node:
            continue
        if shape_kind(value.type) != "literal":
            yield text(value)


def _call_of_argument(node: Node) -> Node | None:
    parent = node.parent
    if parent is not None and parent.type == "keyword_argument":
        parent = parent.parent
    if parent is None or parent.type != "argument_list":
        return None
    call = parent.parent
    return call if call is not None and call.type == "call" else None


def _target_name(node: Node, hole: Hole, index: ModuleIndex) -> str | None:
    if hole.kind is HoleKind.NAMED:
        return hole.name
    if hole.is_body:
        func = enclosing_function(node)
        return definition_name(func) if func is not None else None
    return slot_name(node, index)


def slot_kind(node: Node, hole: Hole) -> str:
    """Where the hole stands: return, argument, keyword, assignment, body or other."""
    if hole.is_body:
        return "body"
    parent = node.parent
    if parent is None:
        return "other"
    if parent.type == "assignment" and field_of(node) == "right":
        left = parent.child_by_field_name("left")
        return "unpack" if left is not None and left.type in _UNPACKING else "assignment"
    return _SLOT_KINDS.get(parent.type, "other")


_UNPACKING = frozenset({"pattern_list", "tuple_pattern", "list_pattern"})
_SLOT_KINDS = {
    "return_statement": "return",
    "argument_list": "argument",
    "keyword_argument": "keyword",
}


def slot_name(node: Node, index: ModuleIndex) -> str | None:
    """The name a value in this place is known by (see ``HoleContext.target``)."""
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "parenthesized_expression":
        return slot_name(parent, index)
    if parent.type == "assignment" and field_of(node) == "right":
        left = parent.child_by_field_name("left")
        return slot_key(left) if left is not None else None
    if parent.type == "keyword_argument":
        key = parent.child_by_field_name("name")
        return text(key) if key is not None else None
    if parent.type == "return_statement":
        func = enclosing_function(node)
        return definition_name(func) if func is not None else None
    if parent.type == "argument_list":
        call = parent.parent
        param = _parameter_of(index, node, call) if call is not None else None
        return param.name if param is not None else None
    return None


def statement_of(node: Node) -> Node:
    """The simple statement (or the header of a compound one) the node is in."""
    while node.parent is not None and node.parent.type not in _STATEMENT_PARENTS:
        node = node.parent
    return node


_STATEMENT_PARENTS = frozenset({"block", "module"})
#: Statements read at the top of each other branch (``_branch_pairs``).
BRANCH_STATEMENTS = 4


def _container(left: Node) -> str | None:
    """Where an assignment stores, its key aside: ``parts[]`` for ``parts["month"]``,
    ``self.`` for ``self.month``."""
    if left.type == "subscript":
        value = left.child_by_field_name("value")
        return f"{text(value)}[]" if value is not None else None
    if left.type == "attribute":
        obj = left.child_by_field_name("object")
        return f"{text(obj)}." if obj is not None else None
    return None


def _stored(statements: list[Node], place: str | None = None) -> list[tuple[str, str]]:
    """(key, value) of the one-line assignments among ``statements`` (``parts["day"] =
    int(value)`` gives ``("day", "int(value)")``); with ``place``, only those storing
    there (``_container``)."""
    pairs: list[tuple[str, str]] = []
    for statement in statements:
        assign = assignment_of(statement)
        left = assign.child_by_field_name("left") if assign is not None else None
        right = assign.child_by_field_name("right") if assign is not None else None
        if left is None or right is None or b"\n" in (right.text or b""):
            continue
        if place is not None and _container(left) != place:
            continue
        name = slot_key(left)
        if name is not None:
            pairs.append((name, text(right)))
    return pairs


def _branch_blocks(block: Node) -> list[Node]:
    """The other branches' blocks of the ``if`` chain or ``match`` a block belongs to."""
    clause = block.parent
    if clause is None:
        return []
    if clause.type in ("elif_clause", "else_clause"):
        chain = clause.parent
    elif clause.type == "if_statement":
        chain = clause
    elif clause.type == "case_clause":
        chain = clause.parent  # the match statement's body
    else:
        return []
    if chain is None:
        return []
    blocks: list[Node] = []
    for part in [chain, *chain.named_children]:
        if part.type not in ("if_statement", "elif_clause", "else_clause", "case_clause"):
            continue
        body = part.child_by_field_name("consequence") or part.child_by_field_name("body")
        if body is not None and body.type == "block" and body != block:
            blocks.append(body)
    return blocks


def slot_key(left: Node) -> str | None:
    """The name a value is stored under: ``x``, ``self.x`` → ``x``, ``d["x"]`` → ``x``."""
    if left.type == "identifier":
        return text(left)
    if left.type == "attribute":
        attr = left.child_by_field_name("attribute")
        return text(attr) if attr is not None else None
    if left.type == "subscript":
        key = left.child_by_field_name("subscript")
        if key is not None and key.type == "string":
            content = [text(c) for c in key.named_children if c.type == "string_content"]
            return content[0] if len(content) == 1 and content[0].isidentifier() else None
        if key is not None and key.type in ("identifier", "attribute"):
            return text(key).rsplit(".", 1)[-1]
    if left.type in _UNPACKING:  # `date, delta = …` ~ `_date_and_delta(…)`
        names = [text(c) for c in left.named_children if c.type == "identifier"]
        return "_".join(names) or None
    return None


def _parameter_of(index: ModuleIndex, node: Node, call: Node) -> Param | None:
    """The parameter of a function of the module that a positional argument binds to."""
    if call.type != "call":
        return None
    params = callee_params(index, call)
    args = node.parent
    if params is None or args is None:
        return None
    position = 0
    for arg in args.named_children:
        if arg.start_byte >= node.start_byte:
            break
        if arg.type in ("list_splat", "dictionary_splat", "parenthesized_list_splat"):
            return None
        if arg.type not in ("keyword_argument", "comment"):
            position += 1
    return param_for_argument(params, position, None)


def callee_params(index: ModuleIndex, call: Node) -> list[Param] | None:
    """Parameters of the called function when the module defines it (``f``, ``C``,
    ``self.m``, ``C.m``), bound ``self``/``cls`` removed."""
    fn = call.child_by_field_name("function")
    if fn is None:
        return None
    if fn.type == "identifier":
        name = text(fn)
        func = index.function(name)
        if func is not None:
            return parameters(func)
        if name in index.classes:
            init = index.find_method(name, "__init__")
            return parameters(init)[1:] if init is not None else None
        return None
    obj = fn.child_by_field_name("object")
    attr = fn.child_by_field_name("attribute")
    if fn.type != "attribute" or obj is None or attr is None or obj.type != "identifier":
        return None
    func = enclosing_function(call)
    cls = owning_class(func) if func is not None else None
    first = parameters(func)[0].name if func is not None and parameters(func) else None
    if cls is not None and text(obj) == first:
        method = index.find_method(definition_name(cls), text(attr))
    elif text(obj) in index.classes:
        method = index.find_method(text(obj), text(attr))
    else:
        return None
    if method is None:
        return None
    params = parameters(method)
    return params if "staticmethod" in decorator_names(method) else params[1:]


@dataclass(frozen=True)
class _Callable:
    name: str  # as written at the hole: `f`, `Circle`, `self.area`
    node: Node
    is_class: bool
    bound: bool


class CandidateFinder:
    def __init__(
        self, index: ModuleIndex, root: Node, ctx: HoleContext, data: bytes | None = None
    ) -> None:
        self.index = index
        self.root = root
        self.ctx = ctx
        #: The document's bytes (offsets are into them; the module node may start later).
        self.data = data if data is not None else b" " * root.start_byte + (root.text or b"")
        self.scope = ScopeView(index, ctx.func, ctx.hole.start)
        self.cls = owning_class(ctx.func) if ctx.func is not None else None
        self.near = Nearby.gather(root, self.data, ctx.node, ctx.func, self.cls, index=index)
        self._visible: set[str] | None = None
        self._bindings_cache: list[Binding] | None = None
        self._class_attributes: dict[str, list[tuple[str, str | None]]] = {}

    @property
    def visible_names(self) -> set[str]:
        if self._visible is None:
            self._visible = visible_names(self.index, self.root, self.ctx.func, self.ctx.hole.start)
        return self._visible

    @property
    def visible(self) -> list[Binding]:
        if self._bindings_cache is None:
            self._bindings_cache = self.scope.visible()
        return self._bindings_cache

    def is_subclass(self, child: str, parent: str, depth: int = 0) -> bool:
        info = self.index.classes.get(child)
        if info is None or depth > 10:
            return False
        return parent in info.bases or any(
            self.is_subclass(b, parent, depth + 1) for b in info.bases
        )

    def fit(self, type_text: str | None) -> float | None:
        return fits(type_text, self.ctx.expected, self.is_subclass)

    def conflicts(self, type_text: str | None) -> bool:
        """The candidate's type surely does not fit (see ``typecompat.conflicts``)."""
        return conflicts(type_text, self.ctx.expected, lambda name: name in self.index.classes)

    def can_write(self, expr: str) -> bool:
        """Every name the expression reads is visible at the hole."""
        return free_names(expr) <= self.visible_names

    # -- gathering -------------------------------------------------------------------------
    def all(self) -> list[Candidate]:
        found: list[Candidate] = []
        visible = self.visible
        found += self._bindings(visible)
        found += self._properties()
        found += self._chains(visible)
        found += self._globals()
        found += self._calls()
        found += self._literals()
        found += self._neighbours()
        found += self._written()
        found += self._renamed()
        found += self._analogies()
        found += self._imported()
        unique: dict[str, Candidate] = {}
        itself = self._itself()
        for c in found:
            if c.text == itself:
                continue
            kept = unique.setdefault(c.text, c)
            if kept is not c:
                for k, v in c.features.items():  # found twice: keep what each way knew
                    kept.features.setdefault(k, v)
                if kept.type is None:
                    kept.type = c.type
        return list(unique.values())

    @cached_property
    def me(self) -> str | None:
        """The method's first parameter (``self``, ``cls``); ``None`` outside a method."""
        return self.scope.params[0].name if self.cls is not None and self.scope.params else None

    def _itself(self) -> str | None:
        """``self.area`` in method ``area``: a property that returns itself never ends, and
        a method is not its own value."""
        if self.me is None or self.ctx.func is None:
            return None
        return f"{self.me}.{definition_name(self.ctx.func)}"

    def _bindings(self, visible: list[Binding]) -> list[Candidate]:
        out = []
        for rank, b in enumerate(visible):
            kind = "attribute" if b.kind == "attribute" else b.kind
            feats = {"recency": 1 / (1 + rank), "proximity": self._proximity(b.offset)}
            if b.type is not None and b.type.startswith("(") and "->" in b.type:
                feats["function_value"] = 1.0  # a nested function: mostly called, not passed
            out.append(
                Candidate(
                    b.name,
                    b.type,
                    kind,
                    f"{b.kind} in scope" + (f", type {b.type}" if b.type else ""),
                    feats,
                    b.offset if b.kind in ("parameter", "local") else None,
                )
            )
        return out

    def _proximity(self, offset: int) -> float:
        lines = self.ctx_text_lines(offset)
        return 1 / (1 + lines / 5)

    def ctx_text_lines(self, offset: int) -> int:
        lo, hi = sorted((offset, self.ctx.hole.start))
        return self.data.count(b"\n", lo, hi)

    def _attributes_of(self, class_name: str) -> list[tuple[str, str | None]]:
        """Attributes of a class of the module: ``self.x`` assignments in its methods,
        class-level annotations, properties."""
        cached = self._class_attributes.get(class_name)
        if cached is not None:
            return cached
        info = self.index.classes.get(class_name)
        if info is None:
            return []
        found: dict[str, str | None] = {}
        if self.cls is not None and info.node.id == self.cls.id:
            attributes = self.scope.attributes  # the hole's own class: already known
        else:
            first = next(iter(info.methods.values()), [None])[0]
            attributes = ScopeView(self.index, first, info.node.end_byte).attributes
        for b in attributes:
            found[b.name.removeprefix("self.")] = b.type
        for name, methods in info.methods.items():
            method = methods[0]
            if decorator_names(method) & _PROPERTIES:
                found.setdefault(name, return_annotation(method))
        result = list(found.items())
        self._class_attributes[class_name] = result
        return result

    def _properties(self) -> list[Candidate]:
        """``self.p`` for the properties of the hole's class and its bases in the module."""
        me = self.me
        if self.cls is None or me is None:
            return []
        out = []
        seen: set[str] = set()
        pending = [definition_name(self.cls)]
        while pending and len(seen) < 20:
            name = pending.pop()
            info = self.index.classes.get(name)
            if info is None or name in seen:
                continue
            seen.add(name)
            pending.extend(info.bases)
            for attr, methods in info.methods.items():
                if decorator_names(methods[0]) & _PROPERTIES:
                    ptype = return_annotation(methods[0])
                    out.append(
                        Candidate(
                            f"{me}.{attr}",
                            ptype,
                            "attribute",
                            f"property of {name}" + (f", type {ptype}" if ptype else ""),
                            {"depth": 1.0},
                        )
                    )
        return out

    def _chains(self, visible: list[Binding]) -> list[Candidate]:
        """``b.x`` (and ``b.x.y``) for bindings whose type is a class of the module; the
        hole's own ``self.x`` are bindings already, so chains from ``self`` start there."""
        out: list[Candidate] = []
        me = self.me
        frontier = [
            (b.name, b.type, self._proximity(b.offset) * 0.8) for b in visible if b.name != me
        ]
        for depth in range(1, MAX_DEPTH + 1):
            following = []
            for base, btype, prox in frontier:
                base_type = (btype or "").split("[")[0].strip()
                if base_type not in self.index.classes:
                    continue
                for attr, atype in self._attributes_of(base_type):
                    chain = f"{base}.{attr}"
                    if chain.count(".") > MAX_DEPTH:
                        break
                    out.append(
                        Candidate(
                            chain,
                            atype,
                            "attribute",
                            f"attribute of {base} ({base_type})"
                            + (f", type {atype}" if atype else ""),
                            {"depth": float(chain.count(".")), "proximity": prox},
                        )
                    )
                    following.append((chain, atype, prox * 0.8))
            frontier = following if depth < MAX_DEPTH else []
            if len(out) > 200:
                break
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

    def _imported(self) -> list[Candidate]:
        """Names the module imports (``Path``, ``os``), as values."""
        out = []
        for stmt in self.root.named_children:
            if stmt.type not in ("import_statement", "import_from_statement"):
                continue
            for name in imported_names(stmt):
                out.append(Candidate(name, None, "imported", "imported name"))
        return out

    # -- calls -----------------------------------------------------------------------------
    def _callables(self) -> list[_Callable]:
        funcs = [_Callable(name, fs[0], False, False) for name, fs in self.index.functions.items()]
        funcs += [
            _Callable(name, info.node, True, False) for name, info in self.index.classes.items()
        ]
        me = self.me
        if self.cls is not None and me is not None:
            info = self.index.classes.get(definition_name(self.cls))
            if info is not None:
                for name, ms in info.methods.items():
                    decos = decorator_names(ms[0])
                    if name.startswith("__") or decos & (_PROPERTIES | {"staticmethod"}):
                        continue
                    funcs.append(_Callable(f"{me}.{name}", ms[0], False, True))
        own = self.me
        for b in self.visible:
            if b.kind == "local" and b.type is not None and b.type.startswith("("):
                node = self._nested_def(b)
                if node is not None:
                    funcs.append(_Callable(b.name, node, False, False))
            elif b.type is not None and b.name != own:
                # `source.read(...)` for a variable of a class of the module.
                info = self.index.classes.get(b.type.split("[", 1)[0].strip())
                for name, ms in info.methods.items() if info is not None else ():
                    decos = decorator_names(ms[0])
                    if name.startswith("__") or decos & (_PROPERTIES | {"staticmethod"}):
                        continue
                    funcs.append(_Callable(f"{b.name}.{name}", ms[0], False, True))
        return funcs

    def _nested_def(self, b: Binding) -> Node | None:
        node = self.root.descendant_for_byte_range(b.offset, b.offset + 3)
        while node is not None and node.type != "function_definition":
            node = node.parent
        return node

    def _calls(self) -> list[Candidate]:
        """Calls of the module's functions and methods: whose return type fits when the
        type is known, else the likeliest by name; arguments taken from the scope by
        name and type where they can be, else left as nested holes."""
        expected = self.ctx.expected
        current = definition_name(self.ctx.func) if self.ctx.func is not None else None
        at_module_level = self.ctx.func is None and self.cls is None
        scored: list[tuple[float, _Callable, str | None]] = []
        for c in self._callables():
            if c.name.rsplit(".", 1)[-1] == current and not c.is_class:
                continue  # calling itself is rarely the fill
            if at_module_level and c.node.start_byte > self.ctx.hole.start:
                continue  # defined below: not there yet when the module runs
            rtype = c.name if c.is_class else return_annotation(c.node)
            if expected is not None:
                score = self.fit(rtype)
                if not score:
                    continue
            else:
                last = c.name.rsplit(".", 1)[-1]
                score = name_similarity(last, self.ctx.target) + 0.5 * min(
                    1.0, self.near.names_in_function.get(c.name, 0) / 2
                )
                if rtype == "None":
                    continue
            scored.append((score, c, rtype))
        scored.sort(key=lambda t: -t[0])
        out: list[Candidate] = []
        for _, c, rtype in scored[:MAX_CALLS]:
            out += self._call_variants(c, rtype)
        return out

    def _call_variants(self, c: _Callable, rtype: str | None) -> list[Candidate]:
        params = self._params_of(c)
        if params is None:
            return []
        required = [
            p
            for p in params
            if p.default is None and p.kind not in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD)
        ]
        holes = [f"{p.name}=..." if p.kind is ParamKind.KEYWORD_ONLY else "..." for p in required]
        out = []
        why = f"calls {c.name}" + (f", returns {rtype}" if rtype else "")
        if self.ctx.expected is not None or not required:
            out.append(
                Candidate(
                    f"{c.name}({', '.join(holes)})",
                    rtype,
                    "call",
                    why,
                    {"nested_holes": float(len(required))},
                )
            )
        if not required and not any(p.default is not None for p in params):
            return out
        filled: list[str] = []
        by_name = by_type = 0
        for p in required:
            value, how = self._argument_for(p)
            by_name += how == "name"
            by_type += how == "type"
            filled.append(f"{p.name}={value}" if p.kind is ParamKind.KEYWORD_ONLY else value)
        passthrough = [
            f"{p.name}={p.name}"
            for p in params
            if p.default is not None
            and p.kind in (ParamKind.POSITIONAL_OR_KEYWORD, ParamKind.KEYWORD_ONLY)
            and self._binding_named(p.name) is not None
        ]
        left = len(required) - by_name - by_type
        feats = {"nested_holes": float(left), "args_by_name": float(by_name)}
        if by_type:
            feats["args_by_type"] = float(by_type)
        if by_name or by_type:
            out.append(Candidate(f"{c.name}({', '.join(filled)})", rtype, "call", why, dict(feats)))
        if passthrough:
            feats["args_by_name"] += len(passthrough)
            out.append(
                Candidate(
                    f"{c.name}({', '.join([*filled, *passthrough])})", rtype, "call", why, feats
                )
            )
        return out

    def _params_of(self, c: _Callable) -> list[Param] | None:
        if c.is_class:
            init = self.index.find_method(c.name, "__init__")
            return parameters(init)[1:] if init is not None else []
        params = parameters(c.node)
        return params[1:] if c.bound else params

    def _binding_named(self, name: str) -> Binding | None:
        for b in self.visible:
            if b.name == name or (b.kind == "attribute" and b.name == f"self.{name}"):
                return b
        return None

    def _argument_for(self, p: Param) -> tuple[str, str]:
        """A value in scope for a parameter: one of its name, else the one binding whose
        type fits its annotation; else a nested hole."""
        named = self._binding_named(p.name)
        if named is not None:
            return named.name, "name"
        if p.annotation is not None:
            fitting = [
                b
                for b in self.visible
                if b.kind != "attribute"
                and (fits(b.type, p.annotation, self.is_subclass) or 0) >= 0.8
            ]
            if len(fitting) == 1:
                return fitting[0].name, "type"
        similar = max(
            ((name_similarity(b.name, p.name), b.name) for b in self.visible),
            default=(0.0, ""),
        )
        if similar[0] >= 0.5:
            return similar[1], "name"
        return "...", "hole"

    # -- the neighbours' pattern -----------------------------------------------------------
    def _neighbours(self) -> list[Candidate]:
        """``color=args.color`` after ``verbose=args.verbose``; ``parts["month"] =
        dt.month`` after ``parts["year"] = dt.year``: a neighbour's value with its key
        replaced by the hole's."""
        key = self.ctx.target
        if not key or not key.isidentifier():
            return []
        out = []
        seen: set[str] = set()
        pairs = [(k, v, False) for k, v in self._neighbour_pairs()]
        pairs += [(k, v, True) for k, v in self._branch_pairs()]
        for other_key, value, in_branch in pairs:
            if other_key == key or not other_key.isidentifier():
                continue
            pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(other_key)}(?![A-Za-z0-9_])")
            if pattern.search(value):
                made = pattern.sub(key.replace("\\", r"\\"), value)
            else:  # `site_dir=Path(self.site_root)` after `user_dir=Path(self.user_root)`
                words = word_map(other_key, key)
                made = swap_words(value, words) if words else value
                # The same value is a fill only from a parallel branch: each branch of
                # `if token == "MM": parts["month"] = int(value)` stores alike.
                if (made == value and not in_branch) or not names_exist(made, self.data):
                    continue
            if made in seen or not self.can_write(made):
                continue
            seen.add(made)
            out.append(
                Candidate(
                    made,
                    None,
                    "expression" if "(" in made or " " in made else "attribute",
                    f"as its neighbour {other_key}={value}",
                    {"neighbour": 1.0},
                )
            )
        return out

    def _neighbour_pairs(self) -> list[tuple[str, str]]:
        node = self.ctx.node
        parent = node.parent
        if parent is None:
            return []
        pairs: list[tuple[str, str]] = []
        if parent.type == "keyword_argument" and parent.parent is not None:
            for arg in parent.parent.named_children:
                if arg.type != "keyword_argument" or arg.id == parent.id:
                    continue
                k, v = arg.child_by_field_name("name"), arg.child_by_field_name("value")
                if k is not None and v is not None:
                    pairs.append((text(k), text(v)))
            return pairs
        if parent.type == "assignment" and field_of(node) == "right":
            stmt = parent.parent
            if stmt is None or stmt.type != "expression_statement":
                return []
            before: list[Node] = []
            after: list[Node] = []
            sibling = stmt.prev_named_sibling
            while sibling is not None and len(before) < NEIGHBOURS:
                before.append(sibling)
                sibling = sibling.prev_named_sibling
            sibling = stmt.next_named_sibling
            while sibling is not None and len(after) < NEIGHBOURS:
                after.append(sibling)
                sibling = sibling.next_named_sibling
            pairs += _stored([*before, *after])
        return pairs

    def _branch_pairs(self) -> list[tuple[str, str]]:
        """(key, value) of what the other branches of the ``if``/``elif``/``else`` or
        ``match`` around the hole store into the same place (``parts["day"] = …`` for a
        hole in ``parts["month"] = …``)."""
        node = self.ctx.node
        parent = node.parent
        if parent is None or parent.type != "assignment" or field_of(node) != "right":
            return []
        left = parent.child_by_field_name("left")
        stmt = parent.parent
        place = _container(left) if left is not None else None
        block = stmt.parent if stmt is not None else None
        if place is None or block is None:
            return []
        pairs: list[tuple[str, str]] = []
        for other in _branch_blocks(block):
            pairs += _stored(other.named_children[:BRANCH_STATEMENTS], place)
        return pairs

    # -- written elsewhere -----------------------------------------------------------------
    def _written(self) -> list[Candidate]:
        """Expressions written elsewhere in the module that can be written at the hole."""
        out: list[Candidate] = []
        for w in self.near.ordered():
            if len(out) >= MAX_WRITTEN:
                break
            if w.text == self.ctx.assigned or not self.can_write(w.text):
                continue
            wtype = self.scope.infer(w.node)
            kind = shape_kind(w.node.type)
            where = (
                "in this function"
                if w.in_function
                else "in this class"
                if w.in_class
                else "in this module"
            )
            out.append(
                Candidate(
                    w.text,
                    wtype,
                    kind,
                    f"written {where}" + (f", type {wtype}" if wtype else ""),
                    {"written": 1.0},
                )
            )
        return out

    def _analogies(self) -> list[Candidate]:
        """``self.site_state_dir`` in ``site_state_path`` where ``user_state_path``
        returns ``Path(self.user_state_dir)``: see ``analogy.py``."""
        stmt = statement_of(self.ctx.node)
        made = analogies(self.index, self.data, self.ctx.func, stmt, self.ctx.node)
        return [
            Candidate(
                fill,
                None,
                "expression" if "(" in fill or " " in fill else "attribute",
                f"as {sibling} writes it",
                {"analogy": 1.0},
            )
            for fill, sibling in made
            if fill != self.ctx.assigned and self.can_write(fill)
        ]

    def _renamed(self) -> list[Candidate]:
        """``int(number)`` where the module writes ``int(value)``: see ``renamed.py``."""
        me = self.me
        values = [
            b
            for b in self.visible
            if b.kind in ("parameter", "local")
            and b.name != me
            and not (b.type or "").startswith("(")
        ]
        fixed = module_level_names(self.index, self.root) | ({me} if me else set())
        made = renamed(
            list(self.near.written.values()),
            values,
            fixed,
            self.visible_names,
            taken=lambda t: t in self.near.written,
        )
        out = []
        for r in made:
            unread = self.ctx.func is not None and not self.near.loads_between(
                r.value.name, r.value.offset, self.ctx.hole.start
            )
            node = r.source.node
            callee = node.child_by_field_name("function") if node.type == "call" else None
            rtype = (
                self._call_type(text(callee))
                if callee is not None and r.old not in free_names(text(callee))
                else None
            )
            out.append(
                Candidate(
                    r.text,
                    rtype,
                    shape_kind(node.type),
                    f"as {r.source.text} is written, with {r.value.name} for {r.old}",
                    rename_features(r, name_similarity(r.value.name, r.old), unread),
                )
            )
        return out

    def _call_type(self, callee: str) -> str | None:
        if callee in self.index.classes:
            return callee
        func = self.index.function(callee)
        if func is not None:
            return return_annotation(func)
        if callee.isidentifier() and self.scope.lookup(callee) is None:
            return typeshed.builtin_return_type(callee)  # `str(x)`: a builtin's type
        return None

    def _literals(self) -> list[Candidate]:
        expected = self.ctx.expected
        out = []
        if expected is None:
            return [Candidate("None", "None", "literal", "None")]
        for member in split_union(expected):
            head = member.split("[", 1)[0].strip()
            literal = DEFAULT_LITERALS.get(head)
            if literal is not None:
                out.append(Candidate(literal, head, "literal", f"a default {head}"))
            if head == "bool":
                out.append(Candidate("True", "bool", "literal", "a default bool"))
        return out
