"""bench/holefit.py: the expressions it turns into holes, and how it scores the fills."""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from holefit import (
    Corpus,
    Outcome,
    Site,
    calibration,
    find_sites,
    fit_conditional_logit,
    fit_none,
    margin,
    normalise,
    partially_matches,
    run_site,
    sample_sites,
    shape_of,
    simulated_feedback,
    summarise,
    with_hole,
    within_project_experiment,
)

from lift_lsp.suggest.learning import groups_from_feedback

MODULE = b"""import math

LIMIT = print("module level: not a site")


class Circle:
    unit = max(1, 2)  # class body: not a site

    def __init__(self, radius: float, name: str) -> None:
        self.radius = radius
        self.name = name

    def area(self) -> float:
        r = self.radius
        return math.pi * r * r

    def label(self, prefix: str) -> str:
        text = prefix + self.name
        return text


def scaled(c: Circle, factor: float) -> Circle:
    bigger = Circle(c.radius * factor, c.name)
    print(bigger.area(), end="")
    return bigger


def copy(c: Circle, *args: object, **kw: object) -> Circle:
    print(*args, **kw)
    return Circle(c.radius, "copy")


def same(c: Circle) -> str:
    return ...
"""


def sites() -> list[Site]:
    return find_sites(MODULE, "pkg/geometry.py", "pkg")


def site(original: str, stratum: str) -> Site:
    return next(s for s in sites() if s.original == original and s.stratum == stratum)


def test_sites_are_the_expressions_inside_functions() -> None:
    found = {(s.stratum, s.original) for s in sites()}
    assert ("return", "text") in found
    assert ("return", "math.pi * r * r") in found
    assert ("assignment", "radius") in found
    assert ("assignment", "prefix + self.name") in found
    assert ("argument", "c.radius * factor") in found
    assert ("argument", '""') in found  # a keyword argument's value
    assert ("attribute-argument", "c.name") in found
    assert ("attribute-argument", "c.radius") in found
    originals = {s.original for s in sites()}
    assert '"module level: not a site"' not in originals
    assert "1" not in originals  # `max(1, 2)` in the class body
    assert "args" not in originals  # `*args`, `**kw` are no expressions
    assert "..." not in originals  # already a hole
    assert site('""', "argument").target == "end"
    assert site("radius", "assignment").left == "self.radius"


def test_every_replacement_is_valid_python_with_the_hole_at_the_offset() -> None:
    for s in sites():
        text, offset = with_hole(MODULE, s)
        ast.parse(text)
        assert text.encode()[offset : offset + 3] == b"..."
        assert text.encode()[:offset] == MODULE[: s.start]


def test_the_original_is_found_among_the_fills() -> None:
    assert run_site(MODULE, site("text", "return")).rank == 1
    assert run_site(MODULE, site("bigger", "return")).rank == 1
    # Two str fills, `c.name` and the literal `"copy"` written nearby: their order is
    # the ranker's call; the harness must find the original among the first.
    name = run_site(MODULE, site("c.name", "attribute-argument"))
    assert name.rank in (1, 2)
    assert {*name.top[:2]} == {"c.name", '"copy"'}
    composite = run_site(MODULE, site("math.pi * r * r", "return"))
    assert composite.found
    # Written nowhere else in the module (the hole is where it was): not among the fills.
    assert composite.rank is None
    partial = run_site(MODULE, site('Circle(c.radius, "copy")', "return"))
    assert partial.rank is None
    assert partial.partial_rank is not None  # `Circle(..., ...)`


def test_self_attribute_from_a_parameter() -> None:
    assert run_site(MODULE, site("radius", "assignment")).rank == 1


def test_normalise_ignores_spelling() -> None:
    assert normalise("a  +  b") == normalise("(a + b)")
    assert normalise("'x'") == normalise('"x"')
    assert normalise("f(x ,y)") == normalise("f(x, y)")
    assert normalise("a + b") != normalise("a - b")
    assert normalise("not python (") == "notpython("


def test_partial_matches() -> None:
    assert partially_matches("f(..., x=...)", "f(a.b, x=1)")
    assert partially_matches("self.g(...)", "self.g(h(2))")
    assert not partially_matches("f(...)", "f(a, b)")
    assert not partially_matches("f(...)", "g(a)")
    assert not partially_matches("f", "f")  # no hole: exact matching's business


def test_shapes() -> None:
    assert shape_of("x") == "name"
    assert shape_of("self.a.b") == "attribute chain"
    assert shape_of("f(x).a") == "attribute of expr"
    assert shape_of("f(x)") == "call"
    assert shape_of("'s'") == "literal"
    assert shape_of("a + 1") == "operator"


