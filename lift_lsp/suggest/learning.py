"""Learning the suggestion ranker from recorded feedback, and only keeping what is better.

Feedback rows (``Store.feedback_rows``) are one suggestion shown at one hole and whether
it was taken; ``chosen`` records what the user wrote when it was none of them. Rows are
grouped by ``hole_key`` into the *groups* ``Ranker.fit`` and ``Ranker.evaluate`` read:
the (features, accepted) of the suggestions shown at one hole.

``learn`` splits the holes into a training and a held-out part by a hash of their key
(so a hole stays on its side as feedback grows), fits a candidate ranker from the active
one, and scores both on the held-out holes. A hole where none of the shown suggestions
was taken (it has ``chosen`` text) is kept out of training but counts in the scores as
"not in the list" for both rankers. The candidate is activated only when it beats the
active ranker on held-out top-1 (ties: on MRR) *and* the per-hole wins outnumber the
losses clearly enough not to be chance (a one-sided sign test), so that noise in the
feedback does not replace a ranker that works.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from lift_lsp.suggest.ranker import Group, Ranker

if TYPE_CHECKING:
    from lift_lsp.store.db import FeedbackRow, Store

#: Documents the feedback must span for whole documents to be held out.
MIN_FILES = 5
#: Fewer holes with usable feedback than this: nothing is learned.
MIN_HOLES = 10
#: The share of holes held out to score the rankers on.
HELDOUT_SHARE = 0.2
#: The sign test's threshold: the candidate's wins over the active ranker must be this
#: unlikely under "no difference".
MAX_P = 0.05
RANKER_KIND = "ranker"


class FeedbackLike(Protocol):
    """What ``learn`` reads of a feedback row (``lift_lsp.store.db.FeedbackRow`` is one)."""

    @property
    def hole_key(self) -> str: ...
    @property
    def suggestion(self) -> str: ...
    @property
    def features(self) -> dict[str, float]: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def chosen(self) -> str | None: ...


@dataclass(frozen=True)
class KeyedGroup:
    key: str
    group: list[tuple[dict[str, float], bool]]

    @property
    def accepted(self) -> bool:
        """Some suggestion shown was taken (else: a miss, the user wrote something else)."""
        return any(ok for _, ok in self.group)


def _same_text(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def keyed_groups(rows: Iterable[FeedbackLike]) -> list[KeyedGroup]:
    """Feedback grouped by hole, in the order holes first appear.

    A suggestion recorded twice for one hole (shown again) counts once, accepted if it
    was ever accepted; a ``chosen`` text equal to a shown suggestion (whitespace aside)
    marks that suggestion accepted. Kept: holes with 2+ suggestions of which one was
    accepted, and holes with a ``chosen`` text (misses). Dropped: a single suggestion
    taken (it ranks nothing) and suggestions shown and ignored without a choice.
    """
    by_key: dict[str, dict[str, tuple[dict[str, float], bool]]] = {}
    chosen: dict[str, str] = {}
    for row in rows:
        shown = by_key.setdefault(row.hole_key, {})
        before = shown.get(row.suggestion)
        shown[row.suggestion] = (row.features, row.accepted or (before is not None and before[1]))
        if row.chosen:
            chosen[row.hole_key] = row.chosen
    out: list[KeyedGroup] = []
    for key, shown in by_key.items():
        written = chosen.get(key)
        group = [
            (feats, ok or (written is not None and _same_text(text, written)))
            for text, (feats, ok) in shown.items()
        ]
        has_accepted = any(ok for _, ok in group)
        if (has_accepted and len(group) >= 2) or (not has_accepted and written is not None):
            out.append(KeyedGroup(key, group))
    return out


def groups_from_feedback(rows: Iterable[FeedbackLike]) -> list[Group]:
    """The groups of ``keyed_groups`` (a miss is a group with nothing accepted)."""
    return [g.group for g in keyed_groups(rows)]


def is_heldout(key: str, seed: int, share: float = HELDOUT_SHARE) -> bool:
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def file_of(key: str) -> str:
    """The document of a hole key (``uri#name@line``)."""
    return key.split("#", 1)[0]


def split(groups: Sequence[KeyedGroup], seed: int) -> tuple[list[KeyedGroup], list[KeyedGroup]]:
    """Train and held-out holes by a hash of the key; at least 2 (or 1) held out.

    When the feedback spans ``MIN_FILES`` documents or more, whole documents are held
    out: a ranker is then judged on code it learned nothing from — holes of one file
    share names and shapes, and a split inside files rewards learning them by heart.
    """
    files = {file_of(g.key) for g in groups}
    by_file = len(files) >= MIN_FILES
    heldout = [g for g in groups if is_heldout(file_of(g.key) if by_file else g.key, seed)]
    wanted = min(2, len(groups) - 1)
    if len(heldout) < wanted:
        # Too few by chance: hold out the holes whose hash comes first.
        order = sorted(groups, key=lambda g: hashlib.sha256(f"{seed}:{g.key}".encode()).hexdigest())
        heldout = order[:wanted]
    keys = {g.key for g in heldout}
    return [g for g in groups if g.key not in keys], heldout


def ranks(ranker: Ranker, groups: Sequence[Group]) -> list[int | None]:
    """The rank of the accepted suggestion at each hole (``None``: a miss)."""
    out: list[int | None] = []
    for group in groups:
        if not any(ok for _, ok in group):
            out.append(None)
            continue
        order = sorted(range(len(group)), key=lambda i: -ranker.score(group[i][0]))
        out.append(next(r for r, i in enumerate(order, 1) if group[i][1]))
    return out


def evaluate(ranker: Ranker, groups: Sequence[Group]) -> dict[str, float]:
    """top-1, top-5 and MRR over every hole, a miss counting as "not in the list"."""
    found = ranks(ranker, groups)
    n = max(len(found), 1)
    return {
        "top1": round(sum(r == 1 for r in found) / n, 4),
        "top5": round(sum(r is not None and r <= 5 for r in found) / n, 4),
        "mrr": round(sum(1 / r for r in found if r) / n, 4),
        "holes": float(len(found)),
        "misses": float(sum(r is None for r in found)),
    }


def sign_test(wins: int, losses: int) -> float:
    """One-sided p-value of at least ``wins`` wins in ``wins + losses`` fair coin tosses."""
    n = wins + losses
    if n == 0:
        return 1.0
    return sum(math.comb(n, k) for k in range(wins, n + 1)) / (1 << n)


def _compare(
    new: Ranker, current: Ranker, groups: Sequence[Group], by_mrr: bool
) -> tuple[int, int]:
    wins = losses = 0
    for a, b in zip(ranks(new, groups), ranks(current, groups), strict=True):
        if by_mrr:
            x, y = (1 / a if a else 0.0), (1 / b if b else 0.0)
        else:
            x, y = float(a == 1), float(b == 1)
        wins += x > y
        losses += x < y
    return wins, losses


@dataclass(frozen=True)
class LearnOutcome:
    candidate: Ranker
    metrics_new: dict[str, float]
    metrics_current: dict[str, float]
    activated: bool
    reason: str
    train_holes: int = 0
    heldout_holes: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def metrics(self, current_version: str) -> dict[str, Any]:
        """What is saved with the candidate's program version."""
        return {
            "heldout": self.metrics_new,
            "current": self.metrics_current,
            "current_version": current_version,
            "train_holes": self.train_holes,
            "heldout_holes": self.heldout_holes,
            "activated": self.activated,
            "reason": self.reason,
            **self.details,
        }


def new_version(now: datetime | None = None) -> str:
    """``ranker-20261201T101010123456Z``: sortable, unique enough for one workspace."""
    return "ranker-" + (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def learn(
    rows: Iterable[FeedbackLike],
    current: Ranker,
    *,
    seed: int = 0,
    version: str | None = None,
    max_p: float = MAX_P,
) -> LearnOutcome:
    """Fit a candidate on the training holes; activate it only if it is better held out."""
    groups = keyed_groups(rows)
    version = version or new_version()
    usable = [g for g in groups if g.accepted]
    misses = len(groups) - len(usable)
    if len(groups) < MIN_HOLES or len(usable) < 2:
        metrics = evaluate(current, [g.group for g in groups])
        return LearnOutcome(
            Ranker(version=version, weights=dict(current.weights)),
            metrics,
            metrics,
            False,
            f"too little feedback: {len(groups)} holes ({len(usable)} with an accepted"
            f" suggestion), at least {MIN_HOLES} are needed",
            details={"misses": misses},
        )
    train, heldout = split(groups, seed)
    trainable = [g.group for g in train if g.accepted]
    candidate = current.fit(trainable, version=version, seed=seed)
    held = [g.group for g in heldout]
    new_m, cur_m = evaluate(candidate, held), evaluate(current, held)
    details: dict[str, Any] = {"misses": misses, "trained_on": len(trainable)}

    def outcome(activated: bool, reason: str) -> LearnOutcome:
        return LearnOutcome(
            candidate, new_m, cur_m, activated, reason, len(train), len(heldout), details
        )

    if not trainable:
        return outcome(False, "no training hole has an accepted suggestion")
    better_top1 = new_m["top1"] > cur_m["top1"]
    tie_top1 = new_m["top1"] == cur_m["top1"]
    if not (better_top1 or (tie_top1 and new_m["mrr"] > cur_m["mrr"])):
        what = "top-1" if not tie_top1 else "top-1 (a tie) and MRR"
        return outcome(
            False, f"not better than {current.version} on {what} over {len(heldout)} held-out holes"
        )
    wins, losses = _compare(candidate, current, held, by_mrr=not better_top1)
    p = sign_test(wins, losses)
    details.update(wins=wins, losses=losses, p_value=round(p, 4))
    if p > max_p:
        return outcome(
            False,
            f"better on {len(heldout)} held-out holes, but not clearly: better at {wins},"
            f" worse at {losses} (p = {p:.2f} > {max_p})",
        )
    metric = "top-1" if better_top1 else "MRR (top-1 tied)"
    return outcome(
        True,
        f"better than {current.version} on {metric} over {len(heldout)} held-out holes"
        f" (better at {wins}, worse at {losses})",
    )


def ranker_rows(rows: Iterable[FeedbackRow]) -> list[FeedbackRow]:
    """The rows the ranker learns from: its own candidates. A model's fill shown in the
    same list is not one (the ranker never scores it); a hole where one was taken counts
    as one where none of the static fills was."""
    rows = list(rows)
    taken = {r.hole_key: r.suggestion for r in rows if r.source == "llm" and r.accepted}
    return [
        replace(r, chosen=taken[r.hole_key]) if r.hole_key in taken and r.chosen is None else r
        for r in rows
        if r.source != "llm"
    ]


async def learn_and_save(
    store: Store,
    current: Ranker,
    *,
    seed: int = 0,
    progress: Callable[[str, int], None] | None = None,
) -> LearnOutcome:
    """Read the store's feedback, learn (in a thread), and save the fitted candidate,
    activated or not. Nothing is fitted, nor saved, from too little feedback.

    ``progress(message, percentage)`` is told what is happening.
    """
    report = progress or (lambda _message, _percentage: None)
    report("reading the feedback", 0)
    rows = ranker_rows(await store.feedback_rows())
    known = {v.version for v in await store.program_versions(RANKER_KIND)}
    version = new_version()
    n = 2
    while version in known:
        version = f"{new_version()}-{n}"
        n += 1
    report(f"fitting on {len(rows)} feedback rows", 20)
    outcome = await asyncio.to_thread(learn, rows, current, seed=seed, version=version)
    if outcome.heldout_holes:
        report("saving the new version", 90)
        outcome.candidate.metrics = outcome.metrics(current.version)
        await store.save_program(
            RANKER_KIND,
            outcome.candidate.version,
            outcome.candidate.to_json(),
            outcome.candidate.metrics,
            activate=outcome.activated,
        )
    return outcome
