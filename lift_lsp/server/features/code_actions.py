"""Code actions on a hole: "Fill hole with `…`" for the best few suggestions, and
"Generate implementation" on a body hole.

A hole is found at the request's range (its start, then its end) and under every
``hole.*`` diagnostic of the context. The first fill of a hole is a preferred
``quickfix``; the others are ``refactor.rewrite``. Each action carries its edit (for
the document's version) and ``lift.acceptSuggestion`` to record the choice. Generate
implementation is a ``refactor.rewrite`` with a command (see ``generate``): it edits
only when run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from lift_lsp.holes import Hole
from lift_lsp.server.convert import SOURCE, from_lsp_position, hole_range
from lift_lsp.server.documents import OpenDocument
from lift_lsp.server.features.completion import suggestions_at
from lift_lsp.server.features.generate import generate_action, versioned_edit
from lift_lsp.server.feedback import accept_command, remember
from lift_lsp.server.remote_fills import ready_remote

if TYPE_CHECKING:
    from lift_lsp.server.app import LiftServer

#: Fills offered as actions for one hole.
ACTIONS_PER_HOLE = 3
KINDS = [lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.RefactorRewrite]
MAX_TITLE = 60


def wanted(kind: str, only: list[str] | None) -> bool:
    """Whether ``kind`` is asked for: ``only`` entries match themselves and sub-kinds."""
    return only is None or any(kind == o or kind.startswith(f"{o}.") for o in only)


def title(text: str, route: str | None = None) -> str:
    one_line = " ".join(text.split())
    if len(one_line) > MAX_TITLE:
        one_line = one_line[: MAX_TITLE - 1] + "…"
    # A model's fill says which route proposed it; the static engine's are unmarked.
    return f"Fill hole with `{one_line}`" + (f" ({route})" if route else "")


def _holes(ls: LiftServer, doc: OpenDocument, params: lsp.CodeActionParams) -> list[Hole]:
    analysis = doc.analysis(ls.settings_for(doc))
    positions = [
        (d.range.start, False)
        for d in params.context.diagnostics
        if d.source == SOURCE and str(d.code or "").startswith("hole.")
    ]
    # Asked for by hand (not the editor's automatic lightbulb): a `...` the diagnostics
    # pass over as Ellipsis used as a value is offered fills too.
    invoked = params.context.trigger_kind == lsp.CodeActionTriggerKind.Invoked
    positions += [(params.range.start, invoked), (params.range.end, invoked)]
    found: dict[int, Hole] = {}
    for position, on_request in positions:
        offset, clamped = doc.source.offset_at(from_lsp_position(position), ls.encoding)
        hole = None if clamped else analysis.hole_at(offset, on_request=on_request)
        if hole is not None:
            found.setdefault(hole.start, hole)
    return list(found.values())


async def code_actions(ls: LiftServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    only = [str(getattr(k, "value", k)) for k in params.context.only or []] or None
    if not any(wanted(k.value, only) for k in KINDS):
        return None
    doc = ls.require_document(params.text_document.uri)
    actions: list[lsp.CodeAction] = []
    for found in _holes(ls, doc, params):
        actions += await _fills(ls, doc, params, found, only)
        if found.is_body and wanted(KINDS[1].value, only):
            generate = generate_action(ls, doc, found)
            if generate is not None:
                actions.append(generate)
    return actions or None


async def _fills(
    ls: LiftServer,
    doc: OpenDocument,
    params: lsp.CodeActionParams,
    found: Hole,
    only: list[str] | None,
) -> list[lsp.CodeAction]:
    result = await suggestions_at(ls, doc, found.start, ACTIONS_PER_HOLE)
    if result is None or result.hole is None or not result.suggestions:
        return []
    hole = result.hole
    suggestions = ready_remote(ls, doc, hole, result.suggestions, ACTIONS_PER_HOLE)
    key = remember(ls, doc, hole, suggestions)
    rng = hole_range(doc.source, hole, ls.encoding)
    diagnostics = [
        d
        for d in params.context.diagnostics
        if d.source == SOURCE and d.range == rng and str(d.code or "").startswith("hole.")
    ]
    actions: list[lsp.CodeAction] = []
    for i, s in enumerate(suggestions):
        kind = KINDS[0] if i == 0 else KINDS[1]
        if not wanted(kind.value, only):
            if i != 0 or not wanted(KINDS[1].value, only):
                continue
            kind = KINDS[1]  # only refactorings asked for: the best fill is one too
        actions.append(
            lsp.CodeAction(
                title=title(s.text, s.provenance.get("route") if s.source == "llm" else None),
                kind=kind,
                diagnostics=(diagnostics or None) if kind == KINDS[0] else None,
                is_preferred=i == 0,
                edit=versioned_edit(ls, doc, lsp.TextEdit(range=rng, new_text=s.text)),
                command=accept_command(doc.uri, key, i),
            )
        )
    return actions


def register(server: LiftServer) -> None:
    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=False),
    )
    async def code_action(
        ls: LiftServer, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction] | None:
        return await code_actions(ls, params)
