"""The server's router: built from the workspace's settings and the environment, rebuilt
when the settings change, its breakers' state sent to the editor as ``lift/routeStatus``.

Nothing heavy is imported here: the transports and DSPy load on the first remote call.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lift_lsp.providers.base import Provider
    from lift_lsp.providers.router import RouteConfig, Router
    from lift_lsp.server.app import LiftServer
    from lift_lsp.store.db import LLMCall

log = logging.getLogger(__name__)

ROUTE_STATUS = "lift/routeStatus"


class RouteState:
    def __init__(self) -> None:
        self.router: Router | None = None
        self.generation = -1
        self.last_status: dict[str, Any] | None = None
        self.warned: set[str] = set()
        #: Local provider shared with the reverse runner (one type model in memory).
        self.local: Provider | None = None
        from lift_lsp.server.remote_fills import RemoteFillState

        #: Remote fills asked for per hole, completion and code actions share them.
        self.fills = RemoteFillState()


def _recorder(ls: LiftServer) -> Any:
    async def record(call: LLMCall) -> None:
        from lift_lsp.server.features.reverse import engine

        store = (await engine(ls)).store
        await store.record_llm_call(call)

    return record


def router(ls: LiftServer) -> Router:
    """The router for the current settings (the workspace's; a per-file route is not a
    thing: remote-exclude globs are what keeps a file local)."""
    state = ls.routes
    if state.router is not None and state.generation == ls.settings.generation:
        return state.router
    from lift_lsp.providers.router import RouteConfig, Router

    settings = ls.settings.for_path(None)
    config = RouteConfig.from_sources(settings, os.environ)
    for problem in [*config.problems, *_unusable(config)]:
        if problem not in state.warned:
            state.warned.add(problem)
            ls.warn(f"lift-lsp settings: {problem}", show=True)
    old = state.router
    fresh = Router(
        config,
        local=state.local,
        record=_recorder(ls),
        on_breaker=lambda route, breaker: publish_status(ls),
    )
    if old is not None:
        # Keep what the breakers learned about a route whose configuration did not change.
        for route, breaker in old.breakers.items():
            if old.config.configured(route) and config.configured(route):
                breaker.on_change = fresh.breakers[route].on_change
                fresh.breakers[route] = breaker
        task = asyncio.ensure_future(old.aclose())
        ls.ir.background.add(task)
        task.add_done_callback(ls.ir.background.discard)
    state.router, state.generation = fresh, ls.settings.generation
    from lift_lsp.server.features.learning import load_programs_soon

    load_programs_soon(ls, fresh)  # the active compiled programs, from the store
    publish_status(ls)
    return fresh


def _unusable(config: RouteConfig) -> list[str]:
    """A route asked for that cannot run: said once, rather than quietly answering locally."""
    missing = config.missing(config.route)
    if missing is not None:
        return [
            f"the {config.route} route is not configured (set {missing});"
            " the local route answers meanwhile"
        ]
    if config.route == "auto" and not config.any_remote:
        return ["route is auto but no remote route is configured; the local route answers"]
    return []


def remote_configured(ls: LiftServer) -> bool:
    return router(ls).config.uses_remote()


def publish_status(ls: LiftServer) -> None:
    """Tell the editor the active route and the breakers, when that changed."""
    state = ls.routes
    if state.router is None:
        return
    status = state.router.status()
    if status == state.last_status:
        return
    state.last_status = status
    try:
        ls.protocol.notify(ROUTE_STATUS, status)
    except Exception:  # before initialize or after exit: nothing to tell
        log.debug("could not send %s", ROUTE_STATUS, exc_info=True)
