"""``lift-lsp optimize`` and ``lift-lsp rollback --kind programs:ROUTE``: the versions of a
remote route's compiled DSPy programs.

``optimize`` compiles ``SuggestHoleFill`` for a remote route from the fills kept in the
workspace store and activates the result only when it beats the active version on
held-out holes (``lift_lsp.learning.programs``); ``--compare A B`` scores two saved
versions (or ``base``) against each other instead. ``rollback --kind programs:ROUTE``
re-activates the version the active one replaced, down to ``base``. The language
server offers the same as ``lift.optimize`` and ``lift.rollback``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lift_lsp.config import REMOTE_ROUTES
from lift_lsp.report import CONTRACT_VERSION

if TYPE_CHECKING:
    from lift_lsp.learning.programs import Outcome
    from lift_lsp.providers.guard import Budget
    from lift_lsp.providers.router import RouteConfig, Router
    from lift_lsp.store.db import Store

BASE = "base"  # lift_lsp.learning.programs.BASE, without importing it for --help
KIND_PREFIX = "programs:"
PLAIN = "the plain programs"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """``lift-lsp optimize``'s arguments (``subparsers`` is ``add_subparsers()``'s)."""
    what = "compile a remote route's LLM programs from kept fills; keep them only if better"
    p: argparse.ArgumentParser = subparsers.add_parser("optimize", help=what, description=what)
    p.add_argument(
        "--route", choices=REMOTE_ROUTES, help="the route to compile for (default: in use)"
    )
    p.add_argument("--db", type=Path, help="the SQLite store (default: .lift/lift.db)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--compare",
        nargs=2,
        metavar=("VERSION_A", "VERSION_B"),
        help=f"score two saved versions (or {BASE}) on the held-out holes instead",
    )
    p.add_argument("--seed", type=int, default=0, help="the held-out split's and shuffles' seed")
    return p


def _warn(message: str) -> None:
    print(f"lift-lsp: warning: {message}", file=sys.stderr)


def program_route(config: RouteConfig, wanted: str | None) -> tuple[str | None, str | None]:
    """The route to compile for and, when there is none, why."""
    from lift_lsp.providers.router import chain_for
    from lift_lsp.route_command import route_problem

    if wanted is not None:
        problem = route_problem(wanted, config)
        return (None, problem) if problem else (wanted, None)
    chain = [r for r in chain_for("SuggestHoleFill", config) if r != "local"]
    if chain:
        return chain[0], None
    return None, (
        "no remote route is in use: programs are compiled for a remote route; pass --route"
        " anthropic or --route modal, or configure one (see docs/routes.md)"
    )


# --- shared with the language server --------------------------------------------------


async def optimize_route(
    store: Store,
    router: Router,
    route: str,
    budget: Budget,
    *,
    seed: int = 0,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """Compile and judge ``route``'s programs; the answer of ``optimize --format json``
    and of ``lift.optimize``'s programs part."""
    from lift_lsp.learning.compiling import Options
    from lift_lsp.learning.lm import proposer_lm, route_lm
    from lift_lsp.learning.programs import optimize

    lm = route_lm(router, route, budget)
    outcome = await optimize(
        store,
        lm,
        route,
        options=Options(seed=seed, concurrency=budget.limits.max_concurrent),
        prompt_lm=proposer_lm(router, route, budget),
        report=progress,
        allowed=may_leave(router),
    )
    return optimize_report(outcome, budget)


def may_leave(router: Router) -> Callable[[str], bool]:
    """Whether a hole's code may go to the route: compiled programs carry examples in
    their prompts, so a file matching the remote-exclude globs stays out of them."""
    from lift_lsp.learning.examples import path_of
    from lift_lsp.providers.router import remote_allowed

    globs = router.config.remote_exclude
    return lambda hole: remote_allowed(path_of(hole), globs)


