"""The Anthropic route against a fake Messages API served on 127.0.0.1 through the real SDK."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import jsonschema
import pytest

import tests.fakes.anthropic_server as fake
from lift_lsp.providers.anthropic_route import AnthropicTransport, parse_retry_after
from lift_lsp.providers.wire import ChatMessage, ChatRequest, RouteError
from tests.conftest import ROOT
from tests.fakes.anthropic_server import (
    Delay,
    Disconnect,
    FakeAnthropicServer,
    Malformed,
    Reply,
    Status,
)

anthropic_server = fake.anthropic_server  # the fixture, found by name

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "tags"],
    "additionalProperties": False,
}


def ask(text: str = "hello", **fields: Any) -> ChatRequest:
    return ChatRequest(
        signature="SuggestHoleFill",
        system="Answer tersely.",
        messages=(ChatMessage("user", text),),
        **fields,
    )


@pytest.fixture
async def transport(anthropic_server: FakeAnthropicServer) -> AsyncIterator[AnthropicTransport]:
    route = AnthropicTransport(anthropic_server.api_key, base_url=anthropic_server.base_url)
    yield route
    await route.aclose()


async def failure(route: AnthropicTransport, request: ChatRequest | None = None) -> RouteError:
    with pytest.raises(RouteError) as caught:
        await route.send(request or ask())
    return caught.value


# -- success -------------------------------------------------------------------------


async def test_reply_text_and_token_counts(transport, anthropic_server):
    anthropic_server.script(Reply("x = 1", tokens_in=120, tokens_out=7, model="claude-sonnet-4-6"))
    answer = await transport.send(ask())
    assert answer.text == "x = 1"
    assert (answer.tokens_in, answer.tokens_out) == (120, 7)
    assert answer.model == "claude-sonnet-4-6"
    assert answer.stop_reason == "end_turn"
    assert answer.extra["id"].startswith("msg_")


async def test_system_prompt_and_messages_arrive_as_sent(transport, anthropic_server):
    turns = (
        ChatMessage("user", "Fill the hole: ?x"),
        ChatMessage("assistant", "x = 1"),
        ChatMessage("user", "Another one: ?y"),
    )
    request = ChatRequest("SuggestHoleFill", "You fill typed holes.", turns, max_tokens=300)
    answer = await transport.send(request)
    (sent,) = anthropic_server.requests
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert sent.body == {
        "model": transport.model,
        "max_tokens": 300,
        "system": "You fill typed holes.",
        "messages": [{"role": m.role, "content": m.content} for m in turns],
    }
    assert answer.text == "echo: Another one: ?y"


async def test_sampling_parameters_are_never_sent(transport, anthropic_server):
    # The API version the SDK speaks answers any of them with a 400.
    await transport.send(ask(temperature=0.7))
    assert {"temperature", "top_p", "top_k"}.isdisjoint(anthropic_server.requests[0].body)


async def test_unknown_role_is_refused_before_sending(transport, anthropic_server):
    request = ChatRequest("S", "", (ChatMessage("system", "hi"),))
    error = await failure(transport, request)
    assert not error.retryable
    assert "role" in error.message
    assert anthropic_server.requests == []


# -- authentication ------------------------------------------------------------------


async def test_sdk_authenticates_with_bearer_and_fake_accepts_it(transport, anthropic_server):
    await transport.send(ask())
    headers = anthropic_server.requests[0].headers
    assert headers["authorization"] == f"Bearer {anthropic_server.api_key}"
    assert "x-api-key" not in headers
    assert headers["anthropic-version"]


async def test_fake_accepts_x_api_key_from_plain_httpx(anthropic_server):
    body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "ping"}]}
    async with httpx.AsyncClient(base_url=anthropic_server.base_url) as client:
        good = await client.post(
            "/v1/messages",
            json=body,
            headers={"x-api-key": anthropic_server.api_key, "anthropic-version": "2023-06-01"},
        )
        # x-api-key decides when both are sent, as with the real API.
        mixed = await client.post(
            "/v1/messages",
            json=body,
            headers={"x-api-key": "nope", "authorization": f"Bearer {anthropic_server.api_key}"},
        )
        anonymous = await client.post("/v1/messages", json=body)
    assert good.status_code == 200
    message = good.json()
    assert message["type"] == "message"
    assert message["content"] == [{"type": "text", "text": "echo: ping"}]
    assert message["usage"]["output_tokens"] >= 1
    assert (mixed.status_code, anonymous.status_code) == (401, 401)
    assert anonymous.json()["error"]["type"] == "authentication_error"


async def test_wrong_key_is_final_and_never_shown(anthropic_server, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "sk-ant-wrong-9f8e7d6c5b4a"
    route = AnthropicTransport(secret, base_url=anthropic_server.base_url)
    try:
        error = await failure(route)
    finally:
        await route.aclose()
    assert (error.status, error.retryable) == (401, False)
    assert "authentication_error: invalid x-api-key" in str(error)
    for shown in (str(error), repr(error), repr(route), caplog.text):
        assert secret not in shown
    assert anthropic_server.api_key not in repr(
        AnthropicTransport(anthropic_server.api_key, base_url=anthropic_server.base_url)
    )


async def test_a_key_echoed_by_the_service_is_masked(transport, anthropic_server):
    anthropic_server.script(Status(400, f"bad header x-api-key: {anthropic_server.api_key}"))
    error = await failure(transport)
    assert anthropic_server.api_key not in str(error)
    assert "x-api-key: ***" in error.message


def test_an_empty_key_is_refused():
    # The SDK would otherwise pick up whatever credentials the environment holds.
    with pytest.raises(ValueError):
        AnthropicTransport("")


# -- failures that are worth another attempt -----------------------------------------


async def test_rate_limit_is_retryable_with_retry_after(transport, anthropic_server):
    anthropic_server.script(Status(429, "slow down", retry_after=7))
    error = await failure(transport)
    assert (error.status, error.retryable, error.retry_after) == (429, True, 7.0)
    assert "rate_limit_error: slow down" in error.message
    assert len(anthropic_server.requests) == 1  # one attempt: retries happen elsewhere


@pytest.mark.parametrize("status", [500, 502, 503, 504, 529])
async def test_server_errors_are_retryable(transport, anthropic_server, status):
    anthropic_server.script(Status(status))
    error = await failure(transport)
    assert (error.status, error.retryable, error.retry_after) == (status, True, None)
    assert len(anthropic_server.requests) == 1


async def test_overload_names_its_type(transport, anthropic_server):
    anthropic_server.script(Status(529, "Overloaded"))
    assert "overloaded_error: Overloaded" in (await failure(transport)).message


async def test_slow_reply_times_out_as_retryable(transport, anthropic_server):
    anthropic_server.script(Delay(5))
    started = time.monotonic()
    error = await failure(transport, ask(timeout=0.3))
    assert (error.status, error.retryable) == (None, True)
    assert "timed out" in error.message
    assert time.monotonic() - started < 2


async def test_dropped_connection_is_retryable(transport, anthropic_server):
    anthropic_server.script(Disconnect())
    error = await failure(transport)
    assert (error.status, error.retryable) == (None, True)
    assert "connection failed" in error.message


async def test_refused_connection_is_retryable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    route = AnthropicTransport("k", base_url=f"http://127.0.0.1:{port}")
    try:
        error = await failure(route)
    finally:
        await route.aclose()
    assert (error.status, error.retryable) == (None, True)


# -- failures that are final ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "invalid_request_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
    ],
)
async def test_client_errors_are_final(transport, anthropic_server, status, error_type):
    anthropic_server.script(Status(status, "no such thing"))
    error = await failure(transport)
    assert (error.status, error.retryable) == (status, False)
    assert f"{error_type}: no such thing" in error.message


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"content": [{"type": "text", "text": "hi"}]}',
        b'{"usage": {"input_tokens": 1, "output_tokens": 1}}',
    ],
)
async def test_malformed_success_is_final(transport, anthropic_server, body):
    anthropic_server.script(Malformed(body))
    error = await failure(transport)
    assert not error.retryable
    assert error.message.startswith("malformed response: ")


# -- structured output ---------------------------------------------------------------


async def test_schema_goes_in_output_config_and_answer_is_json(transport, anthropic_server):
    answer = await transport.send(ask(json_schema=SCHEMA))
    sent = anthropic_server.requests[0].body
    assert sent["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}
    jsonschema.validate(json.loads(answer.text), SCHEMA)


async def test_schema_is_adapted_to_what_the_api_accepts(transport, anthropic_server):
    loose = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}}
    await transport.send(ask(json_schema=loose))
    schema = anthropic_server.requests[0].body["output_config"]["format"]["schema"]
    assert schema["additionalProperties"] is False
    assert "minimum" not in schema["properties"]["n"]


async def test_no_schema_no_output_config(transport, anthropic_server):
    await transport.send(ask())
    assert "output_config" not in anthropic_server.requests[0].body


# -- the fake server itself -----------------------------------------------------------


async def test_responder_answers_by_prompt(transport, anthropic_server):
    def by_prompt(body: dict[str, Any]) -> str | Status:
        prompt = body["messages"][-1]["content"]
        return Status(503) if "fail" in prompt else prompt.upper()

    anthropic_server.responder = by_prompt
    assert (await transport.send(ask("shout"))).text == "SHOUT"
    assert (await failure(transport, ask("fail please"))).status == 503


async def test_closing_cuts_delayed_replies_short_and_leaves_no_threads():
    server = FakeAnthropicServer().start()
    server.script(Delay(60))
    route = AnthropicTransport(server.api_key, base_url=server.base_url)
    pending = asyncio.create_task(route.send(ask(timeout=30)))
    while not server.requests:
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await asyncio.to_thread(server.close)
    assert time.monotonic() - started < 2
    with pytest.raises(RouteError) as caught:
        await asyncio.wait_for(pending, 5)
    assert caught.value.retryable  # the connection was closed under it
    await route.aclose()
    assert not [t for t in threading.enumerate() if t.name == "fake-anthropic"]


def test_usable_from_sync_code():
    with FakeAnthropicServer() as server:
        server.script(Reply("scripted"))
        response = httpx.post(
            f"{server.base_url}/v1/messages",
            json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]},
            headers={"x-api-key": server.api_key},
        )
        assert response.json()["content"][0]["text"] == "scripted"
        assert server.pending == 0


def test_parse_retry_after_forms():
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"retry-after": "2.5"}) == 2.5
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert 25 < (parse_retry_after({"retry-after": later}) or 0) <= 30
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_importing_the_route_does_not_import_the_sdk():
    code = "import lift_lsp.providers.anthropic_route, sys; assert 'anthropic' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
