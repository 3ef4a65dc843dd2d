"""The workspace database: graph executions, node runs and the node cache.

One SQLite file per workspace (``<workspace>/.lift/lift.db``), WAL mode, versioned
migrations. Every failure of the file (locked, read-only, corrupt, unreachable folder,
created by a newer lift-lsp, or an I/O error later on) switches the store to an in-memory
database and reports it once through ``on_warning``: the caller never sees an
``sqlite3`` exception, it only loses persistence for the rest of the session.

All methods of one ``Store`` are serialised by an ``asyncio.Lock`` so that a transaction
(``BEGIN IMMEDIATE`` ... ``COMMIT``) is never interleaved with another coroutine's
statements on the same connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeVar

import aiosqlite

from lift_lsp.store import migrations as _migrations

log = logging.getLogger(__name__)

T = TypeVar("T")
Warn = Callable[[str], None]
Status = Literal["running", "completed", "failed", "cancelled"]

STATUSES: Final = ("running", "completed", "failed", "cancelled")
FINAL_STATUSES: Final = ("completed", "failed", "cancelled")
DEFAULT_BUSY_TIMEOUT_MS: Final = 2000
MIN_ID_PREFIX: Final = 6
# After a cache read or write fails, skip that kind of cache access for a while rather
# than wait for the busy timeout on every call.
CACHE_PAUSE_S: Final = 30.0
NOT_KEPT: Final = "run history and the node cache won't be kept this session"

EXECUTION_COLUMNS: Final = (
    "id, graph_type, status, state, current_node, completed_nodes, created_at, updated_at,"
    " total_duration_ms, node_count, llm_calls, tokens_used, input"
)
NODE_RUN_COLUMNS: Final = "execution_id, seq, node_id, item_key, started_at, duration_ms, output"


def default_db_path(workspace: Path) -> Path:
    """Where a workspace keeps its database."""
    return workspace / ".lift" / "lift.db"


def utc_now() -> str:
    """An ISO-8601 UTC timestamp, e.g. ``2026-05-09T07:35:25.123456+00:00``."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def dumps(value: Any) -> str:
    """The one JSON spelling used in the database (compact, keys sorted)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class ExecutionRow:
    id: str
    graph_type: str
    status: str
    state: dict[str, Any]
    current_node: str | None
    completed_nodes: list[str]
    created_at: str
    updated_at: str
    total_duration_ms: float | None
    node_count: int
    llm_calls: int
    tokens_used: int
    input: dict[str, Any]

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ExecutionRow:
        return cls(
            id=row["id"],
            graph_type=row["graph_type"],
            status=row["status"],
            state=json.loads(row["state"]),
            current_node=row["current_node"],
            completed_nodes=json.loads(row["completed_nodes"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            total_duration_ms=row["total_duration_ms"],
            node_count=row["node_count"],
            llm_calls=row["llm_calls"],
            tokens_used=row["tokens_used"],
            input=json.loads(row["input"]),
        )


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created_at: str
    hole_key: str
    suggestion: str
    features: dict[str, float]
    source: str
    accepted: bool
    program_version: str
    chosen: str | None
    #: SuggestHoleFill's inputs at that hole (kept with the row that says what was chosen).
    inputs: dict[str, Any] | None = None


@dataclass(frozen=True)
class LLMCall:
    """One attempt at a remote route (a retry is another row with ``attempt`` + 1)."""

    id: str
    created_at: str
    execution_id: str | None
    route: str
    model: str
    signature: str
    attempt: int
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cost_usd: float
    #: ``ok``, ``error``, ``timeout``, ``rate_limited``, ``invalid`` (answer failed validation).
    outcome: str
    error: str | None


@dataclass(frozen=True)
class ProgramVersion:
    kind: str
    version: str
    created_at: str
    payload: dict[str, Any]
    metrics: dict[str, Any]
    active: bool
    previous: str | None


@dataclass(frozen=True)
class NodeRun:
    execution_id: str
    seq: int
    node_id: str
    item_key: str
    started_at: str
    duration_ms: float
    output: Any

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> NodeRun:
        return cls(
            execution_id=row["execution_id"],
            seq=row["seq"],
            node_id=row["node_id"],
            item_key=row["item_key"],
            started_at=row["started_at"],
            duration_ms=row["duration_ms"],
            output=json.loads(row["output"]),
        )


class _OpenFailedError(Exception):
    """The file database cannot be used; ``str(self)`` is the one-line warning."""


class _NewerSchemaError(Exception):
    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"schema version {found}, this lift-lsp knows up to {known}")
        self.found = found
        self.known = known


# --- small helpers over aiosqlite -------------------------------------------------------


async def _fetchall(
    db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> list[sqlite3.Row]:
    return list(await db.execute_fetchall(sql, params))


async def _run(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Execute one statement; returns the number of rows it changed."""
    cursor = await db.execute(sql, params)
    try:
        return cursor.rowcount
    finally:
        await cursor.close()


