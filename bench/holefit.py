"""Does ``suggest`` offer the expression the code really had? And does learning help?

    python bench/holefit.py [--corpus ../shared/corpus] [--sample 600] [--seed 0]
                            [--train 0] [--eval 2000] [--no-learning] [--no-latency]
                            [--json out.json] [--misses N] [--weights w.json]
                            [--fit-prior N]

In the real, annotated code of the dev corpus wheels (read from the zip files, nothing
stripped), one expression at a time is replaced by ``...``: a return value
(``return <expr>``), a call argument (positional or keyword value), the right-hand side
of an assignment, or an attribute access used as an argument (``f(self.x)``, its own
stratum). Only expressions inside function bodies count (that is where holes are
written). A seeded sample, spread evenly over the (package, stratum) cells, is analysed
in-process: the hole is looked up at the ``...`` and ``suggest`` ranks its fills. The
original expression is then looked for among the fills, compared as Python expressions
(``ast.dump``: whitespace, parentheses and quote style do not matter).

Figures over every sampled site (a site where no hole is found, or whose original is
not among the fills, is a miss): coverage (hole found), "typed" (the engine knows the
type expected there), "in list" (the original is among
all the fills, at any rank: the ceiling any ranker can reach), top-1, top-5, MRR, and
"top-5 partial" (a fill with nested holes, such as ``f(..., ...)``, whose shape the
original fills in counts too); and calibration: the first fill's confidence against how
often it is right, per band of confidence.

The learning experiment simulates feedback: for holes in packages A, the ten fills
shown by the built-in ranker, accepted = the original (a hole whose original was not
shown is a miss, as ``chosen`` text would record it). ``learn()`` from
``lift_lsp.suggest.learning`` — the code behind ``lift-lsp learn`` — fits a ranker on
it and decides on activation; the fitted ranker and the built-in one are then both run
on the holes of the disjoint packages B.

Latency: ``suggest`` timed in-process on holes put into the standard library's
``argparse.py`` (about 2,600 lines): the engine's part of a completion request.

``--fit-prior N`` fits the built-in ranker's weights (``ranker.py: UNTRAINED``) on N
holes made the same way in installed packages that are not in the corpus
(``PRIOR_PACKAGES``): 80 % to fit, 20 % to score; the weights are printed, then the
corpus is scored with them. ``--weights`` scores the corpus with weights from a file.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import math
import random
import statistics
import sys
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import tree_sitter_python
from tree_sitter import Language, Node, Parser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lift_lsp.holes.analysis import Analysis  # noqa: E402
from lift_lsp.suggest.engine import Suggestion, suggest  # noqa: E402
from lift_lsp.suggest.learning import FeedbackLike, learn  # noqa: E402
from lift_lsp.suggest.ranker import Ranker  # noqa: E402
from lift_lsp.syntax.document import SourceDocument  # noqa: E402

STRATA = ("return", "argument", "assignment", "attribute-argument")
PACKAGES_A = ("arrow", "build", "humanize", "installer")
PACKAGES_B = ("nox", "platformdirs", "typer")
GOALS = {"top1": 0.50, "top5": 0.80, "learned_gain": 0.15, "p50_ms": 15.0}
SHOWN = 10  # what an editor shows, and so what feedback can be recorded on
ALL = 10**6


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_python.language()))


# -- sites ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Site:
    """One expression of the original code that becomes a hole."""

    path: str
    package: str
    stratum: str
    start: int  # UTF-8 byte offsets of the expression in the original source
    end: int
    original: str
    #: The name the value is given to (``name=`` of a keyword argument, the last part of
    #: an assignment's target), and the assignment's whole target.
    target: str | None = None
    left: str | None = None


def _in_function_body(node: Node) -> bool:
    child, parent = node, node.parent
    while parent is not None:
        if parent.type in ("function_definition", "lambda"):
            body = parent.child_by_field_name("body")
            return (
                parent.type == "function_definition"
                and body is not None
                and body.start_byte <= child.start_byte
            )
        if parent.type == "class_definition":
            return False
        child, parent = parent, parent.parent
    return False


_NOT_A_VALUE = {"ellipsis", "comment", "yield", "assignment", "augmented_assignment"}


def _text(node: Node | None) -> str | None:
    return (node.text or b"").decode("utf-8") if node is not None else None


def _site(node: Node, stratum: str, path: str, package: str) -> Site | None:
    if node.type in _NOT_A_VALUE or node.has_error or not _in_function_body(node):
        return None
    parent = node.parent
    target = left = None
    if parent is not None and parent.type == "keyword_argument":
        target = _text(parent.child_by_field_name("name"))
    elif parent is not None and parent.type == "assignment":
        left = _text(parent.child_by_field_name("left"))
        target = left.rsplit(".", 1)[-1] if left else None
    original = _text(node) or ""
    return Site(path, package, stratum, node.start_byte, node.end_byte, original, target, left)


def find_sites(source: bytes, path: str, package: str) -> list[Site]:
    """Every return value, argument and assignment right-hand side inside a function."""
    tree = _parser().parse(source)
    if tree.root_node.has_error:
        return []
    sites: list[Site] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.children))
        found: list[Site | None] = []
        if node.type == "return_statement" and node.named_children:
            found.append(_site(node.named_children[0], "return", path, package))
        elif node.type == "assignment":
            right = node.child_by_field_name("right")
            if right is not None:
                found.append(_site(right, "assignment", path, package))
        elif node.type == "argument_list":
            for arg in node.named_children:
                value = arg.child_by_field_name("value") if arg.type == "keyword_argument" else arg
                if value is None or arg.type in ("list_splat", "dictionary_splat"):
                    continue
                stratum = "attribute-argument" if value.type == "attribute" else "argument"
                found.append(_site(value, stratum, path, package))
        sites.extend(s for s in found if s is not None)
    return sites


def with_hole(source: bytes, site: Site) -> tuple[str, int]:
    """The source with the site's expression replaced by ``...``, and the hole's offset."""
    data = source[: site.start] + b"..." + source[site.end :]
    return data.decode("utf-8"), site.start


def sample_sites(sites: Sequence[Site], n: int, seed: int) -> list[Site]:
    """``n`` sites, round-robin over the (package, stratum) cells, each cell shuffled."""
    rng = random.Random(seed)
    cells: dict[tuple[str, str], list[Site]] = defaultdict(list)
    for s in sites:
        cells[(s.package, s.stratum)].append(s)
    queues = []
    for key in sorted(cells):
        items = list(cells[key])
        rng.shuffle(items)
        queues.append(items)
    picked: list[Site] = []
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop())
    return picked


# -- corpus -----------------------------------------------------------------------------
@dataclass
class Corpus:
    sources: dict[str, bytes] = field(default_factory=dict)  # path -> original bytes
    sites: list[Site] = field(default_factory=list)
    files: int = 0


def package_of(wheel: Path) -> str:
    return wheel.name.split("-", 1)[0]


def load_installed(names: Iterable[str]) -> Corpus:
    """The ``.py`` files of installed packages (by import name), as a corpus."""
    import importlib.util

    corpus = Corpus()
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        base = Path(next(iter(spec.submodule_search_locations)))
        for file in sorted(base.rglob("*.py")):
            member = f"{name}/{file.relative_to(base).as_posix()}"
            data = file.read_bytes()
            corpus.files += 1
            corpus.sources[member] = data
            corpus.sites.extend(find_sites(data, member, name))
    return corpus


def load_corpus(wheels: Iterable[Path]) -> Corpus:
    corpus = Corpus()
    for wheel in wheels:
        package = package_of(wheel)
        with zipfile.ZipFile(wheel) as zf:
            for member in sorted(zf.namelist()):
                if not member.endswith(".py") or ".dist-info/" in member:
                    continue
                data = zf.read(member)
                corpus.files += 1
                corpus.sources[member] = data
                corpus.sites.extend(find_sites(data, member, package))
    return corpus


# -- matching ---------------------------------------------------------------------------
def _parse_expr(text: str) -> ast.expr | None:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None


def normalise(text: str) -> str:
    """One spelling per expression: whitespace, parentheses and quotes do not matter."""
    node = _parse_expr(text)
    return ast.dump(node) if node is not None else "".join(text.split())


def _fills(pattern: Any, value: Any) -> bool:
    if isinstance(pattern, ast.Constant) and pattern.value is Ellipsis:
        return isinstance(value, ast.expr)
    if isinstance(pattern, list):
        return (
            isinstance(value, list)
            and len(pattern) == len(value)
            and all(_fills(p, v) for p, v in zip(pattern, value, strict=True))
        )
    if not isinstance(pattern, ast.AST):
        return bool(pattern == value)
    if type(pattern) is not type(value):
        return False
    return all(
        _fills(p, getattr(value, name, None))
        for name, p in ast.iter_fields(pattern)
        if name != "ctx"
    )


def partially_matches(candidate: str, original: str) -> bool:
    """``f(..., x=...)`` against ``f(a.b, x=1)``: the original fills the candidate's holes."""
    if "..." not in candidate:
        return False
    pattern, value = _parse_expr(candidate), _parse_expr(original)
    return pattern is not None and value is not None and _fills(pattern, value)


