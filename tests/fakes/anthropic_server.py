"""A fake Anthropic Messages API on 127.0.0.1, for the real SDK or any HTTP client.

    with FakeAnthropicServer() as server:
        server.script(Status(429, retry_after=2), Reply("hi"))
        client = AsyncAnthropic(api_key=server.api_key, base_url=server.base_url)

Scripted outcomes are consumed one per authorised, well-formed ``POST /v1/messages``;
when none is left, ``responder(request_json)`` answers. Every request is recorded, even
the refused ones. The server runs on its own threads, so sync and async tests can use it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import pytest

DEFAULT_API_KEY = "sk-ant-fake-3c0d9f1e7a52b846"
#: The API version that refuses sampling parameters (what the 2.x SDK sends).
SAMPLING_REMOVED_IN = "2026-10-21"
SAMPLING_PARAMS = ("temperature", "top_p", "top_k")

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Reply:
    """A 200 message with one text block; token counts are estimated unless given."""

    text: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    stop_reason: str = "end_turn"
    #: Defaults to the model the request asked for.
    model: str | None = None


@dataclass(frozen=True)
class Status:
    """An error in the API's shape; ``retry_after`` sets the ``retry-after`` header."""

    status: int
    message: str = "scripted error"
    retry_after: float | None = None
    #: Defaults to the type the API uses for ``status``.
    error_type: str | None = None


@dataclass(frozen=True)
class Delay:
    """Wait, then answer with ``then`` (or the responder). Closing the server cuts it short."""

    seconds: float
    then: Outcome | None = None


