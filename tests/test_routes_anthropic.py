"""The router end to end on the Anthropic route: the real SDK, DSPy programs and the
store, against a fake Messages API on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from lift_lsp.analysis.context import ModuleContext
from lift_lsp.config import Settings
from lift_lsp.holes.analysis import Analysis
from lift_lsp.providers.guard import Limits
from lift_lsp.providers.router import RouteConfig, Router
from lift_lsp.signatures import InferTypeFromUsage, SuggestHoleFill
from lift_lsp.store.db import Store
from lift_lsp.suggest.engine import suggest
from lift_lsp.suggest.remote import merge, remote_suggestions
from lift_lsp.syntax.document import SourceDocument
from tests.fakes import anthropic_server as fake
from tests.fakes.anthropic_server import (
    DEFAULT_API_KEY,
    Delay,
    FakeAnthropicServer,
    Malformed,
    Reply,
    Status,
    last_user_text,
)

anthropic_server = fake.anthropic_server

CODE = """\
def area(radius: float, label: str) -> float:
    return ...
"""
FILL_INPUTS = {
    "code_context": "def area(radius: float) -> float:\n    return <HOLE>",
    "expected_type": "float",
    "bindings": ["radius: float (parameter)"],
    "rejected": [],
}


def fills(*items: tuple[str, float]) -> str:
    return json.dumps(
        {"suggestions": [{"value": v, "rationale": "because", "confidence": c} for v, c in items]}
    )


def make_router(
    server: FakeAnthropicServer,
    store: Store | None = None,
    *,
    timeout_s: float = 10.0,
    key: str | None = None,
) -> Router:
    config = RouteConfig.from_sources(
        Settings(),
        {
            "ANTHROPIC_API_KEY": key or server.api_key,
            "LIFT_ANTHROPIC_BASE_URL": server.base_url,
            "LIFT_ROUTE": "anthropic",
        },
    )
    return Router(
        config, record=store.record_llm_call if store is not None else None, timeout_s=timeout_s
    )


async def falls_back(router: Router, reason: str, **kwargs: Any) -> Any:
    """The answer came from the static engine, after the remote route failed for ``reason``."""
    answer = await router.answer(SuggestHoleFill, dict(FILL_INPUTS), **kwargs)
    assert answer.route == "local"
    assert answer.fell_back, "the remote route was not tried"
    assert reason in answer.fell_back[0][1], answer.fell_back
    # The local route answers SuggestHoleFill itself: `radius` is in scope and a float.
    assert answer.prediction["suggestions"][0].value == "radius"
    return answer


def unit_of(code: str) -> Any:
    return ModuleContext(SourceDocument(code), "m.py").functions()[0]


async def test_an_answer_comes_from_the_route_and_its_call_is_recorded(
    anthropic_server: FakeAnthropicServer, tmp_path: Path
) -> None:
    anthropic_server.script(Reply(fills(("radius * radius", 0.8)), tokens_in=120, tokens_out=30))
    async with await Store.open(tmp_path / "lift.db") as store:
        router = make_router(anthropic_server, store)
        answer = await router.answer(SuggestHoleFill, dict(FILL_INPUTS))
        await router.aclose()
        calls = await store.llm_calls()
    assert answer.route == "anthropic"
    assert answer.prediction["suggestions"][0].value == "radius * radius"
    [call] = calls
    assert (call.route, call.signature, call.outcome) == ("anthropic", "SuggestHoleFill", "ok")
    assert (call.tokens_in, call.tokens_out) == (120, 30)
    assert call.cost_usd > 0
    assert answer.provenance()["llm_calls"] == [call.id]
    sent = anthropic_server.requests[-1].body
    assert "radius: float" in last_user_text(sent)
    # The signature's schema from grammars/ went along as structured output.
    assert "suggestions" in sent["output_config"]["format"]["schema"]["properties"]


async def test_a_429_is_retried_after_the_time_the_service_asks_for(
    anthropic_server: FakeAnthropicServer, tmp_path: Path
) -> None:
    anthropic_server.script(Status(429, retry_after=0), Reply(fills(("radius", 0.9))))
    async with await Store.open(tmp_path / "lift.db") as store:
        router = make_router(anthropic_server, store)
        answer = await router.answer(SuggestHoleFill, dict(FILL_INPUTS))
        await router.aclose()
        outcomes = [(c.attempt, c.outcome) for c in await store.llm_calls()]
    assert answer.route == "anthropic"
    assert outcomes == [(1, "rate_limited"), (2, "ok")]


async def test_failures_open_the_breaker_and_the_local_route_answers(
    anthropic_server: FakeAnthropicServer,
) -> None:
    anthropic_server.script(*[Status(500, retry_after=0)] * 5)
    router = make_router(anthropic_server)
    unit = unit_of(CODE)
    inputs = {"qualname": "area", "function_source": unit.source}
    extra = {"module_context": "", "targets": ["radius", "label", "return"]}
    first = await router.answer(InferTypeFromUsage, inputs, unit=unit, remote_inputs=lambda: extra)
    assert first.route == "local"
    assert first.fell_back[0][0] == "anthropic"
    assert router.breakers["anthropic"].state == "closed"  # 3 failed attempts so far
    second = await router.answer(InferTypeFromUsage, inputs, unit=unit, remote_inputs=lambda: extra)
    assert second.route == "local"
    assert router.breakers["anthropic"].state == "open"
    asked = len(anthropic_server.requests)
    assert asked == 5
    third = await router.answer(InferTypeFromUsage, inputs, unit=unit, remote_inputs=lambda: extra)
    assert len(anthropic_server.requests) == asked  # not even tried
    assert third.fell_back == [("anthropic", "circuit breaker open")]
    # The static engine's answer is a real one: the annotation of `radius`.
    guesses = {g["target"]: g for g in third.prediction["type_guesses"]}
    assert guesses["radius"]["candidates"][0]["type"] == "float"
    assert router.status()["routes"]["anthropic"]["breaker"] == "open"
    await router.aclose()


async def test_a_timeout_is_retried_then_falls_back(
    anthropic_server: FakeAnthropicServer, tmp_path: Path
) -> None:
    anthropic_server.script(*[Delay(3.0)] * 3)
    async with await Store.open(tmp_path / "lift.db") as store:
        router = make_router(anthropic_server, store, timeout_s=0.3)
        await falls_back(router, "timed out")
        await router.aclose()
        outcomes = [c.outcome for c in await store.llm_calls()]
    assert outcomes == ["timeout"] * 3


async def test_a_malformed_body_is_not_retried(anthropic_server: FakeAnthropicServer) -> None:
    anthropic_server.script(Malformed(b"{not json"))
    router = make_router(anthropic_server)
    await falls_back(router, "malformed")
    assert len(anthropic_server.requests) == 1
    await router.aclose()


async def test_a_schema_invalid_answer_is_repaired_with_the_error_fed_back(
    anthropic_server: FakeAnthropicServer,
) -> None:
    anthropic_server.script(
        Reply(json.dumps({"suggestions": [{"value": 3}]})),
        Reply(fills(("radius", 0.7))),
    )
    router = make_router(anthropic_server)
    answer = await router.answer(SuggestHoleFill, dict(FILL_INPUTS))
    assert answer.prediction["suggestions"][0].value == "radius"
    repair = anthropic_server.requests[-1].body["messages"]
    assert repair[-2]["role"] == "assistant"
    assert "cannot be used" in last_user_text(anthropic_server.requests[-1].body)
    assert len(answer.call_ids) == 2
    await router.aclose()


async def test_an_answer_still_invalid_after_two_repairs_falls_back(
    anthropic_server: FakeAnthropicServer,
) -> None:
    anthropic_server.script(*[Reply("not json at all")] * 3)
    router = make_router(anthropic_server)
    await falls_back(router, "repair rounds")
    assert len(anthropic_server.requests) == 3
    assert router.breakers["anthropic"].state == "closed"  # the service itself works
    await router.aclose()


async def test_the_budget_stops_remote_work(anthropic_server: FakeAnthropicServer) -> None:
    anthropic_server.responder = lambda body: fills(("radius", 0.5))
    router = make_router(anthropic_server)
    said: list[str] = []
    budget = router.budget({"maxCalls": 2}, on_warning=said.append)
    for _ in range(2):
        assert (await router.answer(SuggestHoleFill, dict(FILL_INPUTS), budget=budget)).route == (
            "anthropic"
        )
    await falls_back(router, "budget", budget=budget)
    assert len(anthropic_server.requests) == 2
    assert budget.limits == Limits(max_calls=2)
    assert any("local route finishes" in s for s in said)
    await router.aclose()


async def test_remote_fills_are_validated_repaired_and_joined(
    anthropic_server: FakeAnthropicServer,
) -> None:
    # `label` is a str: it cannot fill a float hole; `radius +` does not parse.
    anthropic_server.script(
        Reply(fills(("radius * 2", 0.9), ("label", 0.8), ("radius +", 0.7))),
        Reply(fills(("radius ** 2", 0.6))),
    )
    router = make_router(anthropic_server)
    analysis = Analysis(SourceDocument(CODE), "m.py")
    offset = CODE.index("...")
    remote = await remote_suggestions(router, analysis, offset, path="m.py")
    await router.aclose()
    assert remote is not None
    assert remote.route == "anthropic"
    assert [s.text for s in remote.suggestions] == ["radius * 2", "radius ** 2"]
    assert all(s.source == "llm" for s in remote.suggestions)
    # The second question told the model what was wrong with the first answer.
    rejected = anthropic_server.requests[-1].body
    assert "label: `label` has type str" in last_user_text(rejected)
    # Confidence is scaled by the route's acceptance prior (0.5 with no feedback).
    assert remote.suggestions[0].confidence == pytest.approx(0.45)
    static = suggest(analysis, offset).suggestions
    joined = merge(static, remote.suggestions, 10)
    assert {"radius", "radius * 2"} <= {s.text for s in joined}
    assert [s.confidence for s in joined] == sorted((s.confidence for s in joined), reverse=True)


async def test_files_matching_remote_excludes_never_leave(
    anthropic_server: FakeAnthropicServer,
) -> None:
    router = make_router(anthropic_server)
    analysis = Analysis(SourceDocument(CODE), "config/secrets.py")
    assert await remote_suggestions(router, analysis, CODE.index("..."), path="secrets.py") is None
    local = await router.answer(SuggestHoleFill, dict(FILL_INPUTS), path=".env.py")
    assert (local.route, local.fell_back) == ("local", [])
    assert anthropic_server.requests == []
    await router.aclose()


async def test_keys_never_reach_the_log_or_the_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeAnthropicServer(api_key="sk-ant-the-real-one-0000") as server:
        async with await Store.open(tmp_path / "lift.db") as store:
            router = make_router(server, store, key=DEFAULT_API_KEY)  # refused: a 401
            await falls_back(router, "authentication")
            await router.aclose()
            assert [c.outcome for c in await store.llm_calls()] == ["error"]
    for secret in (DEFAULT_API_KEY, "sk-ant-the-real-one-0000"):
        assert secret not in caplog.text
        for file in tmp_path.iterdir():
            assert secret.encode() not in file.read_bytes(), file


def reverse_answers(body: dict[str, Any]) -> str:
    """Answers the reverse graph's four questions, told apart by their schemas."""
    fields = set(body["output_config"]["format"]["schema"]["properties"])
    if "summary" in fields:
        return json.dumps({"summary": "Compute the area of a circle.", "confidence": 0.9})
    if "type_guesses" in fields:
        guesses = [
            {"target": t, "candidates": [{"type": "float", "confidence": 0.95}], "evidence": "x"}
            for t in ("scale", "return")
        ]
        return json.dumps({"type_guesses": guesses})
    if "assertions" in fields:
        return json.dumps({"assertions": []})
    return json.dumps({"effects": []})


