"""The Modal app's pure parts, locally: no token, no GPU, no vLLM. Start-up and warm-up
run against the fake service on 127.0.0.1; Modal functions run through ``.local()``."""

from __future__ import annotations

import importlib
import json
import socket
import subprocess
import sys
import types
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import tests.fakes.openai_server as fake
from lift_lsp.deploy import modal_app
from lift_lsp.deploy.modal_app import ContractMiddleware, ServeSettings
from lift_lsp.providers import modal_route, schemas
from tests.conftest import ROOT
from tests.fakes.openai_server import FakeOpenAIServer, Outcome

openai_server = fake.openai_server  # the fixture, found by name


def flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


# -- importing ---------------------------------------------------------------------------


def test_the_app_imports_without_a_token_vllm_fastapi_or_huggingface(tmp_path):
    code = (
        "import sys, json; import lift_lsp.deploy.modal_app as m;"
        "m.gpu_stats = lambda: {};"
        "print(json.dumps([sorted(sys.modules), m.status.local()['contract']]))"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", code]
    out = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    loaded, contract = json.loads(out.stdout)
    assert not {m.split(".")[0] for m in loaded} & {"vllm", "fastapi", "huggingface_hub", "torch"}
    assert contract == 1


# -- the vLLM command line ---------------------------------------------------------------


def test_serve_command_serves_the_pinned_weights_under_the_clients_model_name():
    command = modal_app.serve_command(modal_app.SETTINGS)
    assert command[:3] == ["vllm", "serve", modal_app.SETTINGS.model_dir]
    assert modal_app.SETTINGS.model_dir.endswith(modal_app.MODEL_REVISION)
    assert flag(command, "--served-model-name") == modal_route.DEFAULT_MODEL
    assert (flag(command, "--host"), flag(command, "--port")) == ("0.0.0.0", "8000")
    assert json.loads(flag(command, "--structured-outputs-config")) == {"backend": "xgrammar"}
    assert flag(command, "--generation-config") == "vllm"
    assert flag(command, "--max-num-seqs") == str(modal_app.MAX_INPUTS)
    assert "--enforce-eager" in command


def test_serve_command_follows_the_settings():
    settings = ServeSettings(port=9000, max_model_len=4096, backend="guidance", enforce_eager=False)
    command = modal_app.serve_command(settings)
    assert (flag(command, "--port"), flag(command, "--max-model-len")) == ("9000", "4096")
    assert json.loads(flag(command, "--structured-outputs-config")) == {"backend": "guidance"}
    assert "--enforce-eager" not in command


def test_the_middleware_vllm_is_told_about_exists_at_that_path():
    module, _, name = flag(modal_app.serve_command(modal_app.SETTINGS), "--middleware").rpartition(
        "."
    )
    assert getattr(importlib.import_module(module), name) is ContractMiddleware


def test_vllms_process_can_import_the_package_from_where_it_lies(tmp_path):
    env = modal_app.engine_env()
    assert env["PYTHONPATH"].split(":")[0] == str(ROOT)
    # -S: no site-packages, so no editable install; only PYTHONPATH can find the package.
    out = subprocess.run(
        [sys.executable, "-S", "-c", "import lift_lsp; print(lift_lsp.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert Path(out.stdout.strip()).is_relative_to(ROOT)


# -- health and the contract -------------------------------------------------------------


def test_health_payload_speaks_the_clients_contract():
    payload = modal_app.health_payload(modal_app.SETTINGS, gpu_replicas=0)
    assert payload["status"] == "ok"
    assert payload["contract"] == modal_route.CONTRACT_VERSION
    assert payload["model"] == modal_route.DEFAULT_MODEL
    assert payload["gpu_replicas"] == 0
    assert {"revision", "vllm", "structured_outputs"} <= set(payload)


@pytest.mark.parametrize(
    "headers",
    [{"X-Lift-Contract": "1"}, {"x-lift-contract": "1"}, {"X-LIFT-CONTRACT": " 1 "}],
)
def test_check_contract_lets_version_1_through(headers):
    assert modal_app.check_contract(headers) is None


@pytest.mark.parametrize(
    ("headers", "said"),
    [({}, "no X-Lift-Contract header"), ({"X-Lift-Contract": "2"}, "X-Lift-Contract '2'")],
)
def test_check_contract_refuses_other_versions_with_the_contracts_error_shape(headers, said):
    error = modal_app.check_contract(headers)
    assert error is not None
    assert set(error) == {"error"}
    assert set(error["error"]) == {"message", "type", "code"}
    assert error["error"]["code"] == "unsupported_contract"
    assert said in error["error"]["message"]


# -- the middleware, as vLLM's ASGI app would run it -------------------------------------


def inner_app(status: int = 200, body: bytes = b"from vllm") -> tuple[Any, list[str]]:
    calls: list[str] = []

    async def app(scope, receive, send):
        calls.append(scope.get("path", scope["type"]))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app, calls


async def call(app: Any, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await app({"type": "http", "method": "POST", "path": path, "headers": raw}, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_middleware_passes_requests_that_speak_the_contract():
    app, calls = inner_app()
    status, body = await call(
        ContractMiddleware(app), "/v1/chat/completions", {"X-Lift-Contract": "1"}
    )
    assert (status, body, calls) == (200, b"from vllm", ["/v1/chat/completions"])


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/invocations", "/v1/models"])
async def test_middleware_refuses_every_route_but_health_without_the_contract(path):
    app, calls = inner_app()
    status, body = await call(ContractMiddleware(app), path, {"X-Lift-Contract": "7"})
    assert status == 400
    assert json.loads(body)["error"]["code"] == "unsupported_contract"
    assert calls == []


async def test_middleware_answers_health_with_the_contract_document_once_vllm_is_healthy():
    app, calls = inner_app(200, b"")
    status, body = await call(ContractMiddleware(app), "/health")
    assert status == 200
    assert json.loads(body) == modal_app.health_payload(modal_app.SETTINGS)
    assert calls == ["/health"]  # vLLM's own check ran


async def test_middleware_reports_an_unhealthy_engine_as_503():
    app, _ = inner_app(500, b"engine dead")
    status, body = await call(ContractMiddleware(app), "/health")
    assert status == 503
    assert json.loads(body)["error"]["code"] == "unhealthy"


async def test_middleware_leaves_lifespan_events_alone():
    seen: list[str] = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    await ContractMiddleware(app)({"type": "lifespan"}, None, None)
    assert seen == ["lifespan"]


# -- start-up and warm-up ----------------------------------------------------------------


def test_wait_until_ready_returns_once_health_answers(openai_server):
    modal_app.wait_until_ready(openai_server.base_url, lambda: True, timeout=5, interval=0.05)
    assert openai_server.requests[0].path == "/health"


def test_wait_until_ready_fails_fast_when_the_engine_dies():
    with pytest.raises(RuntimeError) as caught:
        modal_app.wait_until_ready("http://127.0.0.1:9", lambda: False, timeout=5)
    assert "exited" in str(caught.value)


def test_wait_until_ready_gives_up_after_its_timeout():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TimeoutError):
        modal_app.wait_until_ready(
            f"http://127.0.0.1:{port}", lambda: True, timeout=0.3, interval=0.05
        )


def test_warm_up_sends_every_schema_and_grammar_as_a_client_would(openai_server):
    report = modal_app.warm_up(openai_server.base_url, modal_app.SETTINGS)

    assert set(report) == {*schemas.SCHEMA_FILES, "python_expression"}
    assert set(report.values()) == {"ok"}
    bodies = {
        r.json.get("response_format", {}).get("json_schema", {}).get("name"): r.json
        for r in openai_server.requests
    }
    for name in schemas.SCHEMA_FILES:
        assert bodies[name]["response_format"]["json_schema"]["schema"] == schemas.schema_for(name)
    grammar_body = bodies[None]
    assert grammar_body["structured_outputs"] == {"grammar": schemas.grammar("python_expression")}
    for recorded in openai_server.requests:
        assert recorded.headers["x-lift-contract"] == "1"
        assert recorded.json["max_tokens"] == 1
        assert recorded.json["model"] == modal_app.SETTINGS.model


def test_warm_up_reports_failures_instead_of_raising(openai_server):
    openai_server.script(Outcome.error(400, "schema not supported by xgrammar"))
    report = modal_app.warm_up(openai_server.base_url, modal_app.SETTINGS)
    failed = [outcome for outcome in report.values() if outcome != "ok"]
    assert len(failed) == 1
    assert failed[0].startswith("HTTP 400")
    assert "not supported by xgrammar" in failed[0]


def test_warm_up_carries_no_proxy_credentials():
    # It talks to vLLM on localhost inside the container, behind Modal's proxy, not through it.
    with FakeOpenAIServer(key="wk", secret="ws") as server:
        report = modal_app.warm_up(server.base_url, modal_app.SETTINGS)
    assert all(outcome.startswith("HTTP 401") for outcome in report.values())
    assert all("modal-key" not in r.headers for r in server.requests)


def test_ensure_weights_names_the_command_that_fills_the_volume(tmp_path):
    settings = ServeSettings(weights_dir=str(tmp_path))
    with pytest.raises(RuntimeError) as caught:
        modal_app.ensure_weights(settings)
    assert "download_weights" in str(caught.value)
    Path(settings.model_dir).mkdir(parents=True)
    Path(settings.model_dir, "config.json").write_text("{}")
    modal_app.ensure_weights(settings)


# -- the Modal functions, run in-process with .local() -----------------------------------


def test_status_local_reports_the_deployment_without_a_gpu(monkeypatch):
    monkeypatch.setattr(modal_app, "gpu_stats", lambda: {"gpu_replicas": 0, "backlog": 0})
    payload = modal_app.status.local()
    assert payload["contract"] == modal_route.CONTRACT_VERSION
    assert (payload["gpu"], payload["gpu_replicas"], payload["backlog"]) == (modal_app.GPU, 0, 0)


def test_status_still_answers_when_modals_api_does_not(monkeypatch):
    class Unreachable:
        def get_current_stats(self):
            raise ConnectionError("no route to Modal")

    monkeypatch.setattr(modal_app, "serve", Unreachable())
    payload = modal_app.status.local()
    assert payload["status"] == "ok"
    assert "gpu_replicas" not in payload


@pytest.mark.filterwarnings("ignore:The download_weights function is executing locally")
def test_download_weights_local_fetches_the_pinned_revision_into_the_weights_dir(
    monkeypatch, tmp_path
):
    calls: list[dict[str, Any]] = []
    hub = types.ModuleType("huggingface_hub")
    hub.snapshot_download = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", hub)
    monkeypatch.setattr(
        modal_app, "SETTINGS", replace(modal_app.SETTINGS, weights_dir=str(tmp_path))
    )

    target = modal_app.download_weights.local()

    assert target == f"{tmp_path}/{modal_route.DEFAULT_MODEL}/{modal_app.MODEL_REVISION}"
    [call_args] = calls
    assert call_args["repo_id"] == modal_route.DEFAULT_MODEL
    assert call_args["revision"] == modal_app.MODEL_REVISION
    assert call_args["local_dir"] == target
    assert "*.safetensors" in call_args["allow_patterns"]
