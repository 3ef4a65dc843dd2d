"""Find the holes of a Python source (the rules are written out in docs/holes.md)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import cached_property

from tree_sitter import Node

from lift_lsp.holes.defs import ModuleIndex, decorator_names, signature_text
from lift_lsp.holes.expected import ExpectedTypes
from lift_lsp.holes.model import ALL_KINDS, Hole, HoleKind
from lift_lsp.syntax.document import SourceDocument
from lift_lsp.syntax.nodes import (
    ancestors,
    definition_name,
    dotted_tail,
    enclosing_function,
    field_of,
    is_docstring,
    owning_class,
    qualname,
    text,
)
from lift_lsp.syntax.parser import cursor

HELPER_MODULE = "lift_holes"
# CPython refuses expressions nested deeper than this (200 parentheses); tree-sitter
# does not, and walking up such a tree costs O(depth²) (nodes keep no parent pointer).
MAX_EXPRESSION_DEPTH = 200
HELPER_FUNCTION = "hole"

# A `...` body under these decorators declares, it does not leave work undone.
_DECLARING_DECORATORS = frozenset(
    {
        "overload",
        "abstractmethod",
        "abstractproperty",
        "abstractclassmethod",
        "abstractstaticmethod",
        "type_check_only",
    }
)
_PROTOCOL_BASES = frozenset({"Protocol"})
_SENTINEL_COMPARISONS = frozenset({"is", "is not", "==", "!="})
# Containers and patterns hold Ellipsis as data (`[1, ..., 3]`, `case ...:`).
_DATA_CONTEXTS = frozenset(
    {
        "list",
        "tuple",
        "set",
        "pair",
        "expression_list",
        "match_statement",
        "case_clause",
        "case_pattern",
        "raise_statement",
        "subscript",
        "slice",
    }
)
_SENTINEL_PARAMS = frozenset({"default", "sentinel", "missing", "fillvalue"})
# `getattr(o, name, ...)`, `d.get(key, ...)`, `next(it, ...)`: Ellipsis as the default.
_DEFAULT_TAKING = frozenset({"getattr", "get", "pop", "setdefault", "next", "getenv"})
_NOT_POSITIONAL = frozenset({"keyword_argument", "comment", "dictionary_splat"})
_STATEMENT_LEVEL = frozenset({"block", "module", "function_definition", "class_definition"})


def is_stub_path(path: str | None) -> bool:
    return path is not None and path.endswith(".pyi")


@dataclass(slots=True)
class _Found:
    node: Node
    kind: HoleKind
    is_body: bool
    user_name: str | None = None
    func: Node | None = None


@dataclass
class HoleFinder:
    """One pass over a document; the module index is only built if a hole needs it."""

    doc: SourceDocument
    module_name: str = "module"
    _helper_names: set[str] = field(default_factory=set)
    _helper_modules: set[str] = field(default_factory=set)

    @cached_property
    def index(self) -> ModuleIndex:
        return ModuleIndex.build(self.doc.tree.root_node)

    @cached_property
    def expected(self) -> ExpectedTypes:
        return ExpectedTypes(self.index)

    def run(self, kinds: Collection[HoleKind] = ALL_KINDS) -> list[Hole]:
        root = self.doc.tree.root_node
        if HELPER_MODULE.encode() in self.doc.data:
            self._read_helper_imports(cursor("hole_imports").captures(root))
        found: list[_Found] = []
        for node in _captures_near(root, self.doc.data, [b"..."], "holes", "ellipsis"):
            hit = self._classify_ellipsis(node)
            if hit is not None:
                found.append(hit)
        if self._helper_names or self._helper_modules:
            found.extend(self._hole_calls(root))
        found.sort(key=lambda f: f.node.start_byte)
        return [h for h in self._materialise(found) if h.kind in kinds]

    # -- the helper's imports ------------------------------------------------------------
    def _read_helper_imports(self, captures: dict[str, list[Node]]) -> None:
        for module in captures.get("helper.from", []):
            stmt = module.parent
            if stmt is None:
                continue
            for i, child in enumerate(stmt.children):
                if stmt.field_name_for_child(i) != "name":
                    continue
                if child.type == "dotted_name" and text(child) == HELPER_FUNCTION:
                    self._helper_names.add(HELPER_FUNCTION)
                elif child.type == "aliased_import":
                    name = child.child_by_field_name("name")
                    alias = child.child_by_field_name("alias")
                    if name is not None and alias is not None and text(name) == HELPER_FUNCTION:
                        self._helper_names.add(text(alias))
        for _module in captures.get("helper.module", []):
            self._helper_modules.add(HELPER_MODULE)
        for alias in captures.get("helper.module_alias", []):
            self._helper_modules.add(text(alias))

    # -- `...` ---------------------------------------------------------------------------
    def requested_at(self, offset: int) -> Hole | None:
        """The ``...`` at ``offset`` as an expression hole, where the rules read it as
        Ellipsis used as a value or a sentinel (``isinstance(x, ...)``, ``Path(...)``,
        ``d.get(k, ...)``).

        Diagnostics pass over those so as not to cry wolf; a user who asks for fills
        there (completion, an invoked code action, ``lift-lsp suggest``) means it as a
        placeholder. Declarations, annotations, subscripts and ``EllipsisType`` stay out.
        """
        root = self.doc.tree.root_node
        for at in (offset, offset - 1):  # the cursor may sit just after the `...`
            node = root.named_descendant_for_byte_range(max(at, 0), max(at, 0))
            if node is None or node.type != "ellipsis":
                continue
            hit = self._classify_ellipsis(node, on_request=True)
            if hit is None or hit.kind is not HoleKind.EXPRESSION:
                return None
            hole = self._materialise([hit])[0]
            row, col = node.start_point
            return replace(hole, name=hole.name.split("#", 1)[0] + f"@{row + 1}:{col + 1}")
        return None

    def _classify_ellipsis(self, node: Node, *, on_request: bool = False) -> _Found | None:
        child = node
        for depth, anc in enumerate(ancestors(node)):
            if depth > MAX_EXPRESSION_DEPTH:
                return None  # deeper than CPython's parser accepts: the file cannot run
            where = field_of(child)
            if anc.type == "type":
                return None  # an annotation: tuple[int, ...], Callable[..., T]
            if anc.type == "subscript" and where == "subscript":
                return None  # x[..., 0], Callable[..., T] outside annotations
            if anc.type in ("default_parameter", "typed_default_parameter") and where == "value":
                return None  # a sentinel default: def f(x=...)
            if anc.type in ("match_statement", "case_clause"):
                return None  # `match Point(..., ...):` matches on values
            if anc.type in _STATEMENT_LEVEL:
                break
            child = anc
        parent = node.parent
        if parent is None:
            return None
        if parent.type == "comparison_operator" and self._is_sentinel_comparison(parent):
            return None  # `x is ...`: Ellipsis used as a sentinel
        if parent.type == "expression_statement" and parent.named_child_count == 1:
            func = self._whole_body_of(parent)
            if func is None:
                return None  # a statement `...` elsewhere is `pass`
            if self._declares(node):
                return None
            return _Found(node, HoleKind.BODY, True, func=func)
        if self._declares(node):
            return None
        if on_request:
            if self._ellipsis_typed(node, parent) or parent.type in ("subscript", "slice"):
                return None
        elif self._ellipsis_as_value(node, parent):
            return None
        return _Found(node, HoleKind.EXPRESSION, False)

    def _ellipsis_typed(self, node: Node, parent: Node) -> bool:
        """Annotated or returned as ``EllipsisType``: Ellipsis, whoever asks."""
        if parent.type in ("assignment", "augmented_assignment"):
            declared = parent.child_by_field_name("type")
            return declared is not None and _mentions_ellipsis_type(text(declared))
        if parent.type in ("return_statement", "lambda"):
            ann = self.expected.of(node)
            return ann is not None and _mentions_ellipsis_type(ann)
        return False

    def _ellipsis_as_value(self, node: Node, parent: Node) -> bool:
        """True where ``...`` is the Ellipsis object used as data or as a sentinel.

        Real code uses Ellipsis as a value (tables of test data, ``type(...)``,
        ``getattr(o, n, ...)``, ``Field(...)``); reporting those would cry wolf.
        """
        kind = parent.type
        if kind in _DATA_CONTEXTS:
            return True
        if kind == "conditional_expression":
            # `... if a is b else c` chooses a value; only the condition is a placeholder.
            children = parent.named_children
            return not (len(children) >= 2 and children[1].id == node.id)
        if kind in ("assignment", "augmented_assignment"):
            return self._ellipsis_typed(node, parent) or self._sentinel_store(parent)
        if kind == "keyword_argument":
            key = parent.child_by_field_name("name")
            if key is not None and text(key) in _SENTINEL_PARAMS:
                return True
            args = parent.parent
            call = args.parent if args is not None else None
            return call is not None and call.type == "call" and self._sentinel_callee(call, 0)
        if kind == "argument_list":
            call = parent.parent
            if call is None or call.type != "call":
                return False
            positional = [a for a in parent.named_children if a.type not in _NOT_POSITIONAL]
            index = next((i for i, a in enumerate(positional) if a.id == node.id), -1)
            return self._sentinel_callee(call, index)
        if kind in ("return_statement", "lambda"):
            return self._ellipsis_typed(node, parent)
        return False

    def _sentinel_store(self, assignment: Node) -> bool:
        """``Required = ...`` (a constant naming Ellipsis) or ``other.attr = ...``."""
        ann = assignment.child_by_field_name("type")
        left = assignment.child_by_field_name("left")
        if left is None:
            return False
        if left.type == "attribute":
            obj = left.child_by_field_name("object")
            func = enclosing_function(assignment)
            first = _first_param_name(func) if func is not None else None
            return obj is None or obj.type != "identifier" or text(obj) != first
        if left.type == "identifier" and ann is None:
            if _in_class_body(assignment):
                return True  # a class attribute's value (`a = ...` in an Enum)
            in_function = enclosing_function(assignment) is not None
            name = text(left).lstrip("_")
            constant_like = name[:1].isupper()  # UPPER_CASE or CapWords
            return not in_function and constant_like
        return False

    def _sentinel_callee(self, call: Node, index: int) -> bool:
        """Calls that take Ellipsis as a marker: ``type(...)``, ``getattr(o, n, ...)``,
        ``d.get(k, ...)`` and external factories such as ``Field(...)``/``Option(...)``."""
        fn = call.child_by_field_name("function")
        if fn is None:
            return False
        name = dotted_tail(fn)
        if fn.type == "identifier" and name in ("type", "id", "repr", "isinstance"):
            return True
        if name in _DEFAULT_TAKING and index >= 1:
            return True
        defined_here = fn.type == "identifier" and (
            name in self.index.functions or name in self.index.classes
        )
        capwords = name[:1].isupper() and not name.isupper()
        return capwords and not defined_here and index == 0

    @staticmethod
    def _is_sentinel_comparison(comparison: Node) -> bool:
        ops = {text(c) for c in comparison.children if not c.is_named}
        ops |= {" ".join(text(c).split()) for c in comparison.children if c.type == "is not"}
        return bool(ops & _SENTINEL_COMPARISONS)

    @staticmethod
    def _whole_body_of(statement: Node) -> Node | None:
        """The function whose entire body (after a docstring) is ``statement``."""
        block = statement.parent
        if block is None or block.type != "block":
            return None
        func = block.parent
        if func is None or func.type != "function_definition":
            return None
        stmts = [s for s in block.named_children if s.type != "comment"]
        if stmts and is_docstring(stmts[0]) and len(stmts) > 1:
            stmts = stmts[1:]
        return func if len(stmts) == 1 and stmts[0].id == statement.id else None

    def _declares(self, node: Node) -> bool:
        """True inside code that declares rather than implements (see docs/holes.md)."""
        for anc in ancestors(node):
            if anc.type == "function_definition":
                if decorator_names(anc) & _DECLARING_DECORATORS:
                    return True
                owner = owning_class(anc)
                if owner is not None and self._is_protocol(owner):
                    return True
            elif anc.type == "class_definition" and self._is_protocol(anc):
                return True
            elif anc.type == "if_statement":
                condition = anc.child_by_field_name("condition")
                consequence = anc.child_by_field_name("consequence")
                inside = (
                    consequence is not None
                    and consequence.start_byte <= node.start_byte < consequence.end_byte
                )
                if condition is not None and inside and dotted_tail(condition) == "TYPE_CHECKING":
                    return True
        return False

    @staticmethod
    def _is_protocol(class_node: Node) -> bool:
        supers = class_node.child_by_field_name("superclasses")
        if supers is None:
            return False
        return any(dotted_tail(b) in _PROTOCOL_BASES for b in supers.named_children)

    # -- hole("name") --------------------------------------------------------------------
    def _hole_calls(self, root: Node) -> list[_Found]:
        found = []
        words = [n.encode() for n in self._helper_names | self._helper_modules]
        query_cursor = cursor("hole_calls")
        seen: set[int] = set()
        matches = []
        for start, end in _spans(self.doc.data, words):
            query_cursor.set_byte_range(start, end)
            matches.extend(query_cursor.matches(root))
        for _, match in matches:
            if "call" in match:
                callee = match["callee"][0]
                if text(callee) not in self._helper_names:
                    continue
                call = match["call"][0]
            else:
                if text(match["module"][0]) not in self._helper_modules:
                    continue
                if text(match["attribute"][0]) != HELPER_FUNCTION:
                    continue
                call = match["qualified_call"][0]
            if call.id in seen:
                continue
            seen.add(call.id)
            args = match["args"][0]
            name = _literal_name(args)
            func: Node | None = None
            parent = call.parent
            if parent is not None and parent.type == "expression_statement":
                func = self._whole_body_of(parent)
            if self._declares(call):
                continue
            kind = HoleKind.NAMED if name is not None else HoleKind.EXPRESSION
            if name is None and func is not None:
                kind = HoleKind.BODY
            found.append(_Found(call, kind, func is not None, user_name=name, func=func))
        return found

    # -- names and types -----------------------------------------------------------------
    def _materialise(self, found: list[_Found]) -> list[Hole]:
        counters: dict[str, int] = {}
        holes = []
        for f in found:
            func = f.func if f.func is not None else enclosing_function(f.node)
            if f.is_body and f.func is not None:
                expected: str | None = signature_text(f.func)
            else:
                expected = self.expected.of(f.node)
            if f.user_name is not None:
                name = f.user_name
            else:
                short = definition_name(func) if func is not None else self.module_name
                counters[short] = counters.get(short, 0) + 1
                name = f"{short}#{counters[short]}"
            holes.append(
                Hole(
                    kind=f.kind,
                    name=name,
                    start=f.node.start_byte,
                    end=f.node.end_byte,
                    expected_type=expected,
                    function=qualname(func) if func is not None else None,
                    is_body=f.is_body,
                )
            )
        return holes


# Past this many occurrences one pass over the whole tree beats many small ones.
_MAX_SPANS = 256


def _spans(data: bytes, words: list[bytes]) -> list[tuple[int, int]]:
    """Byte ranges where any of ``words`` occurs (found at C speed by ``bytes.find``)."""
    spans: list[tuple[int, int]] = []
    for word in words:
        i = data.find(word)
        while i >= 0:
            spans.append((i, i + len(word)))
            if len(spans) > _MAX_SPANS:
                return [(0, len(data))]
            i = data.find(word, i + 1)
    spans.sort()
    return spans


def _captures_near(
    root: Node, data: bytes, words: list[bytes], query_name: str, capture: str
) -> list[Node]:
    """Captures of a query, run only where ``words`` occur in the text.

    Scanning the bytes is far cheaper than walking a large tree, and a file usually
    holds a handful of ``...`` at most.
    """
    query_cursor = cursor(query_name)
    nodes: dict[int, Node] = {}
    for start, end in _spans(data, words):
        query_cursor.set_byte_range(start, end)
        for node in query_cursor.captures(root).get(capture, []):
            nodes[node.id] = node
    return sorted(nodes.values(), key=lambda n: n.start_byte)


def _in_class_body(statement_part: Node) -> bool:
    stmt = statement_part.parent  # expression_statement
    block = stmt.parent if stmt is not None else None
    owner = block.parent if block is not None else None
    return owner is not None and owner.type == "class_definition"


def _mentions_ellipsis_type(annotation: str) -> bool:
    return "EllipsisType" in annotation or "ellipsis" in annotation


def _first_param_name(func: Node) -> str | None:
    params = func.child_by_field_name("parameters")
    if params is None or not params.named_children:
        return None
    first = params.named_children[0]
    if first.type == "identifier" and owning_class(func) is not None:
        return text(first)
    return None


def _literal_name(args: Node) -> str | None:
    """The hole's name when the first argument is a plain string literal."""
    positional = [a for a in args.named_children if a.type not in ("comment", "keyword_argument")]
    if not positional:
        for kw in args.named_children:
            key = kw.child_by_field_name("name") if kw.type == "keyword_argument" else None
            if key is not None and text(key) == "name":
                value = kw.child_by_field_name("value")
                return _plain_string(value) if value is not None else None
        return None
    return _plain_string(positional[0])


def _plain_string(node: Node) -> str | None:
    if node.type == "concatenated_string":
        parts = [_plain_string(child) for child in node.named_children]
        return "".join(p for p in parts if p) if all(parts) else None
    if node.type != "string" or any(c.type == "interpolation" for c in node.named_children):
        return None
    content = [c for c in node.named_children if c.type == "string_content"]
    value = "".join(text(c) for c in content)
    return value or None


def module_name_for(path: str | None) -> str:
    """The prefix of anonymous holes at module level: the file's stem."""
    if path is None:
        return "module"
    stem = path.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".py")
    return stem if stem and stem != "__init__" else "module"


def find_holes(
    doc: SourceDocument,
    *,
    path: str | None = None,
    kinds: Collection[HoleKind] = ALL_KINDS,
) -> list[Hole]:
    """All holes of ``doc`` in source order (none in ``.pyi`` stubs)."""
    if is_stub_path(path):
        return []
    return HoleFinder(doc, module_name=module_name_for(path)).run(kinds)