def test_sample_is_seeded_and_spread() -> None:
    pool = [
        Site(f"{p}/m.py", p, stratum, i, i + 1, "x")
        for p in ("a", "b")
        for stratum in ("return", "argument")
        for i in range(50)
    ]
    picked = sample_sites(pool, 40, seed=1)
    assert picked == sample_sites(pool, 40, seed=1)
    assert picked != sample_sites(pool, 40, seed=2)
    assert set(Counter((s.package, s.stratum) for s in picked).values()) == {10}
    assert len(sample_sites(pool[:3], 40, seed=1)) == 3


def test_summary_and_simulated_feedback() -> None:
    outcomes = [run_site(MODULE, s) for s in sites()]
    m = summarise(outcomes)
    assert m["holes"] == len(outcomes)
    assert 0 < m["top1"] <= m["top5"] <= m["in_list"] <= m["coverage"] <= 1
    rows = simulated_feedback(outcomes)
    groups = groups_from_feedback(rows)
    hits = sum(o.found and any(ok for _, ok in o.shown) for o in outcomes)
    assert sum(any(ok for _, ok in g) for g in groups) == hits
    missed = Outcome(sites()[0], True, None, None, shown=[({}, False)])
    assert groups_from_feedback(simulated_feedback([missed])) == [[({}, False)]]


def test_an_expression_written_elsewhere_is_found_but_never_the_hole_itself() -> None:
    # `c.radius` is written in three places: any one of them as a hole is found among the
    # fills, from the other two; `math.pi * r * r` is written once: never found.
    assert run_site(MODULE, site("c.radius", "attribute-argument")).rank is not None
    once = run_site(MODULE, site("math.pi * r * r", "return"))
    assert once.found
    assert once.rank is None


def test_calibration_compares_confidence_with_how_often_the_first_fill_is_right() -> None:
    s = sites()[0]
    outcomes = [Outcome(s, True, 1, 1, confidence=0.9) for _ in range(9)]
    outcomes += [Outcome(s, True, 2, 2, confidence=0.9)]
    outcomes += [Outcome(s, True, None, None, confidence=0.1) for _ in range(10)]
    cal = calibration(outcomes)
    high = next(b for b in cal["bands"] if b["from"] == 0.8)
    assert (high["holes"], high["confidence"], high["right"]) == (10, 0.9, 0.9)
    low = next(b for b in cal["bands"] if b["from"] == 0.0)
    assert (low["holes"], low["right"]) == (10, 0.0)
    assert cal["ece"] == 0.05  # half the holes off by 0.1


def test_the_prior_fit_learns_what_marks_the_original() -> None:
    # The original is the fill with "a"; "b" is noise that is as often on a wrong fill.
    groups = [
        [({"a": 1.0, "b": 1.0}, True), ({"b": 1.0}, False), ({}, False)] for _ in range(30)
    ] + [[({"a": 1.0}, True), ({"b": 1.0}, False)] for _ in range(30)]
    weights = fit_conditional_logit(groups)
    assert weights["a"] > 1.0
    assert abs(weights.get("b", 0.0)) < weights["a"]
    # "none of these" is likely where the original was never among the fills.
    holes = [(g, {"none": 1.0}) for g in groups[:10]]
    holes += [([({"a": 1.0}, False), ({"b": 1.0}, False)], {"none": 1.0}) for _ in range(30)]
    assert fit_none(weights, holes)["none"] > 0


def test_learning_inside_a_package_scores_on_files_it_learned_nothing_from() -> None:
    corpus = Corpus()
    for i in range(12):
        path = f"pkg/geometry_{i}.py"
        corpus.sources[path] = MODULE
        corpus.sites += find_sites(MODULE, path, "pkg")
        corpus.files += 1
    report = within_project_experiment(corpus, 40, 40, seed=0)
    pkg = report["packages"]["pkg"]
    assert pkg["train_holes"] > 0
    assert pkg["eval_holes"] > 0
    # The two halves are disjoint by file.
    assert set(pkg["train_files"]).isdisjoint(pkg["eval_files"])
    assert set(pkg["train_files"]) | set(pkg["eval_files"]) <= set(corpus.sources)
    pooled = report["pooled"]
    expected = pooled["learned"] if pkg["activated"] else pooled["untrained"]
    assert pooled["in_use"] == expected


def test_the_margin_of_a_share_shrinks_with_the_holes_sampled() -> None:
    assert abs(margin(0.5, 100) - 0.098) < 0.001
    assert margin(0.36, 3000) < margin(0.36, 600) / 2
    assert margin(0.0, 600) == 0.0
