"""What a hole is, independent of how it is shown (CLI, LSP)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HoleKind(StrEnum):
    EXPRESSION = "expression"
    BODY = "body"
    NAMED = "named"
    SIGNATURE = "signature"
    INTENT = "intent"

    @property
    def code(self) -> str:
        """The diagnostic code, e.g. ``hole.expression``."""
        return f"hole.{self.value}"


ALL_KINDS: frozenset[HoleKind] = frozenset(HoleKind)


@dataclass(frozen=True, slots=True)
class Hole:
    """A hole found in a source; ``start``/``end`` are UTF-8 byte offsets."""

    kind: HoleKind
    name: str
    start: int
    end: int
    expected_type: str | None
    function: str | None
    #: For a named hole that is a whole function body, or an anonymous body hole.
    is_body: bool = False

    @property
    def message(self) -> str:
        what = "body hole" if self.is_body else "hole"
        if self.expected_type is None:
            return f"{what} of unknown type"
        return f"{what} of type {self.expected_type}"
