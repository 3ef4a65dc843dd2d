"""Canonical text of type expressions, so that two spellings of one type compare equal.

``normalize("Optional[List['Foo']]")`` is ``"list[Foo] | None"``; ``base(...)`` of it is
``"list | None"``. Rules (applied to annotations and to predictions alike):

- string annotations and forward references are parsed as the expression they hold;
- module qualifiers are dropped (``typing.List`` → ``list``, ``t.Any`` → ``Any``,
  ``collections.abc.Iterable`` → ``Iterable``, ``dt.datetime`` → ``datetime``); names can
  first be mapped through a module's import aliases (``dt_datetime`` → ``datetime``);
- ``Optional[X]`` → ``X | None``; ``Union[A, B]`` and ``A | B`` are flattened, deduplicated
  and sorted, ``None`` last; ``NoneType`` is ``None``;
- ``List Dict Set FrozenSet Tuple Type DefaultDict OrderedDict Deque ChainMap Counter Text``
  → their builtin or ``collections`` names; ``Sequence``, ``Mapping``, ``Iterable`` … stay;
- ``Annotated[X, ...]`` → ``X``;
- pyright's scope suffixes (``T@func``, ``Self@Arrow``) are dropped;
- whitespace is canonical (``dict[str, int]``, ``Callable[[int], str]``).

Text that does not parse as a Python expression is compared as itself, whitespace
removed at the ends.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

_BUILTIN_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
    "DefaultDict": "defaultdict",
    "OrderedDict": "OrderedDict",
    "Deque": "deque",
    "Counter": "Counter",
    "ChainMap": "ChainMap",
    "Text": "str",
    "NoneType": "None",
}
_SCOPE_SUFFIX = re.compile(r"@[A-Za-z_][\w.]*")


def _name(dotted: str, aliases: Mapping[str, str] | None) -> str:
    if aliases:
        head, _, rest = dotted.partition(".")
        if head in aliases:
            dotted = aliases[head] + ("." + rest if rest else "")
    last = dotted.rsplit(".", 1)[-1]
    return _BUILTIN_ALIASES.get(last, last)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def _parse(text: str) -> ast.expr | None:
    text = _SCOPE_SUFFIX.sub("", text.strip())
    try:  # parenthesised, so that a multi-line annotation (`X\n    | None`) parses
        return ast.parse(f"({text}\n)", mode="eval").body
    except (SyntaxError, ValueError):
        return None


class _Unparseable(Exception):
    pass


class _Normalizer:
    def __init__(self, aliases: Mapping[str, str] | None, drop_params: bool) -> None:
        self.aliases = aliases
        self.drop_params = drop_params

    # A type is rendered as a list of union members; a non-union has one member.
    def members(self, node: ast.expr) -> list[str]:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.members(node.left) + self.members(node.right)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            inner = _parse(node.value)
            if inner is None:
                raise _Unparseable
            return self.members(inner)
        if isinstance(node, ast.Subscript):
            head = _dotted(node.value)
            name = _name(head, self.aliases) if head else None
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if name == "Optional" and len(args) == 1:
                return [*self.members(args[0]), "None"]
            if name == "Union":
                return [m for arg in args for m in self.members(arg)]
            if name == "Annotated" and args:
                return self.members(args[0])
        return [self.single(node)]

    def union(self, node: ast.expr) -> str:
        unique = sorted(set(self.members(node)), key=lambda m: (m == "None", m))
        return " | ".join(unique)

    def single(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            if node.value is None:
                return "None"
            if node.value is Ellipsis:
                return "..."
            return repr(node.value)
        dotted = _dotted(node)
        if dotted is not None:
            return _name(dotted, self.aliases)
        if isinstance(node, ast.Subscript):
            head = self.single(node.value)
            if self.drop_params:
                return head
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if isinstance(node.slice, ast.Tuple) and not args:
                return f"{head}[()]"
            if head == "Literal":
                return f"{head}[{', '.join(self.literal(a) for a in args)}]"
            return f"{head}[{', '.join(self.argument(a) for a in args)}]"
        if isinstance(node, ast.List):
            return f"[{', '.join(self.argument(e) for e in node.elts)}]"
        if isinstance(node, ast.Tuple):
            return f"({', '.join(self.argument(e) for e in node.elts)})"
        if isinstance(node, (ast.BinOp, ast.Call, ast.UnaryOp)):
            return ast.unparse(node)
        raise _Unparseable

    def argument(self, node: ast.expr) -> str:
        return self.union(node)

    def literal(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return repr(node.value)
        return self.union(node)


def normalize(
    text: str | None, aliases: Mapping[str, str] | None = None, *, drop_params: bool = False
) -> str | None:
    """The canonical form of a type expression; ``None`` for ``None`` or empty text."""
    if text is None or not text.strip():
        return None
    node = _parse(text)
    if node is None:
        return text.strip()
    try:
        return _Normalizer(aliases, drop_params).union(node)
    except (_Unparseable, RecursionError):
        return text.strip()


def base(text: str | None, aliases: Mapping[str, str] | None = None) -> str | None:
    """:func:`normalize` without type parameters: ``dict[str, int] | None`` → ``dict | None``."""
    return normalize(text, aliases, drop_params=True)


def import_aliases(source: str) -> dict[str, str]:
    """Names a module binds to other names: ``from datetime import datetime as dt_datetime``
    gives ``{"dt_datetime": "datetime"}``, ``import datetime as dt`` gives ``{"dt": "datetime"}``.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.asname and alias.asname != alias.name:
                    aliases[alias.asname] = alias.name
    return aliases
