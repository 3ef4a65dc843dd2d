"""Versioned schema migrations for the workspace database.

Each migration is applied once, in its own transaction, and recorded in
``schema_migrations``. Never edit a migration that has shipped: add a new one with the
next version number (later issues add LLM calls, feedback and program versions this way).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """The SQL split into complete statements (triggers with inner ``;`` stay whole)."""
        return split_statements(self.sql)


def split_statements(sql: str) -> list[str]:
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:60]!r}")
    return statements


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "graph executions, node runs and node cache",
        """
        CREATE TABLE schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        );
        CREATE TABLE graph_executions (
            id TEXT PRIMARY KEY,
            graph_type TEXT NOT NULL,
            status TEXT NOT NULL,
            input TEXT NOT NULL,
            state TEXT NOT NULL,
            current_node TEXT,
            completed_nodes TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            total_duration_ms REAL,
            node_count INTEGER NOT NULL DEFAULT 0,
            llm_calls INTEGER NOT NULL DEFAULT 0,
            tokens_used INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX graph_executions_status ON graph_executions (status, created_at);
        CREATE TABLE node_runs (
            execution_id TEXT NOT NULL REFERENCES graph_executions (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            item_key TEXT NOT NULL,
            started_at TEXT NOT NULL,
            duration_ms REAL NOT NULL,
            output TEXT NOT NULL,
            PRIMARY KEY (execution_id, seq)
        );
        CREATE INDEX node_runs_item ON node_runs (execution_id, node_id, item_key);
        CREATE TABLE node_cache (
            node_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            program_version TEXT NOT NULL,
            value TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (node_id, content_hash, program_version)
        );
        """,
    ),
    Migration(
        2,
        "suggestion feedback and program versions",
        """
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            hole_key TEXT NOT NULL,
            suggestion TEXT NOT NULL,
            features TEXT NOT NULL,
            source TEXT NOT NULL,
            accepted INTEGER NOT NULL,
            program_version TEXT NOT NULL,
            chosen TEXT
        );
        CREATE INDEX feedback_hole ON feedback (hole_key, created_at);
        CREATE TABLE program_versions (
            kind TEXT NOT NULL,
            version TEXT NOT NULL,
            created_at TEXT NOT NULL,
            payload TEXT NOT NULL,
            metrics TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 0,
            previous TEXT,
            PRIMARY KEY (kind, version)
        );
        """,
    ),
    Migration(
        3,
        "LLM calls",
        """
        CREATE TABLE llm_calls (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            execution_id TEXT,
            route TEXT NOT NULL,
            model TEXT NOT NULL,
            signature TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            tokens_in INTEGER NOT NULL DEFAULT 0,
            tokens_out INTEGER NOT NULL DEFAULT 0,
            latency_ms REAL NOT NULL,
            cost_usd REAL NOT NULL DEFAULT 0,
            outcome TEXT NOT NULL,
            error TEXT
        );
        CREATE INDEX llm_calls_route ON llm_calls (route, created_at);
        CREATE INDEX llm_calls_execution ON llm_calls (execution_id);
        """,
    ),
    Migration(
        4,
        "what a hole looked like when a fill was chosen (examples for the LLM programs)",
        """
        ALTER TABLE feedback ADD COLUMN inputs TEXT;
        """,
    ),
)


def check_migrations(migrations: tuple[Migration, ...]) -> None:
    """Versions must run 1, 2, 3, ... with no gaps, and each must contain SQL."""
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise ValueError(
                f"migration {migration.name!r} has version {migration.version}, expected {expected}"
            )
        if not migration.statements():
            raise ValueError(f"migration {migration.version} has no SQL")


check_migrations(MIGRATIONS)
LATEST_VERSION = MIGRATIONS[-1].version
