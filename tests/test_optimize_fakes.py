"""Fakes for the optimize tests (no tests here): a model that learns from demonstrations,
as a DSPy engine and as a fake Anthropic responder, and feedback rows to learn from.

The model reads the prompt DSPy builds: each demonstration is a user turn with the
inputs (``[[ ## expected_type ## ]]`` …) followed by the model's turn with the answer.
Asked to fill a hole, it answers with the fill of the first demonstration whose
``expected_type`` is the question's, else ``None`` — so few-shot compilation measurably
helps, and only with demonstrations of the right types. Asked anything else (MIPROv2's
instruction proposals), it answers each output field with a short sentence.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import dspy
from dspy.lm15 import Message, Response, TextPart, Usage

from lift_lsp.config import Settings
from lift_lsp.providers.router import RouteConfig, Router
from lift_lsp.store.db import Store
from tests.fakes.anthropic_server import FakeAnthropicServer

#: A type, and the fill people keep for a hole of that type.
FILLS = {"int": "0", "str": '""', "float": "0.0", "bool": "False", "list[int]": "[]"}
INSTRUCTION = "Propose Python expressions that fill a typed hole, best first."

_FIELD = re.compile(r"\[\[ ## (\w+) ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond|\Z)", re.S)
_OUTPUTS = re.compile(
    r"Your output fields are:\n(.*?)\n(?:All interactions|Your objective|$)", re.S
)


def _text(parts: Any) -> str:
    if parts is None:
        return ""
    if isinstance(parts, str):
        return parts
    return "\n".join(str(getattr(p, "text", "")) for p in parts if getattr(p, "text", None))


def _fields(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2).strip() for m in _FIELD.finditer(text)}


def answer(system: str, turns: list[tuple[str, str]]) -> str:
    """The fake model's answer (a JSON object, as DSPy's JSONAdapter asks)."""
    found = _OUTPUTS.search(system)
    outputs = re.findall(r"^\d+\. `(\w+)`", found.group(1) if found else "", re.M)
    if outputs != ["suggestions"]:
        return json.dumps({name: INSTRUCTION for name in outputs})
    wanted = _fields(turns[-1][1]).get("expected_type")
    value = "None"
    for (role, text), (next_role, reply) in itertools.pairwise(turns):
        if role == "user" and next_role == "assistant":
            if _fields(text).get("expected_type") != wanted:
                continue
            try:
                value = json.loads(reply)["suggestions"][0]["value"]
            except (ValueError, KeyError, IndexError, TypeError):
                continue
            break
    item = {"value": value, "rationale": "as in the examples", "confidence": 0.9}
    return json.dumps({"suggestions": [item]})


class Calls:
    def __init__(self) -> None:
        self.n = 0


def _respond(request: Any, calls: Calls) -> Response:
    calls.n += 1
    turns = [(m.role, _text(m.parts)) for m in request.messages]
    text = answer(_text(request.system), turns)
    return Response(
        id=None,
        model="fake-model",
        message=Message(role="assistant", parts=(TextPart(text=text),)),
        finish_reason="stop",
        usage=Usage(input_tokens=len(str(turns)) // 4, output_tokens=len(text) // 4),
    )


class DemoEngine:
    """DSPy's sync engine contract."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def complete(self, request: Any) -> Response:
        return _respond(request, self.calls)

    def stream(self, request: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        return None


class AsyncDemoEngine:
    """DSPy's async engine contract."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def complete(self, request: Any) -> Response:
        return _respond(request, self.calls)

    def stream(self, request: Any) -> Any:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


class NoSyncEngine(DemoEngine):
    """A sync engine that refuses, like a route's own (``providers.llm._NoSyncEngine``)."""

    def complete(self, request: Any) -> Response:
        raise RuntimeError("remote routes are called asynchronously (acall)")


def demo_lm(calls: Calls | None = None, *, sync: bool = True) -> dspy.LM:
    calls = calls or Calls()
    engine = DemoEngine(calls) if sync else NoSyncEngine(calls)
    return dspy.LM(
        "fake/demo-model",
        engine=engine,
        async_engine=AsyncDemoEngine(calls),
        cache=False,
        num_retries=0,
    )


def responder(body: dict[str, Any]) -> str:
    """The same model behind the fake Anthropic Messages API."""
    system = body.get("system") or ""
    if isinstance(system, list):
        system = "".join(block.get("text", "") for block in system)
    turns = []
    for message in body.get("messages", []):
        content = message.get("content")
        if not isinstance(content, str):
            content = "".join(block.get("text", "") for block in content or [])
        turns.append((message["role"], content))
    return answer(system, turns)


def make_router(server: FakeAnthropicServer, store: Store) -> Router:
    """A router whose Anthropic route is the fake server, its calls logged in ``store``."""
    env = {
        "ANTHROPIC_API_KEY": server.api_key,
        "LIFT_ANTHROPIC_BASE_URL": server.base_url,
        "LIFT_ROUTE": "anthropic",
    }
    config = RouteConfig.from_sources(Settings(), env)
    return Router(config, record=store.record_llm_call, timeout_s=10)


# --- feedback ------------------------------------------------------------------------


def inputs_for(i: int, type_: str) -> dict[str, Any]:
    return {
        "code_context": f"def make_{i}(n: int) -> {type_}:\n    return <HOLE>",
        "expected_type": type_,
        "bindings": ["n: int (parameter)"],
        "rejected": [],
    }


async def record(
    store: Store,
    count: int,
    *,
    types: tuple[str, ...] = ("int", "str", "float"),
    start: int = 0,
    folder: str = "file:///work",
) -> None:
    """``count`` holes, one decision each, types in turn. Every fifth is a fill the user
    wrote (``chosen``); the others accept the fill shown second, after a wrong one."""
    for i in range(start, start + count):
        type_ = types[i % len(types)]
        key = f"{folder}/m{i}.py#make_{i}#1@2~e{i}"
        fill = FILLS[type_]
        if i % 5 == 4:
            await store.record_feedback(
                key, "n", {}, "static", False, "ranker-0", fill, inputs=inputs_for(i, type_)
            )
            continue
        await store.record_feedback(key, "n", {}, "static", False, "ranker-0")
        await store.record_feedback(
            key, fill, {}, "static", True, "ranker-0", inputs=inputs_for(i, type_)
        )
