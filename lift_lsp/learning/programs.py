"""Compiling a remote route's ``SuggestHoleFill`` program from feedback, and keeping a
version only when it is better.

:func:`optimize` reads the labelled examples (:mod:`~lift_lsp.learning.examples`), holds
out a share of the holes, scores the active program (the plain ``Predict`` when none is)
on them, then compiles and scores candidates, cheapest first, so that a budget that runs
out still leaves the cheap ones compared:

- ``LabeledFewShot``: always — the training examples as demonstrations;
- ``BootstrapFewShot``: from :data:`BOOTSTRAP_MIN_TRAIN` training examples — keeps the
  demonstrations the program itself gets right;
- ``MIPROv2`` (``auto="light"``, optuna): from :data:`MIPRO_MIN_TRAIN` — also searches
  the instruction.

One optimizer failing is reported and does not stop the others. The best candidate is
saved as a version of ``programs:<route>`` with its metrics; it is activated only when it
beats the active program on the held-out holes *and* its per-example wins outnumber its
losses clearly enough not to be chance (the ranker's one-sided sign test). :func:`compare`
is the same A/B between any two saved versions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from lift_lsp.learning.compiling import OPTIMIZERS, Options, compile_program, not_run
from lift_lsp.learning.examples import MIN_EXAMPLES, Labeled, labeled_from_feedback, split
from lift_lsp.learning.scoring import (
    RouteGone,
    Scores,
    evaluate,
    p_better,
    p_different,
    route_gone,
    wins_losses,
)

if TYPE_CHECKING:
    import dspy

    from lift_lsp.providers.llm import Programs
    from lift_lsp.store.db import Store

log = logging.getLogger(__name__)

SIGNATURE: Final = "SuggestHoleFill"
#: What a route uses when no version is active: ``dspy.Predict`` of the signature.
BASE: Final = "base"

Report = Callable[[str, int], None]
#: Whether a hole's code may be sent to the route (its file is not remote-excluded).
Allowed = Callable[[str], bool]


def kind_of(route: str) -> str:
    return f"programs:{route}"


def new_version(now: datetime | None = None) -> str:
    """``programs-20261201T101010123456Z``: sortable, unique enough for one workspace."""
    return "programs-" + (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


# --- versions ---------------------------------------------------------------------------


def programs_of(version: str, payload: dict[str, Any] | None) -> Programs:
    from lift_lsp.providers.llm import Programs

    state = (payload or {}).get(SIGNATURE)
    return Programs(version, {SIGNATURE: state} if isinstance(state, dict) else None)


def program_of(programs: Programs) -> dspy.Module:
    """The program a route answers SuggestHoleFill with, under these programs."""
    from lift_lsp.signatures import SuggestHoleFill

    return programs.program(SuggestHoleFill)


async def active_programs(store: Store, route: str) -> Programs | None:
    """The active compiled programs of ``route``, for ``Router.set_programs``; ``None``
    when no version is active (the route uses plain ``Predict`` programs)."""
    active = await store.active_program(kind_of(route))
    return programs_of(active.version, active.payload) if active is not None else None


async def saved_programs(store: Store, route: str, version: str) -> Programs:
    if version == BASE:
        return programs_of(BASE, None)
    for saved in await store.program_versions(kind_of(route)):
        if saved.version == version:
            return programs_of(saved.version, saved.payload)
    raise LookupError(f"no version {version!r} of {kind_of(route)}")


# --- optimize -------------------------------------------------------------------------


@dataclass
class Trial:
    """One optimizer's candidate: its held-out score, or why it has none."""

    optimizer: str
    scores: Scores | None = None
    seconds: float = 0.0
    error: str | None = None
    skipped: str | None = None
    program: Any = None

    @property
    def score(self) -> float | None:
        return self.scores.mean if self.scores is not None else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"score": self.score, "seconds": round(self.seconds, 3)}
        if self.scores is not None and self.scores.unusable:
            out["unusable_answers"] = self.scores.unusable
        if self.error is not None:
            out["error"] = self.error
        if self.skipped is not None:
            out["skipped"] = self.skipped
        return out


