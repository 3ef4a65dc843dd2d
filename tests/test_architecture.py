"""Structure the design depends on: an engine without LSP imports, a light start-up."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = [p for p in (ROOT / "lift_lsp").rglob("*.py") if "server" not in p.parts]
LSP_MODULES = ("pygls", "lsprotocol", "pytest_lsp")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_has_no_lsp_imports() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.startswith(LSP_MODULES)
        )
        for path in ENGINE
        if path.name != "cli.py"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_server_start_up_imports_nothing_heavy() -> None:
    code = (
        "import sys, json; from lift_lsp.server.app import create_server; create_server();"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    heavy = {"dspy", "anthropic", "modal", "litellm", "torch", "pydantic_graph", "aiosqlite"}
    assert not loaded & heavy
    # Loaded after start-up, off the event loop: the suggestion engine, the routes'
    # transports and HTTP clients.
    later = {
        "lift_lsp.suggest.engine",
        "lift_lsp.providers.router",
        "lift_lsp.providers.anthropic_route",
        "lift_lsp.providers.modal_route",
        "httpx",
        "jsonschema",
    }
    assert not loaded & later


def test_queries_ship_inside_the_package() -> None:
    from lift_lsp.syntax.parser import query

    for name in ("holes", "hole_imports", "hole_calls"):
        assert query(name).pattern_count >= 1
    assert (ROOT / "grammars" / "holes.scm").is_file()
