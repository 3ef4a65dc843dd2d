"""What the server learns from feedback, from the editor: ``lift.optimize`` and
``lift.rollback``.

- ``lift.optimize [{"what": "all" | "ranker" | "programs", "route"?, "seed"?}]``: ``ranker``
  is what ``lift-lsp learn`` does — fit a ranker on the feedback in the workspace store,
  activate it only if it beats the active one on held-out holes; ``programs`` is what
  ``lift-lsp optimize`` does — compile the remote route's SuggestHoleFill program from
  the fills people kept, activate it only if it is better held out. ``all`` (the
  default) does both, the programs only when a remote route is configured. One work-done
  progress covers both. Answers the ranker's report (as ``learn --format json``) with the
  programs' under ``"programs"``.
- ``lift.rollback [{"kind": "ranker" | "programs:anthropic" | "programs:modal"}]``:
  re-activate the version the active one replaced (``ranker`` by default).

Afterwards the completion's cached ranker is dropped and the router answers with the
programs now active. :func:`load_programs_soon` puts the active programs into a router
the server builds. The store is the reverse engine's (opened on first use); DSPy loads
only when programs are compiled.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

# A runtime import: pygls reads command handlers' annotations with get_type_hints.
from lift_lsp.config import REMOTE_ROUTES
from lift_lsp.server.app import LiftServer
from lift_lsp.server.features.reverse import DB_IN_ROOT, engine
from lift_lsp.server.progress import WorkDone

if TYPE_CHECKING:
    from lift_lsp.providers.router import Router

log = logging.getLogger(__name__)

OPTIMIZE = "lift.optimize"
ROLLBACK = "lift.rollback"
WHAT: Final = ("all", "ranker", "programs")
#: The share of the progress bar the ranker takes when the programs follow it.
RANKER_SHARE: Final = 30


def invalidate(ls: LiftServer) -> None:
    """Drop the ranker completion keeps, if this server has completion."""
    try:
        completion = importlib.import_module("lift_lsp.server.features.completion")
    except ImportError:
        return
    drop = getattr(completion, "invalidate_ranker", None)
    if callable(drop):
        drop(ls)


def _options(args: tuple[Any, ...]) -> dict[str, Any]:
    from pygls.exceptions import JsonRpcInvalidParams

    if not args or args[0] is None:
        return {}
    if len(args) == 1 and isinstance(args[0], dict):
        return dict(args[0])
    if len(args) == 1 and isinstance(args[0], str):
        return {"what": args[0], "kind": args[0]}
    raise JsonRpcInvalidParams("expected no arguments or one object")


def _remote_router(ls: LiftServer, wanted: str | None) -> tuple[Router | None, str | None, str]:
    """The router and the route to compile for, or why there is none."""
    from lift_lsp.server.routes import remote_configured, router

    try:
        the_router = router(ls)
        configured = remote_configured(ls)
    except Exception:  # a broken route setup must not stop the ranker from being refitted
        log.debug("no router", exc_info=True)
        return None, None, "no remote route configured"
    if wanted is not None:
        if the_router.config.configured(wanted):
            return the_router, wanted, ""
        return None, None, f"the {wanted} route is not configured"
    if not configured:
        return None, None, "no remote route configured"
    chain = [r for r in the_router.chain("SuggestHoleFill") if r != "local"]
    if not chain:
        return None, None, "no remote route configured"
    return the_router, chain[0], ""


def _scaled(report: Callable[[str, int], None], lo: int, hi: int) -> Callable[[str, int], None]:
    return lambda message, percent: report(message, lo + (hi - lo) * percent // 100)


async def _ranker(ls: LiftServer, progress: WorkDone, hi: int) -> tuple[dict[str, Any], str]:
    from lift_lsp.learn_command import optimize as learn_from_store

    try:
        store = (await engine(ls)).store
        report = await learn_from_store(store, progress=_scaled(progress.report, 0, hi))
    finally:
        invalidate(ls)
    if report["activated"]:
        return report, f"activated {report['active']}"
    return report, f"kept {report['active']}: {report['reason']}"


async def _programs(
    ls: LiftServer, the_router: Router, route: str, progress: WorkDone, *, lo: int, seed: int
) -> tuple[dict[str, Any], str]:
    from lift_lsp.learning.programs import active_programs, kind_of
    from lift_lsp.optimize_command import optimize_route
    from lift_lsp.server.routes import router

    store = (await engine(ls)).store
    settings = ls.settings.for_path(None)
    budget = the_router.budget(settings.limits_for("optimize"), on_warning=ls.warn)
    report = await optimize_route(
        store, the_router, route, budget, seed=seed, progress=_scaled(progress.report, lo, 100)
    )
    if report["activated"]:
        programs = await active_programs(store, route)
        if programs is not None:  # the router now in use (settings may have changed)
            router(ls).set_programs(route, programs)
        return report, f"{kind_of(route)}: activated {report['active']}"
    return report, f"{kind_of(route)}: kept {report['active']}: {report['reason']}"


async def optimize(ls: LiftServer, *args: Any) -> dict[str, Any]:
    from pygls.exceptions import JsonRpcInvalidParams

    from lift_lsp.report import CONTRACT_VERSION

    options = _options(args)
    what = options.get("what") or "all"
    seed = options.get("seed", 0)
    if (
        what not in WHAT
        or not isinstance(seed, int)
        or options.get("route") not in (None, *REMOTE_ROUTES)
    ):
        raise JsonRpcInvalidParams(
            'expected {"what": "all" | "ranker" | "programs", "route"?: "anthropic" | "modal",'
            ' "seed"?: integer}'
        )
    the_router, route, skipped = None, None, ""
    if what != "ranker":
        the_router, route, skipped = _remote_router(ls, options.get("route"))
    ranker = what != "programs"
    title = {
        (True, False): "Learning the suggestion ranker",
        (False, True): "Compiling the LLM programs",
        (True, True): "Learning the ranker, compiling the LLM programs",
    }.get((ranker, route is not None), "Compiling the LLM programs")
    progress = await WorkDone.start(ls, title, "opening the store", cancellable=False)
    progress.summary = "failed"
    result: dict[str, Any] = {"version": CONTRACT_VERSION}
    parts: list[str] = []
    async with progress:
        if ranker:
            report, said = await _ranker(ls, progress, RANKER_SHARE if route else 100)
            result.update(report)
            parts.append(said)
        if the_router is not None and route is not None:
            try:
                lo = RANKER_SHARE if ranker else 0
                report, said = await _programs(ls, the_router, route, progress, lo=lo, seed=seed)
            except Exception as exc:  # the ranker's result stands; say what failed
                log.exception("compiling the %s programs", route)
                report, said = {"error": str(exc)}, f"programs:{route}: failed: {exc}"
            result["programs"] = report
            parts.append(said)
        elif what != "ranker":
            result["programs"] = {"skipped": skipped}
            if not ranker:
                parts.append(f"programs not compiled: {skipped}")
        progress.summary = "; ".join(parts)
        ls.log(f"lift-lsp: {OPTIMIZE}: {progress.summary}")
    return result


async def rollback(ls: LiftServer, *args: Any) -> dict[str, Any]:
    from pygls.exceptions import JsonRpcInvalidParams

    kind = _options(args).get("kind") or "ranker"
    if kind == "ranker":
        from lift_lsp.learn_command import rollback as roll_back

        try:
            store = (await engine(ls)).store
            report = await roll_back(store)
        finally:
            invalidate(ls)
    elif kind in tuple(f"programs:{r}" for r in REMOTE_ROUTES):
        report = await _rollback_programs(ls, kind.removeprefix("programs:"))
    else:
        kinds = ", ".join(["ranker", *(f"programs:{r}" for r in REMOTE_ROUTES)])
        raise JsonRpcInvalidParams(f'expected {{"kind": K}} with K one of {kinds}, got {kind!r}')
    ls.log(f"lift-lsp: {ROLLBACK}: {report['message']}")
    return report


async def _rollback_programs(ls: LiftServer, route: str) -> dict[str, Any]:
    from lift_lsp.learning.programs import active_programs
    from lift_lsp.optimize_command import rollback_programs
    from lift_lsp.providers.llm import Programs
    from lift_lsp.server.routes import router

    store = (await engine(ls)).store
    report = await rollback_programs(store, route)
    router(ls).set_programs(route, await active_programs(store, route) or Programs())
    return report


# --- the active programs in a new router ---------------------------------------------


async def _load_programs(ls: LiftServer, the_router: Router) -> None:
    from lift_lsp.learning.programs import active_programs

    # At start-up this can open the engine before ``resume_interrupted_runs`` does (both
    # only when a database exists); opening it is when interrupted runs are resumed.
    store = (await engine(ls, resume=True)).store
    for route in REMOTE_ROUTES:
        if not the_router.config.configured(route):
            continue
        programs = await active_programs(store, route)
        if programs is not None:
            the_router.set_programs(route, programs)
            ls.log(f"lift-lsp: {route} answers with the compiled programs {programs.version}")


def load_programs_soon(ls: LiftServer, the_router: Router) -> None:
    """Put each configured remote route's active compiled programs into ``the_router``, in
    the background (``server.routes.router`` calls this for each router it builds). A
    workspace without a database has none, and nothing is opened for it."""
    root = ls.settings.roots[0] if ls.settings.roots else None
    if not the_router.config.any_remote or root is None or not (root / DB_IN_ROOT).exists():
        return

    async def load() -> None:
        try:
            await _load_programs(ls, the_router)
        except Exception as exc:  # the plain programs still answer
            log.exception("loading the active programs")
            ls.warn(f"lift-lsp: could not load the compiled programs: {exc}")

    task = asyncio.ensure_future(load())
    ls.ir.background.add(task)
    task.add_done_callback(ls.ir.background.discard)


def register(server: LiftServer) -> None:
    @server.command(OPTIMIZE)
    async def optimize_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await optimize(ls, *args)

    @server.command(ROLLBACK)
    async def rollback_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await rollback(ls, *args)
