"""Compiling the LLM programs from feedback (``lift_lsp.learning``), offline: a fake LM
engine that learns from demonstrations, real DSPy optimizers, real SQLite."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lift_lsp.learning.compiling import Options
from lift_lsp.learning.examples import (
    labeled_from_feedback,
    metric,
    normal,
    rank_score,
    split,
    values_of,
)
from lift_lsp.learning.programs import (
    BASE,
    active_programs,
    compare,
    kind_of,
    optimize,
)
from lift_lsp.optimize_command import rollback_programs
from lift_lsp.store.db import Store
from tests.test_optimize_fakes import FILLS, Calls, demo_lm, inputs_for, record

KIND = kind_of("anthropic")


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    opened = await Store.open(tmp_path / "lift.db")
    yield opened
    await opened.close()


# --- examples, split, metric -----------------------------------------------------------


def row(key: str, text: str, accepted: bool, chosen: str | None = None, **inputs: Any) -> Any:
    return SimpleNamespace(
        hole_key=key, suggestion=text, accepted=accepted, chosen=chosen, inputs=inputs or None
    )


def test_examples_are_the_kept_fills_with_their_inputs() -> None:
    context = inputs_for(1, "int")
    rows = [
        row("u#a@1~e1", "n", False),  # shown, not taken, no inputs: no example
        row("u#a@1~e1", "0", True, **context),  # accepted
        row("u#b@2~e2", "n", False, "n + 1", **inputs_for(2, "int")),  # written instead
        row("u#a@1~e3", "0 ", True, **context),  # the same hole, context and fill again
        row("u#c@3~e4", "x", True, code_context="", expected_type="int"),  # no context
        row("u#d@4~e5", "x", True, code_context="c <HOLE>", bindings="not a list"),
    ]
    found = labeled_from_feedback(rows)
    assert [(e.hole, e.label) for e in found] == [("u#a@1", "0"), ("u#b@2", "n + 1")]
    assert found[0].inputs == context
    example = found[1].example()
    assert set(example.inputs().keys()) == {"code_context", "expected_type", "bindings", "rejected"}
    assert example.suggestions[0]["value"] == "n + 1"


def test_split_keeps_a_hole_on_one_side_and_is_deterministic() -> None:
    rows = []
    for i in range(40):
        for episode in range(3):  # each hole shown three times
            rows.append(row(f"u#h{i}@1~e{episode}", f"v{episode}", True, **inputs_for(i, "int")))
    examples = labeled_from_feedback(rows)
    assert len(examples) == 120
    train, held = split(examples, seed=0)
    assert {e.hole for e in train}.isdisjoint({e.hole for e in held})
    assert 0.1 < len(held) / len(examples) < 0.45
    _, again_held = split(list(reversed(examples)), seed=0)
    assert {e.hole for e in again_held} == {e.hole for e in held}
    assert {e.hole for e in split(examples, seed=1)[1]} != {e.hole for e in held}
    # Two holes: one on each side, whatever the hashes say.
    two = [e for e in examples if e.hole in ("u#h0@1", "u#h1@1")]
    small_train, small_held = split(two, seed=0)
    assert len({e.hole for e in small_train}) == len({e.hole for e in small_held}) == 1


def test_the_metric_is_the_reciprocal_rank_on_normalised_code() -> None:
    assert normal("a+b") == normal("a + b") == normal("return a  +  b")
    assert normal("a+b") != normal("b + a")
    assert rank_score("x[0]", ["x [0]"]) == 1.0
    assert rank_score("x[0]", ["y", "z", "x[ 0 ]"]) == pytest.approx(1 / 3)
    assert rank_score("x[0]", ["y"]) == 0.0
    assert rank_score("not python (", ["not  python ("]) == 1.0
    example = SimpleNamespace(suggestions=[{"value": "len(xs)"}])
    prediction = {"suggestions": [{"value": "0"}, SimpleNamespace(value="len( xs )")]}
    assert values_of(prediction) == ["0", "len( xs )"]
    assert metric(example, prediction) == 0.5
    assert metric(example, prediction, trace=[]) is False  # bootstrapping wants rank 1
    assert values_of({"suggestions": "nonsense"}) == []


# --- optimize, versions, compare, rollback ----------------------------------------------


async def test_few_shot_compilation_beats_the_plain_program_and_is_activated(store: Store) -> None:
    await record(store, 24)
    reports: list[tuple[str, int]] = []
    calls = Calls()
    outcome = await optimize(
        store, demo_lm(calls), "anthropic", report=lambda m, p: reports.append((m, p))
    )
    assert outcome.activated, outcome.reason
    assert outcome.optimizer == "LabeledFewShot"
    assert outcome.previous == BASE
    assert outcome.current is not None
    assert outcome.current.mean == 0.0  # the plain program knows no fill
    assert outcome.new_score is not None
    assert outcome.new_score > outcome.current.mean
    assert outcome.wins > 0
    assert outcome.losses == 0
    trials = {t.optimizer: t for t in outcome.trials}
    assert trials["BootstrapFewShot"].skipped == "needs 20 training examples, there are 17"
    assert trials["MIPROv2"].skipped is not None
    assert calls.n == 2 * outcome.heldout_examples  # only scoring called the model
    [version] = await store.program_versions(KIND)
    assert version.active
    assert version.version == outcome.candidate
    assert version.payload["optimizer"] == "LabeledFewShot"
    assert version.payload["examples"] == outcome.train_examples
    assert len(version.payload["SuggestHoleFill"]["demos"]) == 8
    assert version.metrics["heldout"] == outcome.new_score
    assert version.metrics["current"] == 0.0
    assert version.metrics["optimizers"]["LabeledFewShot"]["score"] == outcome.new_score
    json.dumps(version.payload)  # what the store keeps is plain JSON
    percents = [p for _, p in reports]
    assert percents == sorted(percents)
    assert percents[0] == 0
    assert "saving" in reports[-1][0]
    programs = await active_programs(store, "anthropic")
    assert programs is not None
    assert programs.version == outcome.candidate
    assert await active_programs(store, "modal") is None


async def test_a_second_optimize_that_is_not_better_is_saved_but_not_activated(
    store: Store,
) -> None:
    await record(store, 24)
    lm = demo_lm()
    first = await optimize(store, lm, "anthropic")
    second = await optimize(store, lm, "anthropic")
    assert first.activated
    assert not second.activated
    assert second.previous == first.candidate
    assert second.reason.startswith("not better")
    versions = await store.program_versions(KIND)
    assert [v.version for v in versions] == [first.candidate, second.candidate]
    assert [v.active for v in versions] == [True, False]
    assert versions[1].metrics["activated"] is False
    assert versions[1].metrics["current_version"] == first.candidate


async def test_compare_reports_scores_and_wins_and_losses(store: Store) -> None:
    await record(store, 24)
    lm = demo_lm()
    first = await optimize(store, lm, "anthropic")
    assert first.candidate is not None
    result = await compare(store, lm, "anthropic", BASE, first.candidate)
    report = result.to_json()
    assert report["a"] == {"version": BASE, "score": 0.0}
    assert report["b"]["score"] == first.new_score
    assert report["heldout_examples"] == first.heldout_examples
    assert report["wins"] == 0
    assert report["losses"] == first.wins
    assert report["ties"] == first.heldout_examples - first.wins
    assert report["better"] == first.candidate
    assert report["p_value"] < 0.05
    assert len(report["per_example"]) == first.heldout_examples
    same = (await compare(store, lm, "anthropic", first.candidate, first.candidate)).to_json()
    assert (same["wins"], same["losses"], same["better"], same["p_value"]) == (0, 0, None, 1.0)
    with pytest.raises(LookupError, match="no version"):
        await compare(store, lm, "anthropic", BASE, "programs-nope")


async def test_rollback_restores_the_previous_version_and_active_programs_follows(
    store: Store,
) -> None:
    lm = demo_lm()
    await record(store, 24, types=("int", "str"))
    first = await optimize(store, lm, "anthropic")
    # New kinds of holes: the first version has no demonstration for them.
    await record(store, 24, types=("float", "bool"), start=100)
    second = await optimize(store, lm, "anthropic", options=Options(labeled_k=16))
    assert first.activated, first.reason
    assert second.activated, second.reason
    assert second.previous == first.candidate
    assert (await active_programs(store, "anthropic")).version == second.candidate  # type: ignore[union-attr]

    back = await rollback_programs(store, "anthropic")
    assert back["rolled_back"] == second.candidate
    assert back["active"] == first.candidate
    assert (await active_programs(store, "anthropic")).version == first.candidate  # type: ignore[union-attr]

    back = await rollback_programs(store, "anthropic")
    assert back["active"] == BASE
    assert await active_programs(store, "anthropic") is None
    nothing = await rollback_programs(store, "anthropic")
    assert nothing["rolled_back"] is None
    assert "nothing to roll back" in nothing["message"]


async def test_too_few_examples_save_nothing_and_say_so(store: Store) -> None:
    await record(store, 3)
    await store.record_feedback("u#x@1~e", "0", {}, "static", True, "ranker-0")  # no inputs
    calls = Calls()
    outcome = await optimize(store, demo_lm(calls), "anthropic")
    assert not outcome.activated
    assert outcome.candidate is None
    assert "too little feedback: 3 kept fills" in outcome.reason
    assert "at least 4" in outcome.reason
    assert await store.program_versions(KIND) == []
    assert calls.n == 0


async def test_an_optimizer_that_fails_does_not_stop_the_others(store: Store) -> None:
    """BootstrapFewShot calls the LM synchronously; this LM's sync engine refuses (as a
    route's own does): BootstrapFewShot fails, LabeledFewShot is still compared and kept."""
    await record(store, 30)
    outcome = await optimize(store, demo_lm(sync=False), "anthropic")
    trials = {t.optimizer: t for t in outcome.trials}
    assert trials["BootstrapFewShot"].error is not None
    assert "asynchronously" in trials["BootstrapFewShot"].error
    assert trials["LabeledFewShot"].score is not None
    assert outcome.activated, outcome.reason
    assert outcome.optimizer == "LabeledFewShot"
    [version] = await store.program_versions(KIND)
    assert "error" in version.metrics["optimizers"]["BootstrapFewShot"]


async def test_mipro_and_bootstrap_run_offline_from_enough_examples(store: Store) -> None:
    await record(store, 80, types=tuple(FILLS))
    calls = Calls()
    began = time.perf_counter()
    outcome = await optimize(store, demo_lm(calls), "anthropic", options=Options(seed=3))
    seconds = time.perf_counter() - began
    trials = {t.optimizer: t for t in outcome.trials}
    assert outcome.train_examples >= 50
    for name in ("LabeledFewShot", "BootstrapFewShot", "MIPROv2"):
        assert trials[name].error is None, trials[name].error
        assert trials[name].score is not None
    assert trials["MIPROv2"].score > outcome.current.mean  # type: ignore[operator, union-attr]
    assert outcome.activated, outcome.reason
    assert seconds < 20, f"{seconds:.1f} s"
    version = await store.active_program(KIND)
    assert version is not None
    assert set(version.metrics["optimizers"]) == {"LabeledFewShot", "BootstrapFewShot", "MIPROv2"}
    json.dumps(version.payload)
