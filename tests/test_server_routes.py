"""End to end over stdio with the Anthropic route configured: remote fills in completion,
the route status the editor shows, statistics, and routed reverse runs."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import SERVER_COMMAND, capabilities, command, init_params, open_doc
from tests.fakes.anthropic_server import (
    DEFAULT_API_KEY,
    Delay,
    FakeAnthropicServer,
    Reply,
    Status,
)

SOURCE = """\
def area(radius: float, label: str) -> float:
    return ...
"""
ENV = {**os.environ, "ANTHROPIC_API_KEY": DEFAULT_API_KEY, "LIFT_ROUTE": "anthropic"}
ENV.pop("LIFT_ANTHROPIC_BASE_URL", None)


def fills(*values: str) -> str:
    return json.dumps(
        {"suggestions": [{"value": v, "rationale": "model", "confidence": 0.9} for v in values]}
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=ENV))
async def client(lsp_client: LanguageClient):
    statuses: list[Any] = []
    lsp_client.statuses = statuses  # type: ignore[attr-defined]

    @lsp_client.feature("lift/routeStatus")
    def route_status(params: Any) -> None:
        statuses.append(params)

    yield
    if lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()


@pytest.fixture
def fake() -> Any:
    with FakeAnthropicServer() as server:
        yield server


async def start(client: LanguageClient, root: Path, fake: FakeAnthropicServer, **extra: Any) -> str:
    options = {"anthropicBaseUrl": fake.base_url, "completionBudgetMs": 15000, **extra}
    caps = capabilities()
    assert caps.text_document is not None
    caps.text_document.completion = lsp.CompletionClientCapabilities(
        completion_item=lsp.ClientCompletionItemOptions(
            documentation_format=[lsp.MarkupKind.Markdown, lsp.MarkupKind.PlainText]
        )
    )
    await client.initialize_session(init_params(root, caps, **options))
    path = root / "geometry.py"
    path.write_text(SOURCE)
    open_doc(client, path.as_uri(), SOURCE)
    return path.as_uri()


async def complete(client: LanguageClient, uri: str) -> lsp.CompletionList:
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=1, character=12),
        )
    )
    assert isinstance(result, lsp.CompletionList)
    return result


async def test_completion_joins_the_routes_fills_with_the_static_ones(
    client: LanguageClient, tmp_path: Path, fake: FakeAnthropicServer
) -> None:
    fake.script(Reply(fills("radius * 2", "label")))
    uri = await start(client, tmp_path, fake)
    result = await complete(client, uri)
    by_label = {i.label: i for i in result.items}
    assert "radius" in by_label  # the static engine's
    llm = by_label["radius * 2"]
    assert llm.detail is not None
    assert llm.detail.endswith("llm")
    assert isinstance(llm.text_edit, lsp.TextEdit)
    assert llm.text_edit.new_text == "radius * 2"
    # A str for a float hole: the model's `label` is rejected (the static engine may still
    # list the parameter, ranked low, as its own).
    assert "label" not in by_label or by_label["label"].detail == "str · static"
    assert result.is_incomplete is False
    # The route status reached the editor, with the route and its breaker.
    status = client.statuses[-1]  # type: ignore[attr-defined]
    assert status.route == "anthropic"
    assert status.routes.anthropic.configured is True
    # The code actions at the hole show the answer already given, without asking again.
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(
                start=lsp.Position(line=1, character=11), end=lsp.Position(line=1, character=14)
            ),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    titles = [a.title for a in actions or []]
    assert "Fill hole with `radius * 2` (anthropic)" in titles
    asked = len(fake.requests)
    stats = await command(client, "lift.showStats")
    assert stats["routes"]["anthropic"]["calls"] >= 1
    assert stats["status"]["routes"]["anthropic"]["breaker"] == "closed"
    assert len(fake.requests) == asked


async def test_completion_does_not_wait_past_its_budget(
    client: LanguageClient, tmp_path: Path, fake: FakeAnthropicServer
) -> None:
    fake.script(Delay(1.5, then=Reply(fills("radius + 1"))))
    uri = await start(client, tmp_path, fake, completionBudgetMs=100)
    first = await complete(client, uri)
    assert first.is_incomplete is True
    assert "radius + 1" not in {i.label for i in first.items}
    assert "radius" in {i.label for i in first.items}
    # Asking again at the same, unchanged hole: the one question already asked is
    # awaited, never asked twice (the first call also loads the SDK: allow for that).
    for _ in range(60):
        await asyncio.sleep(0.5)
        second = await complete(client, uri)
        if not second.is_incomplete:
            break
    assert "radius + 1" in {i.label for i in second.items}
    assert len(fake.requests) == 1


async def test_a_dead_route_leaves_the_static_fills_and_says_why(
    client: LanguageClient, tmp_path: Path, fake: FakeAnthropicServer
) -> None:
    fake.script(*[Status(401)] * 3)
    uri = await start(client, tmp_path, fake)
    result = await complete(client, uri)
    assert [i.label for i in result.items][:1] == ["radius"]
    await asyncio.sleep(0.2)
    messages = " ".join(m.message for m in client.log_messages)
    assert "no remote suggestions" in messages
    assert DEFAULT_API_KEY not in messages
    status = await command(client, "lift.routeStatus")
    assert status["route"] == "anthropic"


async def test_changing_the_route_setting_rebuilds_the_router_and_tells_the_editor(
    client: LanguageClient, tmp_path: Path, fake: FakeAnthropicServer
) -> None:
    fake.script(Reply(fills("radius * 3")))
    uri = await start(client, tmp_path, fake, route="local")  # the setting beats LIFT_ROUTE
    assert (await command(client, "lift.routeStatus"))["route"] == "local"
    local = await complete(client, uri)
    assert "radius * 3" not in {i.label for i in local.items}
    assert fake.requests == []

    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(
            settings={"lift": {"route": "anthropic", "anthropicBaseUrl": fake.base_url}}
        )
    )
    for _ in range(50):
        if client.statuses and client.statuses[-1].route == "anthropic":  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.1)
    assert client.statuses[-1].route == "anthropic"  # type: ignore[attr-defined]
    remote = await complete(client, uri)
    assert "radius * 3" in {i.label for i in remote.items}


async def test_analyze_workspace_says_when_the_llm_budget_runs_out(
    client: LanguageClient, tmp_path: Path, fake: FakeAnthropicServer
) -> None:
    from tests.test_routes_anthropic import reverse_answers

    fake.responder = reverse_answers
    (tmp_path / "scale.py").write_text("def scaled(scale):\n    return scale * 2.0\n")
    limits = {"reverse": {"maxCalls": 3}}
    await start(client, tmp_path, fake, limits=limits)
    result = await command(client, "lift.analyzeWorkspace")
    assert result["files"] == 2
    # Each file's run may make 3 calls; the fourth question goes to the static engine.
    assert len(fake.requests) == 6
    (reports,) = client.progress_reports.values()
    said = " ".join(r.message or "" for r in reports if r.kind == "report")
    assert "LLM budget" in said
    messages = " ".join(m.message for m in client.log_messages)
    assert "local route finishes" in messages


KEYLESS = {k: v for k, v in ENV.items() if k != "ANTHROPIC_API_KEY"}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=KEYLESS))
async def keyless(lsp_client: LanguageClient):
    yield
    if lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()


async def test_a_route_asked_for_but_not_configured_is_said_once(
    keyless: LanguageClient, tmp_path: Path
) -> None:
    await keyless.initialize_session(init_params(tmp_path, capabilities()))
    status = await command(keyless, "lift.routeStatus")
    assert status["route"] == "anthropic"
    assert status["routes"]["anthropic"]["configured"] is False
    for _ in range(50):
        shown = [m.message for m in keyless.messages]
        if shown:
            break
        await asyncio.sleep(0.1)
    assert any("anthropic route is not configured (set ANTHROPIC_API_KEY)" in m for m in shown), (
        shown
    )
    await command(keyless, "lift.routeStatus")
    assert len([m for m in keyless.messages if "not configured" in m.message]) == 1
