"""The latest IR of each open document, placed on the document's current tree.

An IR is shown (diagnostics, inlay hints, hovers) only while its document is exactly
the text it was lifted from: same open document, same version, same revision. Any edit
hides it until the next save lifts the file again.

Elements are placed by the function's qualified name and the parameter's name in the
current tree, not by the IR's rows and columns: an IR answered from the node cache may
carry the location the function had when it was first lifted.

Nothing here imports the engine (dspy, aiosqlite, pydantic-graph): that happens in the
handlers of ``features/reverse.py``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from tree_sitter import Node

from lift_lsp.config import Settings
from lift_lsp.holes import HoleKind
from lift_lsp.holes.defs import Param, parameters, return_annotation
from lift_lsp.server.convert import SEVERITIES, SOURCE, to_lsp_range
from lift_lsp.server.documents import OpenDocument
from lift_lsp.syntax.document import Position
from lift_lsp.syntax.nodes import qualname, text, walk
from lift_lsp.syntax.positions import Encoding

if TYPE_CHECKING:
    from lift_lsp.graphs.runner import ReverseRunner
    from lift_lsp.store.db import Store

Json = dict[str, Any]
IMPLICIT = ("self", "cls")
_IDENTIFIER = re.compile(rb"[\w\x80-\xff]*")
IR_HOLE_KINDS = {"signature": HoleKind.SIGNATURE, "intent": HoleKind.INTENT}


@dataclass(frozen=True)
class Engine:
    """The store and runner of one server (opened once, on first use)."""

    store: Store
    runner: ReverseRunner


@dataclass(frozen=True)
class LiftedParam:
    ir: Json
    name_node: Node
    annotated: bool
    implicit: bool


@dataclass(frozen=True)
class LiftedFunction:
    ir: Json
    node: Node
    name_node: Node
    params_node: Node | None
    params: dict[str, LiftedParam]
    returns_annotated: bool


@dataclass
class DocumentIR:
    """The FileIR of one document at one version (``doc`` is that very open document)."""

    doc: OpenDocument
    version: int | None
    revision: int
    file_ir: Json
    execution_id: str
    _placed: list[LiftedFunction] | None = field(default=None, repr=False)

    def is_current(self, doc: OpenDocument | None) -> bool:
        return doc is self.doc and doc.version == self.version and doc.revision == self.revision

    def functions(self) -> list[LiftedFunction]:
        """The IR's functions on the document's tree (only valid while ``is_current``)."""
        if self._placed is None:
            self._placed = place(self.doc, self.file_ir)
        return self._placed


class IRState:
    """Per server: the latest IR per document, the running lifts, the engine."""

    def __init__(self) -> None:
        self.documents: dict[str, DocumentIR] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        #: Other engine work not tied to a document (resuming interrupted runs).
        self.background: set[asyncio.Future[None]] = set()
        #: Bumped whenever an IR is stored: part of pull-diagnostic result ids.
        self.generation = 0
        self.engine: asyncio.Future[Engine] | None = None
        self.store_warned = False

    def current(self, doc: OpenDocument) -> DocumentIR | None:
        entry = self.documents.get(doc.uri)
        return entry if entry is not None and entry.is_current(doc) else None

    def prune(self, is_open: Callable[[str], OpenDocument | None]) -> None:
        """Forget the IR of documents closed since (reopening makes a new document)."""
        for uri, entry in list(self.documents.items()):
            if is_open(uri) is not entry.doc:
                del self.documents[uri]

    def put(self, uri: str, entry: DocumentIR) -> None:
        self.documents[uri] = entry
        self.generation += 1


# --- placing the IR on the tree -------------------------------------------------------


def _name_of_param(param: Param) -> Node:
    if param.node.type == "identifier":
        return param.node
    for node in walk(param.node):
        if node.type == "identifier" and text(node) == param.name:
            return node
    return param.node


def place(doc: OpenDocument, file_ir: Json) -> list[LiftedFunction]:
    """Each IR function with its definition (the first one of that qualified name)."""
    by_name: dict[str, Node] = {}
    for node in walk(doc.source.tree.root_node):
        if node.type == "function_definition":
            by_name.setdefault(qualname(node), node)
    placed = []
    for fn in file_ir.get("functions", []):
        found = by_name.get(fn.get("qualname", ""))
        if found is None:
            continue
        node = found
        name_node = node.child_by_field_name("name") or node
        written = parameters(node)
        params = {}
        for i, param in enumerate(written):
            ir = next((p for p in fn.get("params", []) if p.get("name") == param.name), None)
            if ir is None:
                continue
            params[param.name] = LiftedParam(
                ir=ir,
                name_node=_name_of_param(param),
                annotated=param.annotation is not None
                or ir.get("provenance", {}).get("source") == "annotation",
                implicit=i == 0 and param.name in IMPLICIT,
            )
        placed.append(
            LiftedFunction(
                ir=fn,
                node=node,
                name_node=name_node,
                params_node=node.child_by_field_name("parameters"),
                params=params,
                returns_annotated=return_annotation(node) is not None
                or fn.get("returns", {}).get("provenance", {}).get("source") == "annotation",
            )
        )
    return placed


def _location_range(doc: OpenDocument, hole: Json, encoding: Encoding) -> lsp.Range | None:
    """Fallback: the identifier at the hole's 1-based row/column (code points)."""
    loc = hole.get("location")
    if not isinstance(loc, dict):
        return None
    offset, clamped = doc.source.offset_at(
        Position(int(loc["row"]) - 1, int(loc["column"]) - 1), Encoding.UTF32
    )
    if clamped:
        return None
    match = _IDENTIFIER.match(doc.source.data, offset)
    end = match.end() if match else offset
    return to_lsp_range(doc.source, offset, end, encoding)


