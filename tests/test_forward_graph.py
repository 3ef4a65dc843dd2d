"""The forward graph through the real router, Anthropic transport and SDK, against the
fake Messages API on 127.0.0.1 (``tests/test_forward_responder.py`` plays the model)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lift_lsp.forward.target import find_body_target
from lift_lsp.graphs.forward import ForwardResult, generate
from lift_lsp.providers.router import RouteConfig, Router
from lift_lsp.store.db import Store
from tests.fakes.anthropic_server import Delay, FakeAnthropicServer, Status
from tests.fakes.openai_server import FakeOpenAIServer
from tests.test_forward_responder import ForwardResponder, ir_for

KEY = "sk-ant-forward-test-5e1f0a9c77d2"

CIRCLE = '''\
import math


class Circle:
    def __init__(self, radius: float) -> None:
        self.radius = radius

    def area(self) -> float:
        """The area of the circle.

        >>> round(Circle(2.0).area(), 2)
        12.57
        """
        ...
'''

NO_EXAMPLES = '''\
def clamp(value: int, low: int, high: int) -> int:
    """Keep value between low and high."""
    ...
'''


@dataclass
class Env:
    server: FakeAnthropicServer
    model: ForwardResponder
    store: Store
    router: Router
    db: Path

    async def run(self, source: str, **options: Any) -> ForwardResult:
        target = find_body_target(source, source.encode().rindex(b"..."), "geometry.py")
        return await generate(
            source, target, store=self.store, router=self.router, path="geometry.py", **options
        )

    def asked(self) -> list[str]:
        return list(self.model.asked)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    model = ForwardResponder(code="    return math.pi * self.radius ** 2\n")
    with FakeAnthropicServer(api_key=KEY, responder=model) as server:
        db = tmp_path / ".lift" / "lift.db"
        store = await Store.open(db)
        config = RouteConfig(
            route="anthropic", anthropic_key=KEY, anthropic_base_url=server.base_url
        )
        router = Router(config, record=store.record_llm_call)
        yield Env(server, model, store, router, db)
        await router.aclose()
        await store.close()


async def test_a_body_hole_becomes_an_implementation(env: Env) -> None:
    result = await env.run(CIRCLE)
    assert result.ok, result.error
    assert result.replacement == "return math.pi * self.radius ** 2"
    new = result.apply(CIRCLE)
    assert new == CIRCLE.replace("        ...\n", "        return math.pi * self.radius ** 2\n")
    # The docstring has examples: it is the intent, no ExtractIntent call.
    assert env.asked() == ["PromptToIR", "IRToCode"]
    assert result.steps["ExtractIntent"] == {"source": "user"}
    assert result.remaining_holes == []
    assert result.tests == {"ran": False, "reason": "runGeneratedTests is off"}
    # Every element of the IR says where it came from; annotations are the source's.
    ir = result.ir
    assert ir is not None
    assert ir["qualname"] == "Circle.area"
    assert ir["location"] == {"row": 8, "column": 5}
    assert ir["intent"]["provenance"]["route"] == "anthropic"
    assert ir["returns"]["provenance"]["source"] == "annotation"
    assert ir["returns"]["type"] == "float"
    (self_param,) = ir["params"]
    prov = self_param["provenance"]
    assert (prov["source"], prov["route"], prov["model"]) == (
        "llm",
        "anthropic",
        "claude-sonnet-4-6",
    )
    calls = await env.store.llm_calls(execution_id=result.execution_id)
    assert prov["call_id"] in {c.id for c in calls}
    assert {c.signature for c in calls} == {"PromptToIR", "IRToCode"}
    # The run is recorded node by node.
    row = await env.store.get_execution(result.execution_id)
    assert row is not None
    assert (row.graph_type, row.status, row.llm_calls) == ("forward", "completed", 2)
    nodes = [r.node_id for r in await env.store.node_runs(result.execution_id)]
    assert nodes == ["ExtractIntent", "PromptToIR", "IRToCode", "Validate"]


async def test_only_the_function_leaves_the_machine(env: Env) -> None:
    source = "SECRET_TABLE = {'x': 1}\n\n\n" + NO_EXAMPLES
    env.model.code = "    return max(low, min(value, high))\n"
    result = await env.run(source)
    assert result.ok, result.error
    assert env.asked() == ["ExtractIntent", "PromptToIR", "IRToCode"]
    sent = json.dumps([r.body for r in env.server.requests])
    assert "Keep value between low and high." in sent
    assert "SECRET_TABLE" not in sent
    assert result.steps["ExtractIntent"]["route"] == "anthropic"


async def test_an_invalid_ir_is_refined_once_with_the_errors(env: Env) -> None:
    header = "def clamp(value: int, low: int, high: int) -> int:"
    env.model.ir = lambda inputs: ir_for("def clamp(x: int, lo: int) -> int:")
    env.model.refined = lambda inputs: ir_for(header)
    env.model.code = "    return max(low, min(value, high))\n"
    result = await env.run(NO_EXAMPLES)
    assert result.ok, result.error
    assert result.refined
    assert env.asked() == ["ExtractIntent", "PromptToIR", "RefineIR", "IRToCode"]
    assert any("(value, low, high), not (x, lo)" in e for e in result.ir_errors)
    refine_request = env.model.bodies[2]
    assert "(value, low, high), not (x, lo)" in json.dumps(refine_request)
    assert result.ir is not None
    assert [p["name"] for p in result.ir["params"]] == ["value", "low", "high"]
    assert result.steps["RefineIR"]["route"] == "anthropic"


async def test_an_ir_that_stays_invalid_is_reported_and_no_code_is_written(env: Env) -> None:
    wrong = ir_for("def clamp(x: int) -> int:")
    env.model.ir = lambda inputs: wrong
    env.model.refined = lambda inputs: wrong
    result = await env.run(NO_EXAMPLES)
    assert not result.ok
    assert result.replacement is None
    assert result.error is not None
    assert "did not validate" in result.error
    assert "IRToCode" not in env.asked()
    with pytest.raises(ValueError, match="no implementation"):
        result.apply(NO_EXAMPLES)
    row = await env.store.get_execution(result.execution_id)
    assert row is not None
    assert row.status == "completed"  # the graph ran to its end: the failure is its result


async def test_code_that_does_not_parse_is_not_offered(env: Env) -> None:
    env.model.code = "    return (self.radius *\n"
    result = await env.run(CIRCLE)
    assert not result.ok
    assert result.replacement is None
    assert result.error is not None
    assert "does not parse" in result.error
    assert "tree-sitter" in result.error
    assert "python:" in result.error
    assert "failed" in result.summary()


async def test_remaining_holes_are_listed_kept_in_the_code_and_said(env: Env) -> None:
    source = "def scale(value, factor):\n    ...\n"
    unsure = ir_for("def scale(value, factor):", confidence=0.5)
    env.model.ir = lambda inputs: unsure
    env.model.code = "    if factor == 0:\n        return ...\n    return value * factor\n"
    result = await env.run(source)
    assert result.ok, result.error
    kinds = {(h["kind"], h["target"]) for h in result.remaining_holes}
    assert {
        ("intent", "intent"),
        ("signature", "value"),
        ("signature", "factor"),
        ("signature", "return"),
        ("code", "scale#1"),
    } <= kinds
    code_hole = next(h for h in result.remaining_holes if h["kind"] == "code")
    assert code_hole["location"]["row"] >= 2
    # In the code: the design questions as comments, the `...` as it was written.
    assert result.body is not None
    assert "# hole: return type not established: object (0.50)" in result.body
    assert "return ..." in result.body
    # In the IR, and in the message the user reads.
    assert result.ir is not None
    assert {h["target"] for h in result.ir["holes"]} >= {"intent", "value", "factor", "return"}
    assert "hole(s) remain" in result.summary()
    assert "scale#1" in result.summary()


DOCTESTED = '''\
def double(n: int) -> int:
    """Twice n.

    >>> double(2)
    4
    >>> double(-1)
    -2
    """
    ...
'''


async def test_doctests_run_only_when_enabled(env: Env) -> None:
    env.model.code = "    return n * 2\n"
    off = await env.run(DOCTESTED)
    assert off.tests == {"ran": False, "reason": "runGeneratedTests is off"}
    on = await env.run(DOCTESTED, run_tests=True)
    assert on.tests is not None
    assert (on.tests["ran"], on.tests["attempted"], on.tests["failed"]) == (True, 2, 0)
    assert on.tests["passed"] is True
    assert "2/2 passed" in on.summary()

    env.model.code = "    return n + 2\n"
    wrong = await env.run(DOCTESTED, run_tests=True)
    assert wrong.ok  # it parses: offered, with the failure said
    assert wrong.tests is not None
    assert (wrong.tests["attempted"], wrong.tests["failed"]) == (2, 1)
    assert wrong.tests["passed"] is False
    assert "1/2 passed" in wrong.summary()


async def test_a_generated_endless_loop_times_out(env: Env) -> None:
    env.model.code = "    while True:\n        pass\n"
    started = time.monotonic()
    result = await env.run(DOCTESTED, run_tests=True, test_timeout=1.0)
    assert time.monotonic() - started < 8
    assert result.tests is not None
    assert result.tests["timed_out"] is True
    assert result.tests["passed"] is False
    assert "timed out after 1 s" in result.summary()


async def test_tests_without_examples_are_not_run(env: Env) -> None:
    env.model.code = "    return max(low, min(value, high))\n"
    result = await env.run(NO_EXAMPLES, run_tests=True)
    assert result.tests == {"ran": False, "reason": "the docstring has no examples to run"}


async def test_the_budget_stops_remote_work(env: Env) -> None:
    warnings: list[str] = []
    result = await env.run(NO_EXAMPLES, limits={"maxCalls": 1}, on_warning=warnings.append)
    assert not result.ok
    assert result.error is not None
    assert "PromptToIR" in result.error
    assert "budget" in result.error
    assert env.asked() == ["ExtractIntent"]
    assert len(env.server.requests) == 1
    assert any("budget" in w for w in warnings)
    row = await env.store.get_execution(result.execution_id)
    assert row is not None
    assert (row.status, row.llm_calls) == ("failed", 1)


async def test_the_local_route_does_not_generate(env: Env) -> None:
    result = await env.run(CIRCLE, override="local")
    assert not result.ok
    assert result.error is not None
    assert "local route does not generate code" in result.error
    assert env.server.requests == []


async def test_the_key_never_reaches_the_store_the_logs_or_the_result(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ok = await env.run(CIRCLE)
    assert ok.ok
    # A service that echoes the key back in its errors.
    env.server.script(*[Status(401, message=f"invalid x-api-key {KEY}")] * 3)
    failed = await env.run(NO_EXAMPLES)
    assert not failed.ok
    assert failed.error is not None
    assert "401" in failed.error
    await env.store.close()
    for result in (ok, failed):
        assert KEY not in json.dumps(result.to_json())
        assert KEY not in result.summary()
    assert KEY not in caplog.text
    for file in env.db.parent.iterdir():
        assert KEY.encode() not in file.read_bytes(), file.name
    # The key did reach the service: the check above is not vacuous.
    assert any(KEY in str(r.headers) for r in env.server.requests)


async def test_a_cancelled_run_resumes_from_its_recorded_steps(env: Env) -> None:
    env.server.script(Delay(0.0), Delay(30.0))  # PromptToIR at once, IRToCode hangs
    target = find_body_target(CIRCLE, CIRCLE.encode().rindex(b"..."), "geometry.py")
    run = asyncio.ensure_future(
        generate(CIRCLE, target, store=env.store, router=env.router, path="geometry.py")
    )
    while len(env.server.requests) < 2:  # recorded on arrival, before the delay
        await asyncio.sleep(0.02)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    rows = await env.store.recent_executions(1)
    assert rows[0].status == "cancelled"
    nodes = [r.node_id for r in await env.store.node_runs(rows[0].id)]
    assert nodes == ["ExtractIntent", "PromptToIR"]

    resumed = await generate(
        CIRCLE,
        target,
        store=env.store,
        router=env.router,
        path="geometry.py",
        execution_id=rows[0].id,
    )
    assert resumed.ok, resumed.error
    assert resumed.resumed_nodes == 2
    assert env.asked() == ["PromptToIR", "IRToCode"]  # PromptToIR replayed, not asked again
    assert len(env.server.requests) == 3
    row = await env.store.get_execution(rows[0].id)
    assert row is not None
    assert row.status == "completed"


async def test_a_result_applies_only_to_the_text_it_was_made_for(env: Env) -> None:
    result = await env.run(CIRCLE)
    with pytest.raises(ValueError, match="changed"):
        result.apply(CIRCLE + "\n# edited\n")


async def test_on_modal_every_answer_is_schema_constrained(tmp_path: Path) -> None:
    model = ForwardResponder(code="    return max(low, min(value, high))\n")

    def chat(request: dict[str, Any]) -> str:  # the OpenAI shape, read as the Anthropic one
        turns = request["messages"]
        system = "".join(m["content"] for m in turns if m["role"] == "system")
        return model({"system": system, "messages": [m for m in turns if m["role"] != "system"]})

    with FakeOpenAIServer(responder=chat) as server:
        store = await Store.open(None)
        router = Router(RouteConfig(route="modal", modal_url=server.base_url))
        target = find_body_target(NO_EXAMPLES, NO_EXAMPLES.encode().rindex(b"..."), "m.py")
        try:
            result = await generate(NO_EXAMPLES, target, store=store, router=router, path="m.py")
        finally:
            await router.aclose()
            await store.close()
    assert result.ok, result.error
    assert {step["route"] for step in result.steps.values()} == {"modal"}
    formats = [r.json["response_format"] for r in server.requests if r.json]
    assert [f["json_schema"]["name"] for f in formats] == [
        "ExtractIntent",
        "PromptToIR",
        "IRToCode",
    ]
    code_schema = formats[-1]["json_schema"]["schema"]
    assert code_schema["required"] == ["code"]
