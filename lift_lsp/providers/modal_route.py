"""The ``modal`` route's transport: one chat request to the lift-lsp service on Modal.

The service (``lift_lsp/deploy/modal_app.py``, contract in ``docs/modal.md``) is vLLM's
OpenAI-compatible server with grammar-constrained decoding, behind Modal's proxy auth:

- ``POST {base}/v1/chat/completions`` with ``X-Lift-Contract: 1``; a JSON schema travels
  as OpenAI's ``response_format`` and an EBNF grammar as vLLM's ``structured_outputs``;
- ``GET {base}/health`` answers ``{"status": "ok", "contract": 1, "model": ...}``;
- errors are real HTTP statuses with ``{"error": {"message", "type", "code"}}``.

One attempt per :meth:`ModalTransport.send`; retries belong to the guard above. A schema
answer is checked here against the very schema that was sent, so a caller never sees an
answer that does not fit. httpx and jsonschema are imported on first use: the server
must start without paying for them.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import re
import time
from typing import TYPE_CHECKING, Any

from lift_lsp import __version__
from lift_lsp.providers.wire import ChatRequest, ChatResponse, RouteError

if TYPE_CHECKING:
    import httpx

    from lift_lsp.providers.wire import Transport

ROUTE = "modal"
#: Version of the client/service contract; the service refuses other versions with 400.
CONTRACT_VERSION = 1
CONTRACT_HEADER = "X-Lift-Contract"
#: Modal proxy auth (``requires_proxy_auth=True``): a workspace token's ID and secret.
PROXY_KEY_HEADER = "Modal-Key"
PROXY_SECRET_HEADER = "Modal-Secret"
CHAT_PATH = "/v1/chat/completions"
HEALTH_PATH = "/health"
#: The name the service serves its model under (vLLM's ``--served-model-name``).
DEFAULT_MODEL = "Qwen/Qwen2.5-Coder-7B-Instruct"
#: vLLM's request field for an EBNF grammar (vLLM >= 0.11; ``guided_grammar`` before).
GRAMMAR_FIELD = "structured_outputs"
#: How much of an error body goes into a message.
_MAX_DETAIL = 300


class AnswerRejected(RouteError):
    """The service answered, but not with something the request allows (malformed JSON,
    schema violations). Not retryable as such; the layer above may ask again with the
    errors. ``text`` is the raw answer and ``response`` what the call cost."""

    def __init__(self, message: str, response: ChatResponse) -> None:
        super().__init__(ROUTE, message, status=200, retryable=False)
        self.response = response
        self.text = response.text


class ModalTransport:
    """A :class:`~lift_lsp.providers.wire.Transport` for the Modal service at ``base_url``.

    ``key`` / ``secret`` are a Modal proxy auth token (``LIFT_MODAL_KEY`` /
    ``LIFT_MODAL_SECRET``); they are sent as headers and appear in no message or repr.
    One without the other fails every call with a message saying so, not with Modal's 401.
    ``timeout`` bounds :meth:`health`; :meth:`send` uses the request's own timeout.
    """

    route = ROUTE

    def __init__(
        self,
        base_url: str,
        *,
        model: str = DEFAULT_MODEL,
        key: str | None = None,
        secret: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self._half_token = (key is None) != (secret is None)
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self._headers = request_headers(key, secret)
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        auth = "proxy-auth" if PROXY_KEY_HEADER in self._headers else "no auth"
        return f"ModalTransport({self.base_url!r}, model={self.model!r}, {auth})"

    async def send(self, request: ChatRequest) -> ChatResponse:
        body = request_body(request, self.model)
        reply = await self._exchange("POST", CHAT_PATH, request.timeout, body)
        response = parse_completion(reply, self.model)
        if request.json_schema is not None:
            check_answer(response, request.json_schema)
        return response

    async def health(self) -> dict[str, Any]:
        """The service's health document; raises :class:`RouteError` when it is down or
        speaks another contract version."""
        reply = await self._exchange("GET", HEALTH_PATH, self.timeout, None)
        document = _json_object(reply)
        if document.get("contract") != CONTRACT_VERSION:
            raise RouteError(
                ROUTE,
                f"service speaks contract {document.get('contract')!r}, "
                f"this client {CONTRACT_VERSION}",
            )
        return document

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _exchange(
        self, method: str, path: str, timeout: float, body: dict[str, Any] | None
    ) -> httpx.Response:
        """One HTTP exchange within ``timeout`` seconds; any failure as a RouteError."""
        import httpx

        if self._half_token:
            raise RouteError(ROUTE, "set both LIFT_MODAL_KEY and LIFT_MODAL_SECRET, or neither")

        client = self._http()
        try:
            async with asyncio.timeout(timeout):
                reply = await client.request(method, path, json=body, timeout=timeout)
        except (TimeoutError, httpx.TimeoutException):
            raise RouteError(ROUTE, f"timed out after {timeout:g} s", retryable=True) from None
        except httpx.ConnectError as exc:
            raise RouteError(ROUTE, f"cannot connect: {exc}", retryable=True) from None
        except httpx.TransportError as exc:
            # A connection dropped mid-exchange is as passing as a refused one.
            raise RouteError(ROUTE, f"connection failed: {exc!r}", retryable=True) from None
        except httpx.HTTPError as exc:  # undecodable body, redirect loops
            raise RouteError(ROUTE, f"malformed response: {exc}") from None
        raise_for_status(reply)
        return reply

    def _http(self) -> httpx.AsyncClient:
        import httpx

        if self._client is None:
            # No redirects: custom auth headers would follow them to any host.
            self._client = httpx.AsyncClient(
                base_url=self.base_url, headers=self._headers, follow_redirects=False
            )
        return self._client


if TYPE_CHECKING:

    def _is_a_transport(route: ModalTransport) -> Transport:
        return route  # mypy checks ModalTransport against the protocol here


def request_headers(key: str | None, secret: str | None) -> dict[str, str]:
    headers = {CONTRACT_HEADER: str(CONTRACT_VERSION), "User-Agent": f"lift-lsp/{__version__}"}
    if key is not None and secret is not None:
        headers[PROXY_KEY_HEADER] = key
        headers[PROXY_SECRET_HEADER] = secret
    return headers


def request_body(request: ChatRequest, model: str) -> dict[str, Any]:
    """The OpenAI chat completion body for ``request`` (contract version 1)."""
    if request.json_schema is not None and request.grammar is not None:
        raise RouteError(ROUTE, "a request is constrained by a JSON schema or a grammar, not both")
    messages = [{"role": "system", "content": request.system}] if request.system else []
    messages += [{"role": m.role, "content": m.content} for m in request.messages]
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }
    if request.json_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": schema_name(request.schema_name or request.signature),
                "schema": request.json_schema,
                "strict": True,
            },
        }
    if request.grammar is not None:
        body[GRAMMAR_FIELD] = {"grammar": request.grammar}
    return body


def schema_name(name: str) -> str:
    """OpenAI's rule for ``json_schema.name``: ``[a-zA-Z0-9_-]{1,64}``."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "answer"


