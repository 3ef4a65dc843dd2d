"""The workspace store: real SQLite files, real locks, real crashes (no mocks of sqlite)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lift_lsp.store import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    Store,
    default_db_path,
    migrations,
)
from lift_lsp.store.migrations import check_migrations, split_statements

ROOT = Path(__file__).resolve().parent.parent
FAST = 100  # busy timeout (ms) for tests that wait on a lock
TABLES = {"schema_migrations", "graph_executions", "node_runs", "node_cache"}


def db_path(tmp_path: Path) -> Path:
    return default_db_path(tmp_path / "workspace")


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def still_works_in_memory(store: Store) -> None:
    """A degraded store keeps every feature for the session."""
    assert store.path is None
    eid = await store.create_execution("reverse", {"file": "a.py"}, {})
    run = await store.record_node(eid, "Parse", "a.f", {"ok": True}, "t0", 1.0, {"n": 1})
    assert run.seq == 1
    assert await store.completed_output(eid, "Parse", "a.f") == (True, {"ok": True})
    await store.finish_execution(eid, "completed", total_duration_ms=2.0)
    row = await store.get_execution(eid)
    assert row is not None
    assert row.status == "completed"
    await store.cache_put("Parse", "h", "v1", [1])
    assert await store.cache_get("Parse", "h", "v1") == [1]


def assert_one_warning(store: Store, warnings: list[str], path: Path, *words: str) -> str:
    assert len(warnings) == 1, warnings
    message = warnings[0]
    assert "\n" not in message
    assert str(path) in message
    assert "in-memory" in message
    assert "won't be kept this session" in message
    for word in words:
        assert word in message
    assert store.degraded == message
    return message


# --- schema and migrations ---------------------------------------------------------------


async def test_open_creates_folder_schema_and_wal(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    warnings: list[str] = []
    async with await Store.open(path, on_warning=warnings.append) as store:
        assert store.path == path
        assert store.degraded is None
        assert store.schema_version == LATEST_VERSION == MIGRATIONS[-1].version
        assert query(path, "PRAGMA journal_mode") == [("wal",)]
    assert warnings == []
    assert tables(path) >= TABLES
    indexes = {name for (name,) in query(path, "SELECT name FROM sqlite_master WHERE type='index'")}
    assert "node_runs_item" in indexes
    versions = [(m.version,) for m in MIGRATIONS]
    assert query(path, "SELECT version FROM schema_migrations") == versions
    assert (path.parent / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


async def test_reopening_does_not_reapply_migrations(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    async with await Store.open(path):
        pass
    before = query(path, "SELECT version, name, applied_at FROM schema_migrations")
    async with await Store.open(path) as store:
        assert store.schema_version == LATEST_VERSION
    assert query(path, "SELECT version, name, applied_at FROM schema_migrations") == before


async def test_a_new_migration_is_applied_on_the_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = db_path(tmp_path)
    async with await Store.open(path) as store:
        eid = await store.create_execution("reverse", {}, {})
    extra = Migration(
        LATEST_VERSION + 1,
        "test: notes",
        """
        CREATE TABLE notes (execution_id TEXT REFERENCES graph_executions (id), body TEXT);
        CREATE TRIGGER notes_touch AFTER INSERT ON notes BEGIN
            UPDATE graph_executions SET updated_at = 'touched' WHERE id = new.execution_id;
        END;
        """,
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, extra))
    async with await Store.open(path) as store:
        assert store.schema_version == LATEST_VERSION + 1
        assert await store.get_execution(eid) is not None  # data survives
    assert "notes" in tables(path)
    versions = query(path, "SELECT version FROM schema_migrations ORDER BY version")
    assert versions == [(v,) for v in range(1, LATEST_VERSION + 2)]


def test_migrations_are_numbered_and_split_into_statements() -> None:
    check_migrations(MIGRATIONS)
    with pytest.raises(ValueError, match="expected 2"):
        check_migrations((MIGRATIONS[0], Migration(3, "gap", "SELECT 1;")))
    trigger = "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;\nSELECT 3;"
    assert len(split_statements(trigger)) == 2
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("SELECT 1")


async def test_a_database_from_a_newer_lift_lsp_is_left_alone(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    async with await Store.open(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'later')")
    conn.close()
    before = digest(path)
    warnings: list[str] = []
    async with await Store.open(path, on_warning=warnings.append) as store:
        assert_one_warning(store, warnings, path, "newer lift-lsp", "999")
        assert store.schema_version == LATEST_VERSION
        await still_works_in_memory(store)
    assert digest(path) == before


# --- executions ----------------------------------------------------------------------------


async def test_execution_round_trip(tmp_path: Path) -> None:
    async with await Store.open(db_path(tmp_path)) as store:
        eid = await store.create_execution("reverse", {"file": "a.py"}, {"phase": 0})
        assert len(eid) == 32
        assert int(eid, 16) >= 0
        row = await store.get_execution(eid)
        assert row is not None
        assert (row.status, row.node_count, row.completed_nodes) == ("running", 0, [])
        assert (row.current_node, row.total_duration_ms, row.input) == (
            None,
            None,
            {"file": "a.py"},
        )
        assert row.created_at.endswith("+00:00")

        steps = [("Parse", "", {"tree": 1}), ("Infer", "a.f", [1, 2]), ("Infer", "a.g", None)]
        for i, (node, item, output) in enumerate(steps):
            run = await store.record_node(eid, node, item, output, f"t{i}", 1.5 * i, {"phase": i})
            assert run.seq == i + 1
        runs = await store.node_runs(eid)
        assert [(r.seq, r.node_id, r.item_key, r.output) for r in runs] == [
            (1, "Parse", "", {"tree": 1}),
            (2, "Infer", "a.f", [1, 2]),
            (3, "Infer", "a.g", None),
        ]
        assert [r.started_at for r in runs] == ["t0", "t1", "t2"]
        assert [r.duration_ms for r in runs] == [0.0, 1.5, 3.0]
        row = await store.get_execution(eid)
        assert row is not None
        assert row.completed_nodes == ["Parse", "Infer", "Infer"]
        assert (row.node_count, row.current_node, row.state) == (3, "Infer", {"phase": 2})
        assert row.updated_at >= row.created_at

        # state is optional: without it the last state stays
        await store.record_node(eid, "Check", "a.f", "ok", "t3", 0.1)
        row = await store.get_execution(eid)
        assert row is not None
        assert row.state == {"phase": 2}

        assert await store.completed_output(eid, "Infer", "a.f") == (True, [1, 2])
        assert await store.completed_output(eid, "Infer", "a.g") == (True, None)
        assert await store.completed_output(eid, "Infer", "a.h") == (False, None)
        assert await store.completed_output("nope", "Infer", "a.f") == (False, None)

        await store.finish_execution(
            eid, "completed", total_duration_ms=12.5, llm_calls=2, tokens_used=300, state={"x": 1}
        )
        row = await store.get_execution(eid)
        assert row is not None
        assert (row.status, row.total_duration_ms, row.llm_calls, row.tokens_used) == (
            "completed",
            12.5,
            2,
            300,
        )
        assert row.state == {"x": 1}
        assert await store.unfinished_executions() == []


async def test_execution_lookup_by_prefix_and_listing(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    async with await Store.open(path) as store:
        first = await store.create_execution("reverse", {}, {})
        second = await store.create_execution("forward", {}, {})
        third = await store.create_execution("reverse", {}, {})
        found = await store.get_execution(first[:6])
        assert found is not None
        assert found.id == first
        assert await store.get_execution(first[:5]) is None  # too short to be trusted
        assert await store.get_execution("f" * 32) is None
        assert [r.id for r in await store.unfinished_executions()] == [first, second, third]
        assert [r.id for r in await store.unfinished_executions("reverse")] == [first, third]
        assert [r.id for r in await store.recent_executions(limit=2)] == [third, second]
        await store.finish_execution(second, "failed", total_duration_ms=1.0)
        assert [r.id for r in await store.unfinished_executions()] == [first, third]
    # An ambiguous prefix finds nothing.
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE graph_executions SET id = 'abcdef' || substr(id, 7) WHERE id != ?", (second,)
        )
    conn.close()
    async with await Store.open(path) as store:
        assert await store.get_execution("abcdef") is None


async def test_bad_calls_are_errors_not_silent(tmp_path: Path) -> None:
    async with await Store.open(db_path(tmp_path)) as store:
        eid = await store.create_execution("reverse", {}, {})
        with pytest.raises(ValueError, match="status"):
            await store.finish_execution(eid, "running", total_duration_ms=1.0)
        with pytest.raises(KeyError):
            await store.record_node("missing", "Parse", "", None, "t", 1.0)
        with pytest.raises(KeyError):
            await store.finish_execution("missing", "completed", total_duration_ms=1.0)
        with pytest.raises(TypeError):
            await store.record_node(eid, "Parse", "", object(), "t", 1.0)
        assert await store.node_runs(eid) == []
    with pytest.raises(RuntimeError, match="closed"):
        await store.node_runs(eid)


async def test_concurrent_records_get_distinct_sequence_numbers(tmp_path: Path) -> None:
    async with await Store.open(db_path(tmp_path)) as store:
        eid = await store.create_execution("reverse", {}, {})
        runs = await asyncio.gather(
            *(store.record_node(eid, "Infer", f"f{i}", i, "t", 1.0) for i in range(20))
        )
        assert sorted(r.seq for r in runs) == list(range(1, 21))
        row = await store.get_execution(eid)
        assert row is not None
        assert row.node_count == len(row.completed_nodes) == 20


async def test_an_execution_left_running_is_found_by_the_next_process(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    store = await Store.open(path)
    eid = await store.create_execution("reverse", {"file": "a.py"}, {"phase": 0})
    await store.record_node(eid, "Parse", "", {"tree": 1}, "t0", 1.0, {"phase": 1})
    await store.record_node(eid, "Infer", "a.f", "int", "t1", 2.0, {"phase": 2})
    await store.close()  # never finished

    async with await Store.open(path) as again:
        [row] = await again.unfinished_executions("reverse")
        assert (row.id, row.status, row.state, row.current_node) == (
            eid,
            "running",
            {"phase": 2},
            "Infer",
        )
        assert [r.node_id for r in await again.node_runs(eid)] == ["Parse", "Infer"]
        assert await again.completed_output(eid, "Infer", "a.f") == (True, "int")
        assert await again.completed_output(eid, "Check", "a.f") == (False, None)


KILLED_CHILD = """
import asyncio, sys, time
from pathlib import Path
from lift_lsp.store import Store