@dataclass
class Outcome:
    """What :func:`optimize` did; ``metrics()`` is saved with the candidate's version."""

    route: str
    previous: str
    reason: str
    activated: bool = False
    candidate: str | None = None
    optimizer: str | None = None
    examples: int = 0
    #: Examples left out: their file must not leave the machine (remote-exclude).
    kept_local: int = 0
    train_examples: int = 0
    heldout_examples: int = 0
    current: Scores | None = None
    trials: list[Trial] = field(default_factory=list)
    wins: int = 0
    losses: int = 0
    p_value: float | None = None

    @property
    def kind(self) -> str:
        return kind_of(self.route)

    @property
    def active(self) -> str:
        return self.candidate if self.activated and self.candidate else self.previous

    @property
    def new_score(self) -> float | None:
        best = next((t for t in self.trials if t.optimizer == self.optimizer), None)
        return best.score if best is not None else None

    def metrics(self) -> dict[str, Any]:
        return {
            "heldout": self.new_score,
            "current": self.current.mean if self.current is not None else None,
            "current_version": self.previous,
            "optimizer": self.optimizer,
            "optimizers": {t.optimizer: t.to_json() for t in self.trials},
            "examples": self.examples,
            "kept_local": self.kept_local,
            "train_examples": self.train_examples,
            "heldout_examples": self.heldout_examples,
            "wins": self.wins,
            "losses": self.losses,
            "p_value": self.p_value,
            "activated": self.activated,
            "reason": self.reason,
        }


async def _unique_version(store: Store, kind: str) -> str:
    known = {v.version for v in await store.program_versions(kind)}
    version, n = new_version(), 2
    while version in known:
        version, n = f"{new_version()}-{n}", n + 1
    return version


def _decide(outcome: Outcome, new: float, old: float, max_p: float) -> tuple[bool, str]:
    n = outcome.heldout_examples
    versus = f"{new:.3f} against {old:.3f} for {outcome.previous} on {n} held-out examples"
    if new <= old:
        return False, f"not better: {versus}"
    wins, losses = outcome.wins, outcome.losses
    if outcome.p_value is not None and outcome.p_value > max_p:
        return False, (
            f"better ({versus}) but not clearly: better at {wins}, worse at {losses}"
            f" (p = {outcome.p_value:.2f} > {max_p})"
        )
    return True, f"better: {versus} (better at {wins}, worse at {losses})"


async def optimize(
    store: Store,
    lm: dspy.LM,
    route: str,
    *,
    options: Options | None = None,
    prompt_lm: dspy.LM | None = None,
    report: Report | None = None,
    allowed: Allowed | None = None,
) -> Outcome:
    """Compile candidates from the store's feedback, save the best as a new version of
    ``programs:<route>`` and activate it only when it is better held out. Nothing is
    compiled, nor saved, from fewer than :data:`MIN_EXAMPLES` examples."""
    options = options or Options()
    say = report or (lambda _message, _percent: None)
    kind = kind_of(route)
    say("reading the feedback", 0)
    found = labeled_from_feedback(await store.feedback_rows())
    examples = [e for e in found if allowed is None or allowed(e.hole)]
    active = await store.active_program(kind)
    previous = active.version if active is not None else BASE
    outcome = Outcome(
        route, previous, "", examples=len(examples), kept_local=len(found) - len(examples)
    )
    if len(examples) < MIN_EXAMPLES:
        outcome.reason = (
            f"too little feedback: {len(examples)} kept fills with their hole's context,"
            f" at least {MIN_EXAMPLES} are needed"
        )
        return outcome
    train, held = split(examples, options.seed)
    outcome.train_examples, outcome.heldout_examples = len(train), len(held)
    if not held:
        outcome.reason = "every example comes from one hole: nothing to hold out"
        return outcome
    say(f"scoring {previous} on {len(held)} held-out examples", 5)
    current = program_of(programs_of(previous, active.payload if active else None))
    try:
        outcome.current = await evaluate(current, held, lm, concurrency=options.concurrency)
    except RouteGone as gone:
        outcome.reason = f"the {route} route stopped answering while scoring {previous}: {gone}"
        return outcome
    await _run_optimizers(
        outcome, train, held, lm=lm, options=options, prompt_lm=prompt_lm, say=say
    )
    scored = [t for t in outcome.trials if t.scores is not None]
    if not scored:
        why = "; ".join(f"{t.optimizer}: {t.error or t.skipped}" for t in outcome.trials)
        outcome.reason = f"no candidate could be compiled and scored ({why})"
        return outcome
    best = max(scored, key=lambda t: t.score or 0.0)  # a tie goes to the cheaper optimizer
    assert best.scores is not None
    outcome.optimizer = best.optimizer
    outcome.wins, outcome.losses = wins_losses(best.scores, outcome.current)
    outcome.p_value = p_better(outcome.wins, outcome.losses)
    outcome.activated, outcome.reason = _decide(
        outcome, best.scores.mean, outcome.current.mean, options.max_p
    )
    say("saving the new version", 95)
    outcome.candidate = await _unique_version(store, kind)
    payload = {
        SIGNATURE: best.program.dump_state(),
        "optimizer": best.optimizer,
        "examples": len(train),
    }
    await store.save_program(
        kind, outcome.candidate, payload, outcome.metrics(), activate=outcome.activated
    )
    return outcome


