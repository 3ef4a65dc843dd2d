"""A real HTTP server on 127.0.0.1 that speaks the lift-lsp Modal service contract.

It answers like the deployed service (docs/modal.md): Modal's proxy auth first (401 in
plain text), then the ``X-Lift-Contract`` check (400 with a JSON error), then OpenAI's
``POST /v1/chat/completions`` and ``GET /health``. Tests script what the next requests
get (a reply, an HTTP error with ``Retry-After``, a delay, a malformed body); unscripted
requests are answered by ``responder``, whose default returns a minimal valid instance of
the requested JSON schema. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

CONTRACT_HEADER = "X-Lift-Contract"
CONTRACT_VERSION = "1"
MISSING_CREDENTIALS = "modal-http: missing credentials for proxy authorization"
INVALID_CREDENTIALS = "modal-http: invalid credentials for proxy authorization"

Responder = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Outcome:
    """What one request gets. Build with the class methods."""

    status: int = 200
    text: str | None = None
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    finish_reason: str = "stop"
    #: Close the connection without answering.
    drop: bool = False

    @classmethod
    def reply(cls, text: str, *, finish_reason: str = "stop", delay: float = 0.0) -> Outcome:
        return cls(text=text, finish_reason=finish_reason, delay=delay)

    @classmethod
    def error(
        cls, status: int, message: str = "scripted failure", *, retry_after: str | None = None
    ) -> Outcome:
        headers = (("Retry-After", retry_after),) if retry_after is not None else ()
        return cls(status=status, body=error_body(message, "scripted", status), headers=headers)

    @classmethod
    def malformed(cls, body: bytes | str, *, status: int = 200) -> Outcome:
        raw = body.encode() if isinstance(body, str) else body
        return cls(status=status, body=raw)

    @classmethod
    def slow(cls, seconds: float, text: str | None = None) -> Outcome:
        return cls(text=text, delay=seconds)

    @classmethod
    def dropped(cls) -> Outcome:
        return cls(drop=True)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    #: Header names in lower case.
    headers: dict[str, str]
    json: Any = None


def error_body(message: str, kind: str, code: str | int) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "code": code}}).encode()


@dataclass
class FakeOpenAIServer:
    """``with FakeOpenAIServer() as server: ... server.base_url ...``"""

    key: str | None = None
    secret: str | None = None
    model: str = "fake/coder"
    responder: Responder | None = None
    requests: list[Recorded] = field(default_factory=list, repr=False)
    _outcomes: deque[Outcome] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _httpd: ThreadingHTTPServer | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *outcomes: Outcome | str) -> None:
        """Queue what the next chat requests get (a string is a reply)."""
        with self._lock:
            self._outcomes.extend(Outcome.reply(o) if isinstance(o, str) else o for o in outcomes)

    def start(self) -> FakeOpenAIServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll keeps stop(), and so every test's teardown, quick.
        serve = self._httpd.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases handlers still sleeping in a scripted delay
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_outcome(self) -> Outcome | None:
        with self._lock:
            return self._outcomes.popleft() if self._outcomes else None

    def _record(self, entry: Recorded) -> None:
        with self._lock:
            self.requests.append(entry)

    def answer(self, request: dict[str, Any]) -> str:
        return (self.responder or default_responder)(request)

    def completion(self, request: dict[str, Any], text: str, finish_reason: str) -> bytes:
        prompt = " ".join(str(m.get("content", "")) for m in request.get("messages", []))
        return json.dumps(
            {
                "id": f"chatcmpl-fake-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.get("model") or self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": finish_reason,
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": len(prompt.split()),
                    "completion_tokens": len(text.split()),
                    "total_tokens": len(prompt.split()) + len(text.split()),
                },
            }
        ).encode()


def default_responder(request: dict[str, Any]) -> str:
    """A minimal valid instance of the requested JSON schema, else a short text."""
    response_format = request.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = response_format["json_schema"]["schema"]
        return json.dumps(minimal_instance(schema, schema))
    if response_format.get("type") == "json_object":
        return "{}"
    return "None"


def minimal_instance(schema: Any, root: dict[str, Any]) -> Any:
    """The smallest value valid under the schema subset the grammars/ files use."""
    if not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return minimal_instance(target, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return minimal_instance(schema[key][0], root)
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {
            name: minimal_instance(props.get(name, {}), root) for name in schema.get("required", [])
        }
    if kind == "array":
        return [minimal_instance(schema.get("items", {}), root)] * schema.get("minItems", 0)
    if kind == "string":
        return "x" * schema.get("minLength", 0)
    if kind in ("number", "integer"):
        return schema.get("minimum", 0)
    return {"boolean": False}.get(str(kind))


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            payload = self._read_json()
            headers = {k.lower(): v for k, v in self.headers.items()}
            server._record(Recorded(method, self.path, headers, payload))
            if not self._authorised(headers):
                return
            if method == "GET" and self.path == "/health":
                body = {"status": "ok", "contract": int(CONTRACT_VERSION), "model": server.model}
                self._send(200, json.dumps(body).encode())
            elif headers.get(CONTRACT_HEADER.lower()) != CONTRACT_VERSION:
                message = f"unsupported contract {headers.get(CONTRACT_HEADER.lower())!r}"
                self._send(
                    400, error_body(message, "invalid_request_error", "unsupported_contract")
                )
            elif method == "POST" and self.path == "/v1/chat/completions":
                self._chat(payload)
            else:
                self._send(404, error_body(f"no route {self.path}", "not_found", 404))

        def _authorised(self, headers: dict[str, str]) -> bool:
            if server.key is None:
                return True
            key, secret = headers.get("modal-key"), headers.get("modal-secret")
            if key is None or secret is None:
                self._send(401, MISSING_CREDENTIALS.encode(), "text/plain")
                return False
            if (key, secret) != (server.key, server.secret):
                self._send(401, INVALID_CREDENTIALS.encode(), "text/plain")
                return False
            return True

        def _chat(self, payload: Any) -> None:
            if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
                self._send(
                    400, error_body("body must be a chat request", "invalid_request_error", 400)
                )
                return
            outcome = server._next_outcome() or Outcome()
            if outcome.delay and server._stopping.wait(outcome.delay):
                return
            if outcome.drop:
                self.close_connection = True
                return
            if outcome.body is not None:
                self._send(outcome.status, outcome.body, extra=outcome.headers)
                return
            text = outcome.text if outcome.text is not None else server.answer(payload)
            body = server.completion(payload, text, outcome.finish_reason)
            self._send(outcome.status, body, extra=outcome.headers)

        def _read_json(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else None
            except ValueError:
                return raw.decode(errors="replace")

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str = "application/json",
            extra: tuple[tuple[str, str], ...] = (),
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to tell it

    return Handler


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server
