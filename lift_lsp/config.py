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
# Files whose contents never leave the machine, whatever the route.
DEFAULT_REMOTE_EXCLUDES: tuple[str, ...] = (
    ".env*", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_ed25519*",
    "*secret*", "*credential*", "*password*", ".netrc", ".pypirc",
)  # fmt: skip
ROUTES: tuple[str, ...] = ("local", "anthropic", "modal", "auto")
#: The routes that call a model over the network (configured with a key or a URL).
REMOTE_ROUTES: tuple[str, ...] = ("anthropic", "modal")
DEFAULT_COMPLETION_BUDGET_MS = 300


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
    #: ``local`` (default), ``anthropic``, ``modal`` or ``auto``; see docs/routes.md.
    route: str = "local"
    anthropic_model: str | None = None
    anthropic_base_url: str | None = None
    modal_url: str | None = None
    modal_model: str | None = None
    remote_exclude: tuple[str, ...] = DEFAULT_REMOTE_EXCLUDES
    extend_remote_exclude: tuple[str, ...] = ()
    #: How long completion waits for remote suggestions before answering with local ones.
    completion_budget_ms: int = DEFAULT_COMPLETION_BUDGET_MS
    #: Per graph type (``reverse``, ``forward``, ``suggest``): maxCalls, maxTokens, maxConcurrent.
    limits: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
    #: Run doctests / given tests of generated code (in a subprocess, with a timeout).
    run_generated_tests: bool = False
    #: Settings we did not understand, reported once to the user.
    problems: tuple[str, ...] = field(default=(), compare=False)
    #: The settings some source set (even to their default): those win over the
    #: environment variables that stand in for them.
    explicit: frozenset[str] = frozenset()

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return (*self.exclude, *self.extend_exclude)

    @property
    def all_remote_excludes(self) -> tuple[str, ...]:
        return (*self.remote_exclude, *self.extend_remote_exclude)

    def limits_for(self, graph_type: str) -> dict[str, int]:
        return dict(dict(self.limits).get(graph_type, ()))


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
        elif key == "route":
            if str(value).lower() in ROUTES:
                changes["route"] = str(value).lower()
            else:
                problems.append(f"route must be one of {', '.join(ROUTES)}, got {value!r}")
        elif key in ("anthropic_model", "anthropic_base_url", "modal_url", "modal_model"):
            if isinstance(value, str):
                changes[key] = value.strip() or None
            else:
                problems.append(f"{name} must be a string, got {value!r}")
        elif key in ("remote_exclude", "extend_remote_exclude"):
            globs = _strings(value, key, problems)
            if globs is not None:
                changes[key] = globs
        elif key == "completion_budget_ms":
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                changes[key] = int(value)
            else:
                problems.append(f"{name} must be a number of milliseconds, got {value!r}")
        elif key == "limits":
            limits = _limits(value, problems)
            if limits is not None:
                changes["limits"] = limits
        elif key == "run_generated_tests":
            if isinstance(value, bool):
                changes[key] = value
            else:
                problems.append(f"{name} must be true or false, got {value!r}")
        elif key in ("anthropic_api_key", "modal_key", "modal_secret", "api_key"):
            problems.append(
                f"{name} is not read from settings: keys come from the environment"
                " (ANTHROPIC_API_KEY, LIFT_MODAL_KEY, LIFT_MODAL_SECRET) or the editor's"
                " secret storage"
            )
        elif key in ("trace", "server", "interpreter", "path"):
            continue  # read by editor clients
        else:
            problems.append(f"unknown setting {name!r}")
    all_problems = (*base.problems, *(f"{source}: {p}" for p in problems))
    explicit = base.explicit | frozenset(changes)
    return replace(base, **changes, problems=all_problems, explicit=explicit)


LIMIT_KEYS = {
    "max_calls": "max_calls",
    "max_tokens": "max_tokens",
    "max_concurrent": "max_concurrent",
}


def _limits(
    value: Any, problems: list[str]
) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...] | None:
    """``{"reverse": {"maxCalls": 100, "maxTokens": 50000, "maxConcurrent": 3}, ...}``."""
    if not isinstance(value, Mapping):
        problems.append(f"limits must be a table per graph type, got {value!r}")
        return None
    out = []
    for graph_type, table in value.items():
        if not isinstance(table, Mapping):
            problems.append(f"limits.{graph_type} must be a table, got {table!r}")
            continue
        entries = []
        for name, number in table.items():
            key = LIMIT_KEYS.get(_key(str(name)))
            if key is None or not isinstance(number, int) or isinstance(number, bool) or number < 0:
                problems.append(
                    f"limits.{graph_type}.{name}: expected maxCalls, maxTokens or"
                    f" maxConcurrent with a non-negative integer, got {number!r}"
                )
                continue
            entries.append((key, number))
        out.append((str(graph_type), tuple(entries)))
    return tuple(out)


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
