"""One document's holes plus what hovers and navigation ask about them."""

from __future__ import annotations

import bisect
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

from lift_lsp.holes.defs import ModuleIndex, def_header
from lift_lsp.holes.detect import HoleFinder, is_stub_path, module_name_for
from lift_lsp.holes.model import ALL_KINDS, Hole, HoleKind
from lift_lsp.holes.scope import Binding, ScopeView
from lift_lsp.syntax.document import SourceDocument
from lift_lsp.syntax.nodes import enclosing_function


@dataclass(frozen=True, slots=True)
class HoleDescription:
    """Everything a hover says about a hole (rendered by the adapters)."""

    hole: Hole
    enclosing: str | None  # `def area(self) -> float`
    bindings: list[Binding]
    same_name: list[Hole]  # other places of a named hole


class Analysis:
    """Holes of one document version; cheap to build, richer answers computed lazily."""

    def __init__(
        self,
        doc: SourceDocument,
        path: str | None = None,
        kinds: Collection[HoleKind] = ALL_KINDS,
    ) -> None:
        self.doc = doc
        self.path = path
        self._finder = HoleFinder(doc, module_name=module_name_for(path))
        self.kinds = kinds
        self.holes: list[Hole] = [] if is_stub_path(path) else self._finder.run(kinds)
        self._starts = [h.start for h in self.holes]
        #: Holes on request by offset: one request asks several times (the completion
        #: handler, the engine, the remote fills), each answer is worked out once.
        self._requested: dict[int, Hole | None] = {}

    @property
    def index(self) -> ModuleIndex:
        """The module's definitions (built on first use)."""
        return self._finder.index

    def hole_at(self, offset: int, *, on_request: bool = False) -> Hole | None:
        """The hole whose range contains ``offset`` (its end included: the cursor after ``...``).

        ``on_request``: the user asked for fills at ``offset``, so a ``...`` the rules
        read as Ellipsis used as a value counts too (``HoleFinder.requested_at``).
        """
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and self.holes[i].start <= offset <= self.holes[i].end:
            return self.holes[i]
        if on_request and HoleKind.EXPRESSION in self.kinds and not is_stub_path(self.path):
            if offset not in self._requested:
                self._requested[offset] = self._finder.requested_at(offset)
            return self._requested[offset]
        return None

    def next_hole(self, offset: int, *, backwards: bool = False) -> Hole | None:
        """The next hole after ``offset`` (or before it), wrapping around the document."""
        if not self.holes:
            return None
        if backwards:
            before = [h for h in self.holes if h.start < offset and not h.start <= offset <= h.end]
            return before[-1] if before else self.holes[-1]
        after = [h for h in self.holes if h.start > offset]
        return after[0] if after else self.holes[0]

    @cached_property
    def by_name(self) -> dict[str, list[Hole]]:
        groups: dict[str, list[Hole]] = {}
        for hole in self.holes:
            if hole.kind is HoleKind.NAMED:
                groups.setdefault(hole.name, []).append(hole)
        return groups

    def describe(self, hole: Hole) -> HoleDescription:
        node = self.doc.tree.root_node.descendant_for_byte_range(hole.start, hole.end)
        func = enclosing_function(node) if node is not None else None
        if node is not None and node.type == "function_definition":
            func = node
        scope = ScopeView(self._finder.index, func, hole.start)
        others = [h for h in self.by_name.get(hole.name, []) if h is not hole]
        return HoleDescription(
            hole=hole,
            enclosing=def_header(func) if func is not None else None,
            bindings=scope.visible(),
            same_name=others if hole.kind is HoleKind.NAMED else [],
        )
