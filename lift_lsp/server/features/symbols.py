"""Holes in the outline: each under the classes and functions that contain it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp
from tree_sitter import Node

from lift_lsp.holes import Hole
from lift_lsp.server.convert import hole_range, to_lsp_range
from lift_lsp.server.documents import OpenDocument
from lift_lsp.syntax.nodes import ancestors, definition_name

if TYPE_CHECKING:
    from lift_lsp.server.app import LiftServer

HOLE_SYMBOL = lsp.SymbolKind.Null


def _detail(hole: Hole) -> str:
    return f"{hole.kind.value} hole · {hole.expected_type or 'unknown type'}"


def _containers(doc: OpenDocument, hole: Hole) -> list[Node]:
    node = doc.source.tree.root_node.descendant_for_byte_range(hole.start, hole.end)
    if node is None:
        return []
    chain = [a for a in ancestors(node) if a.type in ("function_definition", "class_definition")]
    return list(reversed(chain))


def hierarchical(ls: LiftServer, doc: OpenDocument, holes: list[Hole]) -> list[lsp.DocumentSymbol]:
    encoding = ls.encoding
    top: list[lsp.DocumentSymbol] = []
    made: dict[int, lsp.DocumentSymbol] = {}
    for hole in holes:
        siblings = top
        for container in _containers(doc, hole):
            symbol = made.get(container.id)
            if symbol is None:
                name_node = container.child_by_field_name("name") or container
                is_class = container.type == "class_definition"
                symbol = lsp.DocumentSymbol(
                    name=definition_name(container),
                    kind=lsp.SymbolKind.Class if is_class else lsp.SymbolKind.Function,
                    range=to_lsp_range(
                        doc.source, container.start_byte, container.end_byte, encoding
                    ),
                    selection_range=to_lsp_range(
                        doc.source, name_node.start_byte, name_node.end_byte, encoding
                    ),
                    children=[],
                )
                made[container.id] = symbol
                siblings.append(symbol)
            children = symbol.children
            assert isinstance(children, list)
            siblings = children
        rng = hole_range(doc.source, hole, encoding)
        siblings.append(
            lsp.DocumentSymbol(
                name=hole.name,
                kind=HOLE_SYMBOL,
                range=rng,
                selection_range=rng,
                detail=_detail(hole),
            )
        )
    return top


def flat(ls: LiftServer, doc: OpenDocument, holes: list[Hole]) -> list[lsp.SymbolInformation]:
    return [
        lsp.SymbolInformation(
            name=hole.name,
            kind=HOLE_SYMBOL,
            location=lsp.Location(uri=doc.uri, range=hole_range(doc.source, hole, ls.encoding)),
            container_name=hole.function,
        )
        for hole in holes
    ]


def register(server: LiftServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbols(
        ls: LiftServer, params: lsp.DocumentSymbolParams
    ) -> list[lsp.DocumentSymbol] | list[lsp.SymbolInformation]:
        doc = ls.require_document(params.text_document.uri)
        holes = doc.analysis(ls.settings_for(doc)).holes
        if ls.client_supports("textDocument.documentSymbol.hierarchicalDocumentSymbolSupport"):
            return hierarchical(ls, doc, holes)
        return flat(ls, doc, holes)
