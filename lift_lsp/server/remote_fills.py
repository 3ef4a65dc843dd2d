"""Remote fills for completion and code actions, without making either wait.

The first request at a hole starts the remote question in the background and waits at
most ``completionBudgetMs`` for it; if the answer is not there yet, the local fills are
returned (marked incomplete) and the answer is kept for that hole at that document
revision, so asking again — or the next code-action request — shows the joined list
at once. Answers for older revisions are dropped, their questions cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from lift_lsp.server.routes import remote_configured, router

if TYPE_CHECKING:
    from lift_lsp.holes.model import Hole
    from lift_lsp.server.app import LiftServer
    from lift_lsp.server.documents import OpenDocument
    from lift_lsp.suggest.engine import Suggestion
    from lift_lsp.suggest.remote import RemoteFills

log = logging.getLogger(__name__)

#: Questions kept at once (one per hole and document revision).
MAX_PENDING: Final = 32

Key = tuple[str, int, int]


class RemoteFillState:
    def __init__(self) -> None:
        self.pending: dict[Key, asyncio.Task[RemoteFills | None]] = {}
        self.reported: set[str] = set()


def _start(
    ls: LiftServer, doc: OpenDocument, hole: Hole, offset: int
) -> asyncio.Task[RemoteFills | None] | None:
    state = ls.routes.fills
    key: Key = (doc.uri, doc.revision, hole.start)
    task = state.pending.get(key)
    if task is not None:
        return task
    the_router = router(ls)
    if the_router.chain("SuggestHoleFill", path=doc.path) == ["local"]:
        return None
    for old_key, old in list(state.pending.items()):
        if old_key[0] == doc.uri and old_key[1] != doc.revision:
            old.cancel()
            del state.pending[old_key]
    while len(state.pending) >= MAX_PENDING:
        oldest = next(iter(state.pending))
        state.pending.pop(oldest).cancel()
    settings = ls.settings_for(doc)
    analysis = doc.analysis(settings)
    budget = the_router.budget(settings.limits_for("suggest"), on_warning=ls.warn)

    async def ask() -> RemoteFills | None:
        from lift_lsp.suggest.remote import remote_suggestions

        return await remote_suggestions(the_router, analysis, offset, path=doc.path, budget=budget)

    task = asyncio.ensure_future(ask())
    state.pending[key] = task
    return task


def _report(ls: LiftServer, fills: RemoteFills) -> None:
    """Say once per distinct reason why remote fills are missing (routes down, etc.)."""
    if fills.error and fills.error not in ls.routes.fills.reported:
        ls.routes.fills.reported.add(fills.error)
        ls.warn(f"lift-lsp: no remote suggestions: {fills.error}")
    for text, why in fills.dropped:
        ls.log(f"lift-lsp: dropped a suggestion from {fills.route}: {text!r} ({why})")


async def join_remote(
    ls: LiftServer,
    doc: OpenDocument,
    hole: Hole,
    offset: int,
    *,
    static: list[Suggestion],
    limit: int,
    wait_s: float,
) -> tuple[list[Suggestion], bool]:
    """The static fills joined with remote ones; ``True`` when remote ones are still on
    their way (ask again to get them)."""
    if not remote_configured(ls):
        return static, False
    try:
        task = _start(ls, doc, hole, offset)
    except Exception:  # a broken route setup must not break completion
        log.exception("starting remote suggestions")
        return static, False
    if task is None:
        return static, False
    if not task.done():
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=wait_s)
        except TimeoutError:
            return static, True
        except Exception:
            log.debug("remote suggestions failed", exc_info=True)
    if task.cancelled() or task.exception() is not None:
        if not task.cancelled():
            log.error("remote suggestions failed", exc_info=task.exception())
        return static, False
    fills = task.result()
    if fills is None:
        return static, False
    _report(ls, fills)
    from lift_lsp.suggest.remote import merge

    return merge(static, fills.suggestions, limit), False


def ready_remote(
    ls: LiftServer, doc: OpenDocument, hole: Hole, static: list[Suggestion], limit: int
) -> list[Suggestion]:
    """The static fills joined with remote ones already answered for this hole, without
    asking (code actions are requested on every cursor move: they never start a call)."""
    task = ls.routes.fills.pending.get((doc.uri, doc.revision, hole.start))
    if task is None or not task.done() or task.cancelled() or task.exception() is not None:
        return static
    fills = task.result()
    if fills is None or not fills.suggestions:
        return static
    from lift_lsp.suggest.remote import merge

    return merge(static, fills.suggestions, limit)
