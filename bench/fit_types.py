"""Fit the type model (``lift_lsp/analysis/typemodel.json``) on annotated code.

Training code is *not* the evaluation corpus: it is annotated packages installed next
to lift-lsp (its own dependencies and test tools). Their annotations are stripped,
clues are collected from the stripped code, and the annotations are the labels:

1. half A of the packages: the precision of each kind of clue and the name priors;
2. the prior weight: the value that maximises top-1 accuracy on half A;
3. half B: an isotonic map from the combined score to the observed accuracy.

    python bench/fit_types.py [--write] [--packages NAME ...]
"""

from __future__ import annotations

import argparse
import collections
import json
import site
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _strip import strip_source
from _typenorm import import_aliases, normalize

from lift_lsp.analysis.clues import OPTIONAL, Clue, ClueFinder
from lift_lsp.analysis.context import ModuleContext
from lift_lsp.analysis.typemodel import _WORD, MODEL_PATH, TypeModel
from lift_lsp.analysis.types import TypeInference
from lift_lsp.analysis.workspace_types import WorkspaceModules
from lift_lsp.holes.defs import parameters
from lift_lsp.syntax.document import SourceDocument

# Annotated, widely used packages that lift-lsp's environment holds and the evaluation
# corpus does not (click is left out: typer vendors it).
SET_A = [
    "pathspec", "pluggy", "_pytest", "httpx", "anyio", "cattrs", "pygls", "packaging", "h11",
    "mypy", "huggingface_hub", "jinja2", "dotenv",
]  # fmt: skip
SET_B = [
    "httpcore", "aiosqlite", "attr", "pydantic_graph", "filelock", "tenacity", "referencing",
    "iniconfig", "sniffio", "hypothesis", "pydantic", "tiktoken",
]  # fmt: skip
MAX_FILES_PER_PACKAGE = 120


# With --workspace, other modules of a training package are read as the engine reads a
# user's project. Off by default: on the dev corpus it fitted weights that did worse
# (returns top-1 0.589 against 0.612), the training packages leaning on cross-module
# calls far more than typical application code.
WORKSPACE: WorkspaceModules | None = None


@dataclass
class Item:
    package: str
    kind: str  # "param" | "return"
    name: str  # parameter name or function name
    truth: str
    clues: list[Clue]
    prior_key: str
    visible: object


def site_packages() -> Path:
    for p in site.getsitepackages():
        if Path(p).name == "site-packages":
            return Path(p)
    raise SystemExit("no site-packages found")


def items_of(package: str, root: Path) -> Iterator[Item]:
    base = root / package
    files = sorted(base.rglob("*.py"))[:MAX_FILES_PER_PACKAGE] if base.is_dir() else []
    for path in files:
        try:
            source = path.read_bytes()
            stripped = strip_source(source)
        except Exception:  # odd files are not worth failing a fit for
            continue
        if not stripped.original_parses:
            continue
        aliases = import_aliases(source.decode("utf-8", "replace"))
        module = ModuleContext(SourceDocument(stripped.text), str(path))
        by_row = {f.def_row: f for f in stripped.functions if f.skip is None}
        untrained = TypeInference(module, TypeModel(), WORKSPACE)
        units = module.functions()
        untrained.infer_module(units)
        known_returns, known_params = untrained.known_returns, untrained.known_params
        for unit in units:
            truth_fn = by_row.get(unit.node.start_point.row + 1)
            if truth_fn is None:
                continue
            finder = ClueFinder(unit, known_returns, known_params, WORKSPACE)
            params = {p.name: p for p in parameters(unit.node)}
            for p in truth_fn.params:
                if p.annotation is None or p.name in ("self", "cls") or p.name not in params:
                    continue
                truth = normalize(p.annotation, aliases)
                if truth is None:
                    continue
                clues = finder.param_clues(params[p.name])
                yield Item(
                    package,
                    "param",
                    p.name,
                    truth,
                    clues,
                    p.name.lstrip("_").lower(),
                    untrained.visible,
                )
            if truth_fn.returns is not None:
                truth = normalize(truth_fn.returns, aliases)
                if truth is None:
                    continue
                name = truth_fn.name
                is_dunder = name.startswith("__") and name.endswith("__")
                words = _WORD.findall(name.lstrip("_"))
                key = name if is_dunder else (words[0].lower() if words else "")
                yield Item(
                    package, "return", name, truth, finder.return_clues(), key, untrained.visible
                )


