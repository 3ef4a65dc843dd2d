"""The reverse graph in the editor: didSave lifts the file in the background; commands.

- ``textDocument/didSave``: lift the document's current text (the node cache makes the
  unchanged functions free). A newer save of the same document cancels the running lift;
  a result for a version the document no longer has is dropped, never published.
- ``lift.analyzeWorkspace``: lift every ``*.py`` of the workspace folders (open documents
  with their unsaved text), with cancellable work-done progress.
- ``lift.replayExecution``: the recorded node trace of an execution (id or prefix).
- ``lift.showGraph``: the graph as a Mermaid diagram.

The engine (dspy, aiosqlite, pydantic-graph) is imported on first use, in a thread, and
the workspace database (``.lift/lift.db`` in the first workspace folder) is opened once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import from_fs_path

from lift_lsp.config import Settings
from lift_lsp.report import CONTRACT_VERSION

# A runtime import: pygls reads command handlers' annotations with get_type_hints.
from lift_lsp.server.app import LiftServer
from lift_lsp.server.documents import OpenDocument, uri_to_path
from lift_lsp.server.features.diagnostics import schedule, uses_pull
from lift_lsp.server.ir_cache import DocumentIR, Engine
from lift_lsp.server.progress import WorkDone
from lift_lsp.server.routes import remote_configured, router
from lift_lsp.workspace import FileError, iter_python_files, read_source

if TYPE_CHECKING:
    from lift_lsp.graphs.runner import ReverseRunner

log = logging.getLogger(__name__)

ANALYZE_WORKSPACE = "lift.analyzeWorkspace"
REPLAY_EXECUTION = "lift.replayExecution"
SHOW_GRAPH = "lift.showGraph"
LIST_EXECUTIONS = "lift.listExecutions"
#: Where ``store.db.default_db_path`` puts the database (spelled out here so that
#: checking for it at start-up does not import aiosqlite).
DB_IN_ROOT = Path(".lift") / "lift.db"


# --- the engine, opened once ----------------------------------------------------------


def _import_engine() -> None:
    import lift_lsp.graphs.runner
    import lift_lsp.providers.local
    import lift_lsp.signatures
    import lift_lsp.store.db  # noqa: F401 - warm the imports off the event loop


def _store_warning(ls: LiftServer, message: str) -> None:
    """The first problem with the database is shown to the user; later ones are logged."""
    show = not ls.ir.store_warned
    ls.ir.store_warned = True
    ls.warn(message, show=show)


async def _open_engine(ls: LiftServer, resume: bool) -> Engine:
    await asyncio.to_thread(_import_engine)
    from lift_lsp.graphs.runner import ReverseRunner
    from lift_lsp.store.db import Store, default_db_path

    root = ls.settings.roots[0] if ls.settings.roots else None
    path = default_db_path(root) if root is not None else None
    store = await Store.open(path, on_warning=functools.partial(_store_warning, ls))
    runner = await asyncio.to_thread(ReverseRunner, store)  # loads the type model
    ls.routes.local = runner.provider  # the router's local route: the same type model
    if resume:
        # Before anyone else gets the runner: a lift started meanwhile is not "unfinished".
        try:
            resumed = await runner.resume_unfinished()
        except Exception as exc:
            log.exception("resuming interrupted runs")
            ls.log(f"lift-lsp: could not resume interrupted runs: {exc}", lsp.MessageType.Error)
        else:
            if resumed:
                ls.log(f"lift-lsp: resumed {len(resumed)} interrupted run(s)")
    return Engine(store, runner)


async def engine(ls: LiftServer, *, resume: bool = False) -> Engine:
    """The server's store and runner; a caller being cancelled does not stop the opening."""
    future = ls.ir.engine
    if future is None or (future.done() and (future.cancelled() or future.exception())):
        future = ls.ir.engine = asyncio.ensure_future(_open_engine(ls, resume))
    return await asyncio.shield(future)


