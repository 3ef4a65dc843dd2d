"""Routes from the command line: ``--route`` checks, the router for a CLI run, and
``lift-lsp stats``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from lift_lsp.config import Settings
from lift_lsp.providers.router import RouteConfig, Router

if TYPE_CHECKING:
    from lift_lsp.store.db import Store


def route_config(settings: Settings, override: str | None = None) -> RouteConfig:
    config = RouteConfig.from_sources(settings, os.environ)
    for problem in config.problems:
        print(f"lift-lsp: warning: {problem}", file=sys.stderr)
    missing = config.missing(config.route) if override is None else None
    if missing is not None:
        print(
            f"lift-lsp: warning: the configured {config.route} route needs {missing};"
            " the local route answers",
            file=sys.stderr,
        )
    return config


def checked_route_config(settings: Settings, route: str | None) -> RouteConfig | None:
    """The routes for a command run with ``--route route``; ``None`` (after saying why on
    stderr) when that route cannot run here."""
    config = route_config(settings, route)
    problem = route_problem(route, config)
    if problem:
        print(f"lift-lsp: error: {problem}", file=sys.stderr)
        return None
    return config


def route_problem(route: str | None, config: RouteConfig) -> str | None:
    """An explicit ``--route`` the machine cannot use is a usage error, not a silent local
    answer (``auto`` is a preference and always works)."""
    missing = config.missing(route) if route is not None else None
    if missing is not None:
        return f"the {route} route is not configured: set {missing} (see docs/routes.md)"
    return None


def cli_router(config: RouteConfig, store: Store | None) -> Router:
    return Router(config, record=store.record_llm_call if store is not None else None)


async def _stats(args: Any) -> dict[str, Any]:
    from lift_lsp.ir_command import open_store, workspace_root
    from lift_lsp.report import CONTRACT_VERSION
    from lift_lsp.stats import route_stats
    from lift_lsp.store.db import default_db_path

    root = workspace_root([])
    if args.db is None and not default_db_path(root).exists():
        calls, feedback = [], []  # nothing recorded yet: do not create a database to say so
    else:
        store = await open_store(args.db, root)
        try:
            calls = await store.llm_calls(route=args.only_route)
            feedback = await store.feedback_rows()
        finally:
            await store.close()
    stats = route_stats(calls, feedback)
    if args.only_route is not None:
        stats["routes"] = {k: v for k, v in stats["routes"].items() if k == args.only_route}
    return {"version": CONTRACT_VERSION, **stats}


def main_stats(args: Any) -> int:
    from lift_lsp.stats import stats_text

    stats = asyncio.run(_stats(args))
    if args.format == "json":
        json.dump(stats, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(stats_text(stats))
    return 0
