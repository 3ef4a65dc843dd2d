"""``lift-lsp suggest PATH:ROW:COL...``: fills for holes, ranked, as CLI_CONTRACT.md says."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from lift_lsp.config import Settings, project_settings
from lift_lsp.holes.analysis import Analysis
from lift_lsp.ir_command import workspace_root
from lift_lsp.providers.router import RouteConfig
from lift_lsp.report import CONTRACT_VERSION, display_path, location
from lift_lsp.route_command import checked_route_config
from lift_lsp.suggest.engine import SuggestResult, suggest
from lift_lsp.suggest.ranker import Ranker
from lift_lsp.suggest.remote import RemoteFills, merge
from lift_lsp.syntax.document import Position, SourceDocument
from lift_lsp.workspace import FileError, read_source

RANKER_KIND = "ranker"


def parse_position(arg: str) -> tuple[Path, int, int] | None:
    """``path:row:col`` (1-based; the path may itself contain colons)."""
    path, _, rest = arg.rpartition(":")
    path, _, row = path.rpartition(":")
    if not path or not row.isdigit() or not rest.isdigit() or int(row) < 1 or int(rest) < 1:
        return None
    return Path(path), int(row), int(rest)


async def active_ranker(db: Path | None, root: Path) -> Ranker:
    """The ranker version active in the workspace store, else the built-in one."""
    from lift_lsp.store.db import Store, default_db_path

    path = db or default_db_path(root)
    if db is None and not path.exists():
        return Ranker()
    store = await Store.open(
        path, on_warning=lambda m: print(f"lift-lsp: warning: {m}", file=sys.stderr)
    )
    try:
        active = await store.active_program(RANKER_KIND)
    finally:
        await store.close()
    return Ranker.from_json(active.payload) if active is not None else Ranker()


async def with_remote(
    args: Any, settings: Settings, config: RouteConfig, root: Path, todo: list[Any]
) -> dict[int, RemoteFills | None]:
    """Remote fills for each (index, analysis, offset), asked concurrently (the budget
    caps concurrency), recorded in the workspace store."""
    from lift_lsp.ir_command import open_store
    from lift_lsp.route_command import cli_router
    from lift_lsp.suggest.remote import remote_suggestions

    store = await open_store(args.db, root)
    router = cli_router(config, store)
    budget = router.budget(
        settings.limits_for("suggest"),
        on_warning=lambda m: print(f"lift-lsp: warning: {m}", file=sys.stderr),
    )
    try:
        answers = await asyncio.gather(
            *(
                remote_suggestions(
                    router,
                    analysis,
                    offset,
                    path=analysis.path,
                    budget=budget,
                    override=args.route,
                    limit=args.limit,
                )
                for _, analysis, offset in todo
            )
        )
    finally:
        await router.aclose()
        await store.close()
    for fills in answers:
        if fills is not None and fills.error:
            print(f"lift-lsp: warning: no remote suggestions: {fills.error}", file=sys.stderr)
    return {i: fills for (i, _, _), fills in zip(todo, answers, strict=True)}


def main_suggest(args: Any) -> int:
    positions = []
    for raw in args.positions:
        parsed = parse_position(raw)
        if parsed is None:
            print(f"lift-lsp: error: expected PATH:ROW:COL, got {raw!r}", file=sys.stderr)
            return 2
        positions.append(parsed)
    root = workspace_root([p for p, _, _ in positions])
    settings = project_settings(root)
    config = checked_route_config(settings, args.route)
    if config is None:
        return 2
    ranker = asyncio.run(active_ranker(args.db, root))
    analyses: dict[Path, Analysis | FileError] = {}
    results: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    found: list[SuggestResult] = []
    todo: list[tuple[int, Analysis, int]] = []
    for path, row, col in positions:
        if path not in analyses:
            source = read_source(path, settings.max_file_bytes)
            analyses[path] = (
                source
                if isinstance(source, FileError)
                else Analysis(SourceDocument(source.text), str(path), settings.enabled_kinds)
            )
        analysis = analyses[path]
        shown = display_path(path)
        if isinstance(analysis, FileError):
            errors.append({"path": shown, "message": analysis.message})
            continue
        offset, clamped = analysis.doc.offset_at(Position(row - 1, col - 1))
        result = (
            None
            if clamped
            else suggest(analysis, offset, limit=args.limit, ranker=ranker, on_request=True)
        )
        entry: dict[str, Any] = {
            "path": shown,
            "location": {"row": row, "column": col},
            "hole": None,
            "suggestions": [],
        }
        if result is not None and result.hole is not None:
            hole = result.hole
            entry["location"] = location(analysis.doc, hole.start)
            entry["hole"] = {
                "kind": hole.kind.value,
                "name": hole.name,
                "expected_type": hole.expected_type,
            }
            todo.append((len(results), analysis, offset))
        found.append(result or SuggestResult(None, []))
        results.append(entry)
    remote = (
        asyncio.run(with_remote(args, settings, config, root, todo))
        if todo and config.uses_remote(args.route)
        else {}
    )
    for i, entry in enumerate(results):
        static = found[i].suggestions
        fills = remote.get(i)
        joined = merge(static, fills.suggestions, args.limit) if fills is not None else static
        entry["suggestions"] = [
            {
                "text": s.text,
                "confidence": s.confidence,
                "source": s.source,
                "rationale": s.rationale,
                "provenance": s.provenance,
            }
            for s in joined
        ]
    if args.format == "json":
        json.dump(
            {"version": CONTRACT_VERSION, "results": results, "errors": errors},
            sys.stdout,
            indent=1,
        )
        sys.stdout.write("\n")
    else:
        for entry in results:
            loc = entry["location"]
            where = f"{entry['path']}:{loc['row']}:{loc['column']}"
            if entry["hole"] is None:
                print(f"{where}: no hole here")
                continue
            hole = entry["hole"]
            expected = hole["expected_type"] or "unknown type"
            print(f"{where}: {hole['name']} ({hole['kind']}, {expected})")
            for i, s in enumerate(entry["suggestions"], 1):
                print(f"  {i}. {s['text']}  ({s['confidence']:.2f}, {s['rationale']})")
        for err in errors:
            print(f"{err['path']}: error: {err['message']}", file=sys.stderr)
    return 0
