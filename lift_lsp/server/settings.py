"""Settings per file.

Defaults < pyproject.toml < initializationOptions < workspace/configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lift_lsp.config import Settings, find_project_root, merge, project_settings
from lift_lsp.workspace import Excludes

SECTION = "lift"


def _unwrap(raw: Any) -> Mapping[str, Any] | None:
    """Accept both ``{"severity": …}`` and ``{"lift": {"severity": …}}``."""
    if not isinstance(raw, Mapping):
        return None
    inner = raw.get(SECTION)
    return inner if isinstance(inner, Mapping) else raw


class SettingsManager:
    def __init__(self) -> None:
        self.roots: list[Path] = []
        self._init_options: Mapping[str, Any] | None = None
        self._client: Mapping[str, Any] | None = None
        self._projects: dict[Path | None, tuple[float, Settings]] = {}
        self._reported: set[str] = set()
        self._excluded: dict[tuple[Path, tuple[str, ...], tuple[Path, ...]], bool] = {}
        #: Bumped whenever a source of settings changes.
        self.generation = 0

    def set_init_options(self, raw: Any) -> None:
        self._init_options = _unwrap(raw)
        self.generation += 1

    def set_client_config(self, raw: Any) -> None:
        self._client = _unwrap(raw)
        self.generation += 1

    def root_for(self, path: Path | None) -> Path | None:
        if path is None:
            return self.roots[0] if self.roots else None
        best: Path | None = None
        for root in self.roots:
            if (path == root or root in path.parents) and (
                best is None or len(root.parts) > len(best.parts)
            ):
                best = root
        return best or find_project_root(path)

    def _project(self, root: Path | None) -> Settings:
        stamp = -1.0
        if root is not None:
            try:
                stamp = (root / "pyproject.toml").stat().st_mtime
            except OSError:
                stamp = -1.0
        cached = self._projects.get(root)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        settings = project_settings(root)
        self._projects[root] = (stamp, settings)
        return settings

    def for_path(self, path: Path | None) -> Settings:
        settings = self._project(self.root_for(path))
        settings = merge(settings, self._init_options, "initializationOptions")
        return merge(settings, self._client, "workspace/configuration")

    def is_excluded(self, path: Path | None, settings: Settings) -> bool:
        if path is None:
            return False
        key = (path, settings.all_excludes, tuple(self.roots))
        cached = self._excluded.get(key)
        if cached is None:
            root = self.root_for(path)
            cached = root is not None and Excludes(root, settings.all_excludes).excluded(path)
            if len(self._excluded) > 4096:
                self._excluded.clear()
            self._excluded[key] = cached
        return cached

    def new_problems(self, settings: Settings) -> list[str]:
        """Problems not yet reported to the user (each is said once)."""
        fresh = [p for p in settings.problems if p not in self._reported]
        self._reported.update(fresh)
        return fresh
