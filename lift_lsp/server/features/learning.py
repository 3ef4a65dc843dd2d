"""The suggestion ranker's versions from the editor: ``lift.optimize`` and ``lift.rollback``.

- ``lift.optimize``: what ``lift-lsp learn`` does — fit a ranker on the feedback in the
  workspace store, activate it only if it beats the active one on held-out holes — with
  work-done progress when the client supports it. Answers the metrics of both rankers
  and the version now active.
- ``lift.rollback``: re-activate the version the active one replaced (down to the
  built-in ranker); answers which.

Either way the completion's cached ranker is dropped, so the next suggestions use the
version now active. The store is the reverse engine's (opened on first use).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

# A runtime import: pygls reads command handlers' annotations with get_type_hints.
from lift_lsp.server.app import LiftServer
from lift_lsp.server.features.reverse import engine
from lift_lsp.server.progress import WorkDone

log = logging.getLogger(__name__)

OPTIMIZE = "lift.optimize"
ROLLBACK = "lift.rollback"


def invalidate(ls: LiftServer) -> None:
    """Drop the ranker completion keeps, if this server has completion."""
    try:
        completion = importlib.import_module("lift_lsp.server.features.completion")
    except ImportError:
        return
    drop = getattr(completion, "invalidate_ranker", None)
    if callable(drop):
        drop(ls)


async def optimize(ls: LiftServer) -> dict[str, Any]:
    from lift_lsp.learn_command import optimize as learn_from_store

    progress = await WorkDone.start(
        ls, "Learning the suggestion ranker", "opening the store", cancellable=False
    )
    progress.summary = "failed"
    try:
        async with progress:
            store = (await engine(ls)).store
            report = await learn_from_store(store, progress=progress.report)
            if report["activated"]:
                progress.summary = f"activated {report['active']}"
            else:
                progress.summary = f"kept {report['active']}: {report['reason']}"
            ls.log(f"lift-lsp: {OPTIMIZE}: {progress.summary}")
    finally:
        invalidate(ls)
    return report


async def rollback(ls: LiftServer) -> dict[str, Any]:
    from lift_lsp.learn_command import rollback as roll_back

    try:
        store = (await engine(ls)).store
        report = await roll_back(store)
    finally:
        invalidate(ls)
    ls.log(f"lift-lsp: {ROLLBACK}: {report['message']}")
    return report


def register(server: LiftServer) -> None:
    @server.command(OPTIMIZE)
    async def optimize_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await optimize(ls)

    @server.command(ROLLBACK)
    async def rollback_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await rollback(ls)
