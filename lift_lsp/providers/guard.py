"""How every remote call behaves under failure and load, whatever the route.

- up to 3 attempts per call, exponential backoff (or the service's ``Retry-After``) on
  retryable errors: 429, 5xx, timeouts, refused connections;
- a circuit breaker per route: open after 5 consecutive failed attempts, half-open after
  a cool-down (one probe goes through; success closes it, failure re-opens it);
- a budget per graph execution: LLM calls, tokens and concurrent calls, with a warning
  at 80 % and no more remote work at 100 % (the local route finishes the job);
- every attempt is logged (route, model, tokens, latency, estimated cost, outcome), with
  secrets scrubbed from error text before it reaches a log or the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final, Literal

from lift_lsp.providers.wire import ChatRequest, ChatResponse, RouteError, Transport, estimated_cost

if TYPE_CHECKING:
    from lift_lsp.store.db import LLMCall

log = logging.getLogger(__name__)

ATTEMPTS: Final = 3
BACKOFF_BASE_S: Final = 0.5
BACKOFF_MAX_S: Final = 8.0
BREAKER_THRESHOLD: Final = 5
BREAKER_COOL_DOWN_S: Final = 30.0
WARN_FRACTION: Final = 0.8

BreakerState = Literal["closed", "open", "half-open"]


class RouteUnavailable(Exception):
    """A route gave no answer for this call (breaker open, budget spent, attempts used up,
    or a non-retryable error). The router falls back to the next route."""

    def __init__(self, route: str, reason: str, *, answer_text: str | None = None) -> None:
        super().__init__(f"{route}: {reason}")
        self.route = route
        self.reason = reason
        #: The service's raw text when the failure was an answer that did not validate.
        self.answer_text = answer_text


class Redactor:
    """Removes secret values (API keys, proxy secrets) from any text we keep or log."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


@dataclass
class CircuitBreaker:
    route: str
    threshold: int = BREAKER_THRESHOLD
    cool_down_s: float = BREAKER_COOL_DOWN_S
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    _probing: bool = False
    #: Called with the new state whenever it changes (the server tells the editor).
    on_change: Callable[[str, BreakerState], None] | None = None

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.cool_down_s:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """Closed: yes. Open: no. Half-open: one probe at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._probing:
            self._probing = True
            return True
        return False

    def record_success(self) -> None:
        before = self.state
        self.failures = 0
        self.opened_at = None
        self._probing = False
        if before != "closed":
            self._changed()

    def record_failure(self) -> None:
        before = self.state
        self.failures += 1
        self._probing = False
        if before == "half-open" or self.failures >= self.threshold:
            self.opened_at = self.clock()
            if before != "open":
                log.warning(
                    "%s: %d consecutive failures; not calling it for %.0f s",
                    self.route,
                    self.failures,
                    self.cool_down_s,
                )
                self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.route, self.state)


@dataclass(frozen=True)
class Limits:
    max_calls: int = 100
    max_tokens: int = 50_000
    max_concurrent: int = 3

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> Limits:
        def pick(*names: str, default: int) -> int:
            for name in names:
                value = raw.get(name)
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    return value
            return default

        return cls(
            max_calls=pick("maxCalls", "max_calls", "max-calls", default=cls.max_calls),
            max_tokens=pick("maxTokens", "max_tokens", "max-tokens", default=cls.max_tokens),
            max_concurrent=max(
                1,
                pick(
                    "maxConcurrent",
                    "max_concurrent",
                    "max-concurrent",
                    default=cls.max_concurrent,
                ),
            ),
        )


@dataclass
class Budget:
    """What one graph execution (or one suggestion request) may spend on remote routes."""

    limits: Limits = field(default_factory=Limits)
    execution_id: str | None = None
    on_warning: Callable[[str], None] | None = None
    calls: int = 0
    tokens: int = 0
    _warned: bool = False
    _exhausted_said: bool = False
    _slots: asyncio.Semaphore | None = None

    @property
    def exhausted(self) -> bool:
        return self.calls >= self.limits.max_calls or self.tokens >= self.limits.max_tokens

    def fraction(self) -> float:
        return max(
            self.calls / max(self.limits.max_calls, 1),
            self.tokens / max(self.limits.max_tokens, 1),
        )

    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limits.max_concurrent)
        return self._slots

    def start_call(self) -> None:
        """Count a call before it is made, so concurrent callers cannot overshoot."""
        self.calls += 1
        self._check()

    def charge(self, tokens: int) -> None:
        self.tokens += tokens
        self._check()

    def _check(self) -> None:
        if not self._warned and self.fraction() >= WARN_FRACTION:
            self._warned = True
            self._say(
                f"LLM budget at {self.fraction():.0%}: {self.calls}/{self.limits.max_calls}"
                f" calls, {self.tokens}/{self.limits.max_tokens} tokens"
            )
        if not self._exhausted_said and self.exhausted:
            self._exhausted_said = True
            self._say("LLM budget spent: the local route finishes the remaining work")

    def _say(self, message: str) -> None:
        log.warning("%s", message)
        if self.on_warning is not None:
            self.on_warning(message)


Recorder = Callable[["LLMCall"], Awaitable[None]]


def _outcome(error: RouteError) -> str:
    if error.status == 429:
        return "rate_limited"
    if "timed out" in error.message or "timeout" in error.message:
        return "timeout"
    if _invalid_answer(error) is not None:
        return "invalid"
    return "error"


def _invalid_answer(error: RouteError) -> str | None:
    """The raw answer, when the service answered but the answer failed validation."""
    text = getattr(error, "text", None)
    return text if isinstance(text, str) else None


def backoff_s(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: the service's word, else 0.5, 1, 2…"""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, BACKOFF_MAX_S)
    return min(BACKOFF_BASE_S * 2.0 ** (attempt - 1), BACKOFF_MAX_S)


