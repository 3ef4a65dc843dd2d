"""The router on the Modal route and ``auto``: schema-bound questions go to the
constrained-decoding service (a fake of its contract on 127.0.0.1), prose to Anthropic."""

from __future__ import annotations

import json
from pathlib import Path

from lift_lsp.config import Settings
from lift_lsp.providers.router import RouteConfig, Router
from lift_lsp.signatures import ExtractIntent, SuggestHoleFill
from lift_lsp.store.db import Store
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.openai_server import FakeOpenAIServer, Outcome

KEY, SECRET = "wk-modal-key-123", "ws-modal-secret-456"
FILL_INPUTS = {
    "code_context": "def area(radius: float) -> float:\n    return <HOLE>",
    "expected_type": "float",
    "bindings": ["radius: float (parameter)"],
    "rejected": [],
}


def router_for(
    modal: FakeOpenAIServer, anthropic: FakeAnthropicServer | None, store: Store
) -> Router:
    env = {
        "LIFT_ROUTE": "auto",
        "LIFT_MODAL_URL": modal.base_url,
        "LIFT_MODAL_KEY": KEY,
        "LIFT_MODAL_SECRET": SECRET,
    }
    if anthropic is not None:
        env |= {
            "ANTHROPIC_API_KEY": anthropic.api_key,
            "LIFT_ANTHROPIC_BASE_URL": anthropic.base_url,
        }
    return Router(
        RouteConfig.from_sources(Settings(), env), record=store.record_llm_call, timeout_s=5
    )


async def test_auto_sends_fills_to_modal_under_the_signatures_schema(tmp_path: Path) -> None:
    answer_text = json.dumps(
        {"suggestions": [{"value": "radius * 2", "rationale": "r", "confidence": 0.6}]}
    )
    with FakeOpenAIServer(key=KEY, secret=SECRET) as modal, FakeAnthropicServer() as anthropic:
        modal.script(Outcome.reply(answer_text))
        async with await Store.open(tmp_path / "lift.db") as store:
            router = router_for(modal, anthropic, store)
            answer = await router.answer(SuggestHoleFill, dict(FILL_INPUTS))
            await router.aclose()
            [call] = await store.llm_calls()
        sent = modal.requests[-1].json
    assert answer.route == "modal"
    assert answer.prediction["suggestions"][0].value == "radius * 2"
    assert sent["response_format"]["type"] == "json_schema"
    assert "suggestions" in sent["response_format"]["json_schema"]["schema"]["properties"]
    assert (call.route, call.outcome) == ("modal", "ok")
    assert anthropic.requests == []


async def test_auto_sends_prose_to_anthropic_first(tmp_path: Path) -> None:
    with FakeOpenAIServer(key=KEY, secret=SECRET) as modal, FakeAnthropicServer() as anthropic:
        anthropic.responder = lambda body: json.dumps(
            {"intent": "Return the area of a circle.", "confidence": 0.8}
        )
        async with await Store.open(tmp_path / "lift.db") as store:
            router = router_for(modal, anthropic, store)
            answer = await router.answer(ExtractIntent, {"prompt": "area of a circle"})
            await router.aclose()
    assert answer.route == "anthropic"
    assert answer.prediction.intent == "Return the area of a circle."
    assert modal.requests == []


async def test_a_schema_invalid_answer_from_modal_is_repaired(tmp_path: Path) -> None:
    bad = json.dumps({"suggestions": [{"value": "radius"}]})  # no rationale, no confidence
    good = json.dumps({"suggestions": [{"value": "radius", "rationale": "r", "confidence": 0.5}]})
    with FakeOpenAIServer(key=KEY, secret=SECRET) as modal:
        modal.script(Outcome.reply(bad), Outcome.reply(good))
        async with await Store.open(tmp_path / "lift.db") as store:
            router = router_for(modal, None, store)
            answer = await router.answer(SuggestHoleFill, dict(FILL_INPUTS))
            await router.aclose()
            outcomes = [c.outcome for c in await store.llm_calls()]
        repair = modal.requests[-1].json["messages"]
    assert answer.route == "modal"
    assert outcomes == ["invalid", "ok"]
    assert "cannot be used" in repair[-1]["content"]
    assert router.breakers["modal"].state == "closed"


async def test_modal_down_falls_back_to_anthropic(tmp_path: Path) -> None:
    good = json.dumps({"suggestions": [{"value": "radius", "rationale": "r", "confidence": 0.5}]})
    with FakeOpenAIServer(key=KEY, secret=SECRET) as modal, FakeAnthropicServer() as anthropic:
        modal.script(*[Outcome.error(503, retry_after="0")] * 3)
        anthropic.responder = lambda body: good
        async with await Store.open(tmp_path / "lift.db") as store:
            router = router_for(modal, anthropic, store)
            answer = await router.answer(SuggestHoleFill, dict(FILL_INPUTS))
            await router.aclose()
    assert answer.route == "anthropic"
    assert answer.fell_back[0][0] == "modal"
    assert len(modal.requests) == 3