def raise_for_status(reply: httpx.Response) -> None:
    status = reply.status_code
    if 200 <= status < 300:
        return
    detail = error_detail(reply)
    if status == 429:
        raise RouteError(
            ROUTE,
            f"rate limited (HTTP 429): {detail}",
            status=status,
            retryable=True,
            retry_after=retry_after(reply.headers.get("Retry-After")),
        )
    if status >= 500:
        raise RouteError(
            ROUTE, f"service error (HTTP {status}): {detail}", status=status, retryable=True
        )
    raise RouteError(ROUTE, f"HTTP {status}: {detail}", status=status)


def error_detail(reply: httpx.Response) -> str:
    """The service's own words: the JSON error's message, else the body's text (Modal's
    proxy answers 401 in plain text)."""
    text = _error_message(reply) or reply.text.strip()
    return text[:_MAX_DETAIL] or reply.reason_phrase or "no detail"


def _error_message(reply: httpx.Response) -> str | None:
    try:
        data = reply.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):
        message = error.get("message")
    elif isinstance(error, str):  # vLLM's own --api-key check: {"error": "Unauthorized"}
        message = error
    else:  # vLLM before 0.10 put the message at the top level
        message = data.get("message")
    return message if isinstance(message, str) and message else None


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def parse_completion(reply: httpx.Response, model: str) -> ChatResponse:
    """The answer in an OpenAI chat completion; a missing piece is a malformed response."""
    data = _json_object(reply)
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
        usage = data["usage"]
        tokens_in, tokens_out = usage["prompt_tokens"], usage["completion_tokens"]
    except (KeyError, IndexError, TypeError):
        raise RouteError(
            ROUTE, "malformed response: no choices[0].message.content or usage token counts"
        ) from None
    if not isinstance(content, str):
        raise RouteError(ROUTE, "malformed response: choices[0].message.content is not text")
    if not (_is_count(tokens_in) and _is_count(tokens_out)):
        raise RouteError(ROUTE, "malformed response: usage token counts are not integers")
    finish, served = choice.get("finish_reason"), data.get("model")
    return ChatResponse(
        text=content,
        model=served if isinstance(served, str) else model,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        stop_reason=finish if isinstance(finish, str) else None,
    )


def _json_object(reply: httpx.Response) -> dict[str, Any]:
    try:
        data = reply.json()
    except ValueError:
        raise RouteError(ROUTE, "malformed response: body is not JSON") from None
    if not isinstance(data, dict):
        raise RouteError(ROUTE, "malformed response: body is not a JSON object")
    return data


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_answer(response: ChatResponse, schema: dict[str, Any]) -> None:
    """Raise :class:`AnswerRejected` unless ``response.text`` is JSON matching ``schema``."""
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

    from lift_lsp.providers import schemas

    try:
        answer = json.loads(response.text)
    except ValueError as exc:
        cut = " (cut off at max_tokens)" if response.stop_reason == "length" else ""
        raise AnswerRejected(f"schema-invalid answer: not JSON{cut}: {exc}", response) from None
    try:
        validator = schemas.validator_for(schema)
    except SchemaError as exc:  # the request was at fault, not the answer
        raise RouteError(ROUTE, f"the request's JSON schema is invalid: {exc}") from None
    found = schemas.errors(validator, answer)
    if found:
        raise AnswerRejected(f"schema-invalid answer: {found[0]}", response)
