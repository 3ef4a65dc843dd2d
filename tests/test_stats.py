"""Route statistics from a real store: the engine's summary and ``lift-lsp stats``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lift_lsp.stats import route_stats, stats_markdown, stats_text
from lift_lsp.store.db import LLMCall, Store, utc_now


def call(n: int, route: str, outcome: str, latency: float, tokens: tuple[int, int]) -> LLMCall:
    return LLMCall(
        id=f"c{n}",
        created_at=utc_now(),
        execution_id=None,
        route=route,
        model="claude-sonnet-4-6" if route == "anthropic" else "fake/coder",
        signature="SuggestHoleFill",
        attempt=1,
        tokens_in=tokens[0],
        tokens_out=tokens[1],
        latency_ms=latency,
        cost_usd=0.001 * tokens[0],
        outcome=outcome,
        error=None if outcome == "ok" else "boom",
    )


async def fill_store(path: Path) -> None:
    async with await Store.open(path) as store:
        await store.record_llm_call(call(1, "anthropic", "ok", 100.0, (10, 2)))
        await store.record_llm_call(call(2, "anthropic", "rate_limited", 50.0, (0, 0)))
        await store.record_llm_call(call(3, "anthropic", "ok", 300.0, (20, 4)))
        await store.record_llm_call(call(4, "modal", "timeout", 900.0, (0, 0)))
        for accepted, source, version in [
            (True, "llm", "anthropic-base"),
            (False, "llm", "anthropic-base"),
            (False, "llm", "anthropic-base"),
            (True, "static", "ranker-untrained"),
        ]:
            await store.record_feedback("h", "x", {}, source, accepted, version)


async def test_stats_sum_calls_and_acceptance_per_route(tmp_path: Path) -> None:
    db = tmp_path / "lift.db"
    await fill_store(db)
    async with await Store.open(db) as store:
        stats = route_stats(await store.llm_calls(), await store.feedback_rows())
    anthropic = stats["routes"]["anthropic"]
    assert anthropic["calls"] == 3
    assert anthropic["outcomes"] == {"ok": 2, "rate_limited": 1}
    assert (anthropic["tokens_in"], anthropic["tokens_out"]) == (30, 6)
    assert anthropic["latency_ms"]["p50"] == 100.0
    assert anthropic["acceptance_rate"] == round(1 / 3, 3)
    assert stats["routes"]["modal"]["outcomes"] == {"timeout": 1}
    assert stats["routes"]["local"]["acceptance_rate"] == 1.0
    assert stats["totals"]["calls"] == 4
    assert "anthropic" in stats_text(stats)
    assert stats_markdown(stats).count("\n| ") == 4  # the rule under the header, 3 routes


async def test_the_stats_command_prints_json(tmp_path: Path) -> None:
    db = tmp_path / "lift.db"
    await fill_store(db)
    out = subprocess.run(
        [sys.executable, "-m", "lift_lsp", "stats", "--db", str(db), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    stats = json.loads(out.stdout)
    assert stats["version"] == 1
    assert stats["routes"]["anthropic"]["calls"] == 3
    only = subprocess.run(
        [sys.executable, "-m", "lift_lsp", "stats", "--db", str(db), "--only-route", "modal"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert "modal" in only.stdout
    assert "anthropic  " not in only.stdout