async def main():
    store = await Store.open(Path(sys.argv[1]))
    eid = await store.create_execution("reverse", {"file": "a.py"}, {"phase": 0})
    await store.record_node(eid, "Parse", "", {"tree": 1}, "t0", 1.0, {"phase": 1})
    print(eid, flush=True)
    time.sleep(60)  # killed here, with the connection open

asyncio.run(main())
"""


async def test_a_killed_process_leaves_a_resumable_execution(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        eid = child.stdout.readline().strip()
        assert eid, child.stderr.read() if child.stderr else ""
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL

    async with await Store.open(path) as store:
        [row] = await store.unfinished_executions()
        assert (row.id, row.status, row.current_node, row.state) == (
            eid,
            "running",
            "Parse",
            {"phase": 1},
        )
        assert [(r.seq, r.node_id, r.output) for r in await store.node_runs(eid)] == [
            (1, "Parse", {"tree": 1})
        ]


# --- node cache ----------------------------------------------------------------------------


async def test_cache_miss_hit_and_program_version(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    async with await Store.open(path) as store:
        assert await store.cache_get("Infer", "abc", "v1") is None
        await store.cache_put("Infer", "abc", "v1", {"type": "int"})
        assert await store.cache_get("Infer", "abc", "v1") == {"type": "int"}
        assert await store.cache_get("Infer", "abc", "v2") is None
        assert await store.cache_get("Infer", "abd", "v1") is None
        assert await store.cache_get("Check", "abc", "v1") is None
        await store.cache_put("Infer", "abc", "v1", {"type": "str"})  # replaces
        assert await store.cache_get("Infer", "abc", "v1") == {"type": "str"}
        assert await store.cache_stats() == {"hits": 2, "misses": 4, "errors": 0, "rows": 1}
    async with await Store.open(path) as store:
        assert await store.cache_get("Infer", "abc", "v1") == {"type": "str"}
        assert await store.cache_stats() == {"hits": 1, "misses": 0, "errors": 0, "rows": 1}
    assert query(path, "SELECT value FROM node_cache") == [('{"type":"str"}',)]


async def test_in_memory_store(tmp_path: Path) -> None:
    warnings: list[str] = []
    async with await Store.open(None, on_warning=warnings.append) as store:
        assert store.degraded is None
        assert store.schema_version == LATEST_VERSION
        await still_works_in_memory(store)
    assert warnings == []


# --- degraded modes ------------------------------------------------------------------------


@pytest.mark.parametrize("journal", ["delete", "wal"])
async def test_a_locked_database_degrades_to_memory(tmp_path: Path, journal: str) -> None:
    path = db_path(tmp_path)
    path.parent.mkdir(parents=True)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute(f"PRAGMA journal_mode = {journal}")
    holder.execute("CREATE TABLE theirs (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        warnings: list[str] = []
        async with await Store.open(path, on_warning=warnings.append, busy_timeout_ms=FAST) as s:
            assert_one_warning(s, warnings, path, "locked")
            await still_works_in_memory(s)
        assert len(warnings) == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert tables(path) == {"theirs"}  # nothing was written to the file


async def test_a_corrupt_file_degrades_to_memory(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database " * 200)
    before = digest(path)
    warnings: list[str] = []
    async with await Store.open(path, on_warning=warnings.append) as store:
        assert_one_warning(store, warnings, path, "corrupt")
        await still_works_in_memory(store)
    assert digest(path) == before


async def test_an_uncreatable_folder_degrades_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "workspace"
    blocker.write_text("a file where the workspace folder should be", encoding="utf-8")
    path = db_path(tmp_path)
    warnings: list[str] = []
    async with await Store.open(path, on_warning=warnings.append) as store:
        assert_one_warning(store, warnings, path, "cannot create the folder")
        await still_works_in_memory(store)
    assert blocker.is_file()


READ_ONLY_CHILD = """
import asyncio, json, os, sys
from pathlib import Path
from lift_lsp.store import Store

