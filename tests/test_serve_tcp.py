"""`lift-lsp serve --tcp HOST:PORT` speaks LSP over a socket on the loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _frame(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _read_message(sock: socket.socket) -> dict[str, object]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(
        next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[
            1
        ]
    )
    while len(rest) < length:
        rest += sock.recv(4096)
    return json.loads(rest[:length])


def test_initialize_over_tcp() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lift_lsp", "serve", "--tcp", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with sock:
            init = {"processId": None, "rootUri": None, "capabilities": {}}
            sock.sendall(
                _frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init})
            )
            reply = _read_message(sock)
            assert reply["id"] == 1
            result = reply["result"]
            assert isinstance(result, dict)
            assert result["serverInfo"]["name"] == "lift-lsp"
            assert result["capabilities"]["hoverProvider"]
            sock.sendall(_frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
            assert _read_message(sock)["id"] == 2
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_bad_tcp_address_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lift_lsp", "serve", "--tcp", "nonsense"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "HOST:PORT" in proc.stderr
