"""The modal route against a fake of the service's contract served on 127.0.0.1, and the
schemas and grammars it sends."""

from __future__ import annotations

import ast
import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import jsonschema
import openai
import pytest

import tests.fakes.openai_server as fake
from lift_lsp.providers import modal_route, schemas
from lift_lsp.providers.modal_route import AnswerRejected, ModalTransport
from lift_lsp.providers.wire import ChatMessage, ChatRequest, RouteError
from tests.conftest import ROOT
from tests.fakes.openai_server import FakeOpenAIServer, Outcome

openai_server = fake.openai_server  # the fixture, found by name

KEY, SECRET = "wk-test-key-1234", "ws-test-secret-5678"


def ask(text: str = "fill the hole", **fields: Any) -> ChatRequest:
    return ChatRequest(
        signature="SuggestHoleFill",
        system="Answer with JSON.",
        messages=(ChatMessage("user", text),),
        **fields,
    )


def suggest_request(**fields: Any) -> ChatRequest:
    return ask(json_schema=schemas.schema_for("SuggestHoleFill"), **fields)


@pytest.fixture
async def transport(openai_server: FakeOpenAIServer) -> AsyncIterator[ModalTransport]:
    route = ModalTransport(openai_server.base_url, model="fake/coder")
    yield route
    await route.aclose()


async def failure(route: ModalTransport, request: ChatRequest | None = None) -> RouteError:
    with pytest.raises(RouteError) as caught:
        await route.send(request or ask())
    return caught.value


# -- success and the request's shape ----------------------------------------------------


async def test_schema_request_body_headers_and_token_counts(transport, openai_server):
    answer = await transport.send(suggest_request(max_tokens=200, temperature=0.2))

    assert json.loads(answer.text) == {"suggestions": []}  # the fake's minimal instance
    assert (answer.tokens_in, answer.tokens_out) == (6, 2)  # words of the prompt / answer
    assert answer.model == "fake/coder"
    assert answer.stop_reason == "stop"
    [sent] = openai_server.requests
    assert (sent.method, sent.path) == ("POST", modal_route.CHAT_PATH)
    assert sent.headers["x-lift-contract"] == "1"
    assert "modal-key" not in sent.headers
    on_disk = json.loads((ROOT / "grammars" / "suggest_hole_fill.schema.json").read_text())
    assert sent.json == {
        "model": "fake/coder",
        "messages": [
            {"role": "system", "content": "Answer with JSON."},
            {"role": "user", "content": "fill the hole"},
        ],
        "max_tokens": 200,
        "temperature": 0.2,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "SuggestHoleFill", "schema": on_disk, "strict": True},
        },
    }


async def test_schema_name_defaults_to_the_signature_and_is_made_legal(transport, openai_server):
    await transport.send(suggest_request(schema_name="hole fill v1.2"))
    assert openai_server.requests[0].json["response_format"]["json_schema"]["name"] == (
        "hole_fill_v1_2"
    )


async def test_conversation_keeps_its_order_and_an_empty_system_is_left_out(
    transport, openai_server
):
    turns = (ChatMessage("user", "a"), ChatMessage("assistant", "b"), ChatMessage("user", "c"))
    await transport.send(ChatRequest(signature="ExtractIntent", system="", messages=turns))
    assert openai_server.requests[0].json["messages"] == [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "c"},
    ]


async def test_grammar_request_uses_vllm_structured_outputs(transport, openai_server):
    openai_server.script("items[0].name")
    grammar = schemas.grammar("python_expression")

    answer = await transport.send(ask(grammar=grammar))

    assert answer.text == "items[0].name"
    body = openai_server.requests[0].json
    assert body["structured_outputs"] == {"grammar": grammar}
    assert "response_format" not in body


async def test_schema_and_grammar_together_are_refused_before_sending(transport, openai_server):
    error = await failure(transport, suggest_request(grammar='root ::= "x"'))
    assert not error.retryable
    assert openai_server.requests == []