@dataclass
class Guard:
    """One route's transport, with retries, its breaker and the call log."""

    transport: Transport
    breaker: CircuitBreaker
    record: Recorder | None = None
    redact: Redactor = field(default_factory=Redactor)
    attempts: int = ATTEMPTS
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @property
    def route(self) -> str:
        return self.transport.route

    async def call(self, request: ChatRequest, budget: Budget | None = None) -> ChatResponse:
        for attempt in range(1, self.attempts + 1):
            if not self.breaker.allow():
                raise RouteUnavailable(self.route, "circuit breaker open")
            if budget is not None and budget.exhausted:
                raise RouteUnavailable(self.route, "LLM budget for this run spent")
            try:
                return await self._attempt(request, budget, attempt)
            except RouteError as error:
                answer = _invalid_answer(error)
                if answer is not None:
                    # The service works; the answer did not validate. Repair is the
                    # caller's job (it feeds the error back), not a retry's.
                    self.breaker.record_success()
                    raise RouteUnavailable(
                        self.route, self.redact(error.message), answer_text=answer
                    ) from None
                self.breaker.record_failure()
                if not error.retryable or attempt == self.attempts:
                    raise RouteUnavailable(self.route, self.redact(error.message)) from None
                await self.sleep(backoff_s(attempt, error.retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self, request: ChatRequest, budget: Budget | None, attempt: int
    ) -> ChatResponse:
        if budget is not None:
            budget.start_call()
        slots = budget.slots() if budget is not None else None
        call_id = uuid.uuid4().hex
        execution_id = budget.execution_id if budget is not None else None
        started = time.perf_counter()
        try:
            if slots is not None:
                async with slots:
                    response = await self.transport.send(request)
            else:
                response = await self.transport.send(request)
        except RouteError as error:
            # An answer that failed validation still cost its tokens.
            spent = getattr(error, "response", None)
            if budget is not None and isinstance(spent, ChatResponse):
                budget.charge(spent.tokens_in + spent.tokens_out)
            await self._log(
                call_id,
                execution_id,
                request,
                attempt,
                started,
                spent if isinstance(spent, ChatResponse) else None,
                _outcome(error),
                error.message,
            )
            raise
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a transport bug must not escape as a crash
            await self._log(
                call_id, execution_id, request, attempt, started, None, "error", repr(error)
            )
            raise RouteError(self.route, f"unexpected error: {error!r}") from None
        if budget is not None:
            budget.charge(response.tokens_in + response.tokens_out)
        self.breaker.record_success()
        await self._log(call_id, execution_id, request, attempt, started, response, "ok", None)
        # Elements built from this answer point at the call through their provenance.
        return replace(response, extra={**response.extra, "call_id": call_id})

    async def _log(  # noqa: PLR0917 - one row of the call log
        self,
        call_id: str,
        execution_id: str | None,
        request: ChatRequest,
        attempt: int,
        started: float,
        response: ChatResponse | None,
        outcome: str,
        error: str | None,
    ) -> None:
        if self.record is None:
            return
        from lift_lsp.store.db import LLMCall, utc_now

        tokens_in = response.tokens_in if response else 0
        tokens_out = response.tokens_out if response else 0
        model = response.model if response else self.transport.model
        call = LLMCall(
            id=call_id,
            created_at=utc_now(),
            execution_id=execution_id,
            route=self.route,
            model=model,
            signature=request.signature,
            attempt=attempt,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            cost_usd=estimated_cost(model, tokens_in, tokens_out),
            outcome=outcome,
            error=self.redact(error) if error else None,
        )
        try:
            await self.record(call)
        except Exception:  # the log is best effort; the answer matters more
            log.exception("could not record an LLM call")
