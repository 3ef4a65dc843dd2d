"""The ``modal`` route's service: an open code model with grammar-constrained decoding.

vLLM's OpenAI-compatible server runs on a GPU behind ``@modal.web_server`` and Modal's
proxy auth, with XGrammar enforcing JSON schemas and EBNF grammars while decoding. The
contract (``X-Lift-Contract``, ``/health``, the error shape) is added to vLLM's own app
by :class:`ContractMiddleware`, which vLLM loads with ``--middleware``. A CPU endpoint,
``status``, reports the deployment without waking a GPU. See ``docs/modal.md``.

    modal run lift_lsp/deploy/modal_app.py::download_weights   # once per model revision
    modal deploy lift_lsp/deploy/modal_app.py

This module imports with only ``modal`` installed and no Modal token: vLLM, FastAPI and
huggingface_hub are imported inside the functions, which run in the images below. The
pure parts (the vLLM command line, the health document, the contract check, start-up
and warm-up) are plain functions, tested locally.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import modal

from lift_lsp.providers.modal_route import (
    CONTRACT_HEADER,
    CONTRACT_VERSION,
    DEFAULT_MODEL,
    HEALTH_PATH,
    request_body,
    request_headers,
)
from lift_lsp.providers.wire import ChatMessage, ChatRequest

APP_NAME = "lift-lsp-constrained"
#: Web endpoint labels: ``https://<workspace>--<label>.modal.run``.
SERVE_LABEL = "lift-lsp-constrained"
STATUS_LABEL = "lift-lsp-constrained-status"
#: The Hugging Face commit served; a new one needs ``download_weights`` again.
MODEL_REVISION = "c03e6d358207e414f1eca0bb1891e29f1db0e242"
#: 0.30 takes ``structured_outputs`` in requests and ``--structured-outputs-config``.
VLLM_VERSION = "0.30.0"
#: 24 GB holds the 7B model in bf16 (15 GB) plus a KV cache of ~90k tokens.
GPU = "A10G"
MINUTES = 60
#: Idle time before a GPU container stops: longer than a pause in typing, shorter than
#: a coffee break (an idle A10G costs ~$1.10/h; a cold start takes 1-3 min).
SCALEDOWN_WINDOW = 5 * MINUTES
#: Loading 15 GB of weights from the Volume and starting the engine.
STARTUP_TIMEOUT = 15 * MINUTES
#: Requests one replica takes at once; vLLM batches them (``--max-num-seqs``).
MAX_INPUTS = 32
#: A ceiling on spend: at most this many GPUs, whatever the load.
MAX_CONTAINERS = 2
WEIGHTS_DIR = "/weights"
#: The class vLLM adds to its app; imported by path inside vLLM's server process.
MIDDLEWARE = "lift_lsp.deploy.modal_app.ContractMiddleware"


@dataclass(frozen=True)
class ServeSettings:
    """What the GPU container serves and how."""

    model: str = DEFAULT_MODEL
    revision: str = MODEL_REVISION
    weights_dir: str = WEIGHTS_DIR
    port: int = 8000
    max_model_len: int = 8192
    gpu_memory_utilization: float = 0.90
    max_num_seqs: int = MAX_INPUTS
    #: vLLM's structured-output backend; the schemas in grammars/ are written for it.
    backend: str = "xgrammar"
    #: Skip CUDA graphs and torch.compile: a cold start ~1 min shorter, decoding slower.
    enforce_eager: bool = True

    @property
    def model_dir(self) -> str:
        return f"{self.weights_dir}/{self.model}/{self.revision}"


SETTINGS = ServeSettings()


def serve_command(settings: ServeSettings) -> list[str]:
    """The ``vllm serve`` command line for ``settings``."""
    command = [
        "vllm",
        "serve",
        settings.model_dir,
        "--served-model-name",
        settings.model,
        "--host",
        "0.0.0.0",  # Modal's proxy reaches the container from outside
        "--port",
        str(settings.port),
        "--max-model-len",
        str(settings.max_model_len),
        "--gpu-memory-utilization",
        str(settings.gpu_memory_utilization),
        "--max-num-seqs",
        str(settings.max_num_seqs),
        # Sampling defaults are vLLM's, not the model card's: requests mean what they say.
        "--generation-config",
        "vllm",
        "--structured-outputs-config",
        json.dumps({"backend": settings.backend}),
        "--middleware",
        MIDDLEWARE,
    ]
    if settings.enforce_eager:
        command.append("--enforce-eager")
    return command


def health_payload(settings: ServeSettings, **extra: Any) -> dict[str, Any]:
    """The document ``GET /health`` answers (contract version 1)."""
    return {
        "status": "ok",
        "contract": CONTRACT_VERSION,
        "model": settings.model,
        "revision": settings.revision,
        "vllm": VLLM_VERSION,
        "structured_outputs": settings.backend,
        **extra,
    }


def error_body(message: str, kind: str, code: str) -> dict[str, Any]:
    """The contract's error shape, which is also vLLM's and OpenAI's."""
    return {"error": {"message": message, "type": kind, "code": code}}


