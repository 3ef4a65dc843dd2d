"""SuggestHoleFill on the local route: ranked, validated fills for the hole at a position."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tree_sitter import Parser

from lift_lsp.holes.analysis import Analysis
from lift_lsp.holes.model import Hole
from lift_lsp.suggest.candidates import (
    Candidate,
    CandidateFinder,
    frequency,
    hole_context,
    name_similarity,
)
from lift_lsp.suggest.ranker import Ranker
from lift_lsp.syntax.parser import new_parser


@dataclass(frozen=True)
class Suggestion:
    text: str
    confidence: float
    source: str
    rationale: str
    type: str | None
    kind: str
    features: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuggestResult:
    hole: Hole | None
    suggestions: list[Suggestion]
    expected_type: str | None = None


@cache
def _parser() -> Parser:
    return new_parser()


def parses_in_place(text: str, as_statement: bool) -> bool:
    """The validation gate: the fill must parse where the hole is (an expression, or for
    a body hole a ``return`` statement), so a suggestion never breaks the file."""
    snippet = f"def _():\n    {text}\n" if as_statement else f"_ = ({text})\n"
    tree = _parser().parse(snippet.encode("utf-8", "surrogatepass"))
    return not tree.root_node.has_error


def features_of(c: Candidate, finder: CandidateFinder) -> dict[str, float]:
    ctx = finder.ctx
    fit = finder.fit(c.type)
    feats = {
        "type_fit": fit or 0.0,
        "type_exact": 1.0 if fit == 1.0 else 0.0,
        "type_unknown": 1.0 if c.type is None else 0.0,
        "type_mismatch": 1.0 if fit == 0.0 else 0.0,
        "expected_unknown": 1.0 if ctx.expected is None else 0.0,
        "name_sim": (similarity := name_similarity(c.text.split("(")[0], ctx.target)),
        "name_exact": 1.0 if similarity == 1.0 else 0.0,
        "frequency": frequency(c.text, ctx.body_text),
        f"kind_{c.kind}": 1.0,
    }
    feats.update(c.features)
    return {k: round(v, 4) for k, v in feats.items() if v}


def suggest(
    analysis: Analysis,
    offset: int,
    *,
    limit: int = 10,
    ranker: Ranker | None = None,
) -> SuggestResult:
    """Fills for the hole containing ``offset``; no hole there gives no suggestions."""
    hole = analysis.hole_at(offset)
    if hole is None:
        return SuggestResult(None, [])
    ranker = ranker or Ranker()
    root = analysis.doc.tree.root_node
    index = analysis.index
    ctx = hole_context(root, hole, index, analysis.doc.data)
    finder = CandidateFinder(index, root, ctx)
    candidates = [c for c in finder.all() if c.text != ctx.assigned]  # `x = x` is no fill
    if ctx.returns_into_body:
        for c in candidates:
            c.text = f"return {c.text}"
    valid = [c for c in candidates if parses_in_place(c.text, ctx.returns_into_body)]
    rows = [features_of(c, finder) for c in valid]
    probs = ranker.probabilities(rows)
    ranked = sorted(zip(valid, rows, probs, strict=True), key=lambda t: -t[2])[:limit]
    provenance = {"source": "static", "route": "local", "program_version": ranker.version}
    return SuggestResult(
        hole,
        [
            Suggestion(
                c.text,
                round(p, 4),
                "static",
                c.rationale,
                c.type,
                c.kind,
                f,
                dict(provenance),
            )
            for c, f, p in ranked
        ],
        ctx.expected,
    )
