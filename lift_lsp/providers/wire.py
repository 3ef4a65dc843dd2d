"""What every remote route sends and receives: one chat request, one answer.

A transport (Anthropic's Messages API, the Modal service's OpenAI-compatible endpoint)
turns a :class:`ChatRequest` into one HTTP call and the reply into a :class:`ChatResponse`,
or raises :class:`RouteError`. Transports make exactly one attempt: retries, the circuit
breaker, budgets and the call log belong to :mod:`lift_lsp.providers.guard`, so every
route behaves the same way under failure. Nothing here imports an SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class ChatRequest:
    #: The signature being answered (``SuggestHoleFill``…), for the call log and schemas.
    signature: str
    system: str
    messages: tuple[ChatMessage, ...]
    max_tokens: int = 1024
    temperature: float = 0.0
    #: A JSON schema the answer must match (schema-constrained decoding where supported).
    json_schema: dict[str, Any] | None = None
    #: Name of that schema (OpenAI's ``json_schema.name``); defaults to the signature.
    schema_name: str | None = None
    #: An EBNF grammar (GBNF / Lark dialect the service accepts) instead of a schema.
    grammar: str | None = None
    #: Seconds for the whole HTTP exchange.
    timeout: float = 30.0


@dataclass(frozen=True)
class ChatResponse:
    text: str
    model: str
    tokens_in: int
    tokens_out: int
    #: Why generation stopped, as the service said it (``end_turn``, ``stop``, ``length``…).
    stop_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class RouteError(Exception):
    """One failed attempt. ``retryable`` for 429, 5xx, timeouts and refused connections;
    not for 4xx (a bad key or a bad request does not get better by asking again)."""

    def __init__(
        self,
        route: str,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{route}: {message}")
        self.route = route
        self.message = message
        self.status = status
        self.retryable = retryable
        #: Seconds the service asked us to wait (``Retry-After``), if it said.
        self.retry_after = retry_after


class Transport(Protocol):
    #: ``anthropic`` or ``modal``.
    route: str
    #: The model the service is asked for.
    model: str

    async def send(self, request: ChatRequest) -> ChatResponse:
        """One attempt; raises :class:`RouteError` on any failure, never an SDK error."""
        ...

    async def aclose(self) -> None: ...


#: Price per million tokens (input, output) in USD, for the estimated cost in the call log.
PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-haiku-4": (1.0, 5.0),
}


def estimated_cost(model: str, tokens_in: int, tokens_out: int) -> float:
    """USD for one call; models without a list price (self-hosted ones) cost 0 here."""
    for prefix, (p_in, p_out) in PRICES.items():
        if model.startswith(prefix):
            return (tokens_in * p_in + tokens_out * p_out) / 1_000_000
    return 0.0