def hole_target_range(
    doc: OpenDocument, fn: LiftedFunction, hole: Json, encoding: Encoding
) -> lsp.Range | None:
    """A parameter hole on the parameter's name; return and intent holes on the def name."""
    param = fn.params.get(str(hole.get("target")))
    if param is not None:
        node = param.name_node
    elif hole.get("target") in ("return", "intent"):
        node = fn.name_node
    else:
        return _location_range(doc, hole, encoding)
    return to_lsp_range(doc.source, node.start_byte, node.end_byte, encoding)


def ir_diagnostics(ir: DocumentIR, settings: Settings, encoding: Encoding) -> list[lsp.Diagnostic]:
    """Signature and intent holes of a current IR, as diagnostics."""
    out = []
    for fn in ir.functions():
        for hole in fn.ir.get("holes", []):
            kind = IR_HOLE_KINDS.get(str(hole.get("kind")))
            if kind is None or kind not in settings.enabled_kinds:
                continue
            rng = hole_target_range(ir.doc, fn, hole, encoding)
            if rng is None:
                continue
            out.append(
                lsp.Diagnostic(
                    range=rng,
                    message=str(hole.get("message", "")),
                    severity=SEVERITIES[settings.severity],
                    code=kind.code,
                    source=SOURCE,
                    data={
                        "kind": kind.value,
                        "target": hole.get("target"),
                        "candidates": hole.get("candidates", []),
                        "function": fn.ir.get("qualname"),
                    },
                )
            )
    return out


# --- markdown (hovers and inlay-hint tooltips) ----------------------------------------


def _threshold() -> float:
    from lift_lsp.ir.model import HOLE_THRESHOLD

    return HOLE_THRESHOLD


def provenance_text(prov: Json) -> str:
    """``static · route local · program static-types-v1 · … · execution `id```."""
    parts = [str(prov.get("source", "unknown"))]
    for key, label in (
        ("route", "route"),
        ("model", "model"),
        ("program_version", "program"),
        ("calibration", "calibration"),
    ):
        if prov.get(key):
            parts.append(f"{label} {prov[key]}")
    if prov.get("execution_id"):
        parts.append(f"execution `{prov['execution_id']}`")
    return " · ".join(parts)


def typed_markdown(what: str, name: str, element: Json) -> str:
    """A parameter or return element: type, confidence, ranked candidates, provenance."""
    type_ = element.get("type")
    confidence = float(element.get("confidence", 0.0))
    prov = element.get("provenance", {})
    head = f"**{what}** `{name}`: " + (f"`{type_}`" if type_ else "type unknown")
    if prov.get("source") == "annotation":
        status = "as annotated"
    elif confidence >= _threshold():
        status = "established"
    else:
        status = f"below {_threshold():.2f}: a signature hole"
    lines = [head, "", f"confidence {confidence:.2f} ({status})"]
    candidates = element.get("candidates") or []
    if candidates and prov.get("source") != "annotation":
        lines += ["", "candidates:", ""]
        lines += [
            f"{i}. `{c.get('type')}` · {float(c.get('confidence', 0.0)):.2f}"
            for i, c in enumerate(candidates, 1)
        ]
    lines += ["", f"provenance: {provenance_text(prov)}"]
    return "\n".join(lines)


def function_markdown(fn: Json) -> str:
    """A def name: intent, effects, assertions and holes of the function."""
    intent = fn.get("intent", {})
    summary = intent.get("summary")
    confidence = float(intent.get("confidence", 0.0))
    lines = [f"**def** `{fn.get('qualname')}`", ""]
    if summary:
        lines.append(f"intent: {summary} (confidence {confidence:.2f})")
    else:
        lines.append("intent: unknown")
    effects = fn.get("effects") or []
    if effects:
        lines += ["", "effects:", ""]
        lines += [
            f"- {e.get('kind')}: {e.get('detail')} ({float(e.get('confidence', 0.0)):.2f})"
            for e in effects
        ]
    assertions = fn.get("assertions") or []
    if assertions:
        lines += ["", "assertions:", ""]
        lines += [
            f"- {a.get('category')}: `{a.get('expression')}`"
            f" ({float(a.get('confidence', 0.0)):.2f})"
            for a in assertions
        ]
    holes = fn.get("holes") or []
    if holes:
        lines += ["", "holes:", ""]
        lines += [f"- {h.get('kind')} `{h.get('target')}`: {h.get('message')}" for h in holes]
    lines += ["", f"provenance: {provenance_text(intent.get('provenance', {}))}"]
    return "\n".join(lines)


def ir_hover(ir: DocumentIR, offset: int, encoding: Encoding) -> lsp.Hover | None:
    """Hover on a def name (the function) or a parameter name (its type) of a current IR."""
    source = ir.doc.source
    for fn in ir.functions():
        found: tuple[Node, str] | None = None
        if fn.name_node.start_byte <= offset < fn.name_node.end_byte:
            found = (fn.name_node, function_markdown(fn.ir))
        else:
            for name, param in fn.params.items():
                node = param.name_node
                if node.start_byte <= offset < node.end_byte:
                    found = (node, typed_markdown("parameter", name, param.ir))
                    break
        if found is not None:
            node, value = found
            return lsp.Hover(
                contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=value),
                range=to_lsp_range(source, node.start_byte, node.end_byte, encoding),
            )
    return None
