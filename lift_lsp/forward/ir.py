"""The IR a route designed for a body hole: read, stamped with provenance, checked.

The function's signature is already written, so the IR is checked against it: the
parameters must be the function's own (names and kinds, in order), and a type the
source annotates is the source's, not the model's. Every element gets the provenance
of the answer it came from (route, model, program version, the recorded call);
whatever the model wrote there is replaced.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from pydantic import ValidationError

from lift_lsp.forward.target import BodyTarget
from lift_lsp.ir.model import HOLE_THRESHOLD, FunctionIR

Json = dict[str, Any]
#: Validation errors fed back to the route (the rest only make the prompt longer).
MAX_ERRORS = 12


def parse_ir(value: Any) -> Json | None:
    """An IR answer as a dict: an object, JSON text, or the Python literal DSPy makes of
    an object when the signature's field is a ``str``."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    for parse in (json.loads, ast.literal_eval):
        try:
            parsed = parse(value.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(parsed, dict):
            return parsed
    return None


def ir_provenance(answer: Json, execution_id: str, timestamp: str) -> Json:
    """``RouteAnswer.provenance()`` in the IR's spelling (the last call is the one whose
    answer was used; earlier ones were repairs)."""
    prov: Json = {
        "source": answer.get("source", "llm"),
        "route": answer.get("route"),
        "model": answer.get("model"),
        "program_version": answer.get("program_version"),
        "execution_id": execution_id,
        "timestamp": timestamp,
    }
    calls = answer.get("llm_calls") or []
    if calls:
        prov["call_id"] = calls[-1]
    if answer.get("fallback"):
        prov["fallback"] = list(answer["fallback"])
    return {k: v for k, v in prov.items() if v is not None}


def stamp(raw: Json, target: BodyTarget, provenance: Json) -> Json:
    """The IR with the function's own name, location and annotations, and ``provenance``
    on every element. Malformed parts are left for validation to report."""
    ir = dict(raw)
    ir["qualname"] = target.qualname
    ir["location"] = {"row": target.row, "column": target.column}
    annotation = {k: provenance[k] for k in ("execution_id", "timestamp") if k in provenance} | {
        "source": "annotation"
    }
    written = {p["name"]: p["annotation"] for p in target.params}

    def mark(element: Any) -> Any:
        return {**element, "provenance": dict(provenance)} if isinstance(element, dict) else element

    def typed(element: Any, annotated: str | None) -> Any:
        if not isinstance(element, dict):
            return element
        if annotated is None:
            return mark(element)
        return {
            **element,
            "type": annotated,
            "confidence": 1.0,
            "candidates": [],
            "provenance": dict(annotation),
        }

    if "intent" in ir:
        ir["intent"] = mark(ir["intent"])
    if isinstance(ir.get("params"), list):
        ir["params"] = [
            typed(p, written.get(p.get("name")) if isinstance(p, dict) else None)
            for p in ir["params"]
        ]
    if "returns" in ir:
        ir["returns"] = typed(ir["returns"], target.returns)
    for key in ("effects", "assertions"):
        if isinstance(ir.get(key), list):
            ir[key] = [mark(e) for e in ir[key]]
    return ir


def problems(ir: Json, target: BodyTarget) -> list[str]:
    """Why ``ir`` is not a valid IR of this function (empty: it is)."""
    found: list[str] = []
    try:
        FunctionIR.model_validate(ir)
    except ValidationError as exc:
        for error in exc.errors()[:MAX_ERRORS]:
            where = "/".join(str(p) for p in error["loc"])
            found.append(f"at /{where}: {error['msg']}")
        return found
    want = [(p["name"], p["kind"]) for p in target.params]
    got = [(p["name"], p["kind"]) for p in ir["params"]]
    if [n for n, _ in got] != [n for n, _ in want]:
        found.append(
            "params must be the function's own parameters, in order: "
            f"({', '.join(n for n, _ in want)}), not ({', '.join(n for n, _ in got)})"
        )
    else:
        found.extend(
            f"param {name}: kind must be {kind}, not {their}"
            for (name, kind), (_, their) in zip(want, got, strict=True)
            if kind != their
        )
    return found


def _implicit(index: int, name: str) -> bool:
    return index == 0 and name in ("self", "cls")


def open_questions(ir: Json) -> list[Json]:
    """Every element below the hole threshold, and the holes the IR itself declares:
    ``{kind, target, message, confidence}``."""
    out: list[Json] = [
        {
            "kind": h["kind"],
            "target": h["target"],
            "message": h["message"],
            "confidence": h["confidence"],
            "candidates": h.get("candidates", []),
        }
        for h in ir.get("holes", [])
    ]

    def low(element: Json) -> bool:
        return (
            element.get("provenance", {}).get("source") != "annotation"
            and float(element.get("confidence", 0.0)) < HOLE_THRESHOLD
        )

    intent = ir["intent"]
    if low(intent):
        summary = intent.get("summary") or "none"
        out.append(_question("intent", "intent", f"intent not established: {summary}", intent))
    for i, param in enumerate(ir["params"]):
        if low(param) and not _implicit(i, param["name"]):
            out.append(_question("signature", param["name"], _typed_message(param), param))
    if low(ir["returns"]):
        out.append(_question("signature", "return", _typed_message(ir["returns"]), ir["returns"]))
    for effect in ir.get("effects", []):
        if low(effect):
            message = f"effect {effect['kind']} unsure: {effect['detail']}"
            out.append(_question("effect", effect["kind"], message, effect))
    for assertion in ir.get("assertions", []):
        if low(assertion):
            message = f"{assertion['category']} unsure: {assertion['expression']}"
            out.append(_question("assertion", assertion["category"], message, assertion))
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for q in out:
        key = (q["kind"], q["target"], q["message"])
        if key not in seen:
            seen.add(key)
            unique.append(q)
    return unique


def _question(kind: str, target: str, message: str, element: Json) -> Json:
    return {
        "kind": kind,
        "target": target,
        "message": f"{message} ({float(element['confidence']):.2f})",
        "confidence": float(element["confidence"]),
    }


def _typed_message(element: Json) -> str:
    what = "return type" if "name" not in element else f"type of {element['name']}"
    if element.get("type") is None:
        return f"{what} unknown"
    return f"{what} not established: {element['type']}"


def with_holes(ir: Json, questions: list[Json]) -> Json:
    """The IR whose ``holes`` list names every signature and intent question."""
    location = ir["location"]
    holes = [
        {
            "kind": q["kind"],
            "target": q["target"],
            "message": q["message"],
            "confidence": q["confidence"],
            "candidates": q.get("candidates", []),
            "location": location,
        }
        for q in questions
        if q["kind"] in ("signature", "intent")
    ]
    return {**ir, "holes": holes}