def check_contract(headers: Mapping[str, str]) -> dict[str, Any] | None:
    """The 400 body for a request whose ``X-Lift-Contract`` this service does not speak,
    or ``None`` when it may go ahead. Header names are matched case-insensitively."""
    wanted = CONTRACT_HEADER.lower()
    value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    if value is not None and value.strip() == str(CONTRACT_VERSION):
        return None
    said = "no X-Lift-Contract header" if value is None else f"X-Lift-Contract {value!r}"
    return error_body(
        f"unsupported contract: {said}; this service speaks {CONTRACT_VERSION}",
        "invalid_request_error",
        "unsupported_contract",
    )


# -- the contract inside vLLM's server ---------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ContractMiddleware:
    """Plain ASGI, so it needs nothing vLLM does not already have. ``/health`` answers the
    contract's document once vLLM's own health check passes; every other route needs
    ``X-Lift-Contract`` (vLLM also serves ``/invocations`` and others besides ``/v1``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["path"] == HEALTH_PATH:
            await self._health(scope, receive, send)
        elif (error := check_contract(_headers(scope))) is not None:
            await send_json(send, 400, error)
        else:
            await self.app(scope, receive, send)

    async def _health(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])

        await self.app(scope, receive, capture)
        if status == 200:
            await send_json(send, 200, health_payload(SETTINGS))
        else:
            body = error_body(f"engine unhealthy (HTTP {status})", "unavailable", "unhealthy")
            await send_json(send, 503, body)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


# -- start-up ----------------------------------------------------------------------------


def ensure_weights(settings: ServeSettings) -> None:
    if not Path(settings.model_dir, "config.json").is_file():
        raise RuntimeError(
            f"no weights in {settings.model_dir}: "
            "run `modal run lift_lsp/deploy/modal_app.py::download_weights` first"
        )


def engine_env() -> dict[str, str]:
    """vLLM's environment: it must import this package for the middleware, wherever
    Modal put the package's source."""
    import lift_lsp

    root = str(Path(lift_lsp.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def wait_until_ready(
    base_url: str, alive: Callable[[], bool], *, timeout: float, interval: float = 2.0
) -> None:
    """Block until ``GET {base_url}/health`` answers 200; fail early if the engine dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("vLLM exited during start-up (its log is above)")
        try:
            with urllib.request.urlopen(base_url + HEALTH_PATH, timeout=10) as reply:
                if reply.status == 200:
                    return
        except OSError:  # refused while loading, or 503 until the engine is up
            pass
        time.sleep(interval)
    raise TimeoutError(f"vLLM not ready after {timeout:g} s")


def warm_up(base_url: str, settings: ServeSettings) -> dict[str, str]:
    """One single-token request per schema and grammar clients send, so XGrammar has
    compiled each of them before the first real request waits for it. Failures are
    reported, not raised: a cold service is better than none."""
    from lift_lsp.providers import schemas

    requests = {
        name: _warm_request(name, json_schema=schemas.schema_for(name))
        for name in schemas.SCHEMA_FILES
    }
    requests["python_expression"] = _warm_request(
        "python_expression", grammar=schemas.grammar("python_expression")
    )
    return {
        name: _post(base_url, request_body(request, settings.model))
        for name, request in requests.items()
    }


def _warm_request(name: str, **constraint: Any) -> ChatRequest:
    hello = (ChatMessage("user", "Warm-up: answer anything."),)
    return ChatRequest(signature=name, system="", messages=hello, max_tokens=1, **constraint)


def _post(base_url: str, body: dict[str, Any]) -> str:
    """``ok`` or what went wrong."""
    request = urllib.request.Request(
        base_url + "/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **request_headers(None, None)},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            reply.read()
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}"
    except OSError as exc:
        return f"failed: {exc}"
    return "ok"


def start_engine(settings: ServeSettings) -> subprocess.Popen[bytes]:
    """Start vLLM, wait until it answers, warm it up; the process keeps running."""
    ensure_weights(settings)
    engine = subprocess.Popen(serve_command(settings), env=engine_env())
    local = f"http://127.0.0.1:{settings.port}"
    wait_until_ready(local, lambda: engine.poll() is None, timeout=STARTUP_TIMEOUT)
    for name, outcome in warm_up(local, settings).items():
        print(f"warm-up {name}: {outcome}", flush=True)
    return engine


# -- the Modal app -----------------------------------------------------------------------

app = modal.App(APP_NAME)
weights = modal.Volume.from_name("lift-lsp-weights", create_if_missing=True)
image = (
    modal.Image.debian_slim(python_version="3.12")
    .uv_pip_install(f"vllm=={VLLM_VERSION}")
    # No usage reports: code sent to this service stays between it and the editor.
    .env({"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"})
    # The whole package, grammars/ included: warm-up sends the real schemas.
    .add_local_python_source("lift_lsp", ignore=["**/__pycache__/**"])
)
status_image = modal.Image.debian_slim(python_version="3.12").uv_pip_install(
    "fastapi[standard]==0.115.12"
)


@app.function(
    image=image,
    gpu=GPU,
    volumes={WEIGHTS_DIR: weights},
    # Weights come from the Volume only; a missing file fails instead of downloading.
    env={"HF_HUB_OFFLINE": "1"},
    scaledown_window=SCALEDOWN_WINDOW,
    timeout=10 * MINUTES,
    max_containers=MAX_CONTAINERS,
)
@modal.concurrent(max_inputs=MAX_INPUTS)
@modal.web_server(
    port=SETTINGS.port,
    startup_timeout=STARTUP_TIMEOUT,
    label=SERVE_LABEL,
    requires_proxy_auth=True,
)
def serve() -> None:
    """The chat endpoint: vLLM plus the contract, ready and warm when this returns."""
    start_engine(SETTINGS)


@app.function(image=image, volumes={WEIGHTS_DIR: weights}, timeout=60 * MINUTES)
def download_weights() -> str:
    """Fill the Volume with the pinned revision's weights (CPU only; ~15 GB)."""
    from huggingface_hub import snapshot_download

    snapshot_download(
        repo_id=SETTINGS.model,
        revision=SETTINGS.revision,
        local_dir=SETTINGS.model_dir,
        allow_patterns=["*.json", "*.safetensors", "*.txt"],
    )
    if not modal.is_local():
        weights.commit()  # visible to GPU containers that start from now on
    return SETTINGS.model_dir


def gpu_stats() -> dict[str, int]:
    """How many GPU replicas run and how many requests wait; empty when unknown."""
    try:
        stats = serve.get_current_stats()
    except Exception:  # status must answer even when Modal's API does not
        return {}
    return {"gpu_replicas": stats.num_total_runners, "backlog": stats.backlog}


@app.function(image=status_image, cpu=0.25, scaledown_window=MINUTES)
@modal.concurrent(max_inputs=100)
@modal.fastapi_endpoint(method="GET", label=STATUS_LABEL, requires_proxy_auth=True)
def status() -> dict[str, Any]:
    """The deployment at a glance, without starting a GPU (the chat URL's ``/health``
    starts one and answers once the model is loaded)."""
    return health_payload(SETTINGS, gpu=GPU, **gpu_stats())
