"""What other modules of the user's project say: types across ``import`` statements.

A function that returns ``self._append_parts(path)``, where ``_append_parts`` lives in
a base class defined in ``.api``, is typed by reading ``api.py``. Imports resolve to
files of the project (relative imports from the importing file, absolute ones from the
folders above it) — never to a copy installed in the tool's environment: a user's
project always wins over site-packages. Other modules are analysed on their own
(their imports are not followed again), once, and kept until their file changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lift_lsp.holes.defs import decorator_names, return_annotation
from lift_lsp.syntax.document import SourceDocument

if TYPE_CHECKING:
    from lift_lsp.analysis.context import ModuleContext
    from lift_lsp.analysis.typemodel import TypeModel
    from lift_lsp.analysis.types import FunctionTypes

MAX_FILE_BYTES = 2_000_000
#: How often a loaded module's file is checked for changes.
RECHECK_S = 2.0
#: A type inferred in another module is trusted from this confidence on.
TRUST_AT = 0.5


@dataclass
class _Loaded:
    stamp: float
    module: ModuleContext
    types: dict[str, FunctionTypes]


class WorkspaceModules:
    def __init__(self, model: TypeModel) -> None:
        self.model = model
        self._loaded: dict[Path, _Loaded | None] = {}
        self._resolved: dict[tuple[Path, str], tuple[Path, str] | None] = {}
        self._checked: dict[Path, float] = {}

    # -- finding files -------------------------------------------------------------------
    def resolve(self, importer: Path, origin: str) -> tuple[Path, str] | None:
        """``(file, name)`` for an import origin such as ``.api.Base`` or ``pkg.api.Base``
        (remembered per folder: looking a file up costs a few ``stat`` calls)."""
        key = (importer.parent, origin)
        if key not in self._resolved:
            if len(self._resolved) > 10_000:
                self._resolved.clear()
            self._resolved[key] = self._resolve(importer, origin)
        return self._resolved[key]

    @staticmethod
    def _resolve(importer: Path, origin: str) -> tuple[Path, str] | None:
        if origin.startswith("."):
            dots = len(origin) - len(origin.lstrip("."))
            rest = origin[dots:].split(".")
            base = importer.parent
            for _ in range(dots - 1):
                base = base.parent
            return _module_file(base, rest)
        parts = origin.split(".")
        for ancestor in importer.parents:
            found = _module_file(ancestor, parts)
            if found is not None:
                return found
        return None

    def load(self, path: Path) -> _Loaded | None:
        from lift_lsp.analysis.context import ModuleContext
        from lift_lsp.analysis.types import TypeInference

        cached = self._loaded.get(path)
        now = time.monotonic()
        if cached is not None and now - self._checked.get(path, 0.0) < RECHECK_S:
            return cached
        try:
            stamp = path.stat().st_mtime
        except OSError:
            return None
        self._checked[path] = now
        if cached is not None and cached.stamp == stamp:
            return cached
        try:
            data = path.read_bytes()
            if len(data) > MAX_FILE_BYTES or b"\x00" in data:
                return None
            module = ModuleContext(SourceDocument(data.decode("utf-8")), str(path))
            types = TypeInference(module, self.model).infer_module()
        except (OSError, UnicodeDecodeError, RecursionError):
            return None
        loaded = _Loaded(stamp, module, types)
        self._loaded[path] = loaded
        return loaded

    def module_path(self, importer: Path, dotted: str) -> Path | None:
        """The file of a module of the project imported as a whole (``import pkg``)."""
        parts = dotted.split(".")
        bases = [importer.parent] if dotted.startswith(".") else list(importer.parents)
        if dotted.startswith("."):
            dots = len(dotted) - len(dotted.lstrip("."))
            for _ in range(dots - 1):
                bases = [bases[0].parent]
            parts = dotted[dots:].split(".")
        for base in bases:
            folder = base.joinpath(*parts)
            for candidate in (folder / "__init__.py", folder.with_suffix(".py")):
                if candidate.is_file():
                    return candidate
        return None

    def exported_types(self, importer: Path, dotted: str) -> list[str]:
        """Class-like names a project module offers (``typer`` → ``Context``, ``Typer``)."""
        key = (importer.parent, "*" + dotted)
        if key in self._resolved:
            cached = self._resolved[key]
            return [] if cached is None else cached[1].split(",")
        path = self.module_path(importer, dotted)
        loaded = self.load(path) if path is not None else None
        names: list[str] = []
        if loaded is not None:
            names = sorted(
                {n for n in loaded.module.index.classes}
                | {n for n in loaded.module.imports if n[:1].isupper() and not n.isupper()}
            )
        self._resolved[key] = (path, ",".join(names)) if names and path else None
        return names

    # -- answers -------------------------------------------------------------------------
    def return_of(self, importer: Path, origin: str) -> str | None:
        """What calling the imported name gives: a class gives itself, a function its type."""
        found = self.resolve(importer, origin)
        if found is None:
            return None
        path, name = found
        loaded = self.load(path)
        if loaded is None:
            return None
        if name in loaded.module.index.classes:
            return name
        return _trusted(loaded, name)

    def member_return(
        self, importer: Path, class_origin: str, member: str, depth: int = 0
    ) -> tuple[str | None, bool]:
        """The return type of ``member`` of an imported class (through its bases), and
        whether the member is a property (read as ``obj.member``, not called)."""
        found = self.resolve(importer, class_origin)
        if found is None or depth > 4:
            return None, False
        path, name = found
        loaded = self.load(path)
        if loaded is None:
            return None, False
        index = loaded.module.index
        info = index.classes.get(name)
        if info is None:
            return None, False
        method = index.find_method(name, member)
        if method is not None:
            owner = _owner_of(index, name, member) or name
            is_prop = bool(decorator_names(method) & {"property", "cached_property"})
            return return_annotation(method) or _trusted(loaded, f"{owner}.{member}"), is_prop
        for base in info.bases:
            origin = loaded.module.imports.get(base)
            if origin is not None:
                answer = self.member_return(path, origin, member, depth + 1)
                if answer[0] is not None:
                    return answer
        return None, False


def _module_file(base: Path, parts: list[str]) -> tuple[Path, str] | None:
    """``base/a/b.py`` holding ``name`` for parts ``[a, b, name]`` (or a package)."""
    if not parts:
        return None
    *mods, name = parts
    folder = base.joinpath(*mods) if mods else base
    candidate = folder.with_suffix(".py") if mods else None
    if candidate is not None and candidate.is_file():
        return candidate, name
    init = folder / "__init__.py"
    if init.is_file():
        return init, name
    module = folder / f"{name}.py"
    if module.is_file():  # `from . import api` then `api.f`: handled by the caller
        return None
    return None


def _trusted(loaded: _Loaded, qualname: str) -> str | None:
    types = loaded.types.get(qualname)
    if types is None:
        return None
    best, confidence = types.returns.best
    if best is not None and (types.returns.annotated or confidence >= TRUST_AT):
        return best
    return None


def _owner_of(index: object, class_name: str, member: str) -> str | None:
    """The class of the hierarchy that defines ``member`` (for its qualified name)."""
    from lift_lsp.holes.defs import ModuleIndex

    assert isinstance(index, ModuleIndex)
    seen = 0
    queue = [class_name]
    while queue and seen < 20:
        seen += 1
        current = queue.pop(0)
        info = index.classes.get(current)
        if info is None:
            continue
        if member in info.methods:
            return current
        queue.extend(info.bases)
    return None
