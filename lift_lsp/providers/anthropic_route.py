"""The Anthropic route: one Messages API call per request, every failure a RouteError.

The SDK is imported on the first call, never at start-up: importing it takes over a
second. The client makes no retries of its own (``max_retries=0``); retrying belongs to
:mod:`lift_lsp.providers.guard`.

Sampling parameters are not sent: the API version the 2.x SDK speaks refuses
``temperature``/``top_p``/``top_k`` with a 400, so ``ChatRequest.temperature`` is ignored
here. There is no grammar-constrained decoding either; ``ChatRequest.grammar`` is ignored.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from lift_lsp.providers.wire import ChatMessage, ChatRequest, ChatResponse, RouteError

if TYPE_CHECKING:
    from anthropic import APIStatusError, AsyncAnthropic
    from anthropic.types import MessageParam, OutputConfigParam

ROUTE = "anthropic"
#: Current and not deprecated; ``claude-sonnet-4-5`` reaches end of life on 2026-11-30.
DEFAULT_MODEL = "claude-sonnet-4-6"
#: Besides every 5xx (529 is "overloaded"): statuses worth asking again for.
RETRYABLE_STATUSES = frozenset({408, 429})


class AnthropicTransport:
    route = ROUTE

    def __init__(
        self,
        api_key: str,
        *,
        model: str = DEFAULT_MODEL,
        base_url: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not api_key:
            # An empty key would make the SDK fall back to the environment's credentials.
            raise ValueError("the Anthropic route needs an API key")
        self.model = model
        self.base_url = base_url
        self.timeout = timeout
        self._api_key = api_key
        self._client: AsyncAnthropic | None = None

    def __repr__(self) -> str:
        where = self.base_url or "api.anthropic.com"
        return f"AnthropicTransport(model={self.model!r}, base_url={where!r}, api_key=***)"

    async def send(self, request: ChatRequest) -> ChatResponse:
        import anthropic

        try:
            async with asyncio.timeout(request.timeout):
                raw = await self._client_once().messages.with_raw_response.create(
                    model=self.model,
                    max_tokens=request.max_tokens,
                    messages=_messages(request),
                    system=request.system or anthropic.omit,
                    output_config=_output_config(request) or anthropic.omit,
                    timeout=request.timeout,
                )
                body = await raw.read()
        except anthropic.APIStatusError as err:
            raise self._error(_status_message(err), err.status_code, _retry_after(err)) from None
        except (anthropic.APITimeoutError, TimeoutError):
            raise self._error(f"timed out after {request.timeout:g} s", None) from None
        except anthropic.APIConnectionError as err:
            raise self._error(f"connection failed: {err.__cause__ or err}", None) from None
        except (anthropic.AnthropicError, ValueError) as err:
            # Requests the SDK refuses to build, and schemas it cannot adapt.
            raise self._error(f"request refused: {err}", None, retryable=False) from None
        return self._response(body)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def _client_once(self) -> AsyncAnthropic:
        if self._client is None:
            from anthropic import AsyncAnthropic

            self._client = AsyncAnthropic(
                api_key=self._api_key,
                base_url=self.base_url,
                max_retries=0,
                timeout=self.timeout,
            )
        return self._client

    def _response(self, body: bytes) -> ChatResponse:
        try:
            return _parse_message(body, self.model)
        except ValueError as err:
            raise self._error(f"malformed response: {err}", 200, retryable=False) from None

    def _error(
        self,
        message: str,
        status: int | None,
        retry_after: float | None = None,
        *,
        retryable: bool | None = None,
    ) -> RouteError:
        if retryable is None:
            retryable = status is None or status in RETRYABLE_STATUSES or status >= 500
        # A proxy or a misbehaving service could echo the key back: never pass it on.
        message = message.replace(self._api_key, "***")
        return RouteError(
            ROUTE, message, status=status, retryable=retryable, retry_after=retry_after
        )


def _messages(request: ChatRequest) -> list[MessageParam]:
    return [_message(message) for message in request.messages]


def _message(message: ChatMessage) -> MessageParam:
    if message.role == "user":
        return {"role": "user", "content": message.content}
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    raise ValueError(f"a message role must be user or assistant, not {message.role!r}")


def _output_config(request: ChatRequest) -> OutputConfigParam | None:
    """Schema-constrained output; the schema is adapted to what the API accepts (strict
    objects, unsupported keywords moved into descriptions), so callers should still
    validate the answer against their original schema."""
    if request.json_schema is None:
        return None
    from anthropic import transform_schema

    return {"format": {"type": "json_schema", "schema": transform_schema(request.json_schema)}}


def _parse_message(body: bytes, fallback_model: str) -> ChatResponse:
    try:
        data = json.loads(body)
    except ValueError as err:
        raise ValueError(f"not JSON ({err}): {_excerpt(body)}") from None
    if not isinstance(data, dict):
        raise ValueError(f"not a JSON object: {_excerpt(body)}")
    content, usage = data.get("content"), data.get("usage")
    if not isinstance(content, list):
        raise ValueError("no content list")
    if not isinstance(usage, dict) or not all(
        isinstance(usage.get(key), int) for key in ("input_tokens", "output_tokens")
    ):
        raise ValueError("no usage counts")
    model, stop_reason = data.get("model"), data.get("stop_reason")
    return ChatResponse(
        text=_text_of(content),
        model=model if isinstance(model, str) else fallback_model,
        tokens_in=usage["input_tokens"],
        tokens_out=usage["output_tokens"],
        stop_reason=stop_reason if isinstance(stop_reason, str) else None,
        extra={"id": data["id"]} if isinstance(data.get("id"), str) else {},
    )


def _text_of(content: list[Any]) -> str:
    return "".join(
        block["text"]
        for block in content
        if isinstance(block, dict)
        and block.get("type") == "text"
        and isinstance(block.get("text"), str)
    )


def _excerpt(body: bytes, limit: int = 80) -> str:
    text = body[:limit].decode("utf-8", errors="replace")
    return repr(text + ("…" if len(body) > limit else ""))


def _status_message(err: APIStatusError) -> str:
    """``authentication_error: invalid x-api-key`` from the API's error body, when it sent one."""
    detail = err.api_message or err.response.text.strip()[:200] or "no details"
    return f"{err.status_code} {err.type}: {detail}" if err.type else f"{err.status_code}: {detail}"


def _retry_after(err: APIStatusError) -> float | None:
    return parse_retry_after(err.response.headers)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms``, or ``retry-after`` in seconds or as an HTTP date."""
    with_ms = headers.get("retry-after-ms")
    if with_ms is not None:
        try:
            return max(0.0, float(with_ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