def optimize_report(outcome: Outcome, budget: Budget | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "version": CONTRACT_VERSION,
        "kind": outcome.kind,
        "route": outcome.route,
        "activated": outcome.activated,
        "active": outcome.active,
        "previous": outcome.previous,
        "candidate": outcome.candidate,
        "optimizer": outcome.optimizer,
        "reason": outcome.reason,
        "examples": outcome.examples,
        "kept_local": outcome.kept_local,
        "train_examples": outcome.train_examples,
        "heldout_examples": outcome.heldout_examples,
        "metrics": {
            "current": outcome.current.mean if outcome.current is not None else None,
            "new": outcome.new_score,
        },
        "optimizers": {t.optimizer: t.to_json() for t in outcome.trials},
        "wins": outcome.wins,
        "losses": outcome.losses,
        "p_value": outcome.p_value,
    }
    if budget is not None:
        report["llm"] = {"calls": budget.calls, "tokens": budget.tokens}
    return report


async def compare_versions(
    store: Store,
    router: Router,
    route: str,
    budget: Budget,
    versions: tuple[str, str],
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """A/B two saved versions (or ``base``); the answer of ``optimize --compare A B``."""
    from lift_lsp.learning.compiling import Options
    from lift_lsp.learning.lm import route_lm
    from lift_lsp.learning.programs import compare

    lm = route_lm(router, route, budget)
    options = Options(seed=seed, concurrency=budget.limits.max_concurrent)
    result = await compare(store, lm, route, *versions, options=options, allowed=may_leave(router))
    return {"version": CONTRACT_VERSION, **result.to_json()}


async def rollback_programs(store: Store, route: str) -> dict[str, Any]:
    """Re-activate the version the active one replaced; the answer of ``lift.rollback``
    for ``programs:ROUTE``. ``programs`` is then what the route should use."""
    from lift_lsp.learn_command import rollback_kind

    return await rollback_kind(store, KIND_PREFIX + route, BASE, PLAIN)


# --- text output ----------------------------------------------------------------------


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_optimize(report: dict[str, Any]) -> None:
    if not report["heldout_examples"] or report["metrics"]["current"] is None:
        print(f"Not compiled: {report['reason']}.")
        print(f"Active {report['kind']}: {report['active']}")
        return
    print(
        f"Compiled SuggestHoleFill for {report['route']} from {report['train_examples']}"
        f" examples; scored on {report['heldout_examples']} held-out examples:"
    )
    if report.get("kept_local"):
        print(f"  ({report['kept_local']} examples from remote-excluded files left out)")
    print(f"  active {report['previous']}: {_score(report['metrics']['current'])}")
    for name, trial in report["optimizers"].items():
        if trial.get("skipped"):
            print(f"  {name}: skipped ({trial['skipped']})")
        elif trial.get("error"):
            print(f"  {name}: failed ({trial['error']})")
        else:
            print(f"  {name}: {_score(trial['score'])}  ({trial['seconds']:.1f} s)")
    llm = report.get("llm")
    if llm:
        print(f"  LLM calls: {llm['calls']}, tokens: {llm['tokens']}")
    if report["candidate"] is None:
        print(f"Nothing saved: {report['reason']}.")
    elif report["activated"]:
        print(f"Activated {report['candidate']} ({report['optimizer']}): {report['reason']}.")
    else:
        print(
            f"Saved {report['candidate']} ({report['optimizer']}) but not activated:"
            f" {report['reason']}. Active: {report['active']}"
        )


def print_compare(report: dict[str, Any]) -> None:
    a, b = report["a"], report["b"]
    print(f"{report['kind']} on {report['heldout_examples']} held-out examples:")
    print(f"  A {a['version']}: {_score(a['score'])}")
    print(f"  B {b['version']}: {_score(b['score'])}")
    print(
        f"A better at {report['wins']}, worse at {report['losses']}, tied at {report['ties']}"
        f" (sign test p = {report['p_value']:.2g})"
    )


def _emit(args: Any, report: dict[str, Any], text: Callable[[dict[str, Any]], None]) -> None:
    if getattr(args, "format", "text") == "json":
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        text(report)


# --- the commands ---------------------------------------------------------------------


def _no_database(route: str) -> dict[str, Any]:
    return {
        "version": CONTRACT_VERSION,
        "kind": KIND_PREFIX + route,
        "route": route,
        "activated": False,
        "active": BASE,
        "previous": BASE,
        "candidate": None,
        "optimizer": None,
        "reason": "no feedback recorded (no workspace database yet)",
        "examples": 0,
        "kept_local": 0,
        "train_examples": 0,
        "heldout_examples": 0,
        "metrics": {"current": None, "new": None},
        "optimizers": {},
        "wins": 0,
        "losses": 0,
        "p_value": None,
    }


async def _run(
    args: Any, path: Path, config: RouteConfig, limits: dict[str, int], route: str
) -> dict[str, Any]:
    from lift_lsp.route_command import cli_router
    from lift_lsp.store.db import Store

    store = await Store.open(path, on_warning=_warn)
    router = cli_router(config, store)
    budget = router.budget(limits, on_warning=_warn)
    try:
        if args.compare:
            versions = (args.compare[0], args.compare[1])
            return await compare_versions(store, router, route, budget, versions, seed=args.seed)
        return await optimize_route(store, router, route, budget, seed=args.seed)
    finally:
        await router.aclose()
        await store.close()


def main_optimize(args: Any) -> int:
    from lift_lsp.config import project_settings
    from lift_lsp.ir_command import workspace_root
    from lift_lsp.learning.scoring import RouteGone
    from lift_lsp.route_command import route_config
    from lift_lsp.store.db import default_db_path

    root = workspace_root([])
    settings = project_settings(root)
    for trouble in settings.problems:
        _warn(trouble)
    config = route_config(settings)
    route, problem = program_route(config, args.route)
    if route is None:
        print(f"lift-lsp: error: {problem}", file=sys.stderr)
        return 2
    path = args.db or default_db_path(root)
    if args.db is None and not path.exists():
        if args.compare:
            print("lift-lsp: error: no workspace database yet: nothing to compare", file=sys.stderr)
            return 2
        _emit(args, _no_database(route), print_optimize)
        return 0
    try:
        report = asyncio.run(_run(args, path, config, settings.limits_for("optimize"), route))
    except (LookupError, RouteGone) as exc:
        print(f"lift-lsp: error: {exc}", file=sys.stderr)
        return 2
    _emit(args, report, print_compare if args.compare else print_optimize)
    return 0


def main_rollback(args: Any) -> int:
    """``lift-lsp rollback [--kind KIND]``: ``ranker`` (the default) or ``programs:ROUTE``."""
    kind = getattr(args, "kind", None) or "ranker"
    if kind == "ranker":
        from lift_lsp.learn_command import main_rollback as rollback_ranker

        return rollback_ranker(args)
    route = kind.removeprefix(KIND_PREFIX)
    if not kind.startswith(KIND_PREFIX) or route not in REMOTE_ROUTES:
        kinds = ", ".join(["ranker", *(KIND_PREFIX + r for r in REMOTE_ROUTES)])
        print(f"lift-lsp: error: --kind must be one of {kinds}, got {kind!r}", file=sys.stderr)
        return 2
    from lift_lsp.ir_command import workspace_root
    from lift_lsp.store.db import Store, default_db_path

    path = args.db or default_db_path(workspace_root([]))
    if args.db is None and not path.exists():
        from lift_lsp.learn_command import nothing_to_roll_back

        report = nothing_to_roll_back(kind, BASE, PLAIN)
    else:

        async def run() -> dict[str, Any]:
            store = await Store.open(path, on_warning=_warn)
            try:
                return await rollback_programs(store, route)
            finally:
                await store.close()

        report = asyncio.run(run())
    _emit(args, report, lambda r: print(r["message"]))
    return 0
