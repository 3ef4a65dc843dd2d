"""Compiling programs through a real route: the router, the guarded Anthropic transport
and the SDK against a fake Messages API whose model learns from demonstrations; the
``optimize`` command; loading the active programs into a router."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lift_lsp.learning.compiling import Options
from lift_lsp.learning.lm import route_lm
from lift_lsp.learning.programs import kind_of, optimize
from lift_lsp.optimize_command import add_parser, main_optimize, main_rollback, optimize_route
from lift_lsp.store.db import Store, default_db_path
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.test_optimize_fakes import make_router, record, responder

KIND = kind_of("anthropic")


@pytest.fixture
def fake() -> Any:
    with FakeAnthropicServer(responder=responder) as server:
        yield server


async def test_bootstrapping_calls_the_route_synchronously_through_its_own_loop(
    fake: FakeAnthropicServer, tmp_path: Path
) -> None:
    """BootstrapFewShot's synchronous calls and the asynchronous scoring share the route's
    client, breaker, budget and call log: every call succeeds and is logged."""
    async with await Store.open(tmp_path / "lift.db") as store:
        await record(store, 30)
        router = make_router(fake, store)
        budget = router.budget({"maxCalls": 1000, "maxTokens": 10_000_000})
        try:
            outcome = await optimize(
                store, route_lm(router, "anthropic", budget), "anthropic", options=Options()
            )
        finally:
            await router.aclose()
        calls = await store.llm_calls()
    trials = {t.optimizer: t for t in outcome.trials}
    assert trials["BootstrapFewShot"].error is None, trials["BootstrapFewShot"].error
    assert trials["BootstrapFewShot"].score is not None
    assert outcome.activated, outcome.reason
    assert {c.outcome for c in calls} == {"ok"}
    assert {c.signature for c in calls} == {"SuggestHoleFill"}
    assert len(calls) == budget.calls == len(fake.requests)
    assert router.breakers["anthropic"].state == "closed"
    # The schema went along: the route was asked for SuggestHoleFill's shape.
    assert "suggestions" in fake.requests[-1].body["output_config"]["format"]["schema"]["required"]


async def test_a_spent_budget_stops_the_optimizers_and_nothing_half_scored_is_kept(
    fake: FakeAnthropicServer, tmp_path: Path
) -> None:
    async with await Store.open(tmp_path / "lift.db") as store:
        await record(store, 30)
        router = make_router(fake, store)
        budget = router.budget({"maxCalls": 14})
        try:
            report = await optimize_route(store, router, "anthropic", budget)
        finally:
            await router.aclose()
        saved = await store.program_versions(KIND)
    assert report["heldout_examples"] < 14  # scoring the plain program fits in the budget
    assert report["metrics"]["current"] == 0.0
    assert "budget" in report["optimizers"]["LabeledFewShot"]["error"]
    assert "not run" in report["optimizers"]["BootstrapFewShot"]["skipped"]
    assert report["candidate"] is None
    assert "no candidate could be compiled and scored" in report["reason"]
    assert report["llm"]["calls"] == 14
    assert len(fake.requests) == 14
    assert saved == []


async def test_examples_from_remote_excluded_files_are_left_out(
    fake: FakeAnthropicServer, tmp_path: Path
) -> None:
    async with await Store.open(tmp_path / "lift.db") as store:
        await record(store, 24)
        await record(store, 6, start=500, folder="file:///work/secrets")
        router = make_router(fake, store)
        budget = router.budget({"maxCalls": 1000, "maxTokens": 10_000_000})
        try:
            report = await optimize_route(store, router, "anthropic", budget)
        finally:
            await router.aclose()
        [saved] = await store.program_versions(KIND)
    assert report["kept_local"] == 6
    assert report["examples"] == 24
    assert saved.metrics["kept_local"] == 6
    assert fake.requests
    assert not any("make_50" in json.dumps(r.body) for r in fake.requests)
    assert "make_50" not in json.dumps(saved.payload)


async def test_the_active_programs_are_loaded_into_a_new_router(
    fake: FakeAnthropicServer, tmp_path: Path
) -> None:
    from lift_lsp.server.features import learning
    from lift_lsp.server.ir_cache import Engine

    store = await Store.open(default_db_path(tmp_path))
    try:
        await record(store, 24)
        router = make_router(fake, store)
        budget = router.budget({"maxCalls": 1000, "maxTokens": 10_000_000})
        report = await optimize_route(store, router, "anthropic", budget)
        assert report["activated"], report["reason"]
        future: asyncio.Future[Engine] = asyncio.get_running_loop().create_future()
        future.set_result(Engine(store, None))  # type: ignore[arg-type]
        ls = SimpleNamespace(
            ir=SimpleNamespace(engine=future, background=set()),
            settings=SimpleNamespace(roots=[tmp_path]),
            log=lambda message, *a: None,
            warn=lambda message, *a, **k: None,
        )
        fresh = make_router(fake, store)
        assert fresh.provider("anthropic").programs.version == "base"
        learning.load_programs_soon(ls, fresh)  # type: ignore[arg-type]
        await asyncio.gather(*ls.ir.background)
        provider = fresh.provider("anthropic")
        assert provider.programs.version == report["active"]
        assert provider.program_version == f"anthropic-{report['active']}"
        await router.aclose()
        await fresh.aclose()
    finally:
        await store.close()


# --- the command ----------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    rollback = sub.add_parser("rollback")
    rollback.add_argument("--db", type=Path)
    rollback.add_argument("--format", choices=("text", "json"), default="text")
    rollback.add_argument("--kind", default="ranker")
    return parser.parse_args(argv)


@pytest.fixture
def workspace(fake: FakeAnthropicServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIFT_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("ANTHROPIC_API_KEY", fake.api_key)
    monkeypatch.setenv("LIFT_ANTHROPIC_BASE_URL", fake.base_url)
    monkeypatch.setenv("LIFT_ROUTE", "anthropic")
    return tmp_path


def fill_store(path: Path, count: int) -> None:
    async def run() -> None:
        async with await Store.open(path) as store:
            await record(store, count)

    asyncio.run(run())


def test_optimize_compare_and_rollback_commands(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main_optimize(parse("optimize")) == 0
    assert "no feedback recorded" in capsys.readouterr().out
    assert not (workspace / ".lift").exists()

    fill_store(default_db_path(workspace), 30)
    assert main_optimize(parse("optimize", "--format", "json")) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)  # DSPy's progress prints went to stderr
    assert "Bootstrapped" in out.err
    assert report["version"] == 1
    assert report["kind"] == KIND
    assert report["activated"], report["reason"]
    assert report["llm"]["calls"] > 0
    first = report["candidate"]

    assert main_optimize(parse("optimize")) == 0
    text = capsys.readouterr().out
    assert f"active {first}:" in text
    assert "Saved programs-" in text
    assert "but not activated: not better" in text

    assert main_optimize(parse("optimize", "--compare", "base", first, "--format", "json")) == 0
    compared = json.loads(capsys.readouterr().out)
    assert compared["version"] == 1
    assert compared["better"] == first
    assert compared["losses"] > 0
    assert compared["wins"] == 0
    assert main_optimize(parse("optimize", "--compare", "base", "programs-nope")) == 2
    assert "no version 'programs-nope'" in capsys.readouterr().err

    assert main_rollback(parse("rollback", "--kind", KIND)) == 0
    assert f"rolled back {first}; back to the plain programs" in capsys.readouterr().out
    assert main_rollback(parse("rollback", "--kind", "programs:nowhere")) == 2
    assert "--kind must be one of ranker, programs:anthropic" in capsys.readouterr().err


def test_optimize_needs_a_remote_route_and_honours_the_optimize_budget(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFT_ROUTE", "local")
    assert main_optimize(parse("optimize")) == 2
    assert "no remote route is in use" in capsys.readouterr().err
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert main_optimize(parse("optimize", "--route", "anthropic")) == 2
    assert "the anthropic route is not configured" in capsys.readouterr().err

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake-3c0d9f1e7a52b846")
    (workspace / "pyproject.toml").write_text(
        "[tool.lift-lsp.limits.optimize]\nmaxCalls = 3\n", encoding="utf-8"
    )
    fill_store(default_db_path(workspace), 30)
    assert main_optimize(parse("optimize", "--route", "anthropic", "--format", "json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["llm"]["calls"] == 3
    assert "stopped answering while scoring base" in report["reason"]
    assert "budget" in report["reason"]
    assert report["candidate"] is None
