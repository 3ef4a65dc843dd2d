"""``lift-lsp generate PATH:ROW:COL``: Generate implementation from the command line.

Runs the forward graph on the body hole at that position (rows and columns 1-based,
columns in code points) and prints the new body — or, with ``--format json``, the whole
result: IR with provenance, remaining holes, doctest outcome, the run's id. The file
changes only with ``--write``, and only if it still has the text the body was made for.

Exit status: 0 generated (and written, with ``--write``); 1 no implementation (the
route failed, the IR or the code did not validate, the file changed meanwhile); 2 usage
or configuration errors (no body hole there, no remote route), with one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lift_lsp.config import REMOTE_ROUTES, ROUTES

if TYPE_CHECKING:
    from lift_lsp.config import Settings
    from lift_lsp.graphs.forward import ForwardResult


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "generate", help="write the body of the function whose body hole is at PATH:ROW:COL"
    )
    parser.add_argument("position", metavar="PATH:ROW:COL")
    parser.add_argument(
        "--route", choices=ROUTES, help="route to ask (default: the configured one)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--write", action="store_true", help="apply the body to the file (default: only print it)"
    )
    parser.add_argument("--db", type=Path, help="the SQLite store (default: .lift/lift.db)")
    return parser


class _Usage(Exception):
    """A problem with what was asked; exit status 2."""


def _say(message: str) -> None:
    print(f"lift-lsp: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except _Usage as exc:
        _say(f"error: {exc}")
        return 2


async def _run(args: argparse.Namespace) -> int:
    from lift_lsp.forward.target import NotABodyHole, find_body_target
    from lift_lsp.report import CONTRACT_VERSION, display_path

    path, text, offset, settings, root = _locate(args.position)
    shown = display_path(path)
    try:
        target = find_body_target(text, offset, shown)
    except NotABodyHole as exc:
        raise _Usage(f"{args.position}: {exc}") from None
    result = await _generate(args, path, text, target, settings=settings, root=root)
    written = False
    if result.ok and args.write:
        written = _write(path, text, result)
    if args.format == "json":
        out = {"version": CONTRACT_VERSION, **result.to_json(), "written": written}
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        _print_text(result, written, args.write)
    return 0 if result.ok and (written or not args.write) else 1


def _locate(position: str) -> tuple[Path, str, int, Settings, Path]:
    from lift_lsp.config import project_settings
    from lift_lsp.ir_command import workspace_root
    from lift_lsp.suggest_command import parse_position
    from lift_lsp.syntax.document import Position, SourceDocument
    from lift_lsp.workspace import FileError, read_source

    parsed = parse_position(position)
    if parsed is None:
        raise _Usage(f"expected PATH:ROW:COL, got {position!r}")
    path, row, col = parsed
    root = workspace_root([path])
    settings = project_settings(root)
    for problem in settings.problems:
        _say(f"warning: {problem}")
    source = read_source(path, settings.max_file_bytes)
    if isinstance(source, FileError):
        raise _Usage(f"{path}: {source.message}")
    offset, clamped = SourceDocument(source.text).offset_at(Position(row - 1, col - 1))
    if clamped:
        raise _Usage(f"{position}: {clamped}")
    return path, source.text, offset, settings, root


async def _generate(
    args: argparse.Namespace, path: Path, text: str, target: Any, *, settings: Settings, root: Path
) -> ForwardResult:
    from lift_lsp.forward.availability import why_unavailable
    from lift_lsp.providers.router import RouteConfig, Router

    config = RouteConfig.from_sources(settings, os.environ)
    for problem in config.problems:
        _say(f"warning: {problem}")
    reason = why_unavailable(config, path, args.route)
    if reason is None and args.route in REMOTE_ROUTES and not config.configured(args.route):
        reason = f"the {args.route} route is not configured; see docs/routes.md"
    if reason is not None:
        raise _Usage(reason)

    from lift_lsp.graphs.forward import generate
    from lift_lsp.store.db import Store, default_db_path

    store = await Store.open(args.db or default_db_path(root), on_warning=_say)
    router = Router(config, record=store.record_llm_call)
    try:
        return await generate(
            text,
            target,
            store=store,
            router=router,
            path=target.path,
            file=str(path.resolve()),
            limits=settings.limits_for("forward"),
            override=args.route,
            run_tests=settings.run_generated_tests,
            on_warning=lambda m: _say(f"warning: {m}"),
        )
    finally:
        await router.aclose()
        await store.close()


def _write(path: Path, text: str, result: ForwardResult) -> bool:
    """Replace the file atomically, in its own encoding, if it still has ``text``."""
    import io
    import shutil
    import tempfile
    import tokenize

    from lift_lsp.workspace import FileError, decode_source

    data = path.read_bytes()
    now = decode_source(path, data)
    if isinstance(now, FileError) or now.text != text:
        _say(f"error: {path} changed while the body was generated; it was not written")
        return False
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    new = result.apply(text).encode(encoding)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(new)
        shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


def _print_text(result: ForwardResult, written: bool, write: bool) -> None:
    """The body on stdout (so that it can be piped); everything else on stderr."""
    target = result.target
    where = f"{result.path}:{target.row}:{target.column}"
    if not result.ok:
        _say(f"{where}: {result.summary()}")
        return
    print(result.body)
    _say(f"{where}: {result.summary()}")
    for hole in result.remaining_holes:
        _say(f"  hole {hole['kind']} {hole['target']}: {hole['message']}")
    tests = result.tests or {}
    if tests.get("ran") and tests.get("report") and not tests.get("passed"):
        _say("  doctests: " + str(tests["report"]).strip().replace("\n", "\n    "))
    if written:
        _say(f"written to {result.path}")
    elif not write:
        _say("nothing was changed (use --write to apply it)")
