"""Code full of `...` that is *not* a hole: lift-lsp reports nothing here."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, overload

MISSING = ...  # a sentinel named after Ellipsis


class Reader(Protocol):
    def read(self, n: int = ...) -> bytes: ...


class Shape(ABC):
    @abstractmethod
    def area(self) -> float: ...


@overload
def first(xs: list[int]) -> int: ...
@overload
def first(xs: list[str]) -> str: ...
def first(xs: list[int] | list[str]) -> int | str:
    return xs[0]


def apply(f: Callable[..., int], args: tuple[int, ...]) -> int:
    return f(*args)


def lookup(table: dict[str, object], key: str, default: object = ...) -> object:
    value = table.get(key, ...)
    if value is ...:
        return default
    return value


class NotFound(Exception): ...


if TYPE_CHECKING:
    def helper(x: int) -> str: ...
