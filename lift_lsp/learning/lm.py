"""A remote route as the ``dspy.LM`` that programs are compiled and scored with.

The async engine is the route's :class:`~lift_lsp.providers.llm.GuardedEngine`: the same
schema, validation, repair rounds, retries, circuit breaker, budget and call log as a
suggestion in the editor. Scoring awaits it (``acall``).

DSPy's optimizers call the LM synchronously, from worker threads: BootstrapFewShot runs
the teacher program with ``program(...)``, MIPROv2 scores candidates in a thread pool.
The route's own sync engine refuses (``_NoSyncEngine``), so :class:`LoopEngine` hands
each synchronous call to the event loop that owns the route and blocks the worker thread
until the answer comes. Running the call on a private event loop instead does not work:
the route's HTTP client, the budget's semaphore and the store the call is logged to all
belong to the loop they were first used on (see ``docs/optimize.md``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import TYPE_CHECKING, Any, Final

from lift_lsp.providers.guard import ATTEMPTS, BACKOFF_MAX_S, Budget, RouteUnavailable
from lift_lsp.providers.llm import REPAIR_ROUNDS, CallTrace, GuardedEngine, dspy_response

if TYPE_CHECKING:
    import dspy

    from lift_lsp.providers.router import Router

#: The signature name MIPROv2's instruction proposals are sent under: it has no schema,
#: so the route is not asked for SuggestHoleFill's shape.
PROPOSER: Final = "ProposeInstruction"


class LoopEngine:
    """DSPy's sync engine contract over an async engine running on ``loop``."""

    def __init__(self, engine: Any, loop: asyncio.AbstractEventLoop, route: str, wait_s: float):
        self.engine = engine
        self.loop = loop
        self.route = route
        #: Longer than the guarded call can take (every attempt, backoff and repair round).
        self.wait_s = wait_s

    def complete(self, request: Any) -> Any:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise RuntimeError(
                "a synchronous LM call on the route's own event loop would block it: run the"
                " optimizer in a worker thread (asyncio.to_thread)"
            )
        future = asyncio.run_coroutine_threadsafe(self.engine.complete(request), self.loop)
        try:
            return future.result(timeout=self.wait_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise RouteUnavailable(self.route, f"no answer in {self.wait_s:.0f} s") from None

    def stream(self, request: Any) -> Any:
        raise NotImplementedError("lift-lsp does not stream")

    def close(self) -> None:
        return None


class FreeFormEngine(GuardedEngine):
    """For MIPROv2's instruction proposals: answers no schema describes are passed on as
    they are (DSPy parses them), through the same guard and budget."""

    async def complete(self, request: Any) -> Any:
        return dspy_response(await self._send(self._chat_request(request)))


def _wait_s(timeout_s: float) -> float:
    return (ATTEMPTS * timeout_s + 2 * BACKOFF_MAX_S) * (REPAIR_ROUNDS + 1)


def route_lm(
    router: Router,
    route: str,
    budget: Budget | None,
    *,
    trace: CallTrace | None = None,
    signature: str = "SuggestHoleFill",
) -> dspy.LM:
    """``route``'s guarded transport as a ``dspy.LM``. Call it on the event loop that runs
    the route (the server's, or ``asyncio.run``'s in the CLI)."""
    import dspy

    provider = router.provider(route)
    kind = FreeFormEngine if signature == PROPOSER else GuardedEngine
    engine = kind(provider.guard, signature, budget, trace or CallTrace(), provider.timeout_s)
    sync = LoopEngine(engine, asyncio.get_running_loop(), route, _wait_s(provider.timeout_s))
    # The guard retries; DSPy retrying on top would multiply the calls.
    return dspy.LM(
        f"{route}/{provider.model}", engine=sync, async_engine=engine, cache=False, num_retries=0
    )


def proposer_lm(
    router: Router, route: str, budget: Budget | None, *, trace: CallTrace | None = None
) -> dspy.LM:
    """The LM MIPROv2 proposes instructions with: the same route, free-form answers."""
    return route_lm(router, route, budget, trace=trace, signature=PROPOSER)