# -- one hole ---------------------------------------------------------------------------
@dataclass
class Outcome:
    site: Site
    found: bool  # a hole at the `...`
    rank: int | None  # 1-based rank of the original among the fills, None: not there
    partial_rank: int | None  # the same, counting fills whose holes the original fills
    shown: list[tuple[dict[str, float], bool]] = field(default_factory=list)  # first SHOWN
    top: list[str] = field(default_factory=list)  # the first few fills, for the misses
    candidates: int = 0
    expected_known: bool = False  # the engine knew the type expected at the hole
    confidence: float | None = None  # of the first fill
    requested: bool = False  # a hole only on request: diagnostics pass over this `...`


def rank_of(suggestions: Sequence[Suggestion], original: str) -> tuple[int | None, int | None]:
    want = normalise(original)
    rank = partial = None
    for i, s in enumerate(suggestions, 1):
        exact = normalise(s.text) == want
        if rank is None and exact:
            rank = i
        if partial is None and (exact or partially_matches(s.text, original)):
            partial = i
        if rank is not None:
            break
    return rank, partial


def analyse(source: bytes, site: Site) -> tuple[Analysis, int]:
    text, offset = with_hole(source, site)
    return Analysis(SourceDocument(text), site.path), offset


def run_site(source: bytes, site: Site, ranker: Ranker | None = None) -> Outcome:
    analysis, offset = analyse(source, site)
    return outcome_at(analysis, offset, site, ranker)


