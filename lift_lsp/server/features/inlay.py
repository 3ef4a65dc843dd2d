"""Inlay hints: the inferred types of unannotated parameters and returns, from the IR.

``: T`` after a parameter's name, `` -> T`` after the closing parenthesis of the
parameters; the tooltip gives the confidence, the ranked candidates and the provenance.
Shown only while the document is the text the IR was lifted from (see ``ir_cache``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from lift_lsp.server.convert import from_lsp_position, to_lsp_position, to_lsp_range
from lift_lsp.server.ir_cache import DocumentIR, LiftedFunction, LiftedParam, typed_markdown
from lift_lsp.syntax.positions import Encoding

if TYPE_CHECKING:
    from lift_lsp.server.app import LiftServer


def _param_hint(
    ir: DocumentIR, name: str, param: LiftedParam, encoding: Encoding
) -> lsp.InlayHint | None:
    type_ = param.ir.get("type")
    if param.annotated or param.implicit or not type_:
        return None
    source = ir.doc.source
    at = param.name_node.end_byte
    position = to_lsp_position(source, at, encoding)
    # ``x=1`` becomes ``x: T = 1`` (PEP 8 spacing once there is an annotation).
    edit_end, new_text = at, f": {type_}"
    parent = param.name_node.parent
    value = parent.child_by_field_name("value") if parent is not None else None
    if parent is not None and parent.type == "default_parameter" and value is not None:
        edit_end, new_text = value.start_byte, f": {type_} = "
    return lsp.InlayHint(
        position=position,
        label=f": {type_}",
        kind=lsp.InlayHintKind.Type,
        tooltip=lsp.MarkupContent(
            kind=lsp.MarkupKind.Markdown, value=typed_markdown("parameter", name, param.ir)
        ),
        text_edits=[
            lsp.TextEdit(range=to_lsp_range(source, at, edit_end, encoding), new_text=new_text)
        ],
    )


def _return_hint(ir: DocumentIR, fn: LiftedFunction, encoding: Encoding) -> lsp.InlayHint | None:
    returns = fn.ir.get("returns", {})
    type_ = returns.get("type")
    if fn.returns_annotated or not type_ or fn.params_node is None:
        return None
    position = to_lsp_position(ir.doc.source, fn.params_node.end_byte, encoding)
    return lsp.InlayHint(
        position=position,
        label=f" -> {type_}",
        kind=lsp.InlayHintKind.Type,
        tooltip=lsp.MarkupContent(
            kind=lsp.MarkupKind.Markdown,
            value=typed_markdown("return", str(fn.ir.get("qualname")), returns),
        ),
        text_edits=[
            lsp.TextEdit(range=lsp.Range(start=position, end=position), new_text=f" -> {type_}")
        ],
    )


def inlay_hints(ls: LiftServer, doc_ir: DocumentIR, start: int, end: int) -> list[lsp.InlayHint]:
    encoding = ls.encoding
    hints: list[tuple[int, lsp.InlayHint]] = []
    for fn in doc_ir.functions():
        for name, param in fn.params.items():
            at = param.name_node.end_byte
            if start <= at <= end and (hint := _param_hint(doc_ir, name, param, encoding)):
                hints.append((at, hint))
        if fn.params_node is not None:
            at = fn.params_node.end_byte
            if start <= at <= end and (hint := _return_hint(doc_ir, fn, encoding)):
                hints.append((at, hint))
    return [hint for _, hint in sorted(hints, key=lambda item: item[0])]


def register(server: LiftServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintOptions(resolve_provider=False))
    def inlay_hint(ls: LiftServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
        doc = ls.documents.get(params.text_document.uri)
        doc_ir = ls.ir.current(doc) if doc is not None else None
        if doc is None or doc_ir is None:
            return []
        start, _ = doc.source.offset_at(from_lsp_position(params.range.start), ls.encoding)
        end, _ = doc.source.offset_at(from_lsp_position(params.range.end), ls.encoding)
        return inlay_hints(ls, doc_ir, start, end)