def correct(candidate: str, truth: str) -> bool:
    return normalize(candidate) == truth


def fit_precisions(items: list[Item]) -> dict[str, float]:
    hits: collections.Counter[str] = collections.Counter()
    seen: collections.Counter[str] = collections.Counter()
    for item in items:
        for clue in {(c.source, c.type): c for c in item.clues}.values():
            seen[clue.source] += 1
            ok = (
                ("None" in item.truth.split(" | "))
                if clue.type == OPTIONAL
                else correct(clue.type, item.truth)
            )
            hits[clue.source] += ok
    return {s: round((hits[s] + 1) / (seen[s] + 2), 4) for s in seen}


def fit_priors(items: list[Item], kind: str, min_count: int = 3) -> dict[str, dict[str, float]]:
    """Types by parameter name (and by its last word, ``~path``), or by a function name's
    first word (``get``) and by dunder name."""
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for item in items:
        if item.kind == kind and item.prior_key:
            counts[item.prior_key][item.truth] += 1
            if kind == "param":
                words = _WORD.findall(item.name.lstrip("_"))
                if len(words) > 1:
                    counts["~" + words[-1].lower()][item.truth] += 1
    priors: dict[str, dict[str, float]] = {}
    for key, counter in counts.items():
        total = sum(counter.values())
        if total < min_count:
            continue
        top = {t: round(n / (total + 1), 4) for t, n in counter.most_common(5) if n / total >= 0.05}
        if top:
            priors[key] = top
    return priors


def fit_fallbacks(items: list[Item], model: TypeModel) -> dict[str, dict[str, float]]:
    """Base rates for targets whose evidence names no type and whose name has no prior."""
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for item in items:
        has_prior = (
            bool(model.param_prior(item.name))
            if item.kind == "param"
            else item.prior_key in model.return_priors
        )
        if has_prior or any(c.type != OPTIONAL for c in item.clues):
            continue
        if item.clues:  # only `= None`: what is the rest of the union?
            rest = [m for m in item.truth.split(" | ") if m != "None"]
            if len(rest) == 1:
                counts["optional"][rest[0]] += 1
        else:
            counts[item.kind][item.truth] += 1
    out: dict[str, dict[str, float]] = {}
    for case, counter in counts.items():
        total = sum(counter.values())
        out[case] = {t: round(n / (total + 1), 4) for t, n in counter.most_common(3)}
    return out


def predict(model: TypeModel, item: Item) -> tuple[str | None, float]:
    if item.kind == "param":
        prior = model.param_prior(item.name)
    else:
        prior = model.return_priors.get(item.prior_key, {})
    if not prior and all(c.type == OPTIONAL for c in item.clues):
        case = "optional" if item.clues else item.kind
        prior = model.fallback_priors.get(case, {})
    ranked, raw = model.rank(item.clues, prior, item.visible, item.kind)  # type: ignore[arg-type]
    return (ranked[0][0], raw) if ranked else (None, 0.0)


def accuracy(model: TypeModel, items: list[Item]) -> float:
    ok = sum(1 for it in items if (p := predict(model, it)[0]) is not None and correct(p, it.truth))
    return ok / max(1, len(items))


