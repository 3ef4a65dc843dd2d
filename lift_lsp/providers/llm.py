"""A remote route as a DSPy provider: programs built from the signatures, run with ``acall``
on an LM whose engine is the route's guarded transport.

The engine is where a DSPy request becomes one :class:`ChatRequest`. It asks for the
signature's JSON schema from ``grammars/`` (the Modal service decodes under it; Anthropic
gets it as structured output), checks the answer against the same schema locally, and
when the answer does not validate, feeds the error back for up to two repair rounds
before the route is given up for this call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from lift_lsp.providers import schemas
from lift_lsp.providers.guard import Budget, Guard, RouteUnavailable
from lift_lsp.providers.wire import ChatMessage, ChatRequest, ChatResponse

if TYPE_CHECKING:
    import dspy

    from lift_lsp.analysis.context import FunctionUnit

REPAIR_ROUNDS: Final = 2
DEFAULT_MAX_TOKENS: Final = 1024
#: Signatures whose answers are code or IR get more room.
LONG_ANSWERS: Final = {"IRToCode": 4096, "PromptToIR": 2048, "RefineIR": 2048}


@dataclass
class CallTrace:
    """What answering one signature cost, for provenance and the budget."""

    call_ids: list[str] = field(default_factory=list)
    tokens: int = 0
    repairs: int = 0
    model: str | None = None


def _text_of(parts: Any) -> str:
    if parts is None:
        return ""
    if isinstance(parts, str):
        return parts
    return "\n".join(str(getattr(p, "text", "")) for p in parts if getattr(p, "text", None))


def _json_answer(text: str) -> Any:
    """The JSON object in an answer, tolerating a fenced block around it."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0]
    return json.loads(stripped)


def answer_problems(signature: str, text: str) -> list[str]:
    """Why an answer cannot be used: not JSON, or not matching the signature's schema."""
    try:
        obj = _json_answer(text)
    except ValueError as exc:
        return [f"the answer is not a JSON object: {exc}"]
    if not isinstance(obj, dict):
        return ["the answer must be a JSON object"]
    return schemas.validate(signature, obj)


def dspy_response(response: ChatResponse) -> Any:
    """A route's answer as DSPy's engine contract returns it."""
    from dspy.lm15 import Message, Response, TextPart, Usage

    return Response(
        id=None,
        model=response.model,
        message=Message(role="assistant", parts=(TextPart(text=response.text),)),
        finish_reason="stop",
        usage=Usage(input_tokens=response.tokens_in, output_tokens=response.tokens_out),
    )


class GuardedEngine:
    """DSPy's async engine contract (``complete(Request) -> Response``) over a Guard."""

    def __init__(
        self,
        guard: Guard,
        signature: str,
        budget: Budget | None,
        trace: CallTrace,
        timeout_s: float = 30.0,
    ) -> None:
        self.guard = guard
        self.signature = signature
        self.budget = budget
        self.trace = trace
        self.timeout_s = timeout_s

    def _chat_request(self, request: Any, extra: tuple[ChatMessage, ...] = ()) -> ChatRequest:
        config = request.config
        messages = tuple(
            ChatMessage("assistant" if m.role == "assistant" else "user", _text_of(m.parts))
            for m in request.messages
        )
        return ChatRequest(
            signature=self.signature,
            system=_text_of(request.system),
            messages=messages + extra,
            max_tokens=config.max_tokens or LONG_ANSWERS.get(self.signature, DEFAULT_MAX_TOKENS),
            temperature=config.temperature if config.temperature is not None else 0.0,
            json_schema=schemas.schema_for(self.signature),
            schema_name=self.signature,
            timeout=self.timeout_s,
        )

    async def _send(self, chat: ChatRequest) -> ChatResponse:
        response = await self.guard.call(chat, self.budget)
        self.trace.call_ids.append(str(response.extra.get("call_id", "")))
        self.trace.tokens += response.tokens_in + response.tokens_out
        self.trace.model = response.model
        return response

    async def complete(self, request: Any) -> Any:
        chat = self._chat_request(request)
        extra: tuple[ChatMessage, ...] = ()
        for round_ in range(REPAIR_ROUNDS + 1):
            try:
                response = await self._send(chat)
                text, problems = response.text, answer_problems(self.signature, response.text)
            except RouteUnavailable as gone:
                if gone.answer_text is None:
                    raise
                text, problems = gone.answer_text, [gone.reason]
                response = None
            if not problems and response is not None:
                return dspy_response(response)
            if round_ == REPAIR_ROUNDS:
                break
            self.trace.repairs += 1
            extra = (
                *extra,
                ChatMessage("assistant", text),
                ChatMessage(
                    "user",
                    "That answer cannot be used: "
                    + "; ".join(problems[:3])
                    + ". Reply again with only the corrected JSON object.",
                ),
            )
            chat = self._chat_request(request, extra)
        raise RouteUnavailable(
            self.guard.route,
            f"no valid answer to {self.signature} after {REPAIR_ROUNDS} repair rounds",
        )

    def stream(self, request: Any) -> Any:
        raise NotImplementedError("lift-lsp does not stream")

    async def aclose(self) -> None:
        return None


