#!/usr/bin/env python3
"""Set up and run lift-lsp's jobs with nothing but Python 3.11+.

    python3 dev.py demo    # create .venv, install, run `lift-lsp check examples/`
    python3 dev.py test    # create .venv, install, run ruff, mypy, the test suite and the
                           # VS Code extension's build and tests (npm)
    python3 dev.py setup   # only create/refresh .venv

The virtualenv is reinstalled only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".lift-installed"


def run(*cmd: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, check=False, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older Python
        sys.exit(f"lift-lsp needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PY.exists():
        print(f"+ python -m venv {VENV.name}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def demo() -> None:
    setup()
    run(BIN / "lift-lsp", "check", "examples/")


def test() -> None:
    setup()
    run(PY, "-m", "ruff", "check", ".")
    run(PY, "-m", "ruff", "format", "--check", ".")
    run(PY, "-m", "mypy")
    run(PY, "-m", "pytest", *sys.argv[2:])
    vscode_extension()


def vscode_extension() -> None:
    """Type-check, lint, build, test (against this checkout's server) and package the
    VS Code extension. Needs Node 18+ and npm."""
    folder = ROOT / "editors" / "vscode"
    if not (folder / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("the VS Code extension's tests need Node.js 18+ and npm (apt-get install npm)")
    env = {**os.environ, "LIFT_LSP_COMMAND": str(BIN / "lift-lsp")}
    run(npm, "ci", "--no-audit", "--no-fund", cwd=folder, env=env)
    run(npm, "run", "ci", cwd=folder, env=env)


def main() -> None:
    jobs = {"setup": setup, "demo": demo, "test": test}
    job = sys.argv[1] if len(sys.argv) > 1 else ""
    if job not in jobs:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(jobs)}}}")
    jobs[job]()


if __name__ == "__main__":
    main()
