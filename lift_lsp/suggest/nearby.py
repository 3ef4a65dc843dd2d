"""What the module already writes around a hole, and which names the hole can see.

Real code repeats itself: ``self._path``, ``len(items)``, ``os.path.join(root, name)``
recur in a function, in the methods of a class, in a module. ``Nearby`` gathers the
expressions written in value positions (arguments, return values, right-hand sides)
and the attribute chains, calls and subscripts of the module, counts where they occur
relative to the hole (same function, same class, elsewhere; how near), and which of
them stood in the same *slot* as the hole: the same argument of a call of the same
function, the right-hand side of an assignment to the same name, the value returned by
a function of the same name.

The hole itself is ``...`` in the text the engine reads, so what the code had there is
never among what is gathered; an expression that contains the hole is skipped.

An expression is offered at the hole only when every name it uses freely is visible
there (``visible_names``): a parameter or a local bound before the hole, a name of an
enclosing function, a module-level name (definitions, assignments, imports) or a
builtin.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Node, QueryCursor

from lift_lsp.holes.defs import ModuleIndex
from lift_lsp.holes.scope import ScopeView
from lift_lsp.syntax.nodes import definition_name, field_of
from lift_lsp.syntax.parser import PY_LANGUAGE

#: Expressions gathered: what is written in value positions, and every attribute chain,
#: call and subscript.
_EXPRESSIONS = """
(argument_list (_) @e)
(keyword_argument value: (_) @e)
(return_statement (_) @e)
(assignment right: (_) @e)
(attribute) @e
(call) @e
(subscript) @e
"""
_IDENTIFIERS = "(identifier) @i"
_NOT_VALUES = frozenset(
    {
        "keyword_argument", "list_splat", "dictionary_splat", "comment", "ellipsis",
        "assignment", "yield", "parenthesized_expression", "lambda", "await",
    }
)  # fmt: skip
#: Longer expressions are not offered (they are rarely written again as they were).
MAX_TEXT = 100
#: Bytes of the module read on either side of the hole (large files are not read whole).
WINDOW = 12_000
#: Expressions kept after the cheap first ordering.
MAX_EXPRESSIONS = 60

_KEYWORDS = frozenset(keyword.kwlist)
_BUILTINS = frozenset(dir(builtins))
#: The tokens of an expression that matter for its names: strings (with their prefix),
#: numbers, attribute names (after a dot), names (``kw``: a call's keyword, ``k=``).
TOKENS = re.compile(
    r"""
    (?P<str>(?P<prefix>[rRbBuUfF]{0,3})(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"
        |'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
    |(?P<num>\d[\w.]*)
    |(?P<dot>\.\s*[A-Za-z_]\w*)
    |(?P<name>[A-Za-z_]\w*)(?P<kw>\s*=(?!=))?
    """,
    re.VERBOSE,
)
_BRACES = re.compile(r"\{([^{}]*)\}")
_LAMBDA_PARAMS = re.compile(r"\blambda\b([^:]*):")
_FOR_TARGETS = re.compile(r"\bfor\b(.*?)\bin\b")
_WALRUS = re.compile(r"([A-Za-z_]\w*)\s*:=")
_NAME = re.compile(r"[A-Za-z_]\w*")
_ATTRIBUTE_TAIL = re.compile(rb"\.([A-Za-z_]\w*)")
#: After a name: it is assigned (or is a keyword of a call), not read.
_STORE_AFTER = re.compile(rb"[ \t]*=(?!=)")
_PATTERNS = frozenset({"pattern_list", "tuple_pattern", "list_pattern"})


def _is_store(data: bytes, node: Node) -> bool:
    """Whether an identifier is written (``x =``, ``for x in``, ``a, x = ``, ``as x``),
    not read; a keyword of a call counts as written (it reads nothing)."""
    start, end = node.start_byte, node.end_byte
    if _STORE_AFTER.match(data, end):
        return True
    before = data[max(0, start - 4) : start]
    if before.endswith((b"for ", b"as ")):
        return True
    nxt = data[end : end + 1]
    if nxt in (b",", b")", b"]", b" ") and node.parent is not None:
        return node.parent.type in _PATTERNS
    if nxt == b":":
        parent = node.parent
        return parent is not None and parent.type == "assignment"
    return False


@cache
def _cursor(source: str) -> QueryCursor:
    from tree_sitter import Query

    return QueryCursor(Query(PY_LANGUAGE, source))


def free_names(expr: str) -> set[str]:
    """Names an expression reads from its scope (attribute names, keywords of calls,
    names bound by a lambda or a comprehension inside it are not)."""
    names: set[str] = set()
    bound: set[str] = set()
    if "lambda" in expr:
        for m in _LAMBDA_PARAMS.finditer(expr):
            bound.update(_NAME.findall(m.group(1)))
    if " for " in expr:
        for m in _FOR_TARGETS.finditer(expr):
            bound.update(_NAME.findall(m.group(1)))
    if ":=" in expr:
        bound.update(_WALRUS.findall(expr))
    _scan(expr, names)
    return names - bound - _KEYWORDS


def _scan(expr: str, names: set[str]) -> None:
    for m in TOKENS.finditer(expr):
        if m.group("str") is not None:
            if "f" in m.group("prefix").lower():
                for inner in _BRACES.findall(m.group("str")):
                    _scan(_field_expression(inner), names)
            continue
        name = m.group("name")
        if name is not None and m.group("kw") is None:
            names.add(name)


def _field_expression(inner: str) -> str:
    """``x!r:>10`` → ``x``: the expression of an f-string replacement field."""
    for mark in ("!", ":"):
        at = inner.find(mark)
        if at > 0 and "[" not in inner[:at] and "(" not in inner[:at]:
            inner = inner[:at]
    return inner


def normal_text(raw: bytes) -> str:
    """The expression on one line: ``f(\\n    a,\\n)`` → ``f(a)``."""
    out = raw.decode("utf-8", "replace")
    if "\n" not in out:
        return out
    out = re.sub(r"\s*\n\s*", " ", out)
    out = re.sub(r"([(\[{]) ", r"\1", out)
    out = re.sub(r",? ([)\]}])", r"\1", out)
    return out


@dataclass
class Written:
    """One expression written in the module, and where."""

    text: str
    node: Node  # the occurrence nearest the hole
    in_function: int = 0
    in_class: int = 0
    elsewhere: int = 0
    nearest: int = 1 << 30  # bytes between the hole and the nearest occurrence
    slot: int = 0  # occurrences in the same slot as the hole
    slot_name: int = 0  # occurrences stored under the hole's keyword name by other code

    @property
    def count(self) -> int:
        return self.in_function + self.in_class + self.elsewhere


@dataclass
class Nearby:
    """Expressions of the module around a hole, and names used in its function."""

    root: Node
    data: bytes
    hole_start: int
    hole_end: int
    func: Node | None
    cls: Node | None
    written: dict[str, Written] = field(default_factory=dict)
    #: Uses of each name and attribute chain in the enclosing function (``self.x``).
    names_in_function: dict[str, int] = field(default_factory=dict)
    #: Where the function reads each name and attribute chain (stores left out).
    loads: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def gather(
        cls,
        root: Node,
        data: bytes,
        hole_node: Node,
        func: Node | None,
        owner: Node | None,
        *,
        index: ModuleIndex | None = None,
    ) -> Nearby:
        """Read the code around the hole (``owner``: the class of ``func``, if any)."""
        near = cls(root, data, hole_node.start_byte, hole_node.end_byte, func, owner)
        near._expressions()
        if func is not None:
            near._names()
        near._slots(hole_node, index)
        return near

    # -- gathering ---------------------------------------------------------------------
    def _expressions(self) -> None:
        data, hole_start, hole_end = self.data, self.hole_start, self.hole_end
        lo, hi = self.window
        cursor = _cursor(_EXPRESSIONS)
        cursor.set_byte_range(lo, hi)
        # The order captures come in is not fixed for nodes that start together
        # (`super()` and `super().f(x)`): sorted, so the same text gives the same fills.
        found = sorted(
            cursor.captures(self.root).get("e", []), key=lambda n: (n.start_byte, n.end_byte)
        )
        f_lo, f_hi = (self.func.start_byte, self.func.end_byte) if self.func else (-1, -1)
        c_lo, c_hi = (self.cls.start_byte, self.cls.end_byte) if self.cls else (-1, -1)
        written = self.written
        seen: set[tuple[int, int]] = set()
        for node in found:
            start, end = node.start_byte, node.end_byte
            if end - start > MAX_TEXT or (start, end) in seen:
                continue
            if start <= hole_start and hole_end <= end:
                continue  # the hole's own call, or the hole itself
            node_type = node.type
            if node_type in _NOT_VALUES:
                continue
            if node_type == "attribute" and data[end : end + 1] == b"(":
                continue  # a method being called: offered as the call
            raw = data[start:end]
            if b"\n" in raw:
                if b'"""' in raw or b"'''" in raw:
                    continue
                key = normal_text(raw)
            else:
                key = raw.decode("utf-8", "replace")
            if "..." in key:
                continue
            seen.add((start, end))
            w = written.get(key)
            if w is None:
                w = written[key] = Written(key, node)
            if f_lo <= start < f_hi:
                w.in_function += 1
            elif c_lo <= start < c_hi:
                w.in_class += 1
            else:
                w.elsewhere += 1
            distance = hole_start - end if end <= hole_start else start - hole_end
            if distance < w.nearest:
                w.nearest, w.node = distance, node

    @property
    def window(self) -> tuple[int, int]:
        """The part of the module read: ``WINDOW`` bytes each side of the hole, and
        the whole enclosing function."""
        lo = max(0, self.hole_start - WINDOW)
        hi = min(len(self.data), self.hole_end + WINDOW)
        if self.func is not None:
            lo, hi = min(lo, self.func.start_byte), max(hi, self.func.end_byte)
        return lo, hi

    def _names(self) -> None:
        assert self.func is not None
        body = self.func.child_by_field_name("body")
        if body is None:
            return
        data = self.data
        cursor = _cursor(_IDENTIFIERS)
        cursor.set_byte_range(body.start_byte, body.end_byte)
        counts = self.names_in_function
        loads = self.loads
        for node in cursor.captures(self.root).get("i", []):
            start, end = node.start_byte, node.end_byte
            if start > 0 and data[start - 1 : start] == b".":
                continue
            name = data[start:end].decode("utf-8", "replace")
            counts[name] = counts.get(name, 0) + 1
            store = _is_store(data, node)
            if not store:
                loads.setdefault(name, []).append(start)
            # `self.a.b`: also count the chain's prefixes (`self.a`, `self.a.b`).
            at = end
            while data[at : at + 1] == b"." and len(name) < MAX_TEXT:
                tail = _ATTRIBUTE_TAIL.match(data, at)
                if tail is None:
                    break
                name += "." + tail.group(1).decode("utf-8", "replace")
                at = tail.end()
                counts[name] = counts.get(name, 0) + 1
                if not _STORE_AFTER.match(data, at):
                    loads.setdefault(name, []).append(start)

    def loads_between(self, name: str, lo: int, hi: int) -> int:
        """Reads of a name (or attribute chain) in the function between two offsets."""
        return sum(lo < at < hi for at in self.loads.get(name, ()))

    # -- slots -------------------------------------------------------------------------
    def _slots(self, hole: Node, index: ModuleIndex | None) -> None:
        """Count what stood in the hole's slot elsewhere in the module."""
        found = slot_values(self.root, self.data, hole, self.window, index)
        for w in self._count(found):
            w.slot += 1
        parent = hole.parent
        if parent is not None and parent.type == "keyword_argument":
            key = parent.child_by_field_name("name")
            if key is not None:
                name = _text(self.data, key)
                named = _assigned_values(self.root, self.data, name, self.window)
                for w in self._count(named):
                    w.slot_name += 1

    def _count(self, found: list[Node]) -> list[Written]:
        """The gathered expressions of these nodes (added when not gathered yet)."""
        out = []
        for node in found:
            if node.start_byte <= self.hole_start and self.hole_end <= node.end_byte:
                continue
            raw = self.data[node.start_byte : node.end_byte]
            if len(raw) > MAX_TEXT or b"..." in raw:
                continue
            key = normal_text(raw)
            w = self.written.get(key)
            if w is None:
                w = self.written[key] = Written(key, node, elsewhere=1)
                w.nearest = abs(node.start_byte - self.hole_start)
            out.append(w)
        return out

    # -- answers -----------------------------------------------------------------------
    def lines_to(self, offset: int) -> int:
        lo, hi = sorted((offset, self.hole_start))
        return self.data.count(b"\n", lo, hi)

    def usage(self, text: str) -> dict[str, float]:
        """Features of a candidate from how the code around the hole uses it."""
        w = self.written.get(text)
        in_func = self.names_in_function.get(text, 0)
        feats: dict[str, float] = {}
        if w is not None:
            in_func = max(in_func, w.in_function)
            if w.in_class:
                feats["use_class"] = math.log1p(w.in_class)
            if w.elsewhere:
                feats["use_module"] = math.log1p(w.elsewhere)
            if w.slot:
                feats["slot"] = math.log1p(w.slot)
            if w.slot_name:
                feats["slot_name"] = math.log1p(w.slot_name)
            feats["use_near"] = 1 / (1 + self.lines_to(w.node.start_byte) / 10)
        if in_func:
            feats["use_function"] = math.log1p(in_func)
        return feats

    def ordered(self) -> list[Written]:
        """Gathered expressions, those most likely to be written again first."""

        def key(w: Written) -> float:
            return -(
                3 * w.slot
                + w.slot_name
                + 2 * math.log1p(w.in_function)
                + math.log1p(w.in_class)
                + 0.5 * math.log1p(w.elsewhere)
                + 1 / (1 + w.nearest / 2000)
            )

        return sorted(self.written.values(), key=key)


def slot_values(
    root: Node,
    data: bytes,
    hole: Node,
    window: tuple[int, int],
    index: ModuleIndex | None = None,
) -> list[Node]:
    """Values that stood elsewhere in the slot the hole is in (see the module doc)."""
    parent = hole.parent
    if parent is None:
        return []
    if parent.type == "keyword_argument":
        key = parent.child_by_field_name("name")
        call = parent.parent.parent if parent.parent is not None else None
        if key is None or call is None or call.type != "call":
            return []
        return _argument_values(root, data, call, None, _text(data, key), window=window)
    if parent.type == "argument_list":
        call = parent.parent
        if call is None or call.type != "call":
            return []
        position = 0
        for arg in parent.named_children:
            if arg.start_byte >= hole.start_byte:
                break
            if arg.type not in ("keyword_argument", "comment"):
                position += 1
        return _argument_values(root, data, call, position, None, window=window)
    if parent.type == "assignment" and field_of(hole) == "right":
        left = parent.child_by_field_name("left")
        if left is None or left.type not in ("identifier", "attribute"):
            return []
        return _assigned_values(root, data, _text(data, left).rsplit(".", 1)[-1], window)
    if parent.type == "return_statement":
        func = _enclosing_def(hole)
        return _returned_values(index or ModuleIndex.build(root), func) if func else []
    return []


def _text(data: bytes, node: Node) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _callee_name(data: bytes, call: Node) -> str | None:
    fn = call.child_by_field_name("function")
    if fn is None or fn.type not in ("identifier", "attribute"):
        return None
    return _text(data, fn).rsplit(".", 1)[-1].strip()


def whole_words(data: bytes, word: str, lo: int = 0, hi: int | None = None) -> Iterator[int]:
    """Offsets of ``word`` as a whole name in ``data[lo:hi]``, found at C speed by
    ``bytes.find`` (a large file is never tokenised for it)."""
    needle = word.encode()
    end_at = len(data) if hi is None else hi
    at = data.find(needle, lo, end_at)
    while at >= 0:
        end = at + len(needle)
        before = data[at - 1 : at] if at else b" "
        if not (before.isalnum() or before == b"_") and not (
            data[end : end + 1].isalnum() or data[end : end + 1] == b"_"
        ):
            yield at
        at = data.find(needle, end, end_at)


def _occurrences(data: bytes, word: str, window: tuple[int, int]) -> list[int]:
    """Offsets of ``word`` as a whole name in a part of the source."""
    return list(whole_words(data, word, *window))


def _argument_values(
    root: Node,
    data: bytes,
    call: Node,
    position: int | None,
    keyword_name: str | None,
    *,
    window: tuple[int, int],
) -> list[Node]:
    name = _callee_name(data, call)
    if not name:
        return []
    out: list[Node] = []
    for at in _occurrences(data, name, window):
        node = root.descendant_for_byte_range(at, at + len(name.encode()))
        while node is not None and node.type in ("identifier", "attribute"):
            node = node.parent
        if node is None or node.type != "call" or node.id == call.id:
            continue
        if _callee_name(data, node) != name:
            continue
        args = node.child_by_field_name("arguments")
        if args is None or args.type != "argument_list":
            continue
        i = 0
        for arg in args.named_children:
            if arg.type == "keyword_argument":
                key = arg.child_by_field_name("name")
                value = arg.child_by_field_name("value")
                if (
                    keyword_name
                    and key is not None
                    and value is not None
                    and _text(data, key) == keyword_name
                ):
                    out.append(value)
            elif arg.type not in ("comment", "list_splat", "dictionary_splat"):
                if i == position:
                    out.append(arg)
                i += 1
    return out


def _assigned_values(root: Node, data: bytes, target: str, window: tuple[int, int]) -> list[Node]:
    out: list[Node] = []
    for at in _occurrences(data, target, window):
        node = root.descendant_for_byte_range(at, at + len(target.encode()))
        if node is not None and node.parent is not None and node.parent.type == "attribute":
            node = node.parent
        parent = node.parent if node is not None else None
        if node is None or parent is None:
            continue
        if parent.type == "assignment" and field_of(node) == "left":
            right = parent.child_by_field_name("right")
            if right is not None and right.type not in _NOT_VALUES:
                out.append(right)
        elif parent.type == "keyword_argument" and field_of(node) == "name":
            value = parent.child_by_field_name("value")
            if value is not None:
                out.append(value)
    return out


def _enclosing_def(node: Node) -> Node | None:
    parent = node.parent
    while parent is not None and parent.type not in ("function_definition", "lambda"):
        parent = parent.parent
    return parent if parent is not None and parent.type == "function_definition" else None


def _returned_values(index: ModuleIndex, func: Node) -> list[Node]:
    """Values returned by the function and by the module's other functions of its name."""
    name = definition_name(func)
    same = [func]
    for node in _definitions_named(index, name):
        if node.id != func.id:
            same.append(node)
    out: list[Node] = []
    for f in same:
        body = f.child_by_field_name("body")
        stack = list(body.named_children) if body is not None else []
        while stack:
            node = stack.pop()
            if node.type in ("function_definition", "class_definition", "lambda"):
                continue
            if node.type == "return_statement" and node.named_children:
                out.append(node.named_children[0])
                continue
            stack.extend(node.named_children)
    return out


def _definitions_named(index: ModuleIndex, name: str) -> list[Node]:
    found = list(index.functions.get(name, []))
    for info in index.classes.values():
        found += info.methods.get(name, [])
    return found


# -- visible names ---------------------------------------------------------------------
def module_names(root: Node) -> set[str]:
    """Names bound at module level: definitions, assignments, imports, loop targets."""
    names: set[str] = set()
    stack = list(root.named_children)
    while stack:
        node = stack.pop()
        t = node.type
        if t in ("function_definition", "class_definition"):
            names.add(definition_name(node))
        elif t == "decorated_definition":
            inner = node.child_by_field_name("definition")
            if inner is not None:
                names.add(definition_name(inner))
        elif t in ("import_statement", "import_from_statement"):
            names.update(imported_names(node))
        elif t == "expression_statement":
            for child in node.named_children:
                if child.type == "assignment":
                    _assigned_names(child, names)
        elif t in ("for_statement", "with_statement"):
            left = node.child_by_field_name("left")
            if left is not None:
                names.update(_NAME.findall(left.text.decode() if left.text else ""))
            stack.extend(node.named_children)
        elif t in (
            "if_statement", "elif_clause", "else_clause", "try_statement", "except_clause",
            "finally_clause", "block", "with_statement",
        ):  # fmt: skip
            stack.extend(node.named_children)
    return names


def _assigned_names(assign: Node, names: set[str]) -> None:
    left = assign.child_by_field_name("left")
    if left is not None and left.type in ("identifier", "pattern_list", "tuple_pattern"):
        names.update(_NAME.findall(left.text.decode() if left.text else ""))
    right = assign.child_by_field_name("right")
    if right is not None and right.type == "assignment":
        _assigned_names(right, names)


def imported_names(node: Node) -> list[str]:
    """The names an ``import`` statement binds (``import a.b`` binds ``a``)."""
    out: list[str] = []
    from_import = node.type == "import_from_statement"
    module = node.child_by_field_name("module_name") if from_import else None
    for child in node.named_children:
        if module is not None and child.id == module.id:
            continue
        if child.type == "aliased_import":
            alias = child.child_by_field_name("alias")
            if alias is not None and alias.text:
                out.append(alias.text.decode())
        elif child.type == "dotted_name" and child.text:
            part = child.text.decode()
            out.append(part.rsplit(".", 1)[-1] if from_import else part.split(".", 1)[0])
    return out


def module_level_names(index: ModuleIndex, root: Node) -> set[str]:
    """``module_names`` and the builtins, worked out once per document version (the
    index lives as long as the version); the caller must not change the set."""
    found = index.memo.get("nearby.module_level_names")
    if not isinstance(found, set):
        found = index.memo["nearby.module_level_names"] = module_names(root) | _BUILTINS
    return found


def visible_names(index: ModuleIndex, root: Node, func: Node | None, offset: int) -> set[str]:
    """Every name that can be read at ``offset``: see the module doc."""
    names = set(module_level_names(index, root))
    scope_func = func
    while scope_func is not None:
        view = ScopeView(index, scope_func, offset, attributes=False)
        names.update(b.name for b in view.params)
        names.update(b.name for b in view.locals)
        names.update(_local_imports(scope_func, offset))
        parent = scope_func.parent
        while parent is not None and parent.type != "function_definition":
            parent = parent.parent
        scope_func = parent
    return names


def _local_imports(func: Node, offset: int) -> list[str]:
    body = func.child_by_field_name("body")
    out: list[str] = []
    stack = list(body.named_children) if body is not None else []
    while stack:
        node = stack.pop()
        if node.start_byte >= offset or node.type in ("function_definition", "class_definition"):
            continue
        if node.type in ("import_statement", "import_from_statement"):
            out.extend(imported_names(node))
        elif node.type in (
            "if_statement", "try_statement", "block", "else_clause", "except_clause",
            "with_statement", "elif_clause", "finally_clause",
        ):  # fmt: skip
            stack.extend(node.named_children)
    return out