async def test_a_responder_answers_what_is_not_scripted():
    with FakeOpenAIServer(responder=lambda body: body["messages"][-1]["content"].upper()) as server:
        route = ModalTransport(server.base_url)
        answer = await route.send(ask("echo me"))
        await route.aclose()
    assert answer.text == "ECHO ME"


async def test_free_text_answers_are_not_validated(transport, openai_server):
    openai_server.script("not json at all")
    assert (await transport.send(ask())).text == "not json at all"


# -- proxy auth and the contract header --------------------------------------------------


async def test_proxy_auth_headers_are_sent_and_accepted():
    with FakeOpenAIServer(key=KEY, secret=SECRET) as server:
        route = ModalTransport(server.base_url, key=KEY, secret=SECRET)
        answer = await route.send(suggest_request())
        await route.aclose()
    assert json.loads(answer.text) == {"suggestions": []}
    headers = server.requests[0].headers
    assert (headers["modal-key"], headers["modal-secret"]) == (KEY, SECRET)


@pytest.mark.parametrize(
    ("key", "secret", "expected"),
    [(None, None, "missing credentials"), (KEY, "ws-wrong", "invalid credentials")],
)
async def test_proxy_auth_refusal_is_not_retryable_and_names_no_secret(key, secret, expected):
    with FakeOpenAIServer(key=KEY, secret=SECRET) as server:
        route = ModalTransport(server.base_url, key=key, secret=secret)
        error = await failure(route)
        await route.aclose()
    assert (error.status, error.retryable) == (401, False)
    assert expected in error.message
    assert SECRET not in str(error)
    assert "ws-wrong" not in str(error)


def test_secrets_stay_out_of_repr():
    route = ModalTransport("https://ws--lift.modal.run/", key=KEY, secret=SECRET)
    assert KEY not in repr(route)
    assert SECRET not in repr(route)
    assert "proxy-auth" in repr(route)
    assert route.base_url == "https://ws--lift.modal.run"


async def test_half_a_token_fails_every_call_before_sending(openai_server):
    route = ModalTransport(openai_server.base_url, key=KEY)
    error = await failure(route)
    with pytest.raises(RouteError):
        await route.health()
    await route.aclose()
    assert not error.retryable
    assert "LIFT_MODAL_SECRET" in error.message
    assert KEY not in error.message
    assert openai_server.requests == []


async def test_an_unsupported_contract_version_is_a_400_with_a_json_error(
    transport, openai_server, monkeypatch
):
    monkeypatch.setitem(transport._headers, modal_route.CONTRACT_HEADER, "2")
    error = await failure(transport)
    assert (error.status, error.retryable) == (400, False)
    assert "unsupported contract '2'" in error.message
    async with httpx.AsyncClient() as client:
        reply = await client.post(openai_server.base_url + "/v1/chat/completions", json={})
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "unsupported_contract"


# -- failures: what is worth retrying ----------------------------------------------------


async def test_429_is_retryable_with_retry_after_in_seconds(transport, openai_server):
    openai_server.script(Outcome.error(429, "slow down", retry_after="7"))
    error = await failure(transport)
    assert (error.status, error.retryable, error.retry_after) == (429, True, 7.0)
    assert "slow down" in error.message


async def test_retry_after_as_an_http_date(transport, openai_server):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    openai_server.script(Outcome.error(429, retry_after=when))
    error = await failure(transport)
    assert error.retry_after is not None
    assert 25 <= error.retry_after <= 30


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retryable(transport, openai_server, status):
    openai_server.script(Outcome.error(status, "engine overloaded"))
    error = await failure(transport)
    assert (error.status, error.retryable) == (status, True)
    assert "engine overloaded" in error.message


@pytest.mark.parametrize("status", [400, 404, 413, 422])
async def test_other_client_errors_are_not_retryable_and_carry_the_services_message(
    transport, openai_server, status
):
    openai_server.script(Outcome.error(status, "prompt is longer than max_model_len"))
    error = await failure(transport)
    assert (error.status, error.retryable) == (status, False)
    assert "prompt is longer than max_model_len" in error.message