def use_routes(ls: LiftServer, runner: ReverseRunner) -> ReverseRunner:
    """Route the runner's questions when a remote route is configured (with the reverse
    graph's limits per run); otherwise the static engine answers them directly."""
    if remote_configured(ls):
        runner.router = router(ls)
        if runner.provider is not None:
            runner.router.local = runner.provider  # one static engine in memory
        runner.limits = ls.settings.for_path(None).limits_for("reverse")
        runner.on_warning = ls.warn
    else:
        runner.router = None
    return runner


def resume_interrupted_runs(ls: LiftServer) -> None:
    """After ``initialized``: finish the runs a killed server left, in the background.

    Only a workspace that already has a database can have any; otherwise the engine is
    left unopened until the first save.
    """
    root = ls.settings.roots[0] if ls.settings.roots else None
    if root is None or not (root / DB_IN_ROOT).exists():
        return

    async def start() -> None:
        try:
            await engine(ls, resume=True)
        except Exception as exc:
            log.exception("opening the engine")
            ls.log(f"lift-lsp: could not open the reverse engine: {exc}", lsp.MessageType.Error)

    task = asyncio.ensure_future(start())
    ls.ir.background.add(task)
    task.add_done_callback(ls.ir.background.discard)


# --- didSave --------------------------------------------------------------------------


def _path_text(ls: LiftServer, doc: OpenDocument) -> str:
    """How a document is named in the IR and the run history: relative to its folder."""
    if doc.path is None:
        return doc.uri
    return _display(doc.path, ls.settings.roots)


def _display(path: Path, roots: list[Path]) -> str:
    for root in roots:
        if root in path.parents:
            return path.relative_to(root).as_posix()
    return path.as_posix()


def _skip_reason(ls: LiftServer, doc: OpenDocument, settings: Settings) -> str | None:
    if doc.path is not None and doc.path.suffix == ".pyi":
        return "stub files are not lifted"
    if ls.settings.is_excluded(doc.path, settings):
        return "excluded by the settings"
    if len(doc.source.data) > settings.max_file_bytes:
        return f"larger than the limit ({settings.max_file_bytes / (1024 * 1024):g} MB)"
    return None


def lift_document(ls: LiftServer, uri: str) -> None:
    """Start lifting ``uri`` at its current version, cancelling an older lift of it."""
    doc = ls.documents.get(uri)
    if doc is None:
        return
    reason = _skip_reason(ls, doc, ls.settings_for(doc))
    if reason is not None:
        ls.log(f"lift-lsp: {uri} is not lifted: {reason}")
        return
    ls.ir.prune(ls.documents.get)
    previous = ls.ir.tasks.pop(uri, None)
    if previous is not None:
        previous.cancel()
    task = asyncio.ensure_future(_lift(ls, doc, doc.version, doc.revision, doc.source.text))
    ls.ir.tasks[uri] = task
    task.add_done_callback(functools.partial(_forget, ls, uri))


def _forget(ls: LiftServer, uri: str, task: asyncio.Task[None]) -> None:
    if ls.ir.tasks.get(uri) is task:
        del ls.ir.tasks[uri]


async def _lift(
    ls: LiftServer, doc: OpenDocument, version: int | None, revision: int, text: str
) -> None:
    try:
        runner = use_routes(ls, (await engine(ls)).runner)
        file = str(doc.path) if doc.path is not None else None
        result = await runner.run(_path_text(ls, doc), text, file=file)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a run that fails is reported, never fatal
        log.exception("lifting %s", doc.uri)
        ls.log(
            f"lift-lsp: lifting {doc.uri} (version {version}) failed: {type(exc).__name__}: {exc}",
            lsp.MessageType.Error,
        )
        return
    accept(ls, doc, version, revision, result.file_ir, execution_id=result.execution_id)


