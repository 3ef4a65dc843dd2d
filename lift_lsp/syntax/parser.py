"""The Python grammar, parsers and the queries kept in ``grammars/*.scm``."""

from __future__ import annotations

from functools import cache

import tree_sitter_python
from tree_sitter import Language, Parser, Query, QueryCursor

PY_LANGUAGE = Language(tree_sitter_python.language())


def new_parser() -> Parser:
    """A fresh parser; parsers hold state, so each document gets its own."""
    return Parser(PY_LANGUAGE)


@cache
def query_source(name: str) -> str:
    """The text of ``grammars/<name>.scm``, shipped inside the package."""
    from importlib import resources  # first use only: keeps server start-up light

    return (resources.files("lift_lsp.grammars") / f"{name}.scm").read_text(encoding="utf-8")


@cache
def query(name: str) -> Query:
    return Query(PY_LANGUAGE, query_source(name))


def cursor(name: str) -> QueryCursor:
    return QueryCursor(query(name))