class _NoSyncEngine:
    """The LM's synchronous path is never used: graph nodes call programs with ``acall``."""

    def complete(self, request: Any) -> Any:
        raise RuntimeError("remote routes are called asynchronously (acall)")

    def stream(self, request: Any) -> Any:
        raise RuntimeError("remote routes are called asynchronously (acall)")

    def close(self) -> None:
        return None


class Programs:
    """The DSPy program per signature: the compiled one of the active version if there is
    one (``lift-lsp optimize``), else a plain ``Predict``."""

    def __init__(self, version: str = "base", compiled: Mapping[str, Any] | None = None) -> None:
        self.version = version
        self._compiled = dict(compiled or {})
        self._programs: dict[str, dspy.Module] = {}

    def program(self, signature: type[dspy.Signature]) -> dspy.Module:
        import dspy

        name = signature.__name__
        found = self._programs.get(name)
        if found is None:
            found = dspy.Predict(signature)
            state = self._compiled.get(name)
            if state is not None:
                found.load_state(state)
            self._programs[name] = found
        return found


class LLMProvider:
    """Answers any signature through one remote route (``anthropic`` or ``modal``)."""

    #: One function per graph branch: each is a model call; the budget caps concurrency.
    batch_size: int = 1

    def __init__(
        self, guard: Guard, programs: Programs | None = None, *, timeout_s: float = 30.0
    ) -> None:
        self.guard = guard
        self.route = guard.route
        self.model: str | None = guard.transport.model
        self.programs = programs or Programs()
        #: Seconds one HTTP exchange may take.
        self.timeout_s = timeout_s

    @property
    def program_version(self) -> str:
        return f"{self.route}-{self.programs.version}"

    async def predict(
        self,
        signature: type[dspy.Signature],
        inputs: dict[str, Any],
        *,
        unit: FunctionUnit | None = None,
    ) -> dspy.Prediction:
        prediction, _ = await self.predict_traced(signature, inputs)
        return prediction

    async def predict_traced(
        self,
        signature: type[dspy.Signature],
        inputs: dict[str, Any],
        *,
        budget: Budget | None = None,
    ) -> tuple[dspy.Prediction, CallTrace]:
        import dspy

        trace = CallTrace()
        engine = GuardedEngine(self.guard, signature.__name__, budget, trace, self.timeout_s)
        lm = dspy.LM(
            f"{self.route}/{self.model}", engine=_NoSyncEngine(), async_engine=engine, cache=False
        )
        program = self.programs.program(signature)
        try:
            with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
                prediction = await program.acall(**inputs)
        except Exception as exc:
            gone = route_failure(exc)
            if gone is not None:  # DSPy wraps what the engine raised
                raise gone from None
            # Otherwise DSPy could not parse what the route said.
            raise RouteUnavailable(
                self.route, f"unusable answer to {signature.__name__}: {exc}"
            ) from None
        return prediction, trace


def route_failure(exc: BaseException) -> RouteUnavailable | None:
    """The route failure behind ``exc`` (DSPy wraps what an engine raises)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, RouteUnavailable):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