async def test_a_timeout_is_retryable(transport, openai_server):
    openai_server.script(Outcome.slow(5.0, "late"))
    error = await failure(transport, ask(timeout=0.3))
    assert error.retryable
    assert error.message == "timed out after 0.3 s"  # the call log's "timeout" outcome


async def test_a_refused_connection_is_retryable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nobody listens
    route = ModalTransport(f"http://127.0.0.1:{port}")
    error = await failure(route)
    await route.aclose()
    assert error.retryable
    assert error.status is None


async def test_a_dropped_connection_is_retryable(transport, openai_server):
    openai_server.script(Outcome.dropped())
    error = await failure(transport)
    assert error.retryable
    assert error.message.startswith("connection failed")


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Bad gateway</html>",
        b"[1, 2]",
        b'{"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}',
        b'{"choices": [{"message": {"content": null}}], '
        b'"usage": {"prompt_tokens": 1, "completion_tokens": 1}}',
        b'{"choices": [{"message": {"content": "x"}}]}',
        b'{"choices": [{"message": {"content": "x"}}], '
        b'"usage": {"prompt_tokens": "1", "completion_tokens": 1}}',
    ],
)
async def test_a_malformed_200_is_not_retryable(transport, openai_server, body):
    openai_server.script(Outcome.malformed(body))
    error = await failure(transport)
    assert not error.retryable
    assert error.message.startswith("malformed response:")


async def test_a_schema_invalid_answer_keeps_its_text_and_cost(transport, openai_server):
    raw = '{"suggestions": [{"value": "n", "rationale": "r", "confidence": 1.5}]}'
    openai_server.script(raw)
    with pytest.raises(AnswerRejected) as caught:
        await transport.send(suggest_request())
    error = caught.value
    assert not error.retryable
    assert error.message == (
        "schema-invalid answer: at /suggestions/0/confidence: 1.5 is greater than the maximum of 1"
    )
    assert error.text == raw
    assert error.response.tokens_out == len(raw.split())


async def test_an_answer_cut_at_max_tokens_says_so(transport, openai_server):
    openai_server.script(Outcome.reply('{"suggestions": [{"val', finish_reason="length"))
    with pytest.raises(AnswerRejected) as caught:
        await transport.send(suggest_request())
    assert "not JSON (cut off at max_tokens)" in caught.value.message


# -- health ------------------------------------------------------------------------------


async def test_health_reports_the_contract_and_model(transport, openai_server):
    assert await transport.health() == {"status": "ok", "contract": 1, "model": "fake/coder"}
    assert openai_server.requests[0].path == "/health"


async def test_health_refuses_a_service_on_another_contract(transport, monkeypatch):
    monkeypatch.setattr(modal_route, "CONTRACT_VERSION", 2)
    with pytest.raises(RouteError) as caught:
        await transport.health()
    assert "contract 1, this client 2" in caught.value.message


async def test_health_of_a_protected_service_needs_the_token():
    with FakeOpenAIServer(key=KEY, secret=SECRET) as server:
        anonymous = ModalTransport(server.base_url)
        with pytest.raises(RouteError) as caught:
            await anonymous.health()
        await anonymous.aclose()
    assert caught.value.status == 401


# -- the fake speaks the real protocol ---------------------------------------------------


async def test_the_openai_sdk_can_use_the_fake(openai_server):
    schema = schemas.schema_for("InferTypeFromUsage")
    client = openai.AsyncOpenAI(
        base_url=openai_server.base_url + "/v1",
        api_key="unused",
        default_headers={modal_route.CONTRACT_HEADER: "1"},
        max_retries=0,
    )
    async with client:
        completion = await client.chat.completions.create(
            model="fake/coder",
            messages=[{"role": "user", "content": "types please"}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "InferTypeFromUsage", "schema": schema, "strict": True},
            },
        )
        expression = await client.chat.completions.create(
            model="fake/coder",
            messages=[{"role": "user", "content": "an expression"}],
            extra_body={"structured_outputs": {"grammar": schemas.grammar("python_expression")}},
        )
    answer = json.loads(completion.choices[0].message.content or "")
    assert schemas.validate("InferTypeFromUsage", answer) == []
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 2
    assert expression.choices[0].message.content == "None"
    assert "structured_outputs" in openai_server.requests[1].json


