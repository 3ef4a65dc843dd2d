"""SuggestHoleFill on a remote route, joined with the static fills in one ranked list.

Every answer is checked before anyone sees it: it must parse in the hole's place, and
when it is a name or attribute chain whose type is known in scope, that type must fit
the hole's. Rejected answers go back to the route with the reason, for up to two repair
rounds; what still fails is dropped (and reported in ``dropped``).

A model's confidence is not a probability the static ranker's can be compared with:
it is scaled by the route's observed acceptance rate (a Beta(3, 3) prior, so 0.5
until people have accepted or passed over its suggestions).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from lift_lsp.holes.analysis import Analysis
from lift_lsp.holes.model import HoleKind
from lift_lsp.suggest.engine import Suggestion, parses_in_place
from lift_lsp.suggest.typecompat import fits

if TYPE_CHECKING:
    from lift_lsp.providers.guard import Budget
    from lift_lsp.providers.router import Router

REPAIR_ROUNDS: Final = 2
CONTEXT_LINES: Final = 25
HOLE_MARK: Final = "<HOLE>"
PRIOR_ACCEPTED: Final = 3.0
PRIOR_SHOWN: Final = 6.0


@dataclass
class RemoteFills:
    suggestions: list[Suggestion]
    route: str | None
    #: (text, why) for answers that failed validation after the repair rounds.
    dropped: list[tuple[str, str]] = field(default_factory=list)
    #: Why no remote answer came (all routes down, budget spent…), when none did.
    error: str | None = None


def code_context(analysis: Analysis, start: int, end: int) -> str:
    """The lines around the hole, the hole itself replaced by ``<HOLE>``."""
    data = analysis.doc.data
    marked = data[:start] + HOLE_MARK.encode() + data[end:]
    line = data.count(b"\n", 0, start)
    lines = marked.decode("utf-8", "replace").splitlines()
    lo, hi = max(0, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES // 2 + 1)
    return "\n".join(lines[lo:hi])


def fill_inputs(analysis: Analysis, offset: int) -> dict[str, Any] | None:
    found = _inputs_and_types(analysis, offset)
    return found[0] if found is not None else None


def _inputs_and_types(
    analysis: Analysis, offset: int
) -> tuple[dict[str, Any], dict[str, str]] | None:
    """SuggestHoleFill's inputs at the hole, and the known types of the names in scope
    (for checking the answers), from one look at the scope."""
    hole = analysis.hole_at(offset, on_request=True)  # the caller found it first
    if hole is None:
        return None
    visible = analysis.describe(hole).bindings
    inputs = {
        "code_context": code_context(analysis, hole.start, hole.end),
        "expected_type": hole.expected_type or "unknown",
        "bindings": [f"{b.name}: {b.type or 'unknown'} ({b.kind})" for b in visible[:40]],
        "rejected": [],
    }
    return inputs, {b.name: b.type for b in visible if b.type}


def problem_with(
    text: str, *, as_statement: bool, expected: str | None, types: dict[str, str]
) -> str | None:
    """Why a fill cannot be offered, or None."""
    if not text.strip():
        return "empty"
    if "\n" in text.strip():
        return "a fill is one expression on one line"
    if not parses_in_place(text, as_statement):
        return "does not parse as a Python expression in the hole's place"
    value = text.removeprefix("return ").strip()
    try:
        tree = ast.parse(value, mode="eval").body
    except SyntaxError:
        return None if as_statement else "does not parse as a Python expression"
    if isinstance(tree, ast.Name) and expected is not None:
        actual = types.get(tree.id)
        if actual is not None and fits(actual, expected) == 0.0:
            return f"`{tree.id}` has type {actual}, the hole needs {expected}"
    return None


def acceptance_rate(accepted: int, shown: int) -> float:
    return (accepted + PRIOR_ACCEPTED) / (shown + PRIOR_SHOWN)


async def remote_suggestions(
    router: Router,
    analysis: Analysis,
    offset: int,
    *,
    path: Path | str | None = None,
    budget: Budget | None = None,
    override: str | None = None,
    limit: int = 5,
    acceptance: tuple[int, int] = (0, 0),
) -> RemoteFills | None:
    """Fills from the first remote route that answers; ``None`` when no remote route is
    in the chain (not configured, or the file must stay local)."""
    from lift_lsp.providers.router import NoAnswer
    from lift_lsp.signatures import SuggestHoleFill

    if router.chain("SuggestHoleFill", path=path, override=override) == ["local"]:
        return None
    found = _inputs_and_types(analysis, offset)
    if found is None:
        return None
    inputs, types = found
    hole = analysis.hole_at(offset, on_request=True)  # the caller found it first
    assert hole is not None
    as_statement = hole.kind is HoleKind.BODY
    expected = hole.expected_type
    rate = acceptance_rate(*acceptance)
    kept: dict[str, Suggestion] = {}
    dropped: list[tuple[str, str]] = []
    route: str | None = None
    for round_ in range(REPAIR_ROUNDS + 1):
        try:
            answer = await router.answer(
                SuggestHoleFill, inputs, path=path, budget=budget, override=override
            )
        except NoAnswer as exc:
            return RemoteFills(list(kept.values()), route, dropped, error=str(exc))
        if answer.route == "local":  # every remote route failed; local has no LLM fills
            reasons = "; ".join(f"{r}: {why}" for r, why in answer.fell_back)
            return RemoteFills(list(kept.values()), route, dropped, error=reasons or None)
        route = answer.route
        rejected: list[str] = []
        dropped = []
        for item in _items(answer.prediction):
            text = str(item.get("value", "")).strip()
            if as_statement and text and not text.startswith(("return", "raise", "yield")):
                text = f"return {text}"
            why = problem_with(text, as_statement=as_statement, expected=expected, types=types)
            if why is not None:
                rejected.append(f"{text}: {why}")
                dropped.append((text, why))
                continue
            if text in kept:
                continue
            confidence = _confidence(item.get("confidence"))
            kept[text] = Suggestion(
                text=text,
                confidence=round(confidence * rate, 4),
                source="llm",
                rationale=str(item.get("rationale") or f"suggested by {route}"),
                type=None,
                kind="llm",
                features={"llm_confidence": confidence},
                provenance={**answer.provenance(), "calibration": f"acceptance:{rate:.2f}"},
            )
        if not rejected or round_ == REPAIR_ROUNDS or len(kept) >= limit:
            break
        inputs = {**inputs, "rejected": rejected}
    ranked = sorted(kept.values(), key=lambda s: -s.confidence)[:limit]
    return RemoteFills(ranked, route, dropped)


def _items(prediction: Any) -> list[dict[str, Any]]:
    try:
        raw = prediction["suggestions"]
    except (KeyError, TypeError):
        return []
    if not isinstance(raw, list):
        return []
    # Typed answers arrive as HoleFill models; a route may also give plain dicts.
    items = [i.model_dump() if hasattr(i, "model_dump") else i for i in raw]
    return [i for i in items if isinstance(i, dict)]


def _confidence(raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return 0.5
    return min(max(value, 0.0), 1.0)


def _normal(text: str) -> str:
    try:
        return ast.dump(ast.parse(text.removeprefix("return ").strip(), mode="eval"))
    except SyntaxError:
        return text.strip()


def merge(static: list[Suggestion], remote: list[Suggestion], limit: int) -> list[Suggestion]:
    """One list, best first; the same expression from both keeps the higher confidence
    and says so in its rationale."""
    by_form: dict[str, Suggestion] = {}
    for s in [*static, *remote]:
        form = _normal(s.text)
        seen = by_form.get(form)
        if seen is None:
            by_form[form] = s
            continue
        best, other = (s, seen) if s.confidence > seen.confidence else (seen, s)
        by_form[form] = replace(
            best, rationale=f"{best.rationale}; also {other.source}: {other.rationale}"
        )
    return sorted(by_form.values(), key=lambda s: -s.confidence)[:limit]
