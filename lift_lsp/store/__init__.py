"""Persistence for the engine: one SQLite database per workspace (``.lift/lift.db``).

Importing this package imports ``aiosqlite``; the server should import it lazily (the
start-up test forbids it at start-up).
"""

from lift_lsp.store.db import (
    DEFAULT_BUSY_TIMEOUT_MS,
    FINAL_STATUSES,
    STATUSES,
    ExecutionRow,
    LLMCall,
    NodeRun,
    Status,
    Store,
    default_db_path,
    dumps,
    utc_now,
)
from lift_lsp.store.migrations import LATEST_VERSION, MIGRATIONS, Migration

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_MS",
    "FINAL_STATUSES",
    "LATEST_VERSION",
    "MIGRATIONS",
    "STATUSES",
    "ExecutionRow",
    "LLMCall",
    "Migration",
    "NodeRun",
    "Status",
    "Store",
    "default_db_path",
    "dumps",
    "utc_now",
]
