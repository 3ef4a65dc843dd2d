"""Does a value of type A fit where type B is expected? Types as the source writes them.

Understands ``X | None`` / ``Optional[X]`` / ``Union[...]``, builtin generics (``list[int]``
fits ``list`` and ``Sequence[int]``), the numeric tower (``int`` fits ``float``), classes
and their bases in the same module, and ``Any``. The answer is a degree in [0, 1]: 1 for
the same type, less for a looser fit, 0 for a mismatch; ``None`` when either type is
unknown.
"""

from __future__ import annotations

from collections.abc import Callable

from lift_lsp.holes.scope import split_top, split_type_args

_ALIASES = {
    "List": "list", "Dict": "dict", "Set": "set", "FrozenSet": "frozenset", "Tuple": "tuple",
    "Type": "type", "Text": "str", "typing.List": "list", "typing.Dict": "dict",
}  # fmt: skip
# Abstract containers and what concrete builtins are (loosely) of them.
_ABSTRACT = {
    "Iterable": {
        "list", "tuple", "set", "frozenset", "dict", "str", "bytes", "range", "Sequence",
        "Mapping", "Iterator", "Generator",
    },
    "Sequence": {"list", "tuple", "str", "bytes", "range"},
    "MutableSequence": {"list"},
    "Collection": {"list", "tuple", "set", "frozenset", "dict", "str", "bytes"},
    "Mapping": {"dict", "OrderedDict", "defaultdict"},
    "MutableMapping": {"dict", "OrderedDict", "defaultdict"},
    "AbstractSet": {"set", "frozenset"},
    "Iterator": {"Generator"},
    "Container": {"list", "tuple", "set", "frozenset", "dict", "str", "bytes"},
    "Sized": {"list", "tuple", "set", "frozenset", "dict", "str", "bytes"},
}  # fmt: skip
_NUMERIC = {"bool": 0, "int": 1, "float": 2, "complex": 3}


def split_union(text: str) -> list[str]:
    """``int | None`` / ``Optional[int]`` / ``Union[int, str]`` → their members."""
    text = text.strip()
    head, sep, rest = text.partition("[")
    head = head.strip().removeprefix("typing.")
    if sep and rest.endswith("]") and head == "Optional":
        return [*split_union(rest[:-1]), "None"]
    if sep and rest.endswith("]") and head == "Union":
        return [m for part in split_type_args(rest[:-1]) for m in split_union(part)]
    return [p for p in split_top(text, "|") if p]


def _parts(t: str) -> tuple[str, list[str]]:
    head, sep, rest = t.partition("[")
    head = head.strip()
    head = _ALIASES.get(head, head).rsplit(".", 1)[-1] if head not in ("None",) else head
    args = split_type_args(rest[:-1]) if sep and rest.endswith("]") else []
    return head, args


def fits(
    actual: str | None,
    expected: str | None,
    is_subclass: Callable[[str, str], bool] = lambda _a, _b: False,
) -> float | None:
    """How well a value of type ``actual`` fits where ``expected`` is wanted."""
    if actual is None or expected is None:
        return None
    actual, expected = actual.strip().strip("'\""), expected.strip().strip("'\"")
    if actual == expected:
        return 1.0
    wanted = split_union(expected)
    have = split_union(actual)
    if any(_head(w) == "Any" for w in wanted) or any(_head(h) == "Any" for h in have):
        return 0.5
    # Every member of the actual union must fit some member of the expected one.
    scores = []
    for member in have:
        best = max((_fit_one(member, w, is_subclass) for w in wanted), default=0.0)
        scores.append(best)
    if not scores or min(scores) == 0.0:
        return 0.0
    score = min(scores)
    if len(wanted) > len(have):
        score *= 0.95  # a narrower value than the union allows: fine, slightly less exact
    return round(score, 4)


def _head(t: str) -> str:
    return _parts(t)[0]


def _fit_one(actual: str, expected: str, is_subclass: Callable[[str, str], bool]) -> float:
    a_head, a_args = _parts(actual)
    e_head, e_args = _parts(expected)
    if a_head == e_head:
        if not e_args or not a_args:
            return 0.9 if (e_args or a_args) else 1.0
        if len(a_args) == len(e_args):
            inner = [fits(x, y, is_subclass) or 0.0 for x, y in zip(a_args, e_args, strict=True)]
            return min(1.0, 0.5 + 0.5 * min(inner)) if min(inner) > 0 else 0.3
        return 0.6
    if a_head in _NUMERIC and e_head in _NUMERIC:
        return 0.8 if _NUMERIC[a_head] < _NUMERIC[e_head] else 0.0
    if e_head in _ABSTRACT and (a_head in _ABSTRACT[e_head] or a_head == e_head):
        return 0.8
    if e_head == "object":
        return 0.4
    if is_subclass(a_head, e_head):
        return 0.85
    return 0.0


#: Types whose values are surely not of another of them (``str`` where ``float`` is
#: wanted): a mismatch between two of these is a conflict, not a guess gone wrong.
_PLAIN = frozenset(
    {"str", "bytes", "int", "float", "bool", "complex", "list", "dict", "set", "frozenset",
     "tuple", "None"}
)  # fmt: skip


def conflicts(
    actual: str | None,
    expected: str | None,
    is_class: Callable[[str], bool] = lambda _name: False,
) -> bool:
    """A sure mismatch: no member of ``actual`` fits, and every member of both is a
    builtin value type or a class of the module (``is_class``), not a protocol, an
    alias or a type variable that the shallow fit may have misread."""
    if fits(actual, expected) != 0.0 or actual is None or expected is None:
        return False
    members = [*split_union(actual), *split_union(expected)]
    return all(_head(m) in _PLAIN or is_class(_head(m)) for m in members)
