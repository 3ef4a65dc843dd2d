"""Completion at a hole: the ranked fills of ``suggest``, each replacing the whole hole.

Outside a hole the answer is ``None`` at once (completion runs on every keystroke):
the only work is the hole lookup on the document's cached analysis. Each item carries
``lift.acceptSuggestion`` (registered here), which records the choice for the ranker.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

# A runtime import: pygls reads command handlers' annotations with get_type_hints.
from lift_lsp.server.app import LiftServer
from lift_lsp.server.convert import from_lsp_position, hole_range
from lift_lsp.server.documents import OpenDocument
from lift_lsp.server.feedback import (
    ACCEPT_SUGGESTION,
    accept,
    accept_command,
    current_ranker,
    invalidate_ranker,
    remember,
)
from lift_lsp.server.remote_fills import join_remote

if TYPE_CHECKING:
    from lift_lsp.suggest.engine import Suggestion, SuggestResult

log = logging.getLogger(__name__)

__all__ = ["invalidate_ranker", "register"]

#: Fills offered in a completion list.
LIMIT = 10
KINDS = {
    "parameter": lsp.CompletionItemKind.Variable,
    "local": lsp.CompletionItemKind.Variable,
    "imported": lsp.CompletionItemKind.Variable,
    "global": lsp.CompletionItemKind.Variable,
    "attribute": lsp.CompletionItemKind.Field,
    "call": lsp.CompletionItemKind.Function,
    "literal": lsp.CompletionItemKind.Value,
    "llm": lsp.CompletionItemKind.Snippet,
}
CONSTANTS = frozenset({"None", "True", "False"})


def item_kind(s: Suggestion) -> lsp.CompletionItemKind:
    name = s.text.removeprefix("return ")
    if name in CONSTANTS or (s.kind == "global" and name.isupper()):
        return lsp.CompletionItemKind.Constant
    return KINDS.get(s.kind, lsp.CompletionItemKind.Value)


def documentation(s: Suggestion, expected: str | None, *, markdown: bool = True) -> str:
    """Why this fill, how confident, for which type, ranked by what."""
    tick = "`" if markdown else ""
    facts = [
        f"confidence: {s.confidence:.0%}",
        f"expected type: {tick}{expected}{tick}" if expected else "expected type: unknown",
    ]
    version = s.provenance.get("program_version")
    if version:
        facts.append(f"ranked by: {tick}{version}{tick}")
    return f"{s.rationale}\n\n" + ("  \n" if markdown else "\n").join(facts)


async def suggestions_at(
    ls: LiftServer, doc: OpenDocument, offset: int, limit: int
) -> SuggestResult | None:
    """The fills for the hole at ``offset``, or ``None`` if there is no hole there.

    The user asked at ``offset``, so a ``...`` the diagnostics pass over as Ellipsis
    used as a value counts as a hole here (``Analysis.hole_at(on_request=True)``).

    The hole is looked up first; only then is the ranker fetched (which may wait for
    the store the first time) and the document analysed again if it changed meanwhile.
    """
    if doc.analysis(ls.settings_for(doc)).hole_at(offset, on_request=True) is None:
        return None
    revision = doc.revision
    ranker = await current_ranker(ls)
    if ls.documents.get(doc.uri) is not doc and doc.version is not None:
        return None  # closed while the ranker was loading
    if doc.revision != revision:
        return None  # edited meanwhile: a new request follows
    from lift_lsp.suggest.engine import suggest  # loaded after start-up (see lifecycle)

    try:
        analysis = doc.analysis(ls.settings_for(doc))
        result = suggest(analysis, offset, limit=limit, ranker=ranker, on_request=True)
    except Exception as exc:  # an engine failure is logged, never an error in the editor
        log.exception("suggesting fills in %s", doc.uri)
        ls.log(
            f"lift-lsp: suggesting fills failed: {type(exc).__name__}: {exc}",
            lsp.MessageType.Error,
        )
        return None
    return result if result.hole is not None else None


def markdown_documentation(ls: LiftServer) -> bool:
    """Whether the client says it renders Markdown in completion items (else plain text)."""
    caps = ls.client_capabilities.text_document
    item = caps.completion.completion_item if caps and caps.completion else None
    formats = item.documentation_format if item is not None else None
    return formats is not None and lsp.MarkupKind.Markdown in formats


def completion_items(
    ls: LiftServer, doc: OpenDocument, result: SuggestResult, key: str
) -> list[lsp.CompletionItem]:
    hole = result.hole
    assert hole is not None
    markdown = markdown_documentation(ls)
    markup = lsp.MarkupKind.Markdown if markdown else lsp.MarkupKind.PlainText
    rng = hole_range(doc.source, hole, ls.encoding)
    hole_text = doc.source.data[hole.start : hole.end].decode("utf-8", "replace")
    return [
        lsp.CompletionItem(
            label=s.text,
            kind=item_kind(s),
            detail=f"{s.type or '?'} · {s.source}",
            documentation=lsp.MarkupContent(
                kind=markup, value=documentation(s, result.expected_type, markdown=markdown)
            ),
            sort_text=f"{i:04d}",
            # Clients filter on the text from the range's start to the cursor (`...`).
            filter_text=hole_text + s.text,
            preselect=i == 0,
            insert_text_format=lsp.InsertTextFormat.PlainText,
            text_edit=lsp.TextEdit(range=rng, new_text=s.text),
            command=accept_command(doc.uri, key, i),
        )
        for i, s in enumerate(result.suggestions)
    ]


async def complete(ls: LiftServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    doc = ls.require_document(params.text_document.uri)
    offset, clamped = doc.source.offset_at(from_lsp_position(params.position), ls.encoding)
    if clamped:
        return None
    result = await suggestions_at(ls, doc, offset, LIMIT)
    if result is None or result.hole is None:
        return None
    hole = result.hole
    wait_s = ls.settings_for(doc).completion_budget_ms / 1000
    joined, incomplete = await join_remote(
        ls, doc, hole, offset, static=result.suggestions, limit=LIMIT, wait_s=wait_s
    )
    if not joined:
        return None
    result = replace(result, suggestions=joined)
    key = remember(ls, doc, hole, result.suggestions)
    return lsp.CompletionList(
        is_incomplete=incomplete, items=completion_items(ls, doc, result, key)
    )


def register(server: LiftServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(resolve_provider=False))
    async def completion(ls: LiftServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        return await complete(ls, params)

    @server.command(ACCEPT_SUGGESTION)
    async def accept_suggestion(ls: LiftServer, *args: Any) -> dict[str, Any]:
        return await accept(ls, args)
