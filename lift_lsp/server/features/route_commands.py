"""``lift.routeStatus`` (the route and its breakers, as in ``lift/routeStatus``) and
``lift.showStats`` (calls, tokens, cost and acceptance per route, as ``lift-lsp stats``)."""

from __future__ import annotations

from typing import Any

# A runtime import: pygls reads command handlers' annotations with get_type_hints.
from lift_lsp.server.app import LiftServer
from lift_lsp.server.routes import router

ROUTE_STATUS_COMMAND = "lift.routeStatus"
SHOW_STATS = "lift.showStats"


async def show_stats(ls: LiftServer) -> dict[str, Any]:
    from lift_lsp.report import CONTRACT_VERSION
    from lift_lsp.server.features.reverse import engine
    from lift_lsp.stats import route_stats, stats_markdown, stats_text

    store = (await engine(ls)).store
    stats = route_stats(await store.llm_calls(), await store.feedback_rows())
    return {
        "version": CONTRACT_VERSION,
        **stats,
        "status": router(ls).status(),
        "text": stats_text(stats),
        "markdown": stats_markdown(stats),
    }


def register(server: LiftServer) -> None:
    @server.command(ROUTE_STATUS_COMMAND)
    def route_status_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return router(ls).status()

    @server.command(SHOW_STATS)
    async def show_stats_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await show_stats(ls)
