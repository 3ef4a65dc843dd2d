"""``lift.optimize`` and ``lift.rollback`` for the LLM programs, end to end over stdio:
feedback already in the workspace store, the Anthropic route configured against a fake
Messages API whose model learns from demonstrations."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from lift_lsp.optimize_command import optimize_route
from lift_lsp.store.db import Store, default_db_path
from tests.conftest import SERVER_COMMAND, capabilities, command, init_params, open_doc
from tests.fakes.anthropic_server import DEFAULT_API_KEY, FakeAnthropicServer
from tests.test_optimize_fakes import make_router, record, responder

KIND = "programs:anthropic"
SOURCE = """\
def area(radius: float, label: str) -> float:
    return ...
"""
ENV = {**os.environ, "ANTHROPIC_API_KEY": DEFAULT_API_KEY, "LIFT_ROUTE": "anthropic"}
ENV.pop("LIFT_ANTHROPIC_BASE_URL", None)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=ENV))
async def client(lsp_client: LanguageClient):
    yield
    if lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()


@pytest.fixture
def fake() -> Any:
    with FakeAnthropicServer(responder=responder) as server:
        yield server


def with_completion(caps: lsp.ClientCapabilities) -> lsp.ClientCapabilities:
    assert caps.text_document is not None
    caps.text_document.completion = lsp.CompletionClientCapabilities(
        completion_item=lsp.ClientCompletionItemOptions(
            documentation_format=[lsp.MarkupKind.Markdown, lsp.MarkupKind.PlainText]
        )
    )
    return caps


async def complete_at_hole(client: LanguageClient, root: Path) -> lsp.CompletionList:
    path = root / "geometry.py"
    path.write_text(SOURCE)
    open_doc(client, path.as_uri(), SOURCE)
    completion = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=path.as_uri()),
            position=lsp.Position(line=1, character=12),
        )
    )
    assert isinstance(completion, lsp.CompletionList)
    return completion


async def versions(root: Path) -> list[Any]:
    async with await Store.open(default_db_path(root)) as store:
        return await store.program_versions(KIND)


async def test_optimize_compiles_the_routes_programs_and_rollback_restores_them(
    client: LanguageClient, tmp_path: Path, fake: FakeAnthropicServer
) -> None:
    async with await Store.open(default_db_path(tmp_path)) as store:
        await record(store, 24, types=("int", "str", "float"))
    caps = with_completion(capabilities())
    await client.initialize_session(
        init_params(tmp_path, caps, anthropicBaseUrl=fake.base_url, completionBudgetMs=15000)
    )

    result = await command(client, "lift.optimize")
    programs = result["programs"]
    assert programs["kind"] == KIND
    assert programs["activated"], programs["reason"]
    assert programs["optimizer"] == "LabeledFewShot"
    assert programs["metrics"]["new"] > programs["metrics"]["current"]
    assert "reason" in result  # the ranker was refitted too, as before
    [saved] = await versions(tmp_path)
    assert saved.version == programs["active"]
    assert saved.active
    # One work-done progress for both, with the compilation in it.
    [reports] = client.progress_reports.values()
    messages = [getattr(r, "message", None) or "" for r in reports]
    assert any("compiling with LabeledFewShot" in m for m in messages)
    assert f"{KIND}: activated {saved.version}" in messages[-1]
    calls_so_far = len(fake.requests)

    # The route now answers with the compiled program: its demonstrations go along.
    completion = await complete_at_hole(client, tmp_path)
    assert len(fake.requests) > calls_so_far
    asked = fake.requests[-1].body["messages"]
    assert len(asked) == 2 * 8 + 1  # eight demonstrations, then the question
    assert "0.0" in {i.label for i in completion.items}  # the demonstrated float fill

    back = await command(client, "lift.rollback", {"kind": KIND})
    assert back["rolled_back"] == saved.version
    assert back["active"] == "base"
    [after] = await versions(tmp_path)
    assert not after.active

    ranker = await command(client, "lift.rollback")  # the ranker, as before
    assert "active" in ranker


async def test_programs_only_and_bad_arguments(
    client: LanguageClient, tmp_path: Path, fake: FakeAnthropicServer
) -> None:
    async with await Store.open(default_db_path(tmp_path)) as store:
        await record(store, 3)
    await client.initialize_session(
        init_params(tmp_path, capabilities(), anthropicBaseUrl=fake.base_url)
    )
    result = await command(client, "lift.optimize", {"what": "programs"})
    assert "activated" not in result  # the ranker was left alone
    assert "too little feedback" in result["programs"]["reason"]
    assert result["programs"]["candidate"] is None
    assert await versions(tmp_path) == []
    assert len(fake.requests) == 0
    with pytest.raises(Exception, match="expected"):
        await command(client, "lift.optimize", {"what": "everything"})
    with pytest.raises(Exception, match="programs:anthropic"):
        await command(client, "lift.rollback", {"kind": "programs:elsewhere"})


async def test_a_server_answers_with_the_active_programs_from_the_start(
    client: LanguageClient, tmp_path: Path, fake: FakeAnthropicServer
) -> None:
    async with await Store.open(default_db_path(tmp_path)) as store:
        await record(store, 24)
        router = make_router(fake, store)
        budget = router.budget({"maxCalls": 1000, "maxTokens": 10_000_000})
        report = await optimize_route(store, router, "anthropic", budget)
        await router.aclose()
    assert report["activated"], report["reason"]
    await client.initialize_session(
        init_params(
            tmp_path,
            with_completion(capabilities()),
            anthropicBaseUrl=fake.base_url,
            completionBudgetMs=15000,
        )
    )
    said = f"anthropic answers with the compiled programs {report['active']}"
    for _ in range(100):
        if any(said in m.message for m in client.log_messages):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the active programs were not loaded")
    asked_before = len(fake.requests)
    completion = await complete_at_hole(client, tmp_path)
    assert len(fake.requests) > asked_before
    assert len(fake.requests[-1].body["messages"]) == 2 * 8 + 1
    assert "0.0" in {i.label for i in completion.items}