async def test_the_openai_sdk_sees_the_contract_refusal_as_a_bad_request(openai_server):
    async with openai.AsyncOpenAI(
        base_url=openai_server.base_url + "/v1", api_key="unused", max_retries=0
    ) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="fake/coder", messages=[{"role": "user", "content": "hi"}]
            )
    assert "unsupported contract" in str(caught.value)


def test_importing_the_route_loads_no_sdk_and_no_http_client():
    code = "import sys, json, lift_lsp.providers.modal_route;print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert not loaded & {"modal", "openai", "httpx", "jsonschema", "dspy"}


# -- schemas -----------------------------------------------------------------------------

#: Keywords vLLM's xgrammar backend refuses or would not enforce: no schema may use them.
XGRAMMAR_UNSUPPORTED = {
    "multipleOf", "uniqueItems", "contains", "minContains", "maxContains", "patternProperties",
    "propertyNames", "dependentSchemas", "if", "then", "else", "not", "allOf", "oneOf",
}  # fmt: skip


def keywords(node: Any) -> set[str]:
    """The keywords a schema uses (not its property names, enum values or constants)."""
    if isinstance(node, list):
        return set().union(*(keywords(item) for item in node))
    if not isinstance(node, dict):
        return set()
    found = set(node)
    for key, value in node.items():
        if key in ("properties", "$defs"):
            found |= set().union(*(keywords(v) for v in value.values()))
        elif key not in ("enum", "const"):
            found |= keywords(value)
    return found


def refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [r for item in node for r in refs(item)]
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in refs(value)]
    return []


def test_every_signature_has_a_schema_whose_keys_are_its_output_fields():
    from lift_lsp import signatures  # imports dspy: only this test pays for it

    found = {
        name: value
        for name, value in vars(signatures).items()
        if isinstance(value, type)
        and issubclass(value, signatures.dspy.Signature)
        and value.__module__ == signatures.__name__
    }
    assert set(found) == set(schemas.SCHEMA_FILES)
    for name, signature in found.items():
        schema = schemas.schema_for(name)
        assert schema is not None
        assert (
            set(schema["properties"]) == set(schema["required"]) == set(signature.output_fields)
        ), name


