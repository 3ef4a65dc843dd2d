"""Finding and reading Python files: folders walked with .gitignore and excludes."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lift_lsp.config import Settings

if TYPE_CHECKING:
    import pathspec


@dataclass(frozen=True, slots=True)
class FileError:
    path: Path
    message: str


@dataclass(frozen=True, slots=True)
class SourceText:
    path: Path
    text: str


class Excludes:
    """Exclude globs (gitignore syntax) matched relative to ``root``.

    ``root`` is the folder being walked (a folder given on the command line, or the
    workspace folder): a folder the user names explicitly is never excluded itself.
    """

    def __init__(self, root: Path, globs: Sequence[str]) -> None:
        self.root = root
        self.spec = gitignore_spec(tuple(globs))

    def excluded(self, path: Path, is_dir: bool = False) -> bool:
        try:
            rel = path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            rel = path.name
        if rel in ("", "."):
            return False
        return self.spec.match_file(rel + "/" if is_dir else rel)


@cache
def gitignore_spec(lines: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    import pathspec  # imported on first use: not needed to start the server

    return pathspec.GitIgnoreSpec.from_lines(lines)


def iter_python_files(paths: Sequence[Path], settings: Settings) -> Iterator[Path | FileError]:
    """Files to analyse: given files as they are, folders walked for ``*.py``.

    A file named explicitly is always analysed; excludes and .gitignore apply to what a
    walk finds (as in ruff without ``--force-exclude``).
    """
    seen: set[Path] = set()
    for path in paths:
        if path.is_file():
            if path not in seen:
                seen.add(path)
                yield path
        elif path.is_dir():
            for found in _walk(path, Excludes(path, settings.all_excludes)):
                if found not in seen:
                    seen.add(found)
                    yield found
        else:
            yield FileError(path, "no such file or directory")


def _walk(top: Path, excludes: Excludes) -> Iterator[Path]:
    import pathspec

    ignores: dict[Path, pathspec.GitIgnoreSpec] = {}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        here = Path(dirpath)
        gitignore = here / ".gitignore"
        if gitignore.is_file():
            try:
                lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
                ignores[here] = pathspec.GitIgnoreSpec.from_lines(lines)
            except OSError:
                pass

        def ignored(path: Path, is_dir: bool, here: Path = here) -> bool:
            if excludes.excluded(path, is_dir):
                return True
            for base, spec in ignores.items():
                if base == path or base not in path.parents:
                    continue
                rel = path.relative_to(base).as_posix()
                if spec.match_file(rel + "/" if is_dir else rel):
                    return True
            return False

        dirnames[:] = sorted(d for d in dirnames if not ignored(here / d, True))
        for name in sorted(filenames):
            if name.endswith((".py", ".pyi")) and not ignored(here / name, False):
                yield here / name


def read_source(path: Path, max_bytes: int) -> SourceText | FileError:
    """The file's text, or a one-line reason it cannot be analysed."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            limit = max_bytes / (1024 * 1024)
            return FileError(path, f"file is larger than the limit ({limit:g} MB); skipped")
        data = path.read_bytes()
    except OSError as exc:
        return FileError(path, f"cannot read: {exc.strerror or exc}")
    return decode_source(path, data)


def decode_source(path: Path, data: bytes) -> SourceText | FileError:
    """Decode as Python does: a PEP 263 coding cookie, else UTF-8 (a BOM is dropped)."""
    import io
    import tokenize

    nul = data.find(b"\x00")
    if nul >= 0:
        return FileError(path, f"contains a NUL byte at offset {nul}; Python cannot run it")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc.msg):
            return FileError(path, f"bad coding declaration: {exc.msg}")
        encoding = "utf-8"  # not a cookie problem: bytes that are not UTF-8, said below
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        what = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
        return FileError(
            path, f"not valid {what} (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        )
    return SourceText(path, text.removeprefix("\ufeff"))