async def test_a_routed_reverse_run_records_which_route_gave_each_element(
    anthropic_server: FakeAnthropicServer, tmp_path: Path
) -> None:
    from lift_lsp.graphs.runner import ReverseRunner

    anthropic_server.responder = reverse_answers
    code = "def scaled(scale):\n    return scale * 2.0\n"
    async with await Store.open(tmp_path / "lift.db") as store:
        router = make_router(anthropic_server, store)
        runner = ReverseRunner(store, router=router, limits={"maxCalls": 50})
        result = await runner.run("m.py", code, use_cache=False)
        calls = await store.llm_calls(execution_id=result.execution_id)
        row = await store.get_execution(result.execution_id)
        await router.aclose()
    [fn] = result.file_ir["functions"]
    param = fn["params"][0]
    assert param["type"] == "float"
    assert param["provenance"]["route"] == "anthropic"
    assert param["provenance"]["source"] == "llm"
    assert param["provenance"]["call_id"] in {c.id for c in calls}
    assert fn["intent"]["summary"] == "Compute the area of a circle."
    assert len(calls) == 4  # one per question for the one function
    assert row is not None
    assert row.llm_calls == 4
    assert row.tokens_used == sum(c.tokens_in + c.tokens_out for c in calls)


async def test_a_reverse_run_falls_back_to_the_static_engine_and_says_so(
    anthropic_server: FakeAnthropicServer, tmp_path: Path
) -> None:
    from lift_lsp.graphs.runner import ReverseRunner

    anthropic_server.responder = lambda body: Status(400, "bad request")
    code = "def scaled(scale: float) -> float:\n    return scale * 2.0\n"
    async with await Store.open(tmp_path / "lift.db") as store:
        router = make_router(anthropic_server, store)
        result = await ReverseRunner(store, router=router).run("m.py", code, use_cache=False)
        await router.aclose()
    [fn] = result.file_ir["functions"]
    intent = fn["intent"]["provenance"]
    assert intent["route"] == "local"
    assert intent["fallback"][0].startswith("anthropic: 400")
