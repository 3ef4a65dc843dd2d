"""Neovim end to end: the plugin in ``editors/nvim`` driving the real server.

A headless ``nvim --clean`` runs ``tests/nvim/drive.lua``, which opens a file with
holes, uses the server as a user would (diagnostics, hover, completion, a code
action, :LiftHoles, :LiftNextHole / :LiftPrevHole) and writes what the editor
showed as JSON; the tests below check that record.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

PLUGIN = ROOT / "editors" / "nvim"
SCRIPTS = ROOT / "tests" / "nvim"
SERVER = [sys.executable, "-m", "lift_lsp"]
INSTALL = "install neovim: apt-get install -y neovim"
#: Before startup, so that plugin/lift_lsp.lua is sourced as for an installed plugin.
ON_RUNTIMEPATH = "lua vim.opt.runtimepath:prepend(vim.env.LIFT_NVIM_PLUGIN)"
#: A hang must fail the test, not block the run.
TIMEOUT_SECONDS = 60
#: vim.log.levels.ERROR
ERROR = 4

GEOMETRY = """\
def area(radius: float) -> float:
    return ...


def describe(name: str) -> str:
    return ...
"""
UTIL = """\
def double(x: int) -> int:
    return x * 2
"""


def nvim() -> str | None:
    return shutil.which("nvim")


def test_neovim_is_installed() -> None:
    """CI must run the Neovim tests, so a missing nvim fails there."""
    if nvim() is None:
        if os.environ.get("CI"):
            pytest.fail(f"nvim not found: {INSTALL}")
        pytest.skip(INSTALL)


def run_nvim(script: str, workspace: Path, **env: str) -> dict[str, Any]:
    binary = nvim()
    if binary is None:
        pytest.skip(INSTALL)
    out = workspace.parent / f"{script}.json"
    home = workspace.parent / "home"  # keeps Neovim's state and logs out of $HOME
    # The user's route and keys stay out: the server must start on its defaults.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("LIFT_", "ANTHROPIC_"))}
    environ = {
        **inherited,
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "LIFT_NVIM_PLUGIN": str(PLUGIN),
        "LIFT_NVIM_OUT": str(out),
        **env,
    }
    driver = str(SCRIPTS / script)
    try:
        proc = subprocess.run(
            [binary, "--headless", "--clean", "--cmd", ON_RUNTIMEPATH, "-S", driver],
            cwd=workspace,
            env=environ,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"nvim did not finish in {TIMEOUT_SECONDS} s: {exc.stderr!r}")
    if not out.exists():
        pytest.fail(f"nvim wrote no results (exit {proc.returncode}): {proc.stderr}")
    results: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    if proc.returncode != 0 or "error" in results:
        log = "\n".join(results.get("lsp_log", []))
        pytest.fail(f"{script} failed (exit {proc.returncode}): {results.get('error')}\n{log}")
    return results


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workspace = tmp_path_factory.mktemp("nvim") / "project"
    workspace.mkdir()
    (workspace / "pyproject.toml").write_text("[project]\nname = 'shapes'\n", encoding="utf-8")
    (workspace / "geometry.py").write_text(GEOMETRY, encoding="utf-8")
    (workspace / "util.py").write_text(UTIL, encoding="utf-8")
    results = run_nvim(
        "drive.lua",
        workspace,
        LIFT_NVIM_CMD=json.dumps(SERVER),
        LIFT_NVIM_FILE=str(workspace / "geometry.py"),
        LIFT_NVIM_OTHER=str(workspace / "util.py"),
    )
    results["workspace"] = str(workspace)
    return results


def test_commands_exist_before_setup(session: dict[str, Any]) -> None:
    """plugin/lift_lsp.lua defines them, for clients started by nvim-lspconfig too."""
    assert session["commands_before_setup"]


def test_holes_are_diagnostics_with_the_configured_severity(session: dict[str, Any]) -> None:
    assert session["filetype"] == "python"
    assert session["diagnostics"] == [
        {
            "lnum": 1,
            "col": 11,
            "end_col": 14,
            # "warning" came from setup{settings = ...} via workspace/configuration;
            # the server's default is "information".
            "severity": 2,
            "message": "area#1: hole of type float",
            "source": "lift",
            "code": "hole.expression",
        },
        {
            "lnum": 5,
            "col": 11,
            "end_col": 14,
            "severity": 2,
            "message": "describe#1: hole of type str",
            "source": "lift",
            "code": "hole.expression",
        },
    ]


def test_hover_shows_the_expected_type_and_scope(session: dict[str, Any]) -> None:
    assert "expected type: `float`" in session["hover"]
    assert "- `radius: float` · parameter" in session["hover"]


def test_completion_offers_the_parameter_replacing_the_hole(session: dict[str, Any]) -> None:
    items = {item["label"]: item for item in session["completion"]}
    assert "radius" in items
    assert items["radius"]["textEdit"] == {
        "range": {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 14}},
        "newText": "radius",
    }
    assert items["radius"]["command"]["command"] == "lift.acceptSuggestion"


def test_fill_action_rewrites_the_buffer(session: dict[str, Any]) -> None:
    assert session["action_titles"][0] == "Fill hole with `radius`"
    assert session["action_command_result"]["accepted"] == "radius"
    assert session["lines"] == GEOMETRY.replace("return ...", "return radius", 1).splitlines()
    assert [d["message"] for d in session["diagnostics_after"]] == ["describe#1: hole of type str"]


def test_lift_holes_fills_the_quickfix_list(session: dict[str, Any]) -> None:
    path = str(Path(session["workspace"]) / "geometry.py")
    assert session["quickfix_title"] == "Lift holes"
    assert session["quickfix_open"]
    assert session["quickfix"] == [
        {
            "filename": path,
            "lnum": 2,
            "col": 12,
            "end_lnum": 2,
            "end_col": 15,
            "text": "expression: area#1: hole of type float",
        },
        {
            "filename": path,
            "lnum": 6,
            "col": 12,
            "end_lnum": 6,
            "end_col": 15,
            "text": "expression: describe#1: hole of type str",
        },
    ]


def test_next_and_previous_hole_move_the_cursor(session: dict[str, Any]) -> None:
    # From line 1: next, next, previous; (row, byte column) as nvim_win_get_cursor.
    assert session["navigation"] == [[2, 11], [6, 11], [2, 11]]


def test_route_status_for_the_statusline(session: dict[str, Any]) -> None:
    assert session["status"] == "lift: local"


def test_one_client_per_project_root(session: dict[str, Any]) -> None:
    assert session["clients"] == 1
    assert session["same_client"]
    assert session["root_dir"] == session["workspace"]


def test_no_errors_shown(session: dict[str, Any]) -> None:
    assert [n for n in session["notifications"] if n["level"] >= ERROR] == []


def test_missing_server_says_how_to_install(tmp_path: Path) -> None:
    workspace = tmp_path / "project"
    workspace.mkdir()
    (workspace / "geometry.py").write_text(GEOMETRY, encoding="utf-8")
    results = run_nvim(
        "missing.lua",
        workspace,
        LIFT_NVIM_CMD=json.dumps(["lift-lsp-not-installed"]),
        LIFT_NVIM_FILE=str(workspace / "geometry.py"),
    )
    assert results["clients"] == 0
    errors = [n["message"] for n in results["notifications"] if n["level"] >= ERROR]
    # Once when the buffer opens, then once per command that needs the server.
    assert len(errors) == 3
    assert all("pip install lift-lsp" in message for message in errors)
    assert "`lift-lsp-not-installed` not found" in errors[0]