async def _run_optimizers(
    outcome: Outcome,
    train: list[Labeled],
    held: list[Labeled],
    *,
    lm: dspy.LM,
    options: Options,
    prompt_lm: dspy.LM | None,
    say: Report,
) -> None:
    stopped: str | None = None
    for i, name in enumerate(OPTIMIZERS):
        trial = Trial(name)
        outcome.trials.append(trial)
        trial.skipped = not_run(name, len(train), options) or (
            f"not run: {stopped}" if stopped else None
        )
        if trial.skipped:
            continue
        start = 10 + 28 * i
        say(f"compiling with {name} on {len(train)} examples", start)
        began = time.perf_counter()
        try:
            trial.program = await asyncio.to_thread(
                compile_program, name, train, lm, options, prompt_lm
            )
            say(f"scoring {name} on {len(held)} held-out examples", start + 14)
            trial.scores = await evaluate(trial.program, held, lm, concurrency=options.concurrency)
        except RouteGone as gone:
            trial.error = stopped = f"the {outcome.route} route stopped answering: {gone}"
        except Exception as exc:  # one optimizer failing must not stop the others
            failure = route_gone(exc)
            if failure is not None:
                stopped = f"the {outcome.route} route stopped answering: {failure.reason}"
            trial.error = stopped or _one_line(exc)
            log.warning("%s failed: %s", name, trial.error, exc_info=failure is None)
        finally:
            trial.seconds = time.perf_counter() - began


# --- A/B ------------------------------------------------------------------------------


@dataclass
class Comparison:
    route: str
    version_a: str
    version_b: str
    a: Scores
    b: Scores
    holes: list[str]

    @property
    def wins(self) -> int:
        """Held-out examples where A scores higher than B."""
        return wins_losses(self.a, self.b)[0]

    @property
    def losses(self) -> int:
        return wins_losses(self.a, self.b)[1]

    @property
    def p_value(self) -> float:
        """Two-sided: A/B has no favourite."""
        return p_different(*wins_losses(self.a, self.b))

    def to_json(self) -> dict[str, Any]:
        better = None
        if self.a.mean != self.b.mean:
            better = self.version_a if self.a.mean > self.b.mean else self.version_b
        return {
            "kind": kind_of(self.route),
            "a": {"version": self.version_a, "score": self.a.mean},
            "b": {"version": self.version_b, "score": self.b.mean},
            "heldout_examples": len(self.holes),
            "wins": self.wins,
            "losses": self.losses,
            "ties": len(self.holes) - self.wins - self.losses,
            "p_value": self.p_value,
            "better": better,
            "per_example": [
                {"hole": h, "a": x, "b": y}
                for h, x, y in zip(self.holes, self.a.values, self.b.values, strict=True)
            ],
        }


async def compare(
    store: Store,
    lm: dspy.LM,
    route: str,
    version_a: str,
    version_b: str,
    *,
    options: Options | None = None,
    allowed: Allowed | None = None,
) -> Comparison:
    """A/B two saved versions (or ``base``) on the held-out examples ``optimize`` uses.
    Raises ``LookupError`` for an unknown version or too little feedback, and
    :class:`RouteGone` when the route stops answering."""
    options = options or Options()
    programs = [await saved_programs(store, route, v) for v in (version_a, version_b)]
    examples = labeled_from_feedback(await store.feedback_rows())
    examples = [e for e in examples if allowed is None or allowed(e.hole)]
    _, held = split(examples, options.seed)
    if len(examples) < MIN_EXAMPLES or not held:
        raise LookupError(
            f"too little feedback to compare: {len(examples)} kept fills with their hole's"
            f" context, at least {MIN_EXAMPLES} from two holes are needed"
        )
    a, b = [
        await evaluate(program_of(p), held, lm, concurrency=options.concurrency) for p in programs
    ]
    return Comparison(route, version_a, version_b, a, b, [e.hole for e in held])