if os.geteuid() == 0:  # root ignores file modes: become nobody (after the imports)
    try:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    except OSError as exc:
        print(json.dumps({"setuid_failed": str(exc)}))
        sys.exit(0)

async def main():
    warnings = []
    async with await Store.open(Path(sys.argv[1]), on_warning=warnings.append,
                                busy_timeout_ms=100) as store:
        eid = await store.create_execution("reverse", {}, {})
        await store.record_node(eid, "Parse", "", 1, "t", 1.0)
        print(json.dumps({
            "uid": os.getuid(),
            "can_write": os.access(sys.argv[1], os.W_OK),
            "warnings": warnings,
            "degraded": store.degraded,
            "path": None if store.path is None else str(store.path),
            "runs": len(await store.node_runs(eid)),
        }))

asyncio.run(main())
"""


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path lives under a 0700 folder)."""
    folder = Path(tempfile.mkdtemp(prefix="lift-store-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for item in folder.iterdir():
            item.chmod(0o644)
        shutil.rmtree(folder)


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_a_read_only_database_degrades_to_memory(shared_dir: Path, journal: str) -> None:
    path = shared_dir / "lift.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE theirs (x)")
    conn.commit()
    conn.close()
    assert sorted(p.name for p in shared_dir.iterdir()) == ["lift.db"]
    path.chmod(0o444)
    shared_dir.chmod(0o555)  # no -journal, -wal or -shm can be created next to it
    before = digest(path)
    try:
        result = subprocess.run(
            [sys.executable, "-c", READ_ONLY_CHILD, str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    finally:
        shared_dir.chmod(0o755)
    report = json.loads(result.stdout)
    if "setuid_failed" in report:
        pytest.skip(f"cannot drop root privileges here: {report['setuid_failed']}")
    assert report["uid"] != 0
    assert report["can_write"] is False  # the condition is real for this process
    assert len(report["warnings"]) == 1, report
    message = report["warnings"][0]
    assert str(path) in message
    assert "read-only" in message
    assert "won't be kept this session" in message
    assert report["degraded"] == message
    assert report["path"] is None
    assert report["runs"] == 1  # and it still works, in memory
    assert digest(path) == before


async def test_a_lock_taken_during_a_run_moves_the_run_to_memory(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    warnings: list[str] = []
    async with await Store.open(path, on_warning=warnings.append, busy_timeout_ms=FAST) as store:
        eid = await store.create_execution("reverse", {"file": "a.py"}, {})
        await store.record_node(eid, "Parse", "", {"tree": 1}, "t0", 1.0)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            run = await store.record_node(eid, "Infer", "a.f", "int", "t1", 1.0)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert run.seq == 2
        message = assert_one_warning(store, warnings, path, "locked", "recording a node")
        assert "1 running execution(s) carried over" in message
        # The run carries on in memory, with what was recorded before the lock.
        await store.record_node(eid, "Check", "a.f", "ok", "t2", 1.0)
        assert [r.node_id for r in await store.node_runs(eid)] == ["Parse", "Infer", "Check"]
        await store.finish_execution(eid, "completed", total_duration_ms=3.0)
        row = await store.get_execution(eid)
        assert row is not None
        assert (row.status, row.node_count, row.graph_type) == ("completed", 3, "reverse")
        await still_works_in_memory(store)
        assert len(warnings) == 1
    # The file keeps what was committed before the lock.
    assert query(path, "SELECT count(*) FROM node_runs") == [(1,)]


async def test_a_file_corrupted_during_a_run_moves_the_run_to_memory(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    warnings: list[str] = []
    async with await Store.open(path, on_warning=warnings.append, busy_timeout_ms=FAST) as store:
        eid = await store.create_execution("reverse", {"file": "a.py"}, {})
        await store.record_node(eid, "Parse", "", 1, "t0", 1.0)
        for file in path.parent.glob("lift.db*"):
            file.write_bytes(b"garbage!" * (file.stat().st_size // 8 + 1))
        run = await store.record_node(eid, "Infer", "a.f", "int", "t1", 1.0, {"phase": 2})
        assert_one_warning(store, warnings, path, "corrupt", "recording a node")
        # Nothing could be read back, so the execution is recreated from what the store
        # knows: the run goes on, numbering restarts.
        assert run.seq == 1
        row = await store.get_execution(eid)
        assert row is not None
        assert (row.graph_type, row.input, row.state) == ("reverse", {"file": "a.py"}, {"phase": 2})
        await store.finish_execution(eid, "completed", total_duration_ms=1.0)
        await still_works_in_memory(store)
        assert len(warnings) == 1


async def test_a_lock_on_the_cache_costs_a_miss_not_an_error(tmp_path: Path) -> None:
    path = db_path(tmp_path)
    warnings: list[str] = []
    async with await Store.open(path, on_warning=warnings.append, busy_timeout_ms=FAST) as store:
        await store.cache_put("Infer", "h1", "v1", "int")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            await store.cache_put("Infer", "h2", "v1", "str")  # fails, silently
            await store.cache_put("Infer", "h3", "v1", "str")  # paused: no second wait
            assert await store.cache_get("Infer", "h1", "v1") == "int"  # WAL: reads go on
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert len(warnings) == 1
        assert "node cache" in warnings[0]
        assert "locked" in warnings[0]
        assert store.degraded is None  # the cache alone never moves the store
        assert store.path == path
        stats = await store.cache_stats()
        assert (stats["errors"], stats["rows"], stats["hits"]) == (1, 1, 1)


async def test_feedback_and_program_versions_with_rollback(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "lift.db")
    await store.record_feedback("h1", "x", {"type_fit": 1.0}, "static", True, "ranker-0")
    await store.record_feedback("h1", "y", {"type_fit": 0.0}, "static", False, "ranker-0")
    rows = await store.feedback_rows()
    assert [(r.suggestion, r.accepted, r.features) for r in rows] == [
        ("x", True, {"type_fit": 1.0}),
        ("y", False, {"type_fit": 0.0}),
    ]
    assert await store.active_program("ranker") is None
    await store.save_program("ranker", "r1", {"w": 1}, {"top1": 0.5}, activate=True)
    await store.save_program("ranker", "r2", {"w": 2}, {"top1": 0.6}, activate=True)
    await store.save_program("ranker", "r3", {"w": 3}, {"top1": 0.4}, activate=False)
    active = await store.active_program("ranker")
    assert active is not None
    assert (active.version, active.previous) == ("r2", "r1")
    back = await store.rollback_program("ranker")
    assert back is not None
    assert back.version == "r1"
    active = await store.active_program("ranker")
    assert active is not None
    assert active.version == "r1"
    assert await store.rollback_program("ranker") is None  # back to the built-in default
    assert await store.active_program("ranker") is None
    await store.close()
