"""How long the reverse graph takes on one file, local route, nothing cached.

    python bench/graph_speed.py [FILE ...] [--runs 15]

Without files it uses ~1,000-line modules of the dev corpus with their annotations
stripped (so that inference has work to do). Each run records every node in an on-disk
store, as the server does; the store and dspy are loaded before timing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _strip import strip_source

from lift_lsp.graphs.runner import ReverseRunner
from lift_lsp.store.db import Store

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
DEFAULT_MODULES = [
    ("platformdirs-4.14.8-py3-none-any.whl", "platformdirs/__init__.py"),
    ("typer-0.29.2-py3-none-any.whl", "typer/core.py"),
    ("nox-2026.10.20-py3-none-any.whl", "nox/sessions.py"),
    ("humanize-4.17.0-py3-none-any.whl", "humanize/time.py"),
]


def corpus_modules() -> list[tuple[str, str]]:
    found = []
    for wheel, member in DEFAULT_MODULES:
        path = CORPUS / wheel
        if path.is_file():
            with zipfile.ZipFile(path) as zf:
                found.append((member, zf.read(member).decode("utf-8")))
    return found


async def measure(name: str, text: str, runs: int, db: Path) -> None:
    store = await Store.open(db)
    runner = ReverseRunner(store)
    await runner.run(name, text, use_cache=False)  # warm-up: imports, typeshed stubs
    times = []
    functions = 0
    for _ in range(runs):
        started = time.perf_counter()
        result = await runner.run(name, text, use_cache=False)
        times.append((time.perf_counter() - started) * 1000)
        functions = len(result.file_ir["functions"])
    cached = []
    for _ in range(runs):
        started = time.perf_counter()
        await runner.run(name, text)
        cached.append((time.perf_counter() - started) * 1000)
    await store.close()
    lines = text.count("\n") + 1
    p95 = sorted(times)[int(0.95 * (len(times) - 1))]
    print(
        f"{name:<28} {lines:5} lines {functions:4} functions  "
        f"p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms"
        f"  unchanged re-save p50 {statistics.median(cached):5.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    modules = [(str(p), p.read_text(encoding="utf-8")) for p in args.files] or corpus_modules()
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, source) in enumerate(modules):
            text = strip_source(source.encode()).text
            asyncio.run(measure(name, text, args.runs, Path(tmp) / f"{i}.db"))


if __name__ == "__main__":
    main()