@pytest.mark.parametrize("name", sorted(schemas.SCHEMA_FILES))
def test_every_schema_is_a_self_contained_draft_2020_12_schema(name):
    schema = schemas.schema_for(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert all(ref.startswith("#/$defs/") for ref in refs(schema)), refs(schema)
    for ref in refs(schema):
        assert ref.removeprefix("#/$defs/") in schema["$defs"]
    assert not keywords(schema) & XGRAMMAR_UNSUPPORTED


def test_schema_files_ship_inside_the_package():
    for file in schemas.SCHEMA_FILES.values():
        assert (ROOT / "lift_lsp" / "grammars" / file).is_file()
    assert (ROOT / "grammars" / "python_expression.ebnf").is_file()


def test_the_ir_enums_have_one_source():
    ir = json.loads((ROOT / "grammars" / "ir.schema.json").read_text())
    effects = schemas.schema_for("DetectEffects")["properties"]["effects"]["items"]
    assert (
        effects["properties"]["kind"]["enum"] == ir["$defs"]["Effect"]["properties"]["kind"]["enum"]
    )
    answer = schemas.schema_for("PromptToIR")
    assert answer["properties"]["ir_json"] == {"$ref": "#/$defs/FunctionIR"}
    assert answer["$defs"]["FunctionIR"] == ir["$defs"]["FunctionIR"]
    assert "FileIR" not in answer["$defs"]  # only what FunctionIR needs comes along


def test_schema_for_returns_a_copy_and_none_for_unknown_signatures():
    schemas.schema_for("IRToCode")["properties"].clear()
    assert "code" in schemas.schema_for("IRToCode")["properties"]
    assert schemas.schema_for("NoSuchSignature") is None
    with pytest.raises(KeyError):
        schemas.validate("NoSuchSignature", {})
    with pytest.raises(KeyError):
        schemas.grammar("no_such_grammar")


FUNCTION_IR = {
    "qualname": "area",
    "location": {"row": 1, "column": 1},
    "intent": {"summary": "Area of a circle.", "confidence": 0.9, "provenance": {"source": "llm"}},
    "params": [
        {
            "name": "r",
            "kind": "positional_or_keyword",
            "type": "float",
            "confidence": 0.8,
            "provenance": {"source": "llm", "route": "modal"},
        }
    ],
    "returns": {"type": "float", "confidence": 0.8, "provenance": {"source": "llm"}},
}
VALID = [
    (
        "SuggestHoleFill",
        {"suggestions": [{"value": "n", "rationale": "in scope", "confidence": 1}]},
    ),
    ("SuggestHoleFill", {"suggestions": []}),
    (
        "InferTypeFromUsage",
        {
            "type_guesses": [
                {
                    "target": "return",
                    "candidates": [{"type": "int | None", "confidence": 0.7}],
                    "evidence": "returns len(x) or None",
                }
            ]
        },
    ),
    ("ExtractIntentFromCode", {"summary": "Compute the area.", "confidence": 0.8}),
    ("ExtractIntent", {"intent": "Sort users by age.", "confidence": 0.6}),
    ("DetectEffects", {"effects": [{"kind": "network", "detail": "GET", "confidence": 0.9}]}),
    (
        "DetectConstraints",
        {"assertions": [{"category": "precondition", "expression": "r >= 0", "confidence": 1}]},
    ),
    ("IRToCode", {"code": "    return 3.14159 * r * r\n"}),
    ("PromptToIR", {"ir_json": FUNCTION_IR}),
    ("RefineIR", {"refined_ir_json": FUNCTION_IR}),
]
INVALID = [
    ("SuggestHoleFill", {"suggestions": [{"value": "n", "rationale": "", "confidence": 2}]}),
    ("SuggestHoleFill", {"suggestions": [{"value": "", "rationale": "", "confidence": 0}]}),
    ("SuggestHoleFill", {"suggestions": [{"value": "n", "confidence": 0.5}]}),
    ("SuggestHoleFill", {"suggestions": [{"value": "n", "rationale": "", "confidence": 0}] * 11}),
    ("SuggestHoleFill", {"suggestions": [], "extra": 1}),
    ("InferTypeFromUsage", {"type_guesses": [{"target": "x", "candidates": [], "evidence": 3}]}),
    ("ExtractIntentFromCode", {"summary": "x"}),
    ("ExtractIntent", {"intent": "x", "confidence": -0.1}),
    ("DetectEffects", {"effects": [{"kind": "disk", "detail": "", "confidence": 0.5}]}),
    (
        "DetectConstraints",
        {"assertions": [{"category": "hint", "expression": "x", "confidence": 1}]},
    ),
    ("IRToCode", {"code": None}),
    ("PromptToIR", {"ir_json": {**FUNCTION_IR, "location": {"row": 0, "column": 1}}}),
    ("RefineIR", {"refined_ir_json": "not an object"}),
]


@pytest.mark.parametrize(("name", "answer"), VALID)
def test_example_answers_validate(name, answer):
    assert schemas.validate(name, answer) == []


@pytest.mark.parametrize(("name", "answer"), INVALID)
def test_wrong_answers_do_not(name, answer):
    found = schemas.validate(name, answer)
    assert found
    assert all(line.startswith("at /") for line in found)


def test_the_fakes_minimal_instance_fits_every_schema():
    for name in schemas.SCHEMA_FILES:
        schema = schemas.schema_for(name)
        assert schemas.validate(name, fake.minimal_instance(schema, schema)) == [], name


# -- the python_expression grammar -------------------------------------------------------
# XGrammar itself needs CUDA torch, so a small Earley recogniser reads the same EBNF here:
# it checks the file parses as the dialect and accepts exactly what it should.

Symbol = str | Callable[[str], bool]
Rules = dict[str, list[tuple[Symbol, ...]]]
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


class Ebnf:
    """Reads the EBNF subset the grammars use into plain productions."""

    def __init__(self, text: str) -> None:
        self.tokens = self._tokenise(text)
        self.pos = 0
        self.rules: Rules = {}
        while self.pos < len(self.tokens):
            kind, name = self.tokens[self.pos]
            assert kind == "name", self.tokens[self.pos : self.pos + 3]
            assert self.tokens[self.pos + 1] == ("op", "::="), name
            self.pos += 2
            self.rules[name] = self._alternatives()
        for productions in self.rules.values():
            for production in productions:
                for symbol in production:
                    assert not isinstance(symbol, str) or symbol in self.rules, symbol

    @staticmethod
    def _tokenise(text: str) -> list[tuple[str, Any]]:
        tokens: list[tuple[str, Any]] = []
        i = 0
        while i < len(text):
            ch = text[i]
            if ch.isspace():
                i += 1
            elif ch == "#":
                i = text.index("\n", i)
            elif text.startswith("::=", i):
                tokens.append(("op", "::="))
                i += 3
            elif ch in "()|?*+":
                tokens.append(("op", ch))
                i += 1
            elif ch == '"':
                chars, i = [], i + 1
                while text[i] != '"':
                    char, i = Ebnf._char(text, i)
                    chars.append(char)
                tokens.append(("literal", "".join(chars)))
                i += 1
            elif ch == "[":
                negated = text[i + 1] == "^"
                spans, i = Ebnf._spans(text, i + 1 + negated)
                tokens.append(("class", (negated, spans)))
            else:
                end = i
                while end < len(text) and (text[end].isalnum() or text[end] in "_-."):
                    end += 1
                assert end > i, f"unexpected {ch!r} at {i}"
                tokens.append(("name", text[i:end]))
                i = end
        return tokens

    @staticmethod
    def _char(text: str, i: int) -> tuple[str, int]:
        if text[i] == "\\":
            return ESCAPES.get(text[i + 1], text[i + 1]), i + 2
        return text[i], i + 1

    @staticmethod
    def _spans(text: str, i: int) -> tuple[list[tuple[str, str]], int]:
        """A character class's ranges up to its closing ``]``."""
        spans = []
        while text[i] != "]":
            low, i = Ebnf._char(text, i)
            high = low
            if text[i] == "-" and text[i + 1] != "]":
                high, i = Ebnf._char(text, i + 1)
            spans.append((low, high))
        return spans, i + 1

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _alternatives(self) -> list[tuple[Symbol, ...]]:
        productions = [self._sequence()]
        while self._peek() == ("op", "|"):
            self.pos += 1
            productions.append(self._sequence())
        return productions

    def _sequence(self) -> tuple[Symbol, ...]:
        out: list[Symbol] = []
        while (token := self._peek()) is not None and token not in (("op", "|"), ("op", ")")):
            if token[0] == "name" and self.tokens[self.pos + 1 : self.pos + 2] == [("op", "::=")]:
                break  # the next rule starts
            out.extend(self._item())
        return tuple(out)

    def _item(self) -> list[Symbol]:
        kind, value = self.tokens[self.pos]
        self.pos += 1
        if kind == "name":
            symbols: list[Symbol] = [value]
        elif kind == "literal":
            symbols = [lambda c, want=ch: c == want for ch in value]
        elif kind == "class":
            symbols = [self._class(*value)]
        else:
            assert value == "(", value
            symbols = [self._fresh(self._alternatives())]
            assert self.tokens[self.pos] == ("op", ")")
            self.pos += 1
        if self._peek() in (("op", "?"), ("op", "*"), ("op", "+")):
            op = self.tokens[self.pos][1]
            self.pos += 1
            body = tuple(symbols)
            name = self._fresh([])
            self.rules[name] = {
                "?": [body, ()],
                "*": [(), (*body, name)],
                "+": [body, (*body, name)],
            }[op]
            symbols = [name]
        return symbols

    def _fresh(self, productions: list[tuple[Symbol, ...]]) -> str:
        name = f"@{len(self.rules)}"
        self.rules[name] = productions
        return name

    @staticmethod
    def _class(negated: bool, spans: list[tuple[str, str]]) -> Callable[[str], bool]:
        return lambda c: any(low <= c <= high for low, high in spans) != negated


def accepts(rules: Rules, text: str, start: str = "root") -> bool:
    """Earley recognition, with Aycock & Horspool's fix for empty productions."""
    nullable: set[str] = set()
    while True:
        grown = {
            name
            for name, productions in rules.items()
            if any(all(isinstance(s, str) and s in nullable for s in p) for p in productions)
        }
        if grown <= nullable:
            break
        nullable |= grown
    chart: list[set[tuple[str, int, int, int]]] = [set() for _ in range(len(text) + 1)]
    chart[0] = {(start, p, 0, 0) for p in range(len(rules[start]))}
    for i in range(len(text) + 1):
        agenda = list(chart[i])
        while agenda:
            lhs, p, dot, origin = agenda.pop()
            rhs = rules[lhs][p]
            new: list[tuple[str, int, int, int]] = []
            if dot == len(rhs):
                for l2, p2, d2, o2 in list(chart[origin]):
                    if d2 < len(rules[l2][p2]) and rules[l2][p2][d2] == lhs:
                        new.append((l2, p2, d2 + 1, o2))
            elif isinstance(rhs[dot], str):
                new += [(rhs[dot], q, 0, i) for q in range(len(rules[rhs[dot]]))]
                if rhs[dot] in nullable:
                    new.append((lhs, p, dot + 1, origin))
            elif i < len(text) and rhs[dot](text[i]):
                chart[i + 1].add((lhs, p, dot + 1, origin))
            for item in new:
                if item not in chart[i]:
                    chart[i].add(item)
                    agenda.append(item)
    return any(
        lhs == start and dot == len(rules[lhs][p]) and origin == 0
        for lhs, p, dot, origin in chart[len(text)]
    )


EXPRESSIONS = [
    "x", "self.items[0]", "send(msg, retries=3)", "a.b.c(d)(e)[f:g]", "None", "True",
    "-1.5e3", "0x1F", "0b1010", "1_000j", "'it\\'s'", 'f"{name}!"', "rb'\\x00'", "'a' 'b'",
    "len(xs) + 1", "a if b else c", "not x and y or z", "x not in ys", "x is not None",
    "a < b <= c", "[x * 2 for x in xs if x]", "{k: v for k, v in d.items()}", "{1, 2}", "{}",
    "()", "(1,)", "(a, b)", "[*xs, 1]", "{**a, 'k': 1}", "dict(**kw, x=1)", "f(*args)",
    "sum(x for x in xs)", "await client.get(url)", "x[1:2, ::3]", "a ** -b", "~mask & 0xff",
    "x // 2 % 3", "m @ n", "(a)", "[]", "a[-1]", "f(a, b,)", "path.read_text(encoding='utf-8')",
    "{(a, b) for a, b in pairs}",
]  # fmt: skip
NOT_EXPRESSIONS = [
    "", "x = 1", "import os", "return x", "x +", "(a", "f(,)", "a  + b", "x;y", "x\ny",
    "a b", "lambda x: x", "yield x", "x := 1", "def f(): pass", "1 +", "[1, 2", "'open",
    "f(a=)", "x.", "not ", "a if b", "x[]", " x",
]  # fmt: skip


@pytest.fixture(scope="module")
def expression_rules() -> Rules:
    return Ebnf(schemas.grammar("python_expression")).rules


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_the_expression_grammar_accepts_python_expressions(expression_rules, text):
    ast.parse(text, mode="eval")  # the examples themselves are right
    assert accepts(expression_rules, text)


@pytest.mark.parametrize("text", NOT_EXPRESSIONS)
def test_the_expression_grammar_refuses_what_is_not_one_expression(expression_rules, text):
    assert not accepts(expression_rules, text)