def accept(
    ls: LiftServer,
    doc: OpenDocument,
    version: int | None,
    revision: int,
    file_ir: dict[str, Any],
    *,
    execution_id: str,
) -> bool:
    """Keep and show an IR if its document is still at that version; drop it otherwise."""
    if ls.documents.get(doc.uri) is not doc or (doc.version, doc.revision) != (version, revision):
        ls.log(
            f"lift-lsp: {doc.uri} changed while it was lifted (version {version});"
            " that result is not shown"
        )
        return False
    ls.ir.put(doc.uri, DocumentIR(doc, version, revision, file_ir, execution_id))
    if uses_pull(ls):
        if ls.client_supports("workspace.diagnostics.refreshSupport"):
            ls.workspace_diagnostic_refresh(None)
    else:
        schedule(ls, doc.uri)
    if ls.client_supports("workspace.inlayHint.refreshSupport"):
        ls.workspace_inlay_hint_refresh(None)
    return True


# --- commands -------------------------------------------------------------------------


def _targets(ls: LiftServer, args: tuple[Any, ...]) -> list[Path]:
    named: list[Path] = []
    for arg in args:
        for raw in arg if isinstance(arg, list) else [arg]:
            item = raw.get("uri") or raw.get("path") if isinstance(raw, dict) else raw
            if not isinstance(item, str):
                raise JsonRpcInvalidParams(f"{ANALYZE_WORKSPACE} takes folder or file URIs")
            path = uri_to_path(item) if item.startswith("file:") else Path(item)
            if path is None:
                raise JsonRpcInvalidParams(f"not a file URI: {item}")
            named.append(path)
    return named or list(ls.settings.roots)


def _list_files(target: Path, settings: Settings) -> list[Path | FileError]:
    return list(iter_python_files([target], settings))


class _Skipped(Exception):
    """A file that is not lifted (unreadable, too large...): an error entry, not a failure."""


async def _text_of(ls: LiftServer, path: Path, uri: str) -> tuple[str, OpenDocument | None]:
    """The unsaved text of an open document, else the file's."""
    settings = ls.settings.for_path(path)
    doc = ls.documents.get(uri)
    if doc is not None:
        reason = _skip_reason(ls, doc, settings)
        if reason is not None:
            raise _Skipped(reason)
        return doc.source.text, doc
    source = await asyncio.to_thread(read_source, path, settings.max_file_bytes)
    if isinstance(source, FileError):
        raise _Skipped(source.message)
    return source.text, None