@asynccontextmanager
async def _transaction(db: aiosqlite.Connection) -> AsyncIterator[None]:
    """``BEGIN IMMEDIATE`` (takes the write lock up front, so no deadlock on upgrade)."""
    await _run(db, "BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        await _rollback_quietly(db)
        raise
    await _run(db, "COMMIT")


async def _rollback_quietly(db: aiosqlite.Connection) -> None:
    try:
        if db.in_transaction:
            await _run(db, "ROLLBACK")
    except (sqlite3.Error, ValueError):
        pass


async def _close_quietly(db: aiosqlite.Connection) -> None:
    with suppress(sqlite3.Error, ValueError):
        await db.close()


async def _configure(db: aiosqlite.Connection, busy_timeout_ms: int, *, wal: bool) -> None:
    db.row_factory = sqlite3.Row
    await _run(db, f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    await _run(db, "PRAGMA foreign_keys = ON")
    if wal:
        # Reads the header: fails here on a locked, corrupt or unreadable file.
        await _run(db, "PRAGMA journal_mode = WAL")
        # Durable across process crashes; only a power loss may drop the last commits.
        await _run(db, "PRAGMA synchronous = NORMAL")


async def _schema_version(db: aiosqlite.Connection) -> int:
    rows = await _fetchall(
        db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    )
    if not rows:
        return 0
    rows = await _fetchall(db, "SELECT coalesce(max(version), 0) FROM schema_migrations")
    return int(rows[0][0])


async def _migrate(db: aiosqlite.Connection) -> int:
    """Apply the missing migrations, one transaction each; returns the schema version.

    The first ``BEGIN IMMEDIATE`` also proves the file is writable and not locked, even
    when nothing is left to apply. The version is re-read inside each transaction, so two
    processes opening the same new database do not both apply a migration.
    """
    migrations = _migrations.MIGRATIONS
    latest = migrations[-1].version
    while True:
        async with _transaction(db):
            version = await _schema_version(db)
            if version > latest:
                raise _NewerSchemaError(version, latest)
            if version == latest:
                return version
            migration = migrations[version]  # versions run 1, 2, 3, ...
            for statement in migration.statements():
                await _run(db, statement)
            await _run(
                db,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, utc_now()),
            )
            log.info("applied migration %d (%s)", migration.version, migration.name)


async def _connect_memory() -> tuple[aiosqlite.Connection, int]:
    db = await aiosqlite.connect(":memory:", isolation_level=None)
    await _configure(db, DEFAULT_BUSY_TIMEOUT_MS, wal=False)
    return db, await _migrate(db)


def _writable(path: Path) -> bool:
    if path.exists() and not os.access(path, os.W_OK):
        return False
    return os.access(path.parent, os.W_OK | os.X_OK)


def _describe(path: Path, exc: sqlite3.Error) -> str:
    """What went wrong with the file, in words (``exc`` text included)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return f"the database {path} is locked by another process ({text})"
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or (
        "not a database" in text or "malformed" in text
    ):
        return f"the database {path} is corrupt or not an SQLite database ({text})"
    if name.startswith("SQLITE_READONLY") or "readonly" in text or not _writable(path):
        return f"the database {path} is read-only ({text})"
    if name.startswith("SQLITE_FULL"):
        return f"the disk holding the database {path} is full ({text})"
    return f"the database {path} cannot be used ({text})"


def _make_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)
    if folder.name == ".lift":
        # Like .ruff_cache or .pytest_cache: keep the database out of version control.
        with suppress(OSError):
            (folder / ".gitignore").write_text("# created by lift-lsp\n*\n", encoding="utf-8")


async def _connect_file(path: Path, busy_timeout_ms: int) -> tuple[aiosqlite.Connection, int]:
    try:
        _make_folder(path.parent)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise _OpenFailedError(
            f"lift-lsp: cannot create the folder {path.parent} for the database {path}"
            f" ({reason}); using an in-memory database instead, so {NOT_KEPT}."
        ) from exc
    db: aiosqlite.Connection | None = None
    try:
        db = await aiosqlite.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
        await _configure(db, busy_timeout_ms, wal=True)
        return db, await _migrate(db)
    except _NewerSchemaError as exc:
        if db is not None:
            await _close_quietly(db)
        raise _OpenFailedError(
            f"lift-lsp: the database {path} was created by a newer lift-lsp ({exc});"
            f" using an in-memory database instead, so {NOT_KEPT}."
        ) from exc
    except sqlite3.Error as exc:
        if db is not None:
            await _close_quietly(db)
        raise _OpenFailedError(
            f"lift-lsp: {_describe(path, exc)}; using an in-memory database instead, so {NOT_KEPT}."
        ) from exc


def _environmental(exc: sqlite3.Error) -> bool:
    """A failure of the file or its surroundings, as opposed to a bug in a query."""
    return not isinstance(
        exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError
    )


# --- the store ------------------------------------------------------------------------


class Store:
    """Async access to one workspace database. Create with ``await Store.open(path)``."""

    path: Path | None
    degraded: str | None
    schema_version: int

    def __init__(
        self,
        db: aiosqlite.Connection,
        schema_version: int,
        *,
        path: Path | None,
        degraded: str | None,
        on_warning: Warn | None,
    ) -> None:
        self._db = db
        self.schema_version = schema_version
        self.path = path  # the file in use; None while the data lives in memory
        self.degraded = degraded
        self._on_warning = on_warning
        self._lock = asyncio.Lock()
        self._closed = False
        # Set once execution data moved to memory mid-session: a record for an execution
        # that did not make it into memory then recreates it instead of failing.
        self._recreate_missing = False
        self._created: dict[str, tuple[str, str, str]] = {}  # id -> graph_type, input, at
        self._hits = 0
        self._misses = 0
        self._cache_errors = 0
        self._cache_warned = False
        self._cache_paused_until: dict[str, float] = {}

    @classmethod
    async def open(
        cls,
        path: Path | None,
        *,
        on_warning: Warn | None = None,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> Store:
        """Open (creating folder, file and schema as needed) or fall back to memory.

        ``path`` None means an in-memory database from the start (no warning).
        """
        if path is None:
            db, version = await _connect_memory()
            return cls(db, version, path=None, degraded=None, on_warning=on_warning)
        try:
            db, version = await _connect_file(path, busy_timeout_ms)
        except _OpenFailedError as failure:
            db, version = await _connect_memory()
            store = cls(db, version, path=None, degraded=str(failure), on_warning=on_warning)
            store._warn(str(failure))
            return store
        return cls(db, version, path=path, degraded=None, on_warning=on_warning)

    async def close(self) -> None:
        async with self._lock:
            if not self._closed:
                self._closed = True
                await _close_quietly(self._db)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- executions ---------------------------------------------------------------------

    async def create_execution(
        self, graph_type: str, input: dict[str, Any], state: dict[str, Any]
    ) -> str:
        """Start a run (status ``running``); returns its id (uuid4 hex)."""
        execution_id = uuid.uuid4().hex
        input_json, state_json, now = dumps(input), dumps(state), utc_now()
        self._created[execution_id] = (graph_type, input_json, now)

        async def op(db: aiosqlite.Connection) -> str:
            await _run(
                db,
                "INSERT INTO graph_executions (id, graph_type, status, input, state,"
                " completed_nodes, created_at, updated_at, node_count, llm_calls, tokens_used)"
                " VALUES (?, ?, 'running', ?, ?, '[]', ?, ?, 0, 0, 0)",
                (execution_id, graph_type, input_json, state_json, now, now),
            )
            return execution_id

        return await self._execution_op("creating an execution", op)

    async def record_node(  # noqa: PLR0917 - the engine's positional call spelling
        self,
        execution_id: str,
        node_id: str,
        item_key: str,
        output: Any,
        started_at: str,
        duration_ms: float,
        state: dict[str, Any] | None = None,
    ) -> NodeRun:
        """Append a completed node (and optionally the state after it), atomically."""
        output_json = dumps(output)
        state_json = None if state is None else dumps(state)

        async def op(db: aiosqlite.Connection) -> NodeRun:
            now = utc_now()
            async with _transaction(db):
                row = await self._execution_for_update(db, execution_id, state_json)
                completed = [*json.loads(row["completed_nodes"]), node_id]
                seq_rows = await _fetchall(
                    db,
                    "SELECT coalesce(max(seq), 0) + 1 FROM node_runs WHERE execution_id = ?",
                    (execution_id,),
                )
                seq = int(seq_rows[0][0])
                await _run(
                    db,
                    f"INSERT INTO node_runs ({NODE_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (execution_id, seq, node_id, item_key, started_at, duration_ms, output_json),
                )
                await _run(
                    db,
                    "UPDATE graph_executions SET current_node = ?, completed_nodes = ?,"
                    " node_count = node_count + 1, updated_at = ?, state = coalesce(?, state)"
                    " WHERE id = ?",
                    (node_id, dumps(completed), now, state_json, execution_id),
                )
            return NodeRun(
                execution_id,
                seq,
                node_id,
                item_key,
                started_at,
                float(duration_ms),
                json.loads(output_json),
            )

        return await self._execution_op("recording a node", op)

    async def record_nodes(
        self,
        execution_id: str,
        records: Sequence[tuple[str, str, Any, str, float]],
        state: dict[str, Any] | None = None,
    ) -> None:
        """Append several completed nodes ``(node_id, item_key, output, started_at,
        duration_ms)`` in one transaction: one round trip instead of one per node."""
        if not records:
            return
        encoded = [(n, i, dumps(o), s, float(d)) for n, i, o, s, d in records]
        state_json = None if state is None else dumps(state)

        async def op(db: aiosqlite.Connection) -> None:
            now = utc_now()
            async with _transaction(db):
                row = await self._execution_for_update(db, execution_id, state_json)
                completed = [*json.loads(row["completed_nodes"]), *(r[0] for r in encoded)]
                seq_rows = await _fetchall(
                    db,
                    "SELECT coalesce(max(seq), 0) + 1 FROM node_runs WHERE execution_id = ?",
                    (execution_id,),
                )
                first = int(seq_rows[0][0])
                await db.executemany(
                    f"INSERT INTO node_runs ({NODE_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (execution_id, first + k, node, item, started, ms, out)
                        for k, (node, item, out, started, ms) in enumerate(encoded)
                    ],
                )
                await _run(
                    db,
                    "UPDATE graph_executions SET current_node = ?, completed_nodes = ?,"
                    " node_count = node_count + ?, updated_at = ?, state = coalesce(?, state)"
                    " WHERE id = ?",
                    (encoded[-1][0], dumps(completed), len(encoded), now, state_json, execution_id),
                )

        await self._execution_op("recording nodes", op)

    async def completed_outputs(self, execution_id: str) -> dict[tuple[str, str], Any]:
        """Every recorded output of an execution by (node id, item key): what a resumed run
        replays instead of recomputing."""
        return {(r.node_id, r.item_key): r.output for r in await self.node_runs(execution_id)}

    async def node_runs(self, execution_id: str) -> list[NodeRun]:
        """The recorded nodes of an execution, in the order they completed."""

        async def op(db: aiosqlite.Connection) -> list[NodeRun]:
            rows = await _fetchall(
                db,
                f"SELECT {NODE_RUN_COLUMNS} FROM node_runs WHERE execution_id = ? ORDER BY seq",
                (execution_id,),
            )
            return [NodeRun.from_row(row) for row in rows]

        return await self._execution_op("reading node runs", op)

    async def completed_output(
        self, execution_id: str, node_id: str, item_key: str
    ) -> tuple[bool, Any]:
        """``(True, output)`` of the latest run of (node, item) in that execution, if any."""

        async def op(db: aiosqlite.Connection) -> tuple[bool, Any]:
            rows = await _fetchall(
                db,
                "SELECT output FROM node_runs WHERE execution_id = ? AND node_id = ?"
                " AND item_key = ? ORDER BY seq DESC LIMIT 1",
                (execution_id, node_id, item_key),
            )
            return (True, json.loads(rows[0][0])) if rows else (False, None)

        return await self._execution_op("reading a node output", op)

    async def finish_execution(
        self,
        execution_id: str,
        status: str,
        *,
        total_duration_ms: float,
        llm_calls: int = 0,
        tokens_used: int = 0,
        state: dict[str, Any] | None = None,
    ) -> None:
        """Mark a run completed, failed or cancelled."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"status must be one of {', '.join(FINAL_STATUSES)}: {status!r}")
        state_json = None if state is None else dumps(state)

        async def op(db: aiosqlite.Connection) -> None:
            async with _transaction(db):
                await self._execution_for_update(db, execution_id, state_json)
                await _run(
                    db,
                    "UPDATE graph_executions SET status = ?, total_duration_ms = ?,"
                    " llm_calls = ?, tokens_used = ?, updated_at = ?,"
                    " state = coalesce(?, state) WHERE id = ?",
                    (
                        status,
                        total_duration_ms,
                        llm_calls,
                        tokens_used,
                        utc_now(),
                        state_json,
                        execution_id,
                    ),
                )

        await self._execution_op("finishing an execution", op)

    async def get_execution(self, execution_id: str) -> ExecutionRow | None:
        """By full id, or by a prefix of at least 6 characters that matches one id only."""

        async def op(db: aiosqlite.Connection) -> ExecutionRow | None:
            sql = f"SELECT {EXECUTION_COLUMNS} FROM graph_executions"
            rows = await _fetchall(db, f"{sql} WHERE id = ?", (execution_id,))
            if not rows and len(execution_id) >= MIN_ID_PREFIX:
                rows = await _fetchall(
                    db,
                    f"{sql} WHERE substr(id, 1, ?) = ? LIMIT 2",
                    (len(execution_id), execution_id),
                )
            return ExecutionRow.from_row(rows[0]) if len(rows) == 1 else None

        return await self._execution_op("reading an execution", op)

    async def unfinished_executions(self, graph_type: str | None = None) -> list[ExecutionRow]:
        """Executions still marked ``running`` (e.g. the process died), oldest first."""

        async def op(db: aiosqlite.Connection) -> list[ExecutionRow]:
            sql = f"SELECT {EXECUTION_COLUMNS} FROM graph_executions WHERE status = 'running'"
            params: tuple[str, ...] = ()
            if graph_type is not None:
                sql += " AND graph_type = ?"
                params = (graph_type,)
            rows = await _fetchall(db, f"{sql} ORDER BY created_at, rowid", params)
            return [ExecutionRow.from_row(row) for row in rows]

        return await self._execution_op("listing unfinished executions", op)

    async def recent_executions(self, limit: int = 20) -> list[ExecutionRow]:
        """The newest executions first."""

        async def op(db: aiosqlite.Connection) -> list[ExecutionRow]:
            rows = await _fetchall(
                db,
                f"SELECT {EXECUTION_COLUMNS} FROM graph_executions"
                " ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (limit,),
            )
            return [ExecutionRow.from_row(row) for row in rows]

        return await self._execution_op("listing recent executions", op)

    async def _execution_for_update(
        self, db: aiosqlite.Connection, execution_id: str, state_json: str | None
    ) -> sqlite3.Row:
        """The execution's row inside a write transaction (recreated after a move to memory)."""
        sql = "SELECT completed_nodes FROM graph_executions WHERE id = ?"
        rows = await _fetchall(db, sql, (execution_id,))
        if rows:
            return rows[0]
        if not self._recreate_missing:
            raise KeyError(f"no execution {execution_id!r}")
        graph_type, input_json, created_at = self._created.get(
            execution_id, ("unknown", "{}", utc_now())
        )
        await _run(
            db,
            "INSERT INTO graph_executions (id, graph_type, status, input, state,"
            " completed_nodes, created_at, updated_at, node_count, llm_calls, tokens_used)"
            " VALUES (?, ?, 'running', ?, ?, '[]', ?, ?, 0, 0, 0)",
            (execution_id, graph_type, input_json, state_json or "{}", created_at, utc_now()),
        )
        return (await _fetchall(db, sql, (execution_id,)))[0]

    # --- feedback and program versions ---------------------------------------------------

    async def record_feedback(  # noqa: PLR0917 - one row, every column distinct
        self,
        hole_key: str,
        suggestion: str,
        features: dict[str, float],
        source: str,
        accepted: bool,
        program_version: str,
        chosen: str | None = None,
        *,
        inputs: dict[str, Any] | None = None,
    ) -> None:
        """One suggestion shown for a hole, and whether it was the one taken (``chosen`` is
        what the user wrote instead, when it was none of them)."""

        async def op(db: aiosqlite.Connection) -> None:
            async with _transaction(db):
                await _run(
                    db,
                    "INSERT INTO feedback (created_at, hole_key, suggestion, features, source,"
                    " accepted, program_version, chosen, inputs)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        utc_now(),
                        hole_key,
                        suggestion,
                        dumps(features),
                        source,
                        int(accepted),
                        program_version,
                        chosen,
                        dumps(inputs) if inputs is not None else None,
                    ),
                )

        await self._execution_op("recording feedback", op)

    async def feedback_rows(self) -> list[FeedbackRow]:
        async def op(db: aiosqlite.Connection) -> list[FeedbackRow]:
            rows = await _fetchall(
                db,
                "SELECT id, created_at, hole_key, suggestion, features, source, accepted,"
                " program_version, chosen, inputs FROM feedback ORDER BY id",
            )
            return [
                FeedbackRow(
                    int(r[0]),
                    r[1],
                    r[2],
                    r[3],
                    json.loads(r[4]),
                    r[5],
                    bool(r[6]),
                    r[7],
                    r[8],
                    json.loads(r[9]) if r[9] else None,
                )
                for r in rows
            ]

        return await self._execution_op("reading feedback", op)

    async def save_program(
        self,
        kind: str,
        version: str,
        payload: dict[str, Any],
        metrics: dict[str, Any],
        *,
        activate: bool,
    ) -> None:
        """Keep a program version (a fitted ranker, a compiled DSPy program); activating it
        remembers the one it replaces, for ``rollback``."""

        async def op(db: aiosqlite.Connection) -> None:
            async with _transaction(db):
                current = await _fetchall(
                    db,
                    "SELECT version FROM program_versions WHERE kind = ? AND active = 1",
                    (kind,),
                )
                previous = current[0][0] if current else None
                if activate:
                    await _run(db, "UPDATE program_versions SET active = 0 WHERE kind = ?", (kind,))
                await _run(
                    db,
                    "INSERT OR REPLACE INTO program_versions"
                    " (kind, version, created_at, payload, metrics, active, previous)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        kind,
                        version,
                        utc_now(),
                        dumps(payload),
                        dumps(metrics),
                        int(activate),
                        previous,
                    ),
                )

        await self._execution_op("saving a program version", op)

    async def program_versions(self, kind: str) -> list[ProgramVersion]:
        async def op(db: aiosqlite.Connection) -> list[ProgramVersion]:
            rows = await _fetchall(
                db,
                "SELECT kind, version, created_at, payload, metrics, active, previous"
                " FROM program_versions WHERE kind = ? ORDER BY created_at, rowid",
                (kind,),
            )
            return [
                ProgramVersion(
                    r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), bool(r[5]), r[6]
                )
                for r in rows
            ]

        return await self._execution_op("reading program versions", op)

    async def active_program(self, kind: str) -> ProgramVersion | None:
        return next((v for v in await self.program_versions(kind) if v.active), None)

    async def rollback_program(self, kind: str) -> ProgramVersion | None:
        """Re-activate the version the active one replaced (``None``: nothing to go back to,
        which means the built-in default)."""
        versions = await self.program_versions(kind)
        active = next((v for v in versions if v.active), None)
        if active is None:
            return None
        target = active.previous

        async def op(db: aiosqlite.Connection) -> None:
            async with _transaction(db):
                await _run(db, "UPDATE program_versions SET active = 0 WHERE kind = ?", (kind,))
                if target is not None:
                    await _run(
                        db,
                        "UPDATE program_versions SET active = 1 WHERE kind = ? AND version = ?",
                        (kind, target),
                    )

        await self._execution_op("rolling back a program version", op)
        return next((v for v in versions if v.version == target), None)

    # --- LLM calls ---------------------------------------------------------------------

    async def record_llm_call(self, call: LLMCall) -> None:
        async def op(db: aiosqlite.Connection) -> None:
            async with _transaction(db):
                await _run(
                    db,
                    "INSERT INTO llm_calls (id, created_at, execution_id, route, model, signature,"
                    " attempt, tokens_in, tokens_out, latency_ms, cost_usd, outcome, error)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        call.id,
                        call.created_at,
                        call.execution_id,
                        call.route,
                        call.model,
                        call.signature,
                        call.attempt,
                        call.tokens_in,
                        call.tokens_out,
                        call.latency_ms,
                        call.cost_usd,
                        call.outcome,
                        call.error,
                    ),
                )

        await self._execution_op("recording an LLM call", op)

    async def llm_calls(
        self, *, route: str | None = None, execution_id: str | None = None
    ) -> list[LLMCall]:
        async def op(db: aiosqlite.Connection) -> list[LLMCall]:
            where, params = [], []
            if route is not None:
                where.append("route = ?")
                params.append(route)
            if execution_id is not None:
                where.append("execution_id = ?")
                params.append(execution_id)
            clause = f" WHERE {' AND '.join(where)}" if where else ""
            rows = await _fetchall(
                db,
                "SELECT id, created_at, execution_id, route, model, signature, attempt, tokens_in,"
                f" tokens_out, latency_ms, cost_usd, outcome, error FROM llm_calls{clause}"
                " ORDER BY created_at, rowid",
                params,
            )
            return [LLMCall(*tuple(r)) for r in rows]

        return await self._execution_op("reading LLM calls", op)

    # --- node cache ---------------------------------------------------------------------

    async def cache_get(self, node_id: str, content_hash: str, program_version: str) -> Any | None:
        """The cached value, or None on a miss (or when the cache cannot be read)."""

        async def op(db: aiosqlite.Connection) -> tuple[bool, Any]:
            rows = await _fetchall(
                db,
                "SELECT value FROM node_cache WHERE node_id = ? AND content_hash = ?"
                " AND program_version = ?",
                (node_id, content_hash, program_version),
            )
            return (True, json.loads(rows[0][0])) if rows else (False, None)

        found, value = await self._cache_op("get", op, (False, None))
        if found:
            self._hits += 1
        else:
            self._misses += 1
        return value

    async def cache_put(
        self, node_id: str, content_hash: str, program_version: str, value: Any
    ) -> None:
        """Store (or replace) a value; does nothing when the cache cannot be written."""
        value_json = dumps(value)

        async def op(db: aiosqlite.Connection) -> None:
            await _run(
                db,
                "INSERT OR REPLACE INTO node_cache"
                " (node_id, content_hash, program_version, value, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (node_id, content_hash, program_version, value_json, utc_now()),
            )

        await self._cache_op("put", op, None)

    async def cache_get_many(
        self, node_id: str, content_hashes: Sequence[str], program_version: str
    ) -> dict[str, Any]:
        """Cached values for several keys in one query (missing keys are left out)."""
        wanted = list(dict.fromkeys(content_hashes))
        if not wanted:
            return {}

        async def op(db: aiosqlite.Connection) -> dict[str, Any]:
            found: dict[str, Any] = {}
            for start in range(0, len(wanted), 500):  # SQLite's limit on host parameters
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = await _fetchall(
                    db,
                    f"SELECT content_hash, value FROM node_cache WHERE node_id = ?"
                    f" AND program_version = ? AND content_hash IN ({marks})",
                    (node_id, program_version, *chunk),
                )
                found.update({row[0]: json.loads(row[1]) for row in rows})
            return found

        nothing: dict[str, Any] = {}
        found = await self._cache_op("get", op, nothing)
        self._hits += len(found)
        self._misses += len(wanted) - len(found)
        return found

    async def cache_put_many(
        self, node_id: str, program_version: str, values: dict[str, Any]
    ) -> None:
        """Store several values (content hash → value) in one statement."""
        if not values:
            return
        now = utc_now()
        rows = [(node_id, h, program_version, dumps(v), now) for h, v in values.items()]

        async def op(db: aiosqlite.Connection) -> None:
            async with _transaction(db):
                await db.executemany(
                    "INSERT OR REPLACE INTO node_cache"
                    " (node_id, content_hash, program_version, value, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    rows,
                )

        await self._cache_op("put", op, None)

    async def cache_stats(self) -> dict[str, int]:
        """Hits and misses since open, cache failures, and the rows stored (-1 if unknown)."""

        async def op(db: aiosqlite.Connection) -> int:
            return int((await _fetchall(db, "SELECT count(*) FROM node_cache"))[0][0])

        rows = await self._cache_op("get", op, -1)
        return {
            "hits": self._hits,
            "misses": self._misses,
            "errors": self._cache_errors,
            "rows": rows,
        }

    # --- failure handling ---------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the store is closed")

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        if self._on_warning is not None:
            self._on_warning(message)

    async def _execution_op(
        self, doing: str, op: Callable[[aiosqlite.Connection], Awaitable[T]]
    ) -> T:
        """Run ``op``; if the file fails, move to memory (warning once) and run it there."""
        async with self._lock:
            self._check_open()
            try:
                return await op(self._db)
            except sqlite3.Error as exc:
                if self.path is None or not _environmental(exc):
                    raise
                await self._move_to_memory(self.path, exc, doing)
            return await op(self._db)

    async def _cache_op(
        self, kind: str, op: Callable[[aiosqlite.Connection], Awaitable[T]], default: T
    ) -> T:
        """Run ``op``; on a failure of the file return ``default`` (warning once)."""
        if time.monotonic() < self._cache_paused_until.get(kind, 0.0):
            return default
        async with self._lock:
            self._check_open()
            try:
                return await op(self._db)
            except sqlite3.Error as exc:
                if not _environmental(exc):
                    raise
                await _rollback_quietly(self._db)
                self._cache_errors += 1
                self._cache_paused_until[kind] = time.monotonic() + CACHE_PAUSE_S
                if not self._cache_warned:
                    self._cache_warned = True
                    where = _describe(self.path, exc) if self.path else f"in memory: {exc}"
                    self._warn(
                        f"lift-lsp: the node cache is unavailable ({where}); carrying on"
                        f" without it, which only costs recomputation."
                    )
                return default

    async def _move_to_memory(self, path: Path, exc: sqlite3.Error, doing: str) -> None:
        """Switch to an in-memory database, keeping running executions if still readable."""
        old = self._db
        await _rollback_quietly(old)
        memory, version = await _connect_memory()
        copied = await _copy_running_executions(old, memory)
        await _close_quietly(old)
        self._db, self.schema_version, self.path = memory, version, None
        self._recreate_missing = True
        kept = f" ({copied} running execution(s) carried over)" if copied else ""
        message = (
            f"lift-lsp: {_describe(path, exc)} while {doing}; switched to an in-memory"
            f" database{kept}, so {NOT_KEPT}."
        )
        self.degraded = message
        self._warn(message)


async def _copy_running_executions(old: aiosqlite.Connection, new: aiosqlite.Connection) -> int:
    """Best effort: copy the ``running`` executions and their node runs; returns how many."""
    try:
        executions = await _fetchall(old, "SELECT * FROM graph_executions WHERE status = 'running'")
        runs = await _fetchall(
            old,
            "SELECT n.* FROM node_runs AS n JOIN graph_executions AS e ON e.id = n.execution_id"
            " WHERE e.status = 'running'",
        )
    except sqlite3.Error:
        return 0
    await _insert_rows(new, "graph_executions", executions)
    await _insert_rows(new, "node_runs", runs)
    return len(executions)


async def _insert_rows(db: aiosqlite.Connection, table: str, rows: Iterable[sqlite3.Row]) -> None:
    rows = list(rows)
    if not rows:
        return
    columns = rows[0].keys()
    marks = ", ".join("?" * len(columns))
    cursor = await db.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        [tuple(row) for row in rows],
    )
    await cursor.close()
