"""What the routes cost and how good they were: from the LLM call log and the feedback."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from statistics import median
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lift_lsp.store.db import FeedbackRow, LLMCall


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _route_of(row: FeedbackRow) -> str:
    """Suggestions from a model carry ``<route>-<program>`` as their version."""
    if row.source == "llm":
        return row.program_version.split("-", 1)[0]
    return "local"


def route_stats(calls: Iterable[LLMCall], feedback: Iterable[FeedbackRow]) -> dict[str, Any]:
    routes: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "calls": 0,
            "outcomes": defaultdict(int),
            "tokens_in": 0,
            "tokens_out": 0,
            "cost_usd": 0.0,
            "latencies": [],
            "models": set(),
            "suggestions_shown": 0,
            "suggestions_accepted": 0,
        }
    )
    for call in calls:
        r = routes[call.route]
        r["calls"] += 1
        r["outcomes"][call.outcome] += 1
        r["tokens_in"] += call.tokens_in
        r["tokens_out"] += call.tokens_out
        r["cost_usd"] += call.cost_usd
        r["latencies"].append(call.latency_ms)
        r["models"].add(call.model)
    for row in feedback:
        r = routes[_route_of(row)]
        r["suggestions_shown"] += 1
        r["suggestions_accepted"] += int(row.accepted)
    out: dict[str, Any] = {}
    for name, r in sorted(routes.items()):
        latencies = r.pop("latencies")
        shown, accepted = r["suggestions_shown"], r["suggestions_accepted"]
        out[name] = {
            **r,
            "outcomes": dict(sorted(r["outcomes"].items())),
            "models": sorted(r["models"]),
            "cost_usd": round(r["cost_usd"], 6),
            "latency_ms": {
                "p50": round(median(latencies), 1) if latencies else None,
                "p95": round(_p95(latencies), 1) if latencies else None,
            },
            "acceptance_rate": round(accepted / shown, 3) if shown else None,
        }
    totals = {
        "calls": sum(r["calls"] for r in out.values()),
        "tokens": sum(r["tokens_in"] + r["tokens_out"] for r in out.values()),
        "cost_usd": round(sum(r["cost_usd"] for r in out.values()), 6),
    }
    return {"routes": out, "totals": totals}


HEADER = ("route", "calls", "ok", "errors", "tokens in/out", "cost $", "p50 ms", "accepted")
#: Column widths of the text table (negative: left-aligned).
WIDTHS = (-11, 5, 5, 6, 15, 8, 7, 8)


def _cells(name: str, r: dict[str, Any]) -> tuple[str, ...]:
    """One route's row, as both renderings show it."""
    ok = r["outcomes"].get("ok", 0)
    p50 = r["latency_ms"]["p50"]
    rate = r["acceptance_rate"]
    return (
        name,
        str(r["calls"]),
        str(ok),
        str(r["calls"] - ok),
        f"{r['tokens_in']}/{r['tokens_out']}",
        f"{r['cost_usd']:.4f}",
        str(p50) if p50 is not None else "-",
        f"{rate:.0%}" if rate is not None else "-",
    )


def _total(stats: dict[str, Any]) -> str:
    t = stats["totals"]
    return f"Total: {t['calls']} calls, {t['tokens']} tokens, ${t['cost_usd']:.4f}."


def stats_text(stats: dict[str, Any]) -> str:
    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(-w) if w < 0 else c.rjust(w) for c, w in zip(cells, WIDTHS, strict=True)
        )

    rows = [line(HEADER), *(line(_cells(n, r)) for n, r in stats["routes"].items())]
    return "\n".join([*rows, _total(stats)])


def stats_markdown(stats: dict[str, Any]) -> str:
    """The same table for editors that render Markdown."""
    rows = [HEADER, ("---", *("--:",) * (len(HEADER) - 1))]
    rows += [_cells(n, r) for n, r in stats["routes"].items()]
    return "\n".join([*("| " + " | ".join(r) + " |" for r in rows), "", _total(stats)])