async def analyze_workspace(ls: LiftServer, args: tuple[Any, ...]) -> dict[str, Any]:
    roots = list(ls.settings.roots)
    files: list[Path] = []
    errors: list[dict[str, str]] = []
    for target in _targets(ls, args):
        for item in await asyncio.to_thread(_list_files, target, ls.settings.for_path(target)):
            if isinstance(item, FileError):
                errors.append({"path": _display(item.path, roots), "message": item.message})
            elif item.suffix == ".py":
                files.append(item)

    progress = await WorkDone.start(
        ls, "Lifting the workspace", f"0/{len(files)} files", enabled=bool(files)
    )
    analysed = functions = holes = 0
    executions: list[str] = []
    cancelled = False
    try:
        runner = use_routes(ls, (await engine(ls)).runner)
        done = 0

        def budget_warning(message: str) -> None:
            ls.warn(f"lift-lsp: {message}")
            progress.report(f"{done}/{len(files)} files; {message}", done * 100 // len(files))

        runner.on_warning = budget_warning
        for i, path in enumerate(files, 1):
            done = i - 1
            if progress.cancelled:
                cancelled = True
                break
            uri = from_fs_path(str(path)) or path.as_uri()
            display = _display(path, roots)
            try:
                text, doc = await _text_of(ls, path, uri)
                version, revision = (doc.version, doc.revision) if doc else (None, 0)
                result = await runner.run(display, text, file=str(path))
            except asyncio.CancelledError:
                raise
            except _Skipped as exc:
                errors.append({"path": display, "message": str(exc)})
                continue
            except Exception as exc:  # one file the engine cannot lift is an error entry
                log.exception("lifting %s", path)
                errors.append({"path": display, "message": f"{type(exc).__name__}: {exc}"})
                continue
            analysed += 1
            executions.append(result.execution_id)
            lifted = result.file_ir.get("functions", [])
            functions += len(lifted)
            holes += sum(len(fn.get("holes", [])) for fn in lifted)
            if doc is not None:
                accept(ls, doc, version, revision, result.file_ir, execution_id=result.execution_id)
            progress.report(f"{i}/{len(files)} files", i * 100 // len(files))
    except asyncio.CancelledError:
        cancelled = True
        raise
    finally:
        progress.summary = (
            "cancelled"
            if cancelled
            else f"{functions} functions, {holes} holes in {analysed} files"
        )
        progress.end()
    return {
        "version": CONTRACT_VERSION,
        "files": analysed,
        "functions": functions,
        "holes": holes,
        "errors": errors,
        "executions": executions,
        "cancelled": cancelled,
    }


def _execution_arg(args: tuple[Any, ...]) -> str:
    value = args[0] if len(args) == 1 else None
    if isinstance(value, dict):
        value = value.get("execution") or value.get("id")
    if not isinstance(value, str) or not value:
        raise JsonRpcInvalidParams(
            "expected one argument: an execution id (or a unique prefix of 6+ characters)"
        )
    return value


async def list_executions(ls: LiftServer, args: tuple[Any, ...]) -> dict[str, Any]:
    """``lift.listExecutions [limit]``: the newest recorded runs, for picking one to replay."""
    limit = args[0] if args and isinstance(args[0], int) and not isinstance(args[0], bool) else 20
    if not 1 <= limit <= 500:
        raise JsonRpcInvalidParams("lift.listExecutions takes a limit between 1 and 500")
    store = (await engine(ls)).store
    rows = await store.recent_executions(limit)
    return {
        "version": CONTRACT_VERSION,
        "executions": [
            {
                "id": row.id,
                "graph_type": row.graph_type,
                "status": row.status,
                "path": (row.input or {}).get("path"),
                "created_at": row.created_at,
                "duration_ms": row.total_duration_ms,
                "llm_calls": row.llm_calls,
            }
            for row in rows
        ],
    }


async def replay_execution(ls: LiftServer, args: tuple[Any, ...]) -> dict[str, Any]:
    wanted = _execution_arg(args)
    store = (await engine(ls)).store
    row = await store.get_execution(wanted)
    if row is None:
        raise JsonRpcInvalidParams(
            f"no execution {wanted!r} (unknown, or a prefix of several) in {store.path or 'memory'}"
        )
    runs = await store.node_runs(row.id)
    from lift_lsp.graphs.runner import execution_json, trace_lines

    return {
        "version": CONTRACT_VERSION,
        **execution_json(row, runs, outputs=False),
        "lines": trace_lines(runs),
    }


def _mermaid() -> str:
    from lift_lsp.graphs.reverse import mermaid

    return mermaid()


async def shutdown(ls: LiftServer) -> None:
    """Cancel the running lifts (recorded as cancelled) and close the database."""
    tasks = [*ls.ir.tasks.values(), *ls.ir.background]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    try:  # fills written by hand moments ago are still waiting to be recorded
        from lift_lsp.server.feedback import flush

        await flush(ls)
    except Exception:
        log.exception("recording pending feedback at shutdown")
    future = ls.ir.engine
    if future is not None and future.done() and not future.cancelled() and not future.exception():
        await future.result().store.close()


def register(server: LiftServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    def did_save(ls: LiftServer, params: lsp.DidSaveTextDocumentParams) -> None:
        lift_document(ls, params.text_document.uri)

    @server.feature(lsp.SHUTDOWN)
    async def on_shutdown(ls: LiftServer, params: None) -> None:
        await shutdown(ls)

    @server.command(ANALYZE_WORKSPACE)
    async def analyze_workspace_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await analyze_workspace(ls, args)

    @server.command(REPLAY_EXECUTION)
    async def replay_execution_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await replay_execution(ls, args)

    @server.command(LIST_EXECUTIONS)
    async def list_executions_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await list_executions(ls, args)

    @server.command(SHOW_GRAPH)
    async def show_graph(ls: LiftServer, *args: Any) -> dict[str, str]:
        return {"mermaid": await asyncio.to_thread(_mermaid)}