def outcome_at(analysis: Analysis, offset: int, site: Site, ranker: Ranker | None) -> Outcome:
    """How the fills at ``offset`` of an analysed edited text fare against the original.

    Asked as `lift-lsp suggest` and completion ask: at the user's request (a `...` the
    diagnostics pass over as a sentinel, `isinstance(x, ...)`, is answered too)."""
    result = suggest(analysis, offset, limit=ALL, ranker=ranker, on_request=True)
    if result.hole is None:
        return Outcome(site, False, None, None)
    requested = analysis.hole_at(offset) is None
    rank, partial = rank_of(result.suggestions, site.original)
    want = normalise(site.original)
    shown = [(s.features, normalise(s.text) == want) for s in result.suggestions[:SHOWN]]
    top = [s.text for s in result.suggestions[:3]]
    known = result.expected_type is not None
    first = result.suggestions[0].confidence if result.suggestions else None
    return Outcome(
        site, True, rank, partial, shown, top, len(result.suggestions), known, first, requested
    )


def summarise(outcomes: Sequence[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    if not n:
        return {"holes": 0}

    def share(flags: Iterable[bool]) -> float:
        return round(sum(flags) / n, 4)

    return {
        "holes": n,
        "coverage": share(o.found for o in outcomes),
        "typed": share(o.expected_known for o in outcomes),
        "in_list": share(o.rank is not None for o in outcomes),
        "top1": share(o.rank == 1 for o in outcomes),
        "top5": share(o.rank is not None and o.rank <= 5 for o in outcomes),
        "mrr": round(sum(1 / o.rank for o in outcomes if o.rank) / n, 4),
        "top5_partial": share(o.partial_rank is not None and o.partial_rank <= 5 for o in outcomes),
    }


def calibration(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Is the first fill's confidence the chance that it is right? Per band of
    confidence: holes, mean confidence, share right; and the expected calibration error
    (the bands' gaps weighted by their holes)."""
    rated = [o for o in outcomes if o.confidence is not None]
    bands = []
    for lo in (0.0, 0.2, 0.4, 0.6, 0.8):
        inside = [
            o
            for o in rated
            if lo <= (o.confidence or 0.0) < lo + 0.2 or (lo == 0.8 and o.confidence == 1.0)
        ]
        if not inside:
            continue
        conf = sum(o.confidence or 0.0 for o in inside) / len(inside)
        right = sum(o.rank == 1 for o in inside) / len(inside)
        bands.append(
            {
                "from": lo,
                "holes": len(inside),
                "confidence": round(conf, 3),
                "right": round(right, 3),
            }
        )
    n = max(len(rated), 1)
    ece = sum(b["holes"] / n * abs(b["confidence"] - b["right"]) for b in bands)
    return {"bands": bands, "ece": round(ece, 4)}


def shape_of(expr: str) -> str:
    """What kind of expression the original was (where the misses are)."""
    node = _parse_expr(expr)
    if node is None:
        return "other"
    if isinstance(node, ast.Name):
        return "name"
    if isinstance(node, ast.Attribute):
        chain: ast.expr = node
        while isinstance(chain, ast.Attribute):
            chain = chain.value
        return "attribute chain" if isinstance(chain, ast.Name) else "attribute of expr"
    if isinstance(node, ast.Constant):
        return "literal"
    if isinstance(node, ast.Call):
        return "call"
    if isinstance(node, ast.BinOp | ast.BoolOp | ast.Compare | ast.UnaryOp):
        return "operator"
    if isinstance(node, ast.JoinedStr):
        return "f-string"
    if isinstance(node, ast.List | ast.Tuple | ast.Dict | ast.Set):
        return "display"
    if isinstance(node, ast.ListComp | ast.DictComp | ast.SetComp | ast.GeneratorExp):
        return "comprehension"
    return "other"


# -- learning ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SimulatedFeedback:
    """A feedback row as ``Store.feedback_rows`` gives it (what ``learn`` reads)."""

    hole_key: str
    suggestion: str
    features: dict[str, float]
    accepted: bool
    chosen: str | None


def simulated_feedback(outcomes: Sequence[Outcome]) -> list[FeedbackLike]:
    rows: list[FeedbackLike] = []
    for o in outcomes:
        if not o.found or not o.shown:
            continue
        key = f"{o.site.path}#{o.site.start}"  # as the server's `uri#name@line`
        hit = any(ok for _, ok in o.shown)
        for i, (features, ok) in enumerate(o.shown):
            chosen = None if hit else o.site.original
            rows.append(SimulatedFeedback(key, f"#{i}", features, ok, chosen))
    return rows


def score_rankers(
    corpus: Corpus, sites: Sequence[Site], rankers: Sequence[Ranker]
) -> list[list[Outcome]]:
    """Each ranker's outcomes on the same holes (each edited text analysed once)."""
    buckets: list[list[Outcome]] = [[] for _ in rankers]
    for s in sites:
        analysis, offset = analyse(corpus.sources[s.path], s)
        for ranker, bucket in zip(rankers, buckets, strict=True):
            bucket.append(outcome_at(analysis, offset, s, ranker))
    return buckets


def _relative_gain(before: dict[str, float], after: dict[str, float]) -> float:
    base = before.get("top1", 0.0)
    return (after.get("top1", 0.0) - base) / base if base else 0.0


def learning_experiment(corpus: Corpus, train_n: int, eval_n: int, seed: int) -> dict[str, Any]:
    in_a = [s for s in corpus.sites if s.package in PACKAGES_A]
    train_sites = sample_sites(in_a, train_n or len(in_a), seed)
    eval_sites = sample_sites(
        [s for s in corpus.sites if s.package in PACKAGES_B], eval_n, seed + 1
    )
    started = time.perf_counter()
    train = [run_site(corpus.sources[s.path], s) for s in train_sites]
    outcome = learn(simulated_feedback(train), Ranker(), seed=seed, version="ranker-holefit")
    learned = outcome.candidate
    built_in, fitted = score_rankers(corpus, eval_sites, [Ranker(), learned])
    before, after = summarise(built_in), summarise(fitted)
    ranked = [(b.rank, a.rank) for b, a in zip(built_in, fitted, strict=True) if b.rank is not None]
    report = {
        "packages_a": list(PACKAGES_A),
        "packages_b": list(PACKAGES_B),
        "train_holes": len(train_sites),
        "train_with_original_shown": sum(any(ok for _, ok in o.shown) for o in train),
        "learn": {
            "activated": outcome.activated,
            "reason": outcome.reason,
            "heldout_a_current": outcome.metrics_current,
            "heldout_a_new": outcome.metrics_new,
        },
        "weights": {k: round(v, 3) for k, v in sorted(learned.weights.items())},
        "b_untrained": before,
        "b_learned": after,
        "b_top1_relative_gain": round(_relative_gain(before, after), 4),
        "b_ranked_holes": len(ranked),
        "b_improved": sum(a is not None and a < b for b, a in ranked if b is not None),
        "b_worsened": sum(a is None or a > b for b, a in ranked if b is not None),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return report


def _half(path: str) -> int:
    return hashlib.sha1(path.encode()).digest()[0] % 2


def within_project_experiment(
    corpus: Corpus, train_n: int, eval_n: int, seed: int
) -> dict[str, Any]:
    """What a user sees: feedback from half of a project's files, scored on the other
    half of the same project (each package of the corpus in turn).

    ``learned`` is the fitted ranker whether or not ``learn`` activated it; ``in use``
    is what the server would rank with afterwards (the fit only if activated)."""
    started = time.perf_counter()
    per_package: dict[str, Any] = {}
    pooled: dict[str, list[Outcome]] = {"untrained": [], "learned": [], "in_use": []}
    for package in sorted({s.package for s in corpus.sites}):
        sites = [s for s in corpus.sites if s.package == package]
        train_sites = sample_sites([s for s in sites if _half(s.path) == 0], train_n, seed)
        eval_sites = sample_sites([s for s in sites if _half(s.path) == 1], eval_n, seed + 1)
        train = [run_site(corpus.sources[s.path], s) for s in train_sites]
        outcome = learn(simulated_feedback(train), Ranker(), seed=seed, version="ranker-within")
        before, after = score_rankers(corpus, eval_sites, [Ranker(), outcome.candidate])
        used = after if outcome.activated else before
        pooled["untrained"] += before
        pooled["learned"] += after
        pooled["in_use"] += used
        b, a = summarise(before), summarise(after)
        per_package[package] = {
            "train_holes": len(train_sites),
            "eval_holes": len(eval_sites),
            "train_files": sorted({s.path for s in train_sites}),
            "eval_files": sorted({s.path for s in eval_sites}),
            "activated": outcome.activated,
            "reason": outcome.reason,
            "untrained": b,
            "learned": a,
            "top1_relative_gain": round(_relative_gain(b, a), 4),
        }
    summary = {k: summarise(v) for k, v in pooled.items()}
    return {
        "packages": per_package,
        "pooled": summary,
        "learned_top1_relative_gain": round(
            _relative_gain(summary["untrained"], summary["learned"]), 4
        ),
        "in_use_top1_relative_gain": round(
            _relative_gain(summary["untrained"], summary["in_use"]), 4
        ),
        "seconds": round(time.perf_counter() - started, 1),
    }


# -- fitting the built-in ranker's prior weights --------------------------------------
#: Installed packages, none of them in the dev corpus, whose code the prior weights of
#: the built-in ranker are fitted on (lift-lsp's own dependencies and pytest's).
PRIOR_PACKAGES = (
    "_pytest", "aiosqlite", "anyio", "attr", "cattrs", "h11", "httpcore", "httpx",
    "jsonschema", "pathspec", "pluggy", "pygls", "referencing",
)  # fmt: skip


Fills = list[tuple[dict[str, float], bool]]


def all_fills(source: bytes, site: Site) -> tuple[Fills, dict[str, float]] | None:
    """Every fill's features and whether it is the original, and the hole's features
    (None: no hole there)."""
    analysis, offset = analyse(source, site)
    result = suggest(analysis, offset, limit=ALL, on_request=True)
    if result.hole is None:
        return None
    want = normalise(site.original)
    return [(s.features, normalise(s.text) == want) for s in result.suggestions], result.context


def fit_none(
    weights: dict[str, float],
    holes: Sequence[tuple[Fills, dict[str, float]]],
    *,
    l2: float = 1.0,
    steps: int = 800,
) -> dict[str, float]:
    """The weights of "none of the fills is right" (``NONE``, by the hole's features),
    the ranking weights held fixed: a logistic regression of "the original is not among
    the fills" with the log-sum-exp of the fills' scores as offset."""
    import numpy as np

    ranker = Ranker(weights=weights)
    usable = [(g, h) for g, h in holes if g]
    names = sorted({k for _, h in usable for k in h})
    col = {k: i for i, k in enumerate(names)}
    x = np.zeros((len(usable), len(names)))
    offset = np.zeros(len(usable))
    y = np.zeros(len(usable))
    for r, (group, hole) in enumerate(usable):
        for k, v in hole.items():
            x[r, col[k]] = v
        scores = np.array([ranker.score(f) for f, _ in group])
        top = scores.max()
        offset[r] = top + np.log(np.exp(scores - top).sum())
        y[r] = not any(ok for _, ok in group)
    w = np.zeros(len(names))
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    n = len(usable)
    for t in range(1, steps + 1):
        p = 1 / (1 + np.exp(-(x @ w - offset)))
        grad = x.T @ (p - y) / n + l2 * w / n
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return {k: round(float(w[col[k]]), 3) for k in names}


def fit_conditional_logit(
    groups: Sequence[Sequence[tuple[dict[str, float], bool]]],
    *,
    l2: float = 1.0,
    steps: int = 1500,
) -> dict[str, float]:
    """Weights maximising the likelihood of the original at each hole where it is among
    the fills (softmax per hole), with an L2 penalty; full-batch Adam."""
    import numpy as np

    usable = [g for g in groups if any(ok for _, ok in g) and len(g) > 1]
    names = sorted({k for g in usable for f, _ in g for k in f})
    col = {k: i for i, k in enumerate(names)}
    rows = sum(len(g) for g in usable)
    x = np.zeros((rows, len(names)))
    y = np.zeros(rows)
    starts = []
    r = 0
    for g in usable:
        starts.append(r)
        hits = sum(ok for _, ok in g)
        for f, ok in g:
            for k, v in f.items():
                x[r, col[k]] = v
            y[r] = ok / hits
            r += 1
    start = np.array(starts)
    group_of = np.repeat(np.arange(len(usable)), np.diff(np.append(start, rows)))
    w = np.zeros(len(names))
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    n = len(usable)
    for t in range(1, steps + 1):
        s = x @ w
        s = s - np.maximum.reduceat(s, start)[group_of]
        e = np.exp(s)
        p = e / np.add.reduceat(e, start)[group_of]
        grad = x.T @ (p - y) / n + l2 * w / n
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return {k: round(float(w[col[k]]), 3) for k in names if abs(w[col[k]]) >= 0.0005}


def fit_prior(n: int, seed: int) -> tuple[dict[str, float], dict[str, Any]]:
    """Fit prior weights on PRIOR_PACKAGES (80 % of the sampled holes by a hash of the
    site), and score them on the other 20 %."""
    corpus = load_installed(PRIOR_PACKAGES)
    sites = sample_sites(corpus.sites, n, seed)
    train: list[tuple[Fills, dict[str, float]]] = []
    heldout: list[tuple[Fills, dict[str, float]]] = []
    for s in sites:
        fills = all_fills(corpus.sources[s.path], s)
        key = hashlib.sha256(f"{s.path}:{s.start}".encode()).digest()[0]
        (heldout if key < 52 else train).append(fills or ([], {}))
    weights = fit_conditional_logit([g for g, _ in train])
    weights.update(fit_none(weights, train))
    held = [g for g, _ in heldout]
    report = {
        "packages": list(PRIOR_PACKAGES),
        "files": corpus.files,
        "sites": len(corpus.sites),
        "train_holes": len(train),
        "heldout_holes": len(heldout),
        "heldout_before": Ranker().evaluate(held),
        "heldout_after": Ranker(weights=weights).evaluate(held),
        "heldout_in_list": round(sum(any(ok for _, ok in g) for g in held) / len(held), 4),
    }
    return weights, report


# -- latency ----------------------------------------------------------------------------
def latency(runs: int, seed: int) -> dict[str, Any]:
    import argparse as stdlib_argparse

    path = Path(stdlib_argparse.__file__)
    source = path.read_bytes()
    sites = find_sites(source, "argparse.py", "argparse")
    random.Random(seed).shuffle(sites)
    suggest(*analyse(source, sites[0]))  # warm-up: imports, parser, typeshed look-ups
    first: list[float] = []
    again: list[float] = []
    analysis_ms: list[float] = []
    for s in sites:
        if len(first) >= runs:
            break
        t0 = time.perf_counter()
        analysis, offset = analyse(source, s)
        t1 = time.perf_counter()
        if analysis.hole_at(offset) is None:
            continue  # `...` where it is not a hole (e.g. `ValueError(...)`): nothing to time
        suggest(analysis, offset)
        t2 = time.perf_counter()
        suggest(analysis, offset)
        t3 = time.perf_counter()
        analysis_ms.append((t1 - t0) * 1000)
        first.append((t2 - t1) * 1000)
        again.append((t3 - t2) * 1000)

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return round(xs[min(len(xs) - 1, int(q * len(xs)))], 2)

    return {
        "file": "argparse.py (standard library)",
        "lines": source.count(b"\n"),
        "holes": len(first),
        "suggest_p50_ms": round(statistics.median(first), 2),
        "suggest_p95_ms": pct(first, 0.95),
        "suggest_again_p50_ms": round(statistics.median(again), 2),
        "analysis_p50_ms": round(statistics.median(analysis_ms), 2),
    }


# -- report -----------------------------------------------------------------------------
def _row(label: str, m: dict[str, float]) -> str:
    if not m.get("holes"):
        return f"{label:<20} {0:>6}"
    return (
        f"{label:<20} {int(m['holes']):>6} {m['coverage']:>6.2f} {m.get('typed', 0):>6.2f}"
        f" {m['in_list']:>7.2f}"
        f" {m['top1']:>6.2f} {m['top5']:>6.2f} {m['mrr']:>6.2f} {m['top5_partial']:>8.2f}"
    )


def _goal(label: str, value: float, goal: float, *, at_most: bool = False, holes: int = 0) -> str:
    met = value <= goal if at_most else value >= goal
    sign = "<=" if at_most else ">="
    line = f"  {label:<32} {value:>7.3f}  goal {sign} {goal:<6g} {'met' if met else 'MISSED'}"
    if holes:
        line += f"  (95 % interval ±{margin(value, holes):.3f} over {holes} holes)"
    return line


def margin(share: float, n: int) -> float:
    """Half the width of a share's 95 % confidence interval (normal approximation): how
    far a figure over ``n`` sampled holes may be from the whole corpus's."""
    return 1.96 * math.sqrt(share * (1 - share) / n) if n else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--sample", type=int, default=600, help="holes in the main sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--train", type=int, default=0, help="holes of packages A to learn on (0: all)"
    )
    parser.add_argument("--eval", type=int, default=2000, help="holes of packages B to score on")
    parser.add_argument("--latency-runs", type=int, default=60)
    parser.add_argument("--no-learning", action="store_true")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument(
        "--within",
        type=int,
        default=0,
        metavar="N",
        help="also learn inside each package: feedback on N holes of half its files,"
        " scored on N holes of the other half",
    )
    parser.add_argument("--misses", type=int, default=0, help="print this many example misses")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument(
        "--fit-prior",
        type=int,
        default=0,
        metavar="N",
        help="fit the built-in ranker's weights on N holes of PRIOR_PACKAGES (never the"
        " corpus), print them, then score the corpus with them",
    )
    parser.add_argument(
        "--weights", type=Path, help="score with these ranker weights (JSON) instead of ranker-0"
    )
    args = parser.parse_args(argv)
    ranker: Ranker | None = None
    if args.weights:
        ranker = Ranker(version="ranker-file", weights=json.loads(args.weights.read_text()))
    if args.fit_prior:
        weights, prior = fit_prior(args.fit_prior, args.seed)
        print(f"Prior fitted on {prior['train_holes']} holes of {', '.join(PRIOR_PACKAGES)}")
        print(json.dumps(prior, indent=1))
        print("weights:", json.dumps(weights, indent=1, sort_keys=True))
        ranker = Ranker(version="ranker-prior", weights=weights)

    wanted = set(PACKAGES_A) | set(PACKAGES_B)
    wheels = [w for w in sorted(args.corpus.glob("*.whl")) if package_of(w) in wanted]
    if not wheels:
        print(f"no corpus wheels under {args.corpus}")
        return 1
    corpus = load_corpus(wheels)
    sites = sample_sites(corpus.sites, args.sample, args.seed)
    started = time.perf_counter()
    outcomes = [run_site(corpus.sources[s.path], s, ranker) for s in sites]
    elapsed = time.perf_counter() - started

    by_stratum = {k: summarise([o for o in outcomes if o.site.stratum == k]) for k in STRATA}
    by_package = {
        p: summarise([o for o in outcomes if o.site.package == p]) for p in sorted(wanted)
    }
    overall = summarise(outcomes)
    shapes: dict[str, Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        shape = shape_of(o.site.original)
        shapes[shape]["holes"] += 1
        shapes[shape]["top1"] += o.rank == 1
        shapes[shape]["in_list"] += o.rank is not None
    same_name = [
        o
        for o in outcomes
        if o.found and o.site.target and normalise(o.site.original) == normalise(o.site.target)
    ]
    diagnostics = {
        # `f(name=name)`, `self.name = name`: the engine drops fills spelled like the target.
        "original_is_target_name": len(same_name),
        "original_is_target_name_in_list": sum(o.rank is not None for o in same_name),
        # `self.x = ...` answered with `self.x` itself.
        "assignments": sum(o.found and o.site.left is not None for o in outcomes),
        # Holes only on request (`Path(...)`, `isinstance(x, ...)`), and how they fare.
        "requested": sum(o.requested for o in outcomes),
        "requested_top5": sum(o.requested and o.rank is not None and o.rank <= 5 for o in outcomes),
        "top_fill_is_assignment_target": sum(
            bool(o.site.left and o.top and normalise(o.top[0]) == normalise(o.site.left))
            for o in outcomes
        ),
    }
    results: dict[str, Any] = {
        "corpus": {
            "wheels": [w.name for w in wheels],
            "files": corpus.files,
            "sites": len(corpus.sites),
            "sites_by_stratum": dict(Counter(s.stratum for s in corpus.sites)),
        },
        "seed": args.seed,
        "goals": GOALS,
        "overall": overall,
        "by_stratum": by_stratum,
        "by_package": by_package,
        "by_shape": {k: dict(v) for k, v in sorted(shapes.items(), key=lambda kv: -kv[1]["holes"])},
        "engine_diagnostics": diagnostics,
        "calibration": calibration(outcomes),
        "seconds": round(elapsed, 1),
    }

    head = (
        f"{'':<20} {'holes':>6} {'found':>6} {'typed':>6} {'in list':>7} {'top-1':>6} {'top-5':>6}"
        f" {'MRR':>6} {'top-5 partial':>8}"
    )
    print(
        f"Hole fits: {len(outcomes)} holes from {len(corpus.sites)} sites in {corpus.files}"
        f" files of {len(wheels)} packages (seed {args.seed}), {elapsed:.0f} s"
    )
    print(head)
    for k in STRATA:
        print(_row(k, by_stratum[k]))
    print(_row("overall", overall))
    print()
    print(head.replace(" " * 20, f"{'package':<20}", 1))
    for p, m in by_package.items():
        print(_row(p, m))
    print()
    print(f"{'original is a':<20} {'holes':>6} {'in list':>7} {'top-1':>6}")
    for shape, c in results["by_shape"].items():
        n = c["holes"]
        print(f"{shape:<20} {n:>6} {c['in_list'] / n:>7.2f} {c['top1'] / n:>6.2f}")

    cal = results["calibration"]
    print("\nfirst fill's confidence against how often it is right (calibration):")
    for b in cal["bands"]:
        print(
            f"  {b['from']:.1f}-{b['from'] + 0.2:.1f}: {b['holes']:>4} holes,"
            f" confidence {b['confidence']:.2f}, right {b['right']:.2f}"
        )
    print(f"  expected calibration error {cal['ece']:.3f}")
    print(
        f"\noriginal spelled like its target (`f(x=x)`, `self.x = x`):"
        f" {diagnostics['original_is_target_name']} holes, in the list at"
        f" {diagnostics['original_is_target_name_in_list']};"
        f" first fill is the assignment's own target (`self.x = self.x`):"
        f" {diagnostics['top_fill_is_assignment_target']} of {diagnostics['assignments']}"
        " assignments"
    )
    print(
        f"holes only on request (diagnostics read the `...` as a sentinel, as in"
        f" `isinstance(x, ...)`): {diagnostics['requested']}, original in the first five at"
        f" {diagnostics['requested_top5']}"
    )

    if args.misses:
        print("\nExample misses (original → first fills):")
        rng = random.Random(args.seed)
        missed = [o for o in outcomes if o.found and o.rank != 1]
        for o in rng.sample(missed, min(args.misses, len(missed))):
            where = f"{o.site.path}@{o.site.start}"
            print(f"  [{o.site.stratum}] {where}: {o.site.original!r} (rank {o.rank})")
            print(f"      → {o.top}")

    if not args.no_learning:
        report = learning_experiment(corpus, args.train, args.eval, args.seed)
        results["learning"] = report
        b0, b1 = report["b_untrained"], report["b_learned"]
        print(
            f"\nLearning: fitted on {report['train_holes']} holes of {', '.join(PACKAGES_A)}"
            f" ({report['train_with_original_shown']} with the original among the"
            f" {SHOWN} shown); learn(): {'activated' if report['learn']['activated'] else 'not'}"
            f" — {report['learn']['reason']}"
        )
        print(f"scored on {int(b0['holes'])} holes of {', '.join(PACKAGES_B)}:")
        print(head)
        print(_row("built-in ranker-0", b0))
        print(_row("learned", b1))
        print(
            f"relative top-1 gain {report['b_top1_relative_gain']:+.1%};"
            f" of {report['b_ranked_holes']} holes with the original in the list,"
            f" {report['b_improved']} ranked better, {report['b_worsened']} worse"
        )
    if args.within:
        within = within_project_experiment(corpus, args.within, args.within, args.seed)
        results["within_project"] = within
        print(
            f"\nLearning inside each package (feedback on {args.within} holes of half its"
            " files, scored on the other half):"
        )
        print(head.replace(" " * 20, f"{'package, ranker':<20}", 1))
        for package, r in within["packages"].items():
            state = "activated" if r["activated"] else "not activated"
            print(_row(f"{package} built-in", r["untrained"]))
            print(_row(f"{package} learned", r["learned"]) + f"  {state}")
        pooled = within["pooled"]
        print(_row("all built-in", pooled["untrained"]))
        print(_row("all learned", pooled["learned"]))
        print(_row("all in use", pooled["in_use"]))
        print(
            f"relative top-1 gain: learned {within['learned_top1_relative_gain']:+.1%},"
            f" in use (only where learn activated it) {within['in_use_top1_relative_gain']:+.1%}"
        )
    if not args.no_latency:
        lat = latency(args.latency_runs, args.seed)
        results["latency"] = lat
        print(
            f"\nsuggest on {lat['file']}, {lat['lines']} lines, {lat['holes']} holes:"
            f" p50 {lat['suggest_p50_ms']} ms, p95 {lat['suggest_p95_ms']} ms"
            f" (again on the same analysis: p50 {lat['suggest_again_p50_ms']} ms;"
            f" building the analysis of the edited text: p50 {lat['analysis_p50_ms']} ms)"
        )

    print("\nGoals:")
    print(_goal("top-1", overall["top1"], GOALS["top1"], holes=len(outcomes)))
    print(_goal("top-5", overall["top5"], GOALS["top5"], holes=len(outcomes)))
    if "learning" in results:
        gain = results["learning"]["b_top1_relative_gain"]
        print(_goal("learned top-1 relative gain on B", gain, GOALS["learned_gain"]))
    if "latency" in results:
        p50 = results["latency"]["suggest_p50_ms"]
        print(_goal("suggest p50 ms", p50, GOALS["p50_ms"], at_most=True))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
