"""Engine values (byte offsets, holes, settings) to LSP types, in the negotiated encoding."""

from __future__ import annotations

from lsprotocol import types as lsp

from lift_lsp.config import Severity
from lift_lsp.holes import Hole
from lift_lsp.syntax.document import Position, SourceDocument
from lift_lsp.syntax.positions import Encoding

SOURCE = "lift"

SEVERITIES = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFORMATION: lsp.DiagnosticSeverity.Information,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}


def encoding_of(kind: object) -> Encoding:
    """The engine encoding for a negotiated ``PositionEncodingKind`` (UTF-16 by default)."""
    value = getattr(kind, "value", kind)
    try:
        return Encoding(str(value))
    except ValueError:
        return Encoding.UTF16


def to_lsp_position(doc: SourceDocument, offset: int, encoding: Encoding) -> lsp.Position:
    pos = doc.position_at(offset, encoding)
    return lsp.Position(line=pos.line, character=pos.column)


def to_lsp_range(doc: SourceDocument, start: int, end: int, encoding: Encoding) -> lsp.Range:
    return lsp.Range(
        start=to_lsp_position(doc, start, encoding), end=to_lsp_position(doc, end, encoding)
    )


def from_lsp_position(position: lsp.Position) -> Position:
    return Position(position.line, position.character)


def hole_range(doc: SourceDocument, hole: Hole, encoding: Encoding) -> lsp.Range:
    return to_lsp_range(doc, hole.start, hole.end, encoding)


def hole_data(hole: Hole) -> dict[str, object]:
    """Carried in ``Diagnostic.data`` so code actions need not recompute the hole."""
    return {
        "kind": hole.kind.value,
        "name": hole.name,
        "expected_type": hole.expected_type,
        "function": hole.function,
    }


def hole_diagnostic(  # noqa: PLR0917 - one call site, every argument distinct
    uri: str,
    doc: SourceDocument,
    hole: Hole,
    encoding: Encoding,
    severity: Severity,
    same_name: list[Hole],
) -> lsp.Diagnostic:
    related = [
        lsp.DiagnosticRelatedInformation(
            location=lsp.Location(uri=uri, range=hole_range(doc, other, encoding)),
            message=f"hole {hole.name!r} is also used here",
        )
        for other in same_name
        if other is not hole
    ]
    return lsp.Diagnostic(
        range=hole_range(doc, hole, encoding),
        message=f"{hole.name}: {hole.message}",
        severity=SEVERITIES[severity],
        code=hole.kind.code,
        source=SOURCE,
        related_information=related or None,
        data=hole_data(hole),
    )
