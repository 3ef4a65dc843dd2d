"""``lift-lsp``: the language server (default) and the ``check`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lift_lsp import __version__

ROUTES = ("local", "anthropic", "modal", "auto")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # Usage errors exit 2 with one line, as the contract asks.
        self.exit(2, f"lift-lsp: error: {message}\n")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--route", choices=ROUTES, help="provider route (default: configured, else local)"
    )
    p.add_argument("--db", type=Path, help="the SQLite store (default: .lift/lift.db)")
    p.add_argument("--no-cache", action="store_true", help="ignore cached results")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lift-lsp", description="A Python language server built around typed holes."
    )
    parser.add_argument("--version", action="version", version=f"lift-lsp {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout")
    mode.add_argument("--tcp", metavar="HOST:PORT", help="listen for one client on HOST:PORT")
    serve.add_argument("--log-level", default="WARNING", help="logging level on stderr")

    check = sub.add_parser("check", help="list the holes in files and folders")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--fail-on-holes", action="store_true", help="exit 1 when any hole remains")
    _common(check)

    ir = sub.add_parser("ir", help="lift functions into the IR (intent, types, effects, holes)")
    ir.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    ir.add_argument("--format", choices=("text", "json"), default="text")
    _common(ir)

    suggest = sub.add_parser("suggest", help="ranked fills for the holes at PATH:ROW:COL")
    suggest.add_argument("positions", nargs="+", metavar="PATH:ROW:COL")
    suggest.add_argument("--format", choices=("text", "json"), default="text")
    suggest.add_argument("--limit", type=int, default=10, help="suggestions per hole")
    _common(suggest)

    from lift_lsp import generate_command

    generate_command.add_parser(sub)

    learn = sub.add_parser(
        "learn", help="fit the suggestion ranker on recorded feedback; keep it only if better"
    )
    rollback = sub.add_parser(
        "rollback", help="re-activate the previous version of the ranker (or of --kind)"
    )
    for p in (learn, rollback):
        p.add_argument("--db", type=Path, help="the SQLite store (default: .lift/lift.db)")
        p.add_argument("--format", choices=("text", "json"), default="text")
    rollback.add_argument(
        "--kind", default="ranker", help="ranker (default), programs:anthropic or programs:modal"
    )
    from lift_lsp.optimize_command import add_parser as add_optimize

    add_optimize(sub)

    stats = sub.add_parser("stats", help="LLM calls, tokens, cost and acceptance per route")
    stats.add_argument("--db", type=Path, help="the SQLite store (default: .lift/lift.db)")
    stats.add_argument("--format", choices=("text", "json"), default="text")
    stats.add_argument("--only-route", choices=ROUTES[:3], help="one route's calls only")

    replay = sub.add_parser("replay", help="print a recorded graph execution node by node")
    replay.add_argument("execution_id", metavar="EXECUTION_ID")
    replay.add_argument("--format", choices=("text", "json"), default="text")
    _common(replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command is None or args.command == "serve":
            return _serve(args)
        if args.command == "check":
            return _check(args)
        if args.command == "ir":
            from lift_lsp.ir_command import main_ir

            return main_ir(args)
        if args.command == "suggest":
            from lift_lsp.suggest_command import main_suggest

            return main_suggest(args)
        if args.command == "generate":
            from lift_lsp.generate_command import run as run_generate

            return run_generate(args)
        if args.command == "learn":
            from lift_lsp.learn_command import main_learn

            return main_learn(args)
        if args.command == "optimize":
            from lift_lsp.optimize_command import main_optimize

            return main_optimize(args)
        if args.command == "rollback":
            from lift_lsp.optimize_command import main_rollback

            return main_rollback(args)
        if args.command == "stats":
            from lift_lsp.route_command import main_stats

            return main_stats(args)
        if args.command == "replay":
            from lift_lsp.ir_command import main_replay

            return main_replay(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the one-line contract for internal errors
        print(f"lift-lsp: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    return 2


def _serve(args: argparse.Namespace) -> int:
    import gc
    import logging

    # lsprotocol builds thousands of classes at import: collecting garbage meanwhile
    # only slows start-up (~50 ms), and freezing what start-up made keeps later
    # collections from scanning it again.
    gc.disable()
    try:
        from lift_lsp.server.app import create_server

        server = create_server()
    finally:
        gc.freeze()
        gc.enable()
    level = getattr(args, "log_level", "WARNING")
    logging.basicConfig(level=getattr(logging, str(level).upper(), logging.WARNING))
    # HTTP clients log whole requests at DEBUG (the user's code) and every call at INFO.
    for noisy in ("anthropic", "httpx", "httpx2", "httpcore", "LiteLLM"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    tcp = getattr(args, "tcp", None)
    if tcp:
        host, _, port = tcp.rpartition(":")
        if not host or not port.isdigit():
            print(f"lift-lsp: error: --tcp wants HOST:PORT, got {tcp!r}", file=sys.stderr)
            return 2
        server.start_tcp(host, int(port))
    else:
        server.start_io()
    return 0


def _check(args: argparse.Namespace) -> int:
    from lift_lsp.check import FileHoles, check_paths
    from lift_lsp.config import find_project_root, project_settings
    from lift_lsp.report import CONTRACT_VERSION, display_path, hole_json, hole_text

    first = args.paths[0].resolve()
    root = find_project_root(first if first.exists() else Path.cwd()) or Path.cwd()
    settings = project_settings(root)
    for problem in settings.problems:
        print(f"lift-lsp: warning: {problem}", file=sys.stderr)

    holes: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    files = 0
    for item in check_paths(args.paths, settings):
        if isinstance(item, FileHoles):
            files += 1
            path = display_path(item.path)
            holes.extend(hole_json(path, item.doc, h) for h in item.holes)
        else:
            errors.append({"path": display_path(item.path), "message": item.message})

    if args.format == "json":
        json.dump(
            {"version": CONTRACT_VERSION, "holes": holes, "errors": errors}, sys.stdout, indent=1
        )
        sys.stdout.write("\n")
    else:
        for entry in holes:
            print(hole_text(entry))
        for err in errors:
            print(f"{err['path']}: error: {err['message']}", file=sys.stderr)
        noun = "hole" if len(holes) == 1 else "holes"
        print(f"Found {len(holes)} {noun} in {files} file{'s' if files != 1 else ''}.")
    sys.stdout.flush()
    if args.fail_on_holes and holes:
        return 1
    return 0
