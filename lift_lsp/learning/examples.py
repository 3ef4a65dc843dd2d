"""Feedback as labelled ``SuggestHoleFill`` examples, their held-out split, and the metric.

The row of a hole's feedback that says what was kept carries SuggestHoleFill's inputs at
that hole (``FeedbackRow.inputs``): the accepted row's ``suggestion``, or the ``chosen``
text the user wrote instead. That text is the label. Examples are split into training
and held-out ones by a seeded hash of the hole (its key without the ``~episode`` suffix),
so a hole shown twice never sits on both sides and the split stays put as feedback grows.

The metric is the reciprocal rank of the label among the program's suggestions (1 at
rank 1, 1/k at rank k, 0 when absent), texts compared as normalised ASTs so that
``a+b`` and ``a + b`` are the same fill.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlparse
from urllib.request import url2pathname

from lift_lsp.suggest.learning import is_heldout

if TYPE_CHECKING:
    import dspy

INPUT_FIELDS: Final = ("code_context", "expected_type", "bindings", "rejected")
#: Fewer usable examples than this: nothing is compiled.
MIN_EXAMPLES: Final = 4
#: The share of holes held out to score programs on.
HELDOUT_SHARE: Final = 0.25
#: Demonstrations carry this rationale: it says where the label came from.
KEPT: Final = "the fill that was kept"


class ChoiceRow(Protocol):
    """What is read of a feedback row (``lift_lsp.store.db.FeedbackRow`` is one)."""

    @property
    def hole_key(self) -> str: ...
    @property
    def suggestion(self) -> str: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def chosen(self) -> str | None: ...
    @property
    def inputs(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Labeled:
    """One hole's inputs and the fill that was kept there."""

    hole: str
    inputs: dict[str, Any]
    label: str

    def example(self) -> dspy.Example:
        import dspy

        answer = [{"value": self.label, "rationale": KEPT, "confidence": 1.0}]
        return dspy.Example(**self.inputs, suggestions=answer).with_inputs(*INPUT_FIELDS)


def hole_of(key: str) -> str:
    """``uri#name@line~episode`` → ``uri#name@line``: one hole across its showings."""
    return key.split("~", 1)[0]


def path_of(hole: str) -> str | None:
    """The file a hole is in (``file:`` URIs only), to check it against remote-exclude."""
    parsed = urlparse(hole.split("#", 1)[0])
    return url2pathname(parsed.path) if parsed.scheme == "file" else None


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _inputs(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The four inputs, or ``None`` when the row's are not SuggestHoleFill's."""
    context, expected = raw.get("code_context"), raw.get("expected_type") or "unknown"
    bindings, rejected = _strings(raw.get("bindings")), _strings(raw.get("rejected"))
    if not isinstance(context, str) or not context.strip() or not isinstance(expected, str):
        return None
    if bindings is None or rejected is None:
        return None
    return {
        "code_context": context,
        "expected_type": expected,
        "bindings": bindings,
        "rejected": rejected,
    }


def labeled_from_feedback(rows: Iterable[ChoiceRow]) -> list[Labeled]:
    """One example per row that says what was kept and has the hole's inputs; the same
    hole, context and label recorded again counts once."""
    out: list[Labeled] = []
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        if row.inputs is None:
            continue
        label = row.suggestion if row.accepted else row.chosen
        inputs = _inputs(row.inputs)
        if not label or not label.strip() or inputs is None:
            continue
        hole = hole_of(row.hole_key)
        key = (hole, inputs["code_context"], normal(label))
        if key in seen:
            continue
        seen.add(key)
        out.append(Labeled(hole, inputs, label.strip()))
    return out


def _order(hole: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{hole}".encode()).hexdigest()


def split(
    examples: Sequence[Labeled], seed: int, share: float = HELDOUT_SHARE
) -> tuple[list[Labeled], list[Labeled]]:
    """Training and held-out examples, split by hole: at least one hole on each side
    (two held out from ten holes up) when there are two holes or more."""
    holes = sorted({e.hole for e in examples}, key=lambda h: _order(h, seed))
    held = [h for h in holes if is_heldout(h, seed, share)]
    wanted = min(1 if len(holes) < 10 else 2, len(holes) - 1)
    for hole in holes:  # too few by chance: the holes whose hash comes first
        if len(held) >= wanted:
            break
        if hole not in held:
            held.append(hole)
    if held and len(held) == len(holes):  # keep something to learn from
        held.remove(holes[-1])
    keep = set(held)
    return [e for e in examples if e.hole not in keep], [e for e in examples if e.hole in keep]


# --- the metric -----------------------------------------------------------------------


def normal(text: str) -> str:
    """A fill's normalised form: its AST (``return`` of a body fill dropped), else its
    text with runs of whitespace made one space."""
    value = text.strip()
    if value == "return" or value.startswith("return "):
        value = value[len("return") :].strip()
    try:
        return ast.dump(ast.parse(value, mode="eval"))
    except (SyntaxError, ValueError, RecursionError):
        return " ".join(value.split())


def values_of(prediction: Any) -> list[str]:
    """The fills a prediction proposes, best first."""
    try:
        raw = prediction["suggestions"]
    except (KeyError, TypeError, AttributeError):
        return []
    if not isinstance(raw, list):
        return []
    out: list[str] = []
    for item in raw:
        # A dict, or a typed item (a pydantic model with ``value``) when the signature says so.
        value = item.get("value") if isinstance(item, dict) else getattr(item, "value", item)
        if isinstance(value, str | int | float):
            out.append(str(value))
    return out


def rank_score(label: str, values: Sequence[str]) -> float:
    """1 / the rank of ``label`` among ``values``; 0 when it is not there."""
    wanted = normal(label)
    for rank, value in enumerate(values, 1):
        if normal(value) == wanted:
            return 1.0 / rank
    return 0.0


def label_of(example: Any) -> str:
    return str(example.suggestions[0]["value"])


def metric(example: Any, prediction: Any, trace: Any = None) -> float | bool:
    """DSPy's metric contract: a score when evaluating; while bootstrapping (``trace``
    given), whether the demonstration is worth keeping: the label at rank 1."""
    score = rank_score(label_of(example), values_of(prediction))
    return score if trace is None else score >= 1.0
