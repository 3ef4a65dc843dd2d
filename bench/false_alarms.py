"""How many holes does `lift-lsp check` report on code that has none to speak of?

Runs the engine over the Python installation's standard library and over the code in
the dev-corpus wheels, and prints the holes it reports, grouped, so each can be judged
a real placeholder or a false alarm.

    python bench/false_alarms.py [--corpus ../shared/corpus] [--list]
"""

from __future__ import annotations

import argparse
import collections
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

from lift_lsp.check import FileHoles, check_paths
from lift_lsp.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def survey(label: str, paths: list[Path], settings: Settings, show: bool) -> None:
    started = time.perf_counter()
    files = errors = 0
    holes: list[tuple[str, int, str, str, str | None]] = []
    for item in check_paths(paths, settings):
        if isinstance(item, FileHoles):
            files += 1
            for h in item.holes:
                row = item.doc.position_at(h.start).line + 1
                holes.append((str(item.path), row, h.kind.value, h.name, h.expected_type))
        else:
            errors += 1
    elapsed = time.perf_counter() - started
    print(f"\n{label}: {files} files in {elapsed:.1f} s, {errors} unreadable, {len(holes)} holes")
    by_kind = collections.Counter(kind for _, _, kind, _, _ in holes)
    print("  by kind:", dict(by_kind))
    by_area = collections.Counter(_area(path) for path, *_ in holes)
    for area, count in by_area.most_common(12):
        print(f"  {count:5}  {area}")
    if show:
        for path, row, kind, name, expected in holes:
            print(f"    {path}:{row}: {kind}: {name}: {expected}")


def _area(path: str) -> str:
    parts = Path(path).parts
    for marker in ("test", "tests", "idlelib", "lib2to3"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) : parts.index(marker) + 2])
    return "library code"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--list", action="store_true", help="print every hole")
    args = parser.parse_args()
    # Nothing excluded: `build/` is a package name in the corpus, `test/` in the stdlib.
    settings = Settings(exclude=("site-packages", "__pycache__"))

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    survey(f"standard library ({stdlib})", [stdlib], settings, args.list)

    wheels = sorted(args.corpus.glob("*.whl"))
    if not wheels:
        print(f"\nno wheels under {args.corpus}; corpus survey skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf:
                members = [m for m in zf.namelist() if m.endswith(".py") and ".dist-info/" not in m]
                zf.extractall(Path(tmp) / wheel.stem, members)
        survey(f"dev corpus ({len(wheels)} wheels)", [Path(tmp)], settings, args.list)


if __name__ == "__main__":
    main()
