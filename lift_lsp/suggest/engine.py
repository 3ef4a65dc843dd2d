"""SuggestHoleFill on the local route: ranked, validated fills for the hole at a position."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tree_sitter import Parser

from lift_lsp.holes.analysis import Analysis
from lift_lsp.holes.model import Hole
from lift_lsp.suggest.candidates import (
    Candidate,
    CandidateFinder,
    HoleContext,
    hole_context,
    name_similarity,
)
from lift_lsp.suggest.ranker import NONE, Ranker
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
    #: Features of the hole itself (what "none of the fills" is scored on).
    context: dict[str, float] = field(default_factory=dict)


@cache
def _parser() -> Parser:
    return new_parser()


def parses_in_place(text: str, as_statement: bool) -> bool:
    """The validation gate: the fill must parse where the hole is (an expression, or for
    a body hole a ``return`` statement), so a suggestion never breaks the file."""
    snippet = f"def _():\n    {text}\n" if as_statement else f"_ = ({text})\n"
    tree = _parser().parse(snippet.encode("utf-8", "surrogatepass"))
    return not tree.root_node.has_error


_ROOT = re.compile(r"[A-Za-z_]\w*")


def _root(text: str) -> str | None:
    """The first name of an expression (``self`` of ``self.a.b``), if it starts with one."""
    m = _ROOT.match(text)
    return m.group(0) if m else None


def _in_statement(text: str, ctx: HoleContext) -> bool:
    if text.isidentifier():
        return text in ctx.statement_names
    return text in ctx.statement


def _echoes(text: str, ctx: HoleContext) -> bool:
    """The fill repeats what the statement already says: another argument of the same
    call (``f(a, a)``; ``HoleContext.sibling_args``), or the whole call (``exists(p)
    and exists(p)``)."""
    if text in ctx.sibling_args:
        return True
    if ctx.call_around is None:
        return False
    before, after = ctx.call_around
    return f"{before}{text}{after}" in ctx.statement


def features_of(c: Candidate, finder: CandidateFinder) -> dict[str, float]:
    ctx = finder.ctx
    fit = finder.fit(c.type)
    feats = {
        "type_fit": fit or 0.0,
        "type_exact": 1.0 if fit == 1.0 else 0.0,
        "type_unknown": 1.0 if c.type is None else 0.0,
        "type_mismatch": 1.0 if fit == 0.0 else 0.0,
        "type_conflict": 1.0 if fit == 0.0 and finder.conflicts(c.type) else 0.0,
        "expected_unknown": 1.0 if ctx.expected is None else 0.0,
        "name_sim": (similarity := name_similarity(c.text.split("(")[0], ctx.target)),
        "name_exact": 1.0 if similarity == 1.0 else 0.0,
        "callee_sim": name_similarity(c.text.split("(")[0], ctx.callee),
        "outer_sim": name_similarity(c.text.split("(")[0], ctx.outer),
        f"kind_{c.kind}": 1.0,
        f"kind_{c.kind}@{ctx.slot}": 1.0,
        "in_statement": 1.0 if _in_statement(c.text, ctx) else 0.0,
        "root_in_statement": 1.0 if _root(c.text) in ctx.statement_names else 0.0,
        "echo": 1.0 if _echoes(c.text, ctx) else 0.0,
    }
    feats.update(c.features)
    near = finder.near
    feats.update(near.usage(c.text))
    if c.offset is not None and ctx.func is not None:
        # A variable not read yet is usually bound to be read: here.
        feats["unread"] = 0.0 if near.loads_between(c.text, c.offset, ctx.hole.start) else 1.0
        feats["read_after"] = (
            1.0 if near.loads_between(c.text, ctx.hole.end, ctx.func.end_byte) else 0.0
        )
    return {k: round(v, 4) for k, v in feats.items() if v}


def hole_features(ctx: HoleContext) -> dict[str, float]:
    """What "none of the fills is right" is scored on: where the hole is, and whether
    its type is known."""
    feats = {NONE: 1.0, f"{NONE}@{ctx.slot}": 1.0}
    if ctx.expected is None:
        feats[f"{NONE}_unknown"] = 1.0
    return feats


def suggest(
    analysis: Analysis,
    offset: int,
    *,
    limit: int = 10,
    ranker: Ranker | None = None,
    on_request: bool = False,
) -> SuggestResult:
    """Fills for the hole containing ``offset``; no hole there gives no suggestions.

    ``on_request``: the user asked at ``offset`` (see ``Analysis.hole_at``)."""
    hole = analysis.hole_at(offset, on_request=on_request)
    if hole is None:
        return SuggestResult(None, [])
    ranker = ranker or Ranker()
    root = analysis.doc.tree.root_node
    index = analysis.index
    ctx = hole_context(root, hole, index, analysis.doc.data)
    finder = CandidateFinder(index, root, ctx, analysis.doc.data)
    candidates = [c for c in finder.all() if c.text != ctx.assigned]  # `x = x` is no fill
    rows = [features_of(c, finder) for c in candidates]
    context = hole_features(ctx)
    probs = ranker.probabilities(rows, context)
    order = sorted(range(len(candidates)), key=lambda i: -probs[i])
    provenance = {"source": "static", "route": "local", "program_version": ranker.version}
    picked: list[Suggestion] = []
    for i in order:
        if len(picked) >= limit:
            break
        c = candidates[i]
        fill = f"return {c.text}" if ctx.returns_into_body else c.text
        if not parses_in_place(fill, ctx.returns_into_body):
            continue  # the validation gate, in rank order: only what is shown is parsed
        picked.append(
            Suggestion(
                fill,
                round(probs[i], 4),
                "static",
                c.rationale,
                c.type,
                c.kind,
                rows[i],
                dict(provenance),
            )
        )
    return SuggestResult(hole, picked, ctx.expected, context)
