"""From the four extractions of one function to its IR, and from low confidence to holes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lift_lsp.analysis.context import FunctionUnit
from lift_lsp.holes.defs import ParamKind, parameters
from lift_lsp.ir.model import HOLE_THRESHOLD
from lift_lsp.syntax.nodes import ancestors, definition_name

if TYPE_CHECKING:
    from lift_lsp.providers.base import Provider

Json = dict[str, Any]


def _location(unit: FunctionUnit, offset: int) -> Json:
    pos = unit.module.doc.position_at(offset)
    return {"row": pos.line + 1, "column": pos.column + 1}


def _provenance(
    part: Json, provider: Provider, execution_id: str, timestamp: str, **extra: Any
) -> Json:
    # A routed run says per answer which route, model and program gave it.
    route = part.get("route", provider.route)
    prov: Json = {
        "source": "static" if route == "local" else "llm",
        "route": route,
        "program_version": part.get("program_version") or provider.program_version,
        "execution_id": execution_id,
        "timestamp": timestamp,
    }
    model = part.get("model") or provider.model
    if model:
        prov["model"] = model
    if part.get("llm_calls"):
        # The last attempt is the one whose answer was used (earlier ones were repairs).
        prov["call_id"] = part["llm_calls"][-1]
    if part.get("fallback"):
        prov["fallback"] = list(part["fallback"])
    prov.update({k: v for k, v in extra.items() if v is not None})
    return prov


def build_function_ir(
    unit: FunctionUnit, parts: Json, provider: Provider, execution_id: str, timestamp: str
) -> Json:
    """AssignConfidence: one FunctionIR (as JSON) with a provenance on every element."""
    intent_part = parts.get("ExtractIntentFromCode", {})
    types_part = parts.get("InferTypeFromUsage", {})
    constraints_part = parts.get("DetectConstraints", {})
    effects_part = parts.get("DetectEffects", {})
    calibration = types_part.get("calibration")

    def prov(part: Json, **extra: Any) -> Json:
        return _provenance(part, provider, execution_id, timestamp, **extra)

    annotation_prov = {"source": "annotation", "execution_id": execution_id, "timestamp": timestamp}
    guesses = {g["target"]: g for g in types_part.get("type_guesses", []) if isinstance(g, dict)}

    def typed(target: str) -> Json:
        guess = guesses.get(target)
        if guess is None:
            return {
                "type": None,
                "confidence": 0.0,
                "candidates": [],
                "provenance": prov(types_part),
            }
        candidates = [
            {"type": str(c["type"]), "confidence": _clamp(c["confidence"])}
            for c in guess.get("candidates", [])[:5]
        ]
        best = candidates[0] if candidates else {"type": None, "confidence": 0.0}
        if guess.get("annotated"):
            return {**best, "candidates": candidates, "provenance": annotation_prov}
        return {
            "type": best["type"],
            "confidence": best["confidence"],
            "candidates": candidates,
            "provenance": prov(types_part, calibration=calibration),
        }

    params = [
        {"name": p.name, "kind": p.kind.value, **typed(p.name)} for p in parameters(unit.node)
    ]
    summary = intent_part.get("summary") or None
    intent = {
        "summary": summary,
        "confidence": _clamp(intent_part.get("confidence", 0.0)) if summary else 0.0,
        "provenance": prov(intent_part),
    }
    effects = [
        {
            "kind": e["kind"],
            "detail": e["detail"],
            "confidence": _clamp(e["confidence"]),
            "provenance": prov(effects_part),
        }
        for e in effects_part.get("effects", [])
    ]
    assertions = [
        {
            "category": a["category"],
            "expression": a["expression"],
            "confidence": _clamp(a["confidence"]),
            "provenance": prov(constraints_part),
        }
        for a in constraints_part.get("assertions", [])
    ]
    errors = [
        f"{name}: {part['error']}"
        for name, part in parts.items()
        if isinstance(part, dict) and part.get("ok") is False
    ]
    return {
        "qualname": unit.qualname,
        "location": _location(unit, unit.node.start_byte),
        "intent": intent,
        "params": params,
        "returns": typed("return"),
        "effects": effects,
        "assertions": assertions,
        "holes": [],
        **({"errors": errors} if errors else {}),
    }


def _clamp(value: Any) -> float:
    try:
        return min(1.0, max(0.0, round(float(value), 4)))
    except (TypeError, ValueError):
        return 0.0


def is_public(unit: FunctionUnit) -> bool:
    """Public: its name and every enclosing class's name do not start with ``_`` (dunder
    methods are public protocol), and it is not nested in another function."""
    name = definition_name(unit.node)
    if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
        return False
    for anc in ancestors(unit.node):
        if anc.type == "function_definition":
            return False
        if anc.type == "class_definition" and definition_name(anc).startswith("_"):
            return False
    return True


def promote(ir: Json, unit: FunctionUnit) -> Json:
    """PromoteToHoles: elements below the threshold become signature or intent holes."""
    holes: list[Json] = []
    nodes = {p.name: p for p in parameters(unit.node)}
    for param in ir["params"]:
        if param["provenance"].get("source") == "annotation":
            continue
        node = nodes.get(param["name"])
        implicit = param["name"] in ("self", "cls") and param is ir["params"][0]
        if implicit or node is None:
            continue
        if node.kind in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD) and param["type"] is None:
            continue  # *args/**kwargs without evidence are a choice, not an unknown
        if param["confidence"] < HOLE_THRESHOLD:
            holes.append(
                _signature_hole(param["name"], param, _location(unit, node.node.start_byte))
            )
    returns = ir["returns"]
    if (
        returns["provenance"].get("source") != "annotation"
        and returns["confidence"] < HOLE_THRESHOLD
    ):
        name_node = unit.node.child_by_field_name("name") or unit.node
        holes.append(_signature_hole("return", returns, _location(unit, name_node.start_byte)))
    intent = ir["intent"]
    if is_public(unit) and intent["confidence"] < HOLE_THRESHOLD:
        holes.append(
            {
                "kind": "intent",
                "target": "intent",
                "message": "intent not established"
                + (f" (best guess: {intent['summary']})" if intent["summary"] else ""),
                "confidence": intent["confidence"],
                "candidates": [],
                "location": _location(unit, unit.node.start_byte),
            }
        )
    for error in ir.pop("errors", []):
        holes.append(
            {
                "kind": "signature",
                "target": "return",
                "message": f"could not analyse: {error}",
                "confidence": 0.0,
                "candidates": [],
                "location": _location(unit, unit.node.start_byte),
            }
        )
    return {**ir, "holes": holes}


def relocate(ir: Json, unit: FunctionUnit) -> Json:
    """A cached IR placed where its function is now (its text is unchanged, its position
    may not be: a line inserted above moves it)."""
    nodes = {p.name: p.node for p in parameters(unit.node)}
    name_node = unit.node.child_by_field_name("name") or unit.node
    holes = []
    for hole in ir.get("holes", []):
        target = hole.get("target")
        if target in nodes:
            where = nodes[target].start_byte
        elif target == "return":
            where = name_node.start_byte
        else:
            where = unit.node.start_byte
        holes.append({**hole, "location": _location(unit, where)})
    return {
        **ir,
        "qualname": unit.qualname,
        "location": _location(unit, unit.node.start_byte),
        "holes": holes,
    }


def _signature_hole(target: str, element: Json, location: Json) -> Json:
    what = "return type" if target == "return" else f"type of {target}"
    if element["type"] is None:
        message = f"{what} unknown"
    else:
        message = f"{what} not established: {element['type']} ({element['confidence']:.2f})"
    return {
        "kind": "signature",
        "target": target,
        "message": message,
        "confidence": element["confidence"],
        "candidates": element["candidates"],
        "location": location,
    }


def unanalysable(unit: FunctionUnit, reason: str) -> Any:
    """A function the engine could not lift: everything unknown, everything a hole."""
    from lift_lsp.ir.model import FunctionIR

    prov = {"source": "static", "route": "local"}
    loc = _location(unit, unit.node.start_byte)
    unknown: dict[str, Any] = {
        "type": None,
        "confidence": 0.0,
        "candidates": [],
        "provenance": prov,
    }
    return FunctionIR.model_validate(
        {
            "qualname": unit.qualname,
            "location": loc,
            "intent": {"summary": None, "confidence": 0.0, "provenance": prov},
            "params": [
                {"name": p.name, "kind": p.kind.value, **unknown} for p in parameters(unit.node)
            ],
            "returns": unknown,
            "holes": [
                {
                    "kind": "signature",
                    "target": "return",
                    "message": f"could not analyse: {reason}",
                    "confidence": 0.0,
                    "location": loc,
                }
            ],
        }
    )