def isotonic(
    points: list[tuple[float, int]], max_points: int = 24
) -> tuple[list[float], list[float]]:
    """Pool-adjacent-violators on (score, correct); returns breakpoints and accuracies."""
    points.sort()
    blocks: list[list[float]] = []  # [sum_y, count, min_x, max_x]
    for x, y in points:
        blocks.append([float(y), 1.0, x, x])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            y2, n2, _lo2, hi2 = blocks.pop()
            blocks[-1][0] += y2
            blocks[-1][1] += n2
            blocks[-1][3] = hi2
    xs = [(b[2] + b[3]) / 2 for b in blocks]
    ys = [b[0] / b[1] for b in blocks]
    while len(xs) > max_points:  # merge the smallest neighbouring blocks
        i = min(range(len(xs) - 1), key=lambda k: blocks[k][1] + blocks[k + 1][1])
        n = blocks[i][1] + blocks[i + 1][1]
        merged = [blocks[i][0] + blocks[i + 1][0], n, blocks[i][2], blocks[i + 1][3]]
        blocks[i : i + 2] = [merged]
        xs[i : i + 2] = [(merged[2] + merged[3]) / 2]
        ys[i : i + 2] = [merged[0] / merged[1]]
    return [round(x, 4) for x in xs], [round(y, 4) for y in ys]


def ece(pairs: list[tuple[float, int]], bins: int = 10) -> float:
    total = len(pairs) or 1
    err = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        group = [(c, y) for c, y in pairs if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if group:
            conf = sum(c for c, _ in group) / len(group)
            acc = sum(y for _, y in group) / len(group)
            err += len(group) / total * abs(conf - acc)
    return err


def fit_evidence(items: list[Item]) -> TypeModel:
    """Clue precisions, name priors, base rates and the prior weight, from ``items``."""
    model = TypeModel(version="types-v1")
    model.source_precision = fit_precisions(items)
    model.param_priors = fit_priors(items, "param")
    model.return_priors = fit_priors(items, "return")
    model.fallback_priors = fit_fallbacks(items, model)
    for kind in ("param", "return"):
        of_kind = [it for it in items if it.kind == kind]
        model.prior_weights[kind] = max(
            (w / 20 for w in range(1, 21)),
            key=lambda w, k=kind, its=of_kind: accuracy(
                _with(model, prior_weights={**model.prior_weights, k: w}), its
            ),
        )
    return model


def scored(model: TypeModel, items: list[Item], kind: str) -> list[tuple[float, int]]:
    pairs = []
    for it in items:
        if it.kind != kind:
            continue
        top, raw = predict(model, it)
        if top is not None:
            pairs.append((raw, int(correct(top, it.truth))))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {MODEL_PATH.name}")
    parser.add_argument("--workspace", action="store_true", help="follow imports in training")
    args = parser.parse_args()
    if args.workspace:
        globals()["WORKSPACE"] = WorkspaceModules(TypeModel())
    root = site_packages()
    started = time.perf_counter()
    set_a = [it for pkg in SET_A for it in items_of(pkg, root)]
    set_b = [it for pkg in SET_B for it in items_of(pkg, root)]
    print(f"items: A={len(set_a)} B={len(set_b)} ({time.perf_counter() - started:.1f} s)")

    # Cross-fitting: evidence fitted on one half scores the other, so every calibration
    # pair is out of sample; the model that ships is fitted on both halves.
    fold_a, fold_b = fit_evidence(set_a), fit_evidence(set_b)
    a_on_b, b_on_a = accuracy(fold_a, set_b), accuracy(fold_b, set_a)
    print(f"top-1 out of sample: A→B {a_on_b:.3f}, B→A {b_on_a:.3f}")
    model = fit_evidence(set_a + set_b)
    print("precision per clue:", json.dumps(model.source_precision, sort_keys=True))
    print(f"prior weights {model.prior_weights}")
    for kind in ("param", "return"):
        pairs = scored(fold_a, set_b, kind) + scored(fold_b, set_a, kind)
        xs, ys = isotonic(list(pairs))
        model.calibration[kind] = {"x": xs, "y": ys}
        before = ece(pairs)
        after = ece([(model.calibrate(s, kind), y) for s, y in pairs])
        print(f"{kind}: ECE out of sample before {before:.3f}, after calibration {after:.3f}")
    model.trained_on = SET_A + SET_B
    model.items = len(set_a) + len(set_b)
    if args.write:
        MODEL_PATH.write_text(json.dumps(model.to_json(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {MODEL_PATH}")


def _with(model: TypeModel, **changes: object) -> TypeModel:
    data = model.to_json()
    data.update(changes)
    return TypeModel.from_json(data)


if __name__ == "__main__":
    raise SystemExit(main())
