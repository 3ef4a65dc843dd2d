"""Settings: defaults < ``[tool.lift-lsp]`` in pyproject.toml < the editor's settings.

The editor wins, as in ruff's default ``editorFirst``: a project file states the
team's choice, an editor setting is a person overriding it for themselves.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from lift_lsp.holes.model import ALL_KINDS, HoleKind

# Directories nobody wants analysed (the same spirit as ruff's defaults).
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints",
    ".lift", ".mypy_cache", ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype",
    ".ruff_cache", ".svn", ".tox", ".venv", ".vscode", "__pypackages__", "_build",
    "buck-out", "build", "dist", "node_modules", "site-packages", "venv",
)  # fmt: skip
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"


@dataclass(frozen=True, slots=True)
class Settings:
    severity: Severity = Severity.INFORMATION
    enabled_kinds: frozenset[HoleKind] = ALL_KINDS
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    #: Settings we did not understand, reported once to the user.
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return (*self.exclude, *self.extend_exclude)


def _key(name: str) -> str:
    """``enabledKinds`` / ``enabled-kinds`` / ``enabled_kinds`` → ``enabled_kinds``."""
    out = []
    for ch in name.replace("-", "_"):
        if ch.isupper():
            out.append("_" + ch.lower())
        else:
            out.append(ch)
    return "".join(out)


def _strings(value: Any, what: str, problems: list[str]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    problems.append(f"{what} must be a list of strings, got {value!r}")
    return None


def merge(base: Settings, raw: Mapping[str, Any] | None, source: str) -> Settings:
    """``base`` updated with the recognised keys of ``raw``; unknown keys are reported."""
    if not raw:
        return base
    if not isinstance(raw, Mapping):
        return replace(base, problems=(*base.problems, f"{source}: expected a table"))
    problems: list[str] = []
    changes: dict[str, Any] = {}
    for name, value in raw.items():
        key = _key(str(name))
        if key == "severity":
            try:
                changes["severity"] = Severity(str(value).lower())
            except ValueError:
                allowed = ", ".join(s.value for s in Severity)
                problems.append(f"severity must be one of {allowed}, got {value!r}")
        elif key in ("enabled_kinds", "kinds"):
            kinds = _strings(value, "enabledKinds", problems)
            if kinds is not None:
                known = {k.value: k for k in HoleKind}
                bad = [k for k in kinds if k not in known]
                if bad:
                    problems.append(f"unknown hole kinds {bad}; known: {sorted(known)}")
                changes["enabled_kinds"] = frozenset(known[k] for k in kinds if k in known)
        elif key in ("exclude", "extend_exclude"):
            globs = _strings(value, key, problems)
            if globs is not None:
                changes[key] = globs
        elif key in ("max_file_bytes", "max_file_size"):
            if isinstance(value, int) and value > 0:
                changes["max_file_bytes"] = value
            else:
                problems.append(f"{name} must be a positive integer, got {value!r}")
        elif key in ("route", "routes", "trace", "server", "interpreter", "path"):
            continue  # read by other parts (editor clients, later routes)
        else:
            problems.append(f"unknown setting {name!r}")
    all_problems = (*base.problems, *(f"{source}: {p}" for p in problems))
    return replace(base, **changes, problems=all_problems)


def find_project_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding a pyproject.toml."""
    here = start if start.is_dir() else start.parent
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return None


def load_pyproject(root: Path | None) -> tuple[dict[str, Any] | None, str | None]:
    """The ``[tool.lift-lsp]`` table of ``root/pyproject.toml`` and any error reading it."""
    if root is None:
        return None, None
    path = root / "pyproject.toml"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return None, None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return None, f"{path}: cannot read: {exc}"
    tool = data.get("tool", {})
    table = tool.get("lift-lsp", tool.get("lift_lsp")) if isinstance(tool, dict) else None
    return (table if isinstance(table, dict) else None), None


def project_settings(root: Path | None, base: Settings | None = None) -> Settings:
    settings = base or Settings()
    table, error = load_pyproject(root)
    if error is not None:
        settings = replace(settings, problems=(*settings.problems, error))
    return merge(settings, table, "pyproject.toml [tool.lift-lsp]")
