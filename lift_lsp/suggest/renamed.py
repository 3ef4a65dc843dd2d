"""Fills made from what the module writes, with its variable swapped for one in scope.

``int(number)`` where the code writes ``int(value)``; ``start.day`` after ``end.day``;
``self.write_to_fs(scheme, path_, stream)`` where another branch passes ``path``:
code repeats its shapes with other variables. An expression written elsewhere whose
*variables* (names neither bound at module level nor builtins, nor the method's
``self``) include exactly one the hole cannot see has that one swapped for each of the
nearest variables the hole can see; one whose single variable is visible has it
swapped too. Names of attributes, keywords and names inside strings are left alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lift_lsp.holes.scope import Binding
from lift_lsp.suggest.nearby import TOKENS, Written, free_names

#: Written expressions tried as shapes at most (the most used first), and the variables
#: of the hole's scope tried in each (the nearest first).
MAX_SOURCES = 20
MAX_VALUES = 3
#: Node types not worth re-shaping: a bare name is offered as itself, a literal has no
#: variable, a lambda or a comprehension binds its own.
_SKIPPED = frozenset({"identifier", "lambda", "list_comprehension", "generator_expression"})


def rename(expr: str, old: str, new: str) -> str | None:
    """``expr`` with the variable ``old`` read as ``new``; ``None`` if ``old`` also
    appears inside an f-string (a replacement field: not worth the risk)."""
    out: list[str] = []
    last = 0
    for m in TOKENS.finditer(expr):
        literal = m.group("str")
        if literal is not None:
            f_string = "f" in m.group("prefix").lower()
            if f_string and re.search(rf"(?<![\w.]){re.escape(old)}(?!\w)", literal):
                return None
            continue
        if m.group("name") == old and m.group("kw") is None:
            out.append(expr[last : m.start("name")])
            out.append(new)
            last = m.end("name")
    out.append(expr[last:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Renamed:
    text: str
    source: Written  # the expression it was made from
    old: str  # the variable swapped out
    value: Binding  # the variable swapped in
    value_rank: int  # 0 for the variable nearest the hole
    missing: bool  # ``old`` cannot be read at the hole


def renamed(
    written: Sequence[Written],
    values: Sequence[Binding],
    fixed: set[str],
    visible: set[str],
    *,
    taken: Callable[[str], bool],
) -> list[Renamed]:
    """Shapes of ``written`` (the most used first) with their variable swapped for one
    of ``values`` (the nearest first). ``fixed``: names that are no variables (module
    level, builtins, ``self``); ``taken``: a text already offered another way."""
    values = list(values[:MAX_VALUES])
    if not values:
        return []
    sources = sorted(
        (w for w in written if w.node.type not in _SKIPPED),
        key=lambda w: (-w.count, w.nearest),
    )
    out: list[Renamed] = []
    seen: set[str] = set()
    tried = 0
    for w in sources:
        if tried >= MAX_SOURCES:
            break
        variables = free_names(w.text) - fixed
        missing = variables - visible
        if len(missing) == 1:
            (old,) = missing
        elif not missing and len(variables) == 1:
            (old,) = variables
        else:
            continue
        tried += 1
        for rank, b in enumerate(values):
            if b.name == old or b.name in variables:
                continue
            made = rename(w.text, old, b.name)
            if made is None or made in seen or taken(made):
                continue
            seen.add(made)
            out.append(Renamed(made, w, old, b, rank, bool(missing)))
    return out


def features(r: Renamed, similarity: float, unread: bool) -> dict[str, float]:
    """How much the shape is used, which variable came in, and how alike the two are."""
    feats = {
        "template": math.log1p(r.source.count),
        "arg_recency": 1 / (1 + r.value_rank),
        "rename_sim": similarity,
    }
    if r.missing:
        feats["rename_missing"] = 1.0  # the original variable is out of reach here
    if unread:
        feats["arg_unread"] = 1.0
    return feats
