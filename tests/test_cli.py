"""The command line: `lift-lsp check` as CLI_CONTRACT.md specifies it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lift_lsp.cli import main


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lift_lsp", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "geometry.py").write_text(
        "class Circle:\n"
        "    def __init__(self, radius: float) -> None:\n"
        "        self.radius = radius\n"
        "\n"
        "    def area(self) -> float:\n"
        '        label = "π 😀"; return ...\n'
    )
    (pkg / "clean.py").write_text("x = 1\n")
    (pkg / "broken.py").write_bytes(b"x = '\xff\xfe'\n")
    return tmp_path


def test_json_follows_the_contract(project: Path) -> None:
    proc = run("check", "pkg", "--format", "json", cwd=project)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["version"] == 1
    assert out["holes"] == [
        {
            "path": "pkg/geometry.py",
            # 30 code points precede the hole (π and 😀 count one each).
            "location": {"row": 6, "column": 31},
            "end_location": {"row": 6, "column": 34},
            "kind": "expression",
            "name": "area#1",
            "expected_type": "float",
            "function": "Circle.area",
            "message": "hole of type float",
        }
    ]
    assert out["errors"] == [
        {"path": "pkg/broken.py", "message": "not valid UTF-8 (byte 0xff at offset 5)"}
    ]


def test_text_reads_like_a_compiler(project: Path) -> None:
    proc = run("check", "pkg", cwd=project)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == "pkg/geometry.py:6:31: expression: area#1: hole of type float"
    assert lines[-1] == "Found 1 hole in 2 files."
    assert "pkg/broken.py: error: not valid UTF-8" in proc.stderr


def test_fail_on_holes(project: Path) -> None:
    assert run("check", "pkg", "--fail-on-holes", cwd=project).returncode == 1
    assert run("check", "pkg/clean.py", "--fail-on-holes", cwd=project).returncode == 0


def test_usage_errors_exit_2_with_one_line(project: Path) -> None:
    proc = run("check", "--format", "yaml", "pkg", cwd=project)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("lift-lsp: error:")


def test_missing_path_is_an_error_entry_not_a_crash(project: Path, capsys) -> None:
    code = main(["check", str(project / "nope.py"), str(project / "pkg"), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["errors"][0]["message"] == "no such file or directory"
    assert len(out["holes"]) == 1


def test_project_settings_apply(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.lift-lsp]\nenabled-kinds = ["body"]\n')
    proc = run("check", "pkg", "--format", "json", cwd=project)
    assert json.loads(proc.stdout)["holes"] == []


def test_common_options_are_accepted(project: Path) -> None:
    proc = run("check", "pkg", "--route", "local", "--no-cache", "--db", "x.db", cwd=project)
    assert proc.returncode == 0
    assert run("check", "pkg", "--route", "elsewhere", cwd=project).returncode == 2


def test_examples_show_every_kind_the_core_finds(examples_dir: Path, capsys) -> None:
    main(["check", str(examples_dir), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    kinds = {h["kind"] for h in out["holes"]}
    assert kinds == {"expression", "named", "body"}
    assert not [h for h in out["holes"] if h["path"].endswith("stubs_and_protocols.py")]


def test_version() -> None:
    proc = run("--version", cwd=Path.cwd())
    assert proc.returncode == 0
    assert proc.stdout.startswith("lift-lsp ")
