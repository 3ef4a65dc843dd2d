"""Shared fixtures: a real lift-lsp server over stdio, driven by pytest-lsp."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER_COMMAND = [sys.executable, "-m", "lift_lsp", "serve", "--stdio"]


@pytest.fixture
def examples_dir() -> Path:
    return ROOT / "examples"
