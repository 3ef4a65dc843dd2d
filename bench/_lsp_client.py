"""A tiny JSON-RPC / LSP client over a child process's stdio, for benchmarks.

Deliberately minimal so that client overhead stays out of the numbers: Content-Length
framing, responses routed by id, notifications matched against waiters registered
*before* the triggering message is sent, and every server-to-client request answered
at once (``workspace/configuration`` with one ``null`` per item, everything else with
``null``) so that no server blocks on the client. Times are ``time.perf_counter_ns``
taken right after a message is read and right before one is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Json = Any
Predicate = Callable[[Json], bool]


class LspError(RuntimeError):
    """The server answered a request with an error, or the connection broke."""


@dataclass
class _Waiter:
    method: str
    predicate: Predicate
    future: asyncio.Future[tuple[int, Json]]


@dataclass
class Received:
    """A message from the server and the time (perf_counter_ns) it was read."""

    t_ns: int
    message: Json


@dataclass
class LspClient:
    """One server process. Use :meth:`spawn`, then requests/notifications, then :meth:`close`."""

    proc: asyncio.subprocess.Process
    spawned_ns: int
    _next_id: int = 0
    _pending: dict[int, asyncio.Future[tuple[int, Json]]] = field(default_factory=dict)
    _waiters: list[_Waiter] = field(default_factory=list)
    _reader_task: asyncio.Task[None] | None = None
    notifications: list[Received] = field(default_factory=list)
    server_requests: list[str] = field(default_factory=list)
    keep_notifications: bool = False
    closed_reason: str | None = None

    # -- lifecycle ---------------------------------------------------------------------
    @classmethod
    async def spawn(
        cls,
        cmd: Sequence[str],
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        stderr_path: str | None = None,
    ) -> LspClient:
        """Start ``cmd``; ``spawned_ns`` is taken just before the process is created."""
        stderr: Any = asyncio.subprocess.DEVNULL
        handle = None
        if stderr_path is not None:
            handle = open(stderr_path, "ab")  # noqa: SIM115 - the child keeps the descriptor
            stderr = handle
        t0 = time.perf_counter_ns()
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                cwd=cwd,
                env=env,
                limit=1 << 24,
            )
        finally:
            if handle is not None:
                handle.close()
        client = cls(proc, t0)
        client._reader_task = asyncio.get_running_loop().create_task(client._read_loop())
        return client

    async def close(self, timeout: float = 5.0) -> None:
        """Polite shutdown/exit, then kill if the process is still there."""
        try:
            if self.proc.returncode is None and self.closed_reason is None:
                with contextlib.suppress(Exception):
                    await self.request("shutdown", None, timeout=timeout)
                with contextlib.suppress(Exception):
                    await self.notify("exit", None)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.proc.wait(), timeout=timeout)
        finally:
            self.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.proc.wait(), timeout=timeout)
            if self._reader_task is not None:
                self._reader_task.cancel()
                with contextlib.suppress(BaseException):
                    await self._reader_task

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    # -- sending -----------------------------------------------------------------------
    async def _write(self, payload: Json) -> int:
        if self.closed_reason is not None:
            raise LspError(f"connection closed: {self.closed_reason}")
        body = json.dumps(payload, separators=(",", ":")).encode()
        frame = b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        stdin = self.proc.stdin
        assert stdin is not None
        t = time.perf_counter_ns()
        stdin.write(frame)
        await stdin.drain()
        return t

    async def notify(self, method: str, params: Json) -> int:
        """Send a notification; returns the send time (ns)."""
        return await self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(
        self, method: str, params: Json, *, timeout: float = 30.0
    ) -> tuple[Json, int, int]:
        """Send a request and await its result: ``(result, sent_ns, received_ns)``."""
        self._next_id += 1
        rid = self._next_id
        fut: asyncio.Future[tuple[int, Json]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        try:
            sent = await self._write(
                {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}
            )
            received, message = await asyncio.wait_for(fut, timeout=timeout)
        finally:
            self._pending.pop(rid, None)
        if "error" in message:
            raise LspError(f"{method}: {message['error']}")
        return message.get("result"), sent, received

    def expect(
        self, method: str, predicate: Predicate | None = None
    ) -> asyncio.Future[tuple[int, Json]]:
        """A future for the next notification ``method`` whose params satisfy ``predicate``.

        Register it *before* sending whatever triggers the notification; it resolves to
        ``(received_ns, params)``.
        """
        fut: asyncio.Future[tuple[int, Json]] = asyncio.get_running_loop().create_future()
        self._waiters.append(_Waiter(method, predicate or (lambda _p: True), fut))
        return fut

    def forget(self, fut: asyncio.Future[tuple[int, Json]]) -> None:
        """Drop a waiter that is no longer wanted (e.g. after a timeout)."""
        self._waiters = [w for w in self._waiters if w.future is not fut]

    # -- receiving ---------------------------------------------------------------------
    async def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while True:
                length = -1
                while True:
                    line = await stdout.readline()
                    if not line:
                        raise EOFError("server closed its stdout")
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length < 0:
                    continue
                body = await stdout.readexactly(length)
                t = time.perf_counter_ns()
                self._dispatch(t, json.loads(body))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.closed_reason = f"{type(exc).__name__}: {exc}"
            error = LspError(f"connection closed: {self.closed_reason}")
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(error)
            for w in self._waiters:
                if not w.future.done():
                    w.future.set_exception(error)
            self._waiters.clear()

    def _dispatch(self, t: int, message: Json) -> None:
        method = message.get("method")
        if method is None:  # a response
            fut = self._pending.get(message.get("id"))
            if fut is not None and not fut.done():
                fut.set_result((t, message))
            return
        params = message.get("params")
        if "id" in message:  # a server-to-client request: answer at once
            self.server_requests.append(method)
            result: Json = None
            if method == "workspace/configuration" and isinstance(params, dict):
                result = [None for _ in params.get("items", [])]
            asyncio.get_running_loop().create_task(
                self._answer({"jsonrpc": "2.0", "id": message["id"], "result": result})
            )
            return
        if self.keep_notifications:
            self.notifications.append(Received(t, message))
        if self._waiters:
            for w in list(self._waiters):
                if w.method == method and not w.future.done() and w.predicate(params):
                    w.future.set_result((t, params))
                    self._waiters.remove(w)

    async def _answer(self, payload: Json) -> None:
        with contextlib.suppress(Exception):
            await self._write(payload)


def client_capabilities() -> Json:
    """A plain editor's capabilities: push diagnostics only (no ``textDocument.diagnostic``)."""
    return {
        "general": {"positionEncodings": ["utf-16"]},
        "workspace": {
            "configuration": True,
            "workspaceFolders": True,
            "didChangeConfiguration": {"dynamicRegistration": False},
        },
        "textDocument": {
            "synchronization": {"dynamicRegistration": False, "didSave": False},
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "publishDiagnostics": {"versionSupport": True, "relatedInformation": True},
        },
        "window": {"workDoneProgress": True},
    }


def initialize_params(root_uri: str, name: str) -> Json:
    return {
        "processId": os.getpid(),
        "clientInfo": {"name": "lift-lsp-bench"},
        "rootUri": root_uri,
        "workspaceFolders": [{"uri": root_uri, "name": name}],
        "capabilities": client_capabilities(),
        "initializationOptions": None,
    }
