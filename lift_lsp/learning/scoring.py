"""Scoring a program on held-out examples through a route.

Each example is asked with ``acall`` on the caller's event loop (the route's), a few at
a time; the score is the metric of :mod:`~lift_lsp.learning.examples`. An answer the
program cannot use counts as a miss; the route no longer answering (budget spent,
breaker open) stops the scoring, because partial scores cannot be compared.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lift_lsp.learning.examples import Labeled, rank_score, values_of
from lift_lsp.providers.guard import RouteUnavailable
from lift_lsp.providers.llm import route_failure
from lift_lsp.suggest.learning import sign_test

if TYPE_CHECKING:
    import dspy

log = logging.getLogger(__name__)


class RouteGone(Exception):
    """The route stopped answering (budget spent, breaker open): scores would be partial."""


def route_gone(exc: BaseException) -> RouteUnavailable | None:
    """The route failure behind ``exc`` (DSPy wraps what an engine raises)."""
    return route_failure(exc)


@dataclass(frozen=True)
class Scores:
    """One program's score per held-out example (in the examples' order)."""

    values: list[float]
    #: Answers the program could not turn into suggestions (counted as misses).
    unusable: int = 0

    @property
    def mean(self) -> float:
        return round(sum(self.values) / len(self.values), 4) if self.values else 0.0


async def evaluate(
    program: dspy.Module, examples: Sequence[Labeled], lm: dspy.LM, *, concurrency: int = 1
) -> Scores:
    """Score ``program`` on ``examples`` through ``lm`` (asynchronously, on this loop).
    Raises :class:`RouteGone` when the route stops answering part-way."""
    import dspy

    slots = asyncio.Semaphore(max(1, concurrency))
    adapter = dspy.JSONAdapter()

    async def one(item: Labeled) -> float | None:
        async with slots:
            try:
                with dspy.context(lm=lm, adapter=adapter):
                    prediction = await program.acall(**item.example().inputs())
            except Exception as exc:
                gone = route_gone(exc)
                if gone is not None:
                    raise RouteGone(gone.reason) from None
                log.debug("unusable answer while scoring", exc_info=True)
                return None
        return rank_score(item.label, values_of(prediction))

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(e)) for e in examples]
    except* RouteGone as gone:
        raise gone.exceptions[0] from None
    found = [t.result() for t in tasks]
    return Scores([v or 0.0 for v in found], sum(v is None for v in found))


def _three_digits(value: float) -> float:
    """A tiny p stays distinguishable from 0."""
    return float(f"{value:.3g}")


def p_better(wins: int, losses: int) -> float:
    """One-sided sign test: how likely at least ``wins`` wins are under no difference."""
    return _three_digits(sign_test(wins, losses))


def p_different(wins: int, losses: int) -> float:
    """Two-sided sign test: how likely this many wins either way under no difference."""
    return _three_digits(min(1.0, 2 * sign_test(max(wins, losses), min(wins, losses))))


def wins_losses(new: Scores, old: Scores) -> tuple[int, int]:
    wins = sum(a > b for a, b in zip(new.values, old.values, strict=True))
    losses = sum(a < b for a, b in zip(new.values, old.values, strict=True))
    return wins, losses
