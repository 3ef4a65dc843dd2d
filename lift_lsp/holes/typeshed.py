"""Builtin signatures from the typeshed copy that ``typeshed_client`` ships.

Parsed lazily with tree-sitter the first time a hole needs a builtin's parameter.
"""

from __future__ import annotations

import re
from functools import cache

from tree_sitter import Node

from lift_lsp.holes.defs import ModuleIndex, param_for_argument, parameters, return_annotation
from lift_lsp.syntax.document import SourceDocument

# TypeVars and private aliases (``_T``, ``_typeshed.StrPath``) mean nothing at a call site.
_PRIVATE = re.compile(r"(?<![\w.])_\w*|\b_typeshed\b")


@cache
def _builtins() -> ModuleIndex | None:
    from importlib import resources  # first use only: keeps server start-up light

    try:
        stub = resources.files("typeshed_client") / "typeshed" / "builtins.pyi"
        doc = SourceDocument(stub.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None
    return ModuleIndex.build(doc.tree.root_node)


def _callables(callee: str) -> tuple[list[Node], bool]:
    """Overloads of a builtin function, or of a builtin class's constructor."""
    index = _builtins()
    if index is None:
        return [], False
    if callee in index.functions:
        return index.functions[callee], False
    info = index.classes.get(callee)
    if info is None:
        return [], False
    return info.methods.get("__init__") or info.methods.get("__new__") or [], True


def _agreed(answers: set[str | None]) -> str | None:
    if len(answers) != 1:
        return None
    (answer,) = answers
    if answer is None or _PRIVATE.search(answer):
        return None
    return answer


def builtin_param_type(callee: str, position: int | None, keyword: str | None) -> str | None:
    """The annotation of a builtin's parameter, if every overload agrees on it."""
    overloads, bound = _callables(callee)
    if not overloads:
        return None
    answers: set[str | None] = set()
    for func in overloads:
        params = parameters(func)[1 if bound else 0 :]
        param = param_for_argument(params, position, keyword)
        answers.add(param.annotation if param is not None else None)
    return _agreed(answers)


def builtin_return_type(callee: str) -> str | None:
    """What calling a builtin gives: the class itself, or the agreed return annotation."""
    overloads, bound = _callables(callee)
    if bound:
        return callee
    if not overloads:
        return None
    return _agreed({return_annotation(f) for f in overloads})


def is_builtin(name: str) -> bool:
    index = _builtins()
    return index is not None and (name in index.functions or name in index.classes)
