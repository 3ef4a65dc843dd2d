"""Generate implementation: the forward graph on a body hole, started by the user.

- The code action (offered by ``code_actions``) on a body hole runs
  ``lift.generateImplementation [uri, {line, character}, version]``. Without a remote
  route, or in a file the remote-exclude globs keep local, it is offered disabled with
  the reason (to clients that show disabled actions; others do not see it).
- The command runs the graph with cancellable work-done progress, then asks the editor
  to apply the new body (``workspace/applyEdit``) — only if the document is still at the
  version the action was offered for, and still has the text the body was made for.
- Every outcome is said in a window message: what was generated and by which route,
  the holes that remain, doctest results, or why nothing was changed.

The engine (pydantic-graph, DSPy) is imported on the first run, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams

from lift_lsp.holes import Hole

# A runtime import: pygls reads command handlers' annotations with get_type_hints.
from lift_lsp.server.app import LiftServer
from lift_lsp.server.convert import from_lsp_position, to_lsp_position, to_lsp_range
from lift_lsp.server.documents import OpenDocument
from lift_lsp.server.progress import WorkDone
from lift_lsp.server.routes import remote_configured, router

if TYPE_CHECKING:
    from lift_lsp.graphs.forward import ForwardResult

log = logging.getLogger(__name__)

GENERATE: Final = "lift.generateImplementation"
TITLE: Final = "Generate implementation"
#: How often a running generation checks whether the user cancelled it (seconds).
POLL_S: Final = 0.1


def versioned_edit(ls: LiftServer, doc: OpenDocument, edit: lsp.TextEdit) -> lsp.WorkspaceEdit:
    """An edit of ``doc`` at its version, when the client can check versions."""
    if doc.version is None or not ls.client_supports("workspace.workspaceEdit.documentChanges"):
        return lsp.WorkspaceEdit(changes={doc.uri: [edit]})
    return lsp.WorkspaceEdit(
        document_changes=[
            lsp.TextDocumentEdit(
                text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                    uri=doc.uri, version=doc.version
                ),
                edits=[edit],
            )
        ]
    )


def unavailable(ls: LiftServer, doc: OpenDocument) -> str | None:
    """Why Generate implementation cannot run for ``doc`` (``None``: it can)."""
    from lift_lsp.forward.availability import HOW_TO_CONFIGURE, why_unavailable

    reason = why_unavailable(router(ls).config, doc.path)
    if reason is None and not remote_configured(ls):
        reason = f"no remote route is configured: {HOW_TO_CONFIGURE}"
    return reason


def generate_action(ls: LiftServer, doc: OpenDocument, hole: Hole) -> lsp.CodeAction | None:
    """The action for one body hole: runnable, disabled with the reason, or none at all
    (a disabled action to a client that cannot show it as such would look runnable)."""
    reason = unavailable(ls, doc)
    if reason is not None:
        if not ls.client_supports("textDocument.codeAction.disabledSupport"):
            return None
        return lsp.CodeAction(
            title=TITLE,
            kind=lsp.CodeActionKind.RefactorRewrite,
            disabled=lsp.CodeActionDisabled(reason=reason),
        )
    start = to_lsp_position(doc.source, hole.start, ls.encoding)
    return lsp.CodeAction(
        title=TITLE,
        kind=lsp.CodeActionKind.RefactorRewrite,
        command=lsp.Command(
            title=TITLE,
            command=GENERATE,
            arguments=[
                doc.uri,
                {"line": start.line, "character": start.character},
                doc.version,
            ],
        ),
    )


def _arguments(args: tuple[Any, ...]) -> tuple[str, lsp.Position, int | None]:
    """``[uri, {line, character}, version]`` (the version may be absent or null)."""
    if len(args) == 1 and isinstance(args[0], dict):
        args = (args[0].get("uri"), args[0].get("position"), args[0].get("version"))
    if len(args) not in (2, 3) or not isinstance(args[0], str) or not isinstance(args[1], dict):
        raise JsonRpcInvalidParams("expected arguments [uri, {line, character}, version]")
    version = args[2] if len(args) == 3 else None
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise JsonRpcInvalidParams("the document version must be an integer or null")
    try:
        position = lsp.Position(line=int(args[1]["line"]), character=int(args[1]["character"]))
    except (KeyError, TypeError, ValueError):
        raise JsonRpcInvalidParams("position must be {line: int, character: int}") from None
    return args[0], position, version


def _tell(ls: LiftServer, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
    ls.window_show_message(lsp.ShowMessageParams(type=kind, message=message))
    ls.log(message, kind)


def _not_done(ls: LiftServer, message: str, kind: lsp.MessageType, **extra: Any) -> dict[str, Any]:
    _tell(ls, message, kind)
    return {"applied": False, "message": message, **extra}


def _display(ls: LiftServer, doc: OpenDocument) -> str:
    if doc.path is None:
        return doc.uri
    for root in ls.settings.roots:
        if root in doc.path.parents:
            return doc.path.relative_to(root).as_posix()
    return doc.path.as_posix()


def _import_engine() -> None:
    import lift_lsp.graphs.forward
    import lift_lsp.signatures  # noqa: F401 - warm the imports off the event loop


async def generate_implementation(ls: LiftServer, args: tuple[Any, ...]) -> dict[str, Any]:
    uri, position, version = _arguments(args)
    doc = ls.require_document(uri)
    warning, error = lsp.MessageType.Warning, lsp.MessageType.Error
    if version is not None and doc.version != version:
        return _not_done(
            ls,
            f"{TITLE}: the document changed since the action was offered; nothing was"
            " changed. Ask for the action again.",
            warning,
            stale=True,
        )
    settings = ls.settings_for(doc)
    offset, clamped = doc.source.offset_at(from_lsp_position(position), ls.encoding)
    hole = None if clamped else doc.analysis(settings).hole_at(offset)
    if hole is None or not hole.is_body:
        return _not_done(ls, f"{TITLE}: there is no body hole at that position.", warning)
    reason = unavailable(ls, doc)
    if reason is not None:
        return _not_done(ls, f"{TITLE} is not available: {reason}.", warning)

    from lift_lsp.forward.target import find_body_target
    from lift_lsp.server.features.reverse import engine

    text, revision = doc.source.text, doc.revision
    target = find_body_target(text, hole.start, _display(ls, doc))
    progress = await WorkDone.start(ls, TITLE, f"{target.qualname}: starting")
    task: asyncio.Future[ForwardResult] | None = None
    try:
        await asyncio.to_thread(_import_engine)
        from lift_lsp.graphs.forward import STEP_TITLES, generate

        def on_step(node: str) -> None:
            what, percentage = STEP_TITLES.get(node, (node, 50))
            progress.report(f"{target.qualname}: {what}", percentage)

        store = (await engine(ls)).store
        task = asyncio.ensure_future(
            generate(
                text,
                target,
                store=store,
                router=router(ls),
                path=target.path,
                file=str(doc.path) if doc.path is not None else None,
                limits=settings.limits_for("forward"),
                run_tests=settings.run_generated_tests,
                on_step=on_step,
                on_warning=lambda message: ls.warn(f"lift-lsp: {message}", show=True),
            )
        )
        while not task.done():
            await asyncio.wait({task}, timeout=POLL_S)
            if progress.cancelled and not task.done():
                task.cancel()
                await asyncio.wait({task})
        if task.cancelled():
            progress.summary = "cancelled"
            return _not_done(
                ls, f"{TITLE}: cancelled; nothing was changed.", warning, cancelled=True
            )
        result = task.result()
        progress.summary = "done" if result.ok else "failed"
    except asyncio.CancelledError:
        progress.summary = "cancelled"
        raise
    except Exception as exc:  # the server stays up; the user hears why
        log.exception("generating %s", target.qualname)
        progress.summary = "failed"
        return _not_done(ls, f"{TITLE} of {target.qualname} failed: {exc}", error)
    finally:
        if task is not None and not task.done():
            task.cancel()  # the request itself was cancelled
        progress.end()
    return await _apply(ls, doc, revision, result)


async def _apply(
    ls: LiftServer, doc: OpenDocument, revision: int, result: ForwardResult
) -> dict[str, Any]:
    out = result.to_json()
    if not result.ok or result.replacement is None:
        return _not_done(ls, result.summary(), lsp.MessageType.Error, **out)
    if ls.documents.get(doc.uri) is not doc or doc.revision != revision:
        return _not_done(
            ls,
            f"{TITLE}: the document changed while the body of {result.target.qualname} was"
            f" generated; nothing was changed (run {result.execution_id[:8]} keeps it).",
            lsp.MessageType.Warning,
            stale=True,
            **out,
        )
    target = result.target
    rng = to_lsp_range(doc.source, target.replace_start, target.replace_end, ls.encoding)
    edit = versioned_edit(ls, doc, lsp.TextEdit(range=rng, new_text=result.replacement))
    response = await ls.workspace_apply_edit_async(
        lsp.ApplyWorkspaceEditParams(edit=edit, label=f"{TITLE}: {target.qualname}")
    )
    applied = bool(response is not None and response.applied)
    message = result.summary()
    if not applied:
        why = getattr(response, "failure_reason", None) or "no reason given"
        message += f" The editor did not apply the edit: {why}."
    tests = result.tests or {}
    worrying = (
        result.remaining_holes or not applied or (tests.get("ran") and not tests.get("passed"))
    )
    _tell(ls, message, lsp.MessageType.Warning if worrying else lsp.MessageType.Info)
    return {**out, "applied": applied, "message": message}


def register(server: LiftServer) -> None:
    @server.command(GENERATE)
    async def generate_command(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await generate_implementation(ls, args)
