"""``lift-lsp learn`` and ``lift-lsp rollback``: the suggestion ranker's versions.

``learn`` fits a ranker on the feedback recorded in the workspace store and activates it
only when it beats the active one on held-out holes (``lift_lsp.suggest.learning``).
``rollback`` re-activates the version the active one replaced — down to the built-in
ranker. The language server offers the same as ``lift.optimize`` and ``lift.rollback``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lift_lsp.ir_command import workspace_root
from lift_lsp.report import CONTRACT_VERSION
from lift_lsp.suggest.learning import RANKER_KIND, LearnOutcome, learn_and_save
from lift_lsp.suggest.ranker import Ranker

if TYPE_CHECKING:
    from lift_lsp.store.db import Store

BUILT_IN = Ranker().version


def _warn(message: str) -> None:
    print(f"lift-lsp: warning: {message}", file=sys.stderr)


async def active_ranker_of(store: Store) -> Ranker:
    active = await store.active_program(RANKER_KIND)
    return Ranker.from_json(active.payload) if active is not None else Ranker()


async def optimize(
    store: Store, *, seed: int = 0, progress: Callable[[str, int], None] | None = None
) -> dict[str, Any]:
    """Learn from the store's feedback; the answer of ``learn --format json`` and
    ``lift.optimize``."""
    current = await active_ranker_of(store)
    outcome = await learn_and_save(store, current, seed=seed, progress=progress)
    return learn_report(outcome, current)


def learn_report(outcome: LearnOutcome, current: Ranker) -> dict[str, Any]:
    fitted = outcome.heldout_holes > 0
    return {
        "version": CONTRACT_VERSION,
        "activated": outcome.activated,
        "active": outcome.candidate.version if outcome.activated else current.version,
        "previous": current.version,
        "candidate": outcome.candidate.version if fitted else None,
        "reason": outcome.reason,
        "train_holes": outcome.train_holes,
        "heldout_holes": outcome.heldout_holes,
        "metrics": {
            "current": outcome.metrics_current,
            "new": outcome.metrics_new if fitted else None,
        },
    }


async def rollback(store: Store) -> dict[str, Any]:
    """Re-activate the previous ranker version; the answer of ``lift.rollback``."""
    return await rollback_kind(store, RANKER_KIND, BUILT_IN, "the built-in ranker")


async def rollback_kind(store: Store, kind: str, base: str, base_label: str) -> dict[str, Any]:
    """Re-activate the version of ``kind`` the active one replaced (``base``, described
    as ``base_label``, when there was none before it)."""
    active = await store.active_program(kind)
    if active is None:
        return nothing_to_roll_back(kind, base, base_label)
    back = await store.rollback_program(kind)
    now = back.version if back is not None else base
    where = f"{now} is active again" if back is not None else f"back to {base_label} ({base})"
    return {
        "version": CONTRACT_VERSION,
        "kind": kind,
        "rolled_back": active.version,
        "active": now,
        "message": f"rolled back {active.version}; {where}",
    }


def nothing_to_roll_back(kind: str, base: str, base_label: str) -> dict[str, Any]:
    """The answer when ``kind`` has no version to go back from (or no database)."""
    return {
        "version": CONTRACT_VERSION,
        "kind": kind,
        "rolled_back": None,
        "active": base,
        "message": f"nothing to roll back: {base_label} ({base}) is in use",
    }


def _metrics_line(label: str, m: dict[str, Any] | None) -> str:
    if not m:
        return f"  {label}: -"
    misses = int(m.get("misses", 0))
    missed = f", {misses} where no suggestion was taken" if misses else ""
    return (
        f"  {label}: top-1 {m['top1']:.3f}  top-5 {m['top5']:.3f}  MRR {m['mrr']:.3f}"
        f"  ({int(m['holes'])} holes{missed})"
    )


def print_learn(report: dict[str, Any]) -> None:
    if report["candidate"] is None:
        print(f"Not learned: {report['reason']}.")
        print(f"Active ranker: {report['active']}")
        return
    print(
        f"Fitted {report['candidate']} on {report['train_holes']} holes; scored on"
        f" {report['heldout_holes']} held-out holes:"
    )
    print(_metrics_line(f"active {report['previous']}", report["metrics"]["current"]))
    print(_metrics_line(f"new    {report['candidate']}", report["metrics"]["new"]))
    if report["activated"]:
        print(f"Activated {report['active']}: {report['reason']}.")
    else:
        print(f"Not activated: {report['reason']}. Active ranker: {report['active']}")


async def _with_store(db: Path | None, job: str) -> dict[str, Any] | None:
    from lift_lsp.store.db import Store, default_db_path

    path = db or default_db_path(workspace_root([]))
    if db is None and not path.exists():
        return None
    store = await Store.open(path, on_warning=_warn)
    try:
        return await (optimize(store) if job == "learn" else rollback(store))
    finally:
        await store.close()


def _emit(args: Any, report: dict[str, Any], text: str | None = None) -> None:
    if getattr(args, "format", "text") == "json":
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif text is not None:
        print(text)
    else:
        print_learn(report)


def main_learn(args: Any) -> int:
    report = asyncio.run(_with_store(args.db, "learn"))
    if report is None:
        report = {
            "version": CONTRACT_VERSION,
            "activated": False,
            "active": BUILT_IN,
            "previous": BUILT_IN,
            "candidate": None,
            "reason": "no feedback recorded (no workspace database yet)",
            "train_holes": 0,
            "heldout_holes": 0,
            "metrics": {"current": None, "new": None},
        }
    _emit(args, report)
    return 0


def main_rollback(args: Any) -> int:
    report = asyncio.run(_with_store(args.db, "rollback"))
    if report is None:
        report = nothing_to_roll_back(RANKER_KIND, BUILT_IN, "the built-in ranker")
    _emit(args, report, report["message"])
    return 0
