"""``lift-lsp ir`` and ``lift-lsp replay``: the reverse graph from the command line."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from lift_lsp.config import Settings, find_project_root, project_settings
from lift_lsp.providers.router import RouteConfig
from lift_lsp.report import CONTRACT_VERSION, display_path
from lift_lsp.route_command import checked_route_config, cli_router
from lift_lsp.workspace import FileError, iter_python_files, read_source


def workspace_root(paths: list[Path]) -> Path:
    """``$LIFT_WORKSPACE``, else the project around the first path, else the working directory."""
    env = os.environ.get("LIFT_WORKSPACE")
    if env:
        return Path(env).resolve()
    first = paths[0].resolve() if paths else Path.cwd()
    return find_project_root(first if first.exists() else Path.cwd()) or Path.cwd()


async def open_store(db: Path | None, root: Path) -> Any:
    from lift_lsp.store.db import Store, default_db_path

    def warn(message: str) -> None:
        print(f"lift-lsp: warning: {message}", file=sys.stderr)

    return await Store.open(db or default_db_path(root), on_warning=warn)


async def run_ir(args: Any, root: Path, settings: Settings, config: RouteConfig) -> int:
    files: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    from lift_lsp.graphs.runner import ReverseRunner

    store = await open_store(args.db, root)
    router = cli_router(config, store) if config.uses_remote(args.route) else None
    try:
        runner = ReverseRunner(
            store,
            router=router,
            limits=settings.limits_for("reverse"),
            on_warning=lambda m: print(f"lift-lsp: warning: {m}", file=sys.stderr),
        )
        runner.override = args.route
        await runner.resume_unfinished()
        for item in iter_python_files(args.paths, settings):
            if isinstance(item, FileError):
                errors.append({"path": display_path(item.path), "message": item.message})
                continue
            if item.suffix == ".pyi":
                continue
            source = read_source(item, settings.max_file_bytes)
            if isinstance(source, FileError):
                errors.append({"path": display_path(source.path), "message": source.message})
                continue
            shown = display_path(item)
            try:
                result = await runner.run(
                    shown, source.text, use_cache=not args.no_cache, file=str(item.resolve())
                )
            except RecursionError:
                errors.append({"path": shown, "message": "nesting too deep to analyse"})
                continue
            files.append(result.file_ir)
    finally:
        if router is not None:
            await router.aclose()
        await store.close()

    if args.format == "json":
        json.dump(
            {"version": CONTRACT_VERSION, "files": files, "errors": errors}, sys.stdout, indent=1
        )
        sys.stdout.write("\n")
    else:
        for file_ir in files:
            for fn in file_ir["functions"]:
                print(ir_text(file_ir["path"], fn))
        for err in errors:
            print(f"{err['path']}: error: {err['message']}", file=sys.stderr)
    return 0


def _typed(element: dict[str, Any]) -> str:
    if element["type"] is None:
        return "?"
    if element["provenance"].get("source") == "annotation":
        return str(element["type"])
    return f"{element['type']} ~{element['confidence']:.2f}"


def ir_text(path: str, fn: dict[str, Any]) -> str:
    loc = fn["location"]
    params = ", ".join(
        p["name"]
        + (f": {_typed(p)}" if p["type"] is not None or p["name"] not in ("self", "cls") else "")
        for p in fn["params"]
    )
    where = f"{path}:{loc['row']}:{loc['column']}"
    lines = [f"{where}: {fn['qualname']}({params}) -> {_typed(fn['returns'])}"]
    intent = fn["intent"]
    if intent["summary"]:
        lines.append(f"    intent: {intent['summary']} ({intent['confidence']:.2f})")
    for effect in fn["effects"]:
        lines.append(f"    effect: {effect['kind']}: {effect['detail']}")
    for a in fn["assertions"]:
        lines.append(f"    {a['category']}: {a['expression']}")
    for hole in fn["holes"]:
        lines.append(f"    hole {hole['kind']} {hole['target']}: {hole['message']}")
    return "\n".join(lines)


async def run_replay(args: Any) -> int:
    from lift_lsp.graphs.runner import execution_json, trace_lines

    root = workspace_root([])
    store = await open_store(args.db, root)
    try:
        row = await store.get_execution(args.execution_id)
        if row is None:
            where = store.path or "the store"
            print(
                f"lift-lsp: error: no execution {args.execution_id!r} in {where}",
                file=sys.stderr,
            )
            return 2
        runs = await store.node_runs(row.id)
    finally:
        await store.close()
    if args.format == "json":
        out = {"version": CONTRACT_VERSION, **execution_json(row, runs, outputs=True)}
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    total = f"{row.total_duration_ms:.1f} ms" if row.total_duration_ms is not None else "unfinished"
    print(
        f"execution {row.id} ({row.graph_type}, {row.status}) "
        f"{(row.input or {}).get('path', '')}: {len(runs)} nodes, {total}"
    )
    for line in trace_lines(runs):
        print(line)
    return 0


def main_ir(args: Any) -> int:
    root = workspace_root(args.paths)
    settings = project_settings(root)
    config = checked_route_config(settings, args.route)
    if config is None:
        return 2
    return asyncio.run(run_ir(args, root, settings, config))


def main_replay(args: Any) -> int:
    return asyncio.run(run_replay(args))