@dataclass(frozen=True)
class Malformed:
    """Exactly these bytes as the body."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Disconnect:
    """Close the connection without answering."""


Outcome = Reply | Status | Delay | Malformed | Disconnect
Responder = Callable[[dict[str, Any]], str | Outcome]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    #: Header names in lower case.
    headers: dict[str, str]
    #: The parsed JSON body, or ``None`` when it was not JSON.
    body: Any
    raw: bytes


class FakeAnthropicServer:
    def __init__(self, *, api_key: str = DEFAULT_API_KEY, responder: Responder | None = None):
        self.api_key = api_key
        self.responder: Responder = responder or default_responder
        #: Exceptions raised by the responder (each also answered with a 500).
        self.errors: list[BaseException] = []
        self._script: deque[Outcome] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        self._closing.clear()
        self._httpd = _Server(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-anthropic",
        )
        self._thread.start()
        return self

    def close(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._closing.set()  # wakes delayed replies
        httpd.shutdown()
        httpd.drop_connections()  # idle keep-alive connections would pin their threads
        httpd.server_close()  # joins every handler thread
        thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what tests use --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Without ``/v1``: the SDK appends ``/v1/messages`` itself."""
        if self._httpd is None:
            raise RuntimeError("the fake Anthropic server is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """Scripted outcomes not consumed yet."""
        with self._lock:
            return len(self._script)

    def script(self, *outcomes: Outcome) -> None:
        with self._lock:
            self._script.extend(outcomes)

    # -- request handling (on handler threads) -----------------------------------------

    def handle(self, handler: _Handler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("content-length") or 0))
        headers = {name.lower(): value for name, value in handler.headers.items()}
        body = _json_or_none(raw)
        request = RecordedRequest(handler.command, handler.path, headers, body, raw)
        with self._lock:
            self._requests.append(request)
        self._answer(handler, self._decide(handler.command, handler.path, headers, body), body)

    def _decide(self, method: str, path: str, headers: dict[str, str], body: Any) -> Outcome:
        if method != "POST" or path.partition("?")[0] != "/v1/messages":
            return Status(404, f"{method} {path} not found")
        if not self._authorised(headers):
            return Status(401, "invalid x-api-key")
        problem = _invalid_body(body, headers.get("anthropic-version", ""))
        if problem is not None:
            return Status(400, problem)
        with self._lock:
            if self._script:
                return self._script.popleft()
        return self._ask_responder(body)

    def _authorised(self, headers: dict[str, str]) -> bool:
        # Like the API: x-api-key wins when both are sent.
        if "x-api-key" in headers:
            return headers["x-api-key"] == self.api_key
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def _ask_responder(self, body: dict[str, Any]) -> Outcome:
        try:
            answer = self.responder(body)
        except Exception as err:  # the test's responder is broken: say so, keep serving
            self.errors.append(err)
            return Status(500, f"responder failed: {err!r}")
        return Reply(answer) if isinstance(answer, str) else answer

    def _answer(self, handler: _Handler, outcome: Outcome, body: Any) -> None:
        match outcome:
            case Delay(seconds=seconds, then=then):
                if self._closing.wait(seconds):
                    handler.close_connection = True
                    return
                self._answer(handler, then if then is not None else self._ask_responder(body), body)
            case Disconnect():
                handler.close_connection = True
            case Malformed(body=payload, status=status, content_type=content_type):
                _write(handler, status, payload, content_type=content_type)
            case Status():
                _write(handler, outcome.status, _error_json(outcome), extra=_retry_headers(outcome))
            case Reply():
                _write(handler, 200, json.dumps(_message(outcome, body)).encode())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    server: _Server

    def do_POST(self) -> None:
        self.server.fake.handle(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: test output stays readable."""


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() waits for every handler thread

    def __init__(self, fake: FakeAnthropicServer) -> None:
        self.fake = fake
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._live_lock:
            self._live.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._live_lock:
            self._live.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self._live_lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client hung up (its timeout fired, or we are closing)
        super().handle_error(request, client_address)


# -- building answers ----------------------------------------------------------------


def _write(
    handler: _Handler,
    status: int,
    payload: bytes,
    *,
    content_type: str = "application/json",
    extra: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    headers = {
        "content-type": content_type,
        "content-length": str(len(payload)),
        "request-id": f"req_{uuid.uuid4().hex[:24]}",
        **(extra or {}),
    }
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(payload)


def _message(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    prompt = json.dumps([body.get("system"), body.get("messages")])
    tokens_in = reply.tokens_in if reply.tokens_in is not None else rough(prompt)
    tokens_out = reply.tokens_out if reply.tokens_out is not None else rough(reply.text)
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": reply.model or body.get("model"),
        "content": [{"type": "text", "text": reply.text}],
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
    }


def _error_json(status: Status) -> bytes:
    default_type = "api_error" if status.status >= 500 else "invalid_request_error"
    error_type = status.error_type or ERROR_TYPES.get(status.status, default_type)
    return json.dumps(
        {
            "type": "error",
            "error": {"type": error_type, "message": status.message},
            "request_id": f"req_{uuid.uuid4().hex[:24]}",
        }
    ).encode()


def _retry_headers(status: Status) -> dict[str, str]:
    return {} if status.retry_after is None else {"retry-after": f"{status.retry_after:g}"}


def _invalid_body(body: Any, api_version: str) -> str | None:
    """The first reason the API would refuse this body with a 400, if any."""
    if not isinstance(body, dict):
        return "body: Input should be a valid JSON object"
    for name, kind in (("model", str), ("max_tokens", int), ("messages", list)):
        if not isinstance(body.get(name), kind):
            return f"{name}: Field required"
    if api_version >= SAMPLING_REMOVED_IN:
        for name in SAMPLING_PARAMS:
            if name in body:
                return f"{name}: Extra inputs are not permitted"
    return None


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def rough(text: str) -> int:
    """A token count good enough for budgets in tests: about four characters a token."""
    return max(1, len(text) // 4)


# -- the default responder -----------------------------------------------------------


def default_responder(body: dict[str, Any]) -> str:
    """The smallest instance of the requested JSON schema, else an echo of the last user turn."""
    output_format = (body.get("output_config") or {}).get("format") or {}
    if "schema" in output_format:
        return json.dumps(minimal_instance(output_format["schema"]))
    return f"echo: {last_user_text(body)}"


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return "".join(block.get("text", "") for block in content or [])
    return ""


_EMPTY: dict[str, Any] = {"string": "", "integer": 0, "number": 0, "boolean": False, "null": None}


def minimal_instance(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A value matching ``schema`` with only its required parts (enough for most tests)."""
    root = schema if root is None else root
    if "$ref" in schema:
        return minimal_instance(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return minimal_instance(schema[key][0], root)
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: minimal_instance(properties.get(name, {}), root)
            for name in schema.get("required", [])
        }
    if kind == "array":
        return []
    return _EMPTY.get(kind or "null")


@pytest.fixture
def anthropic_server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as server:
        yield server
