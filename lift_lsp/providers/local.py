"""The ``local`` route: the static engine answers the signatures, offline, in milliseconds."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from lift_lsp.analysis.constraints import detect_constraints
from lift_lsp.analysis.effects import detect_effects
from lift_lsp.analysis.intent import extract_intent
from lift_lsp.analysis.typemodel import load_model
from lift_lsp.analysis.types import FunctionTypes, TypeInference
from lift_lsp.analysis.workspace_types import WorkspaceModules

MODULES_KEPT = 8
#: What the static engine answers; forward-mode signatures need a model.
LOCAL_SIGNATURES = frozenset(
    {
        "ExtractIntentFromCode",
        "InferTypeFromUsage",
        "DetectConstraints",
        "DetectEffects",
        "SuggestHoleFill",
    }
)
HOLE_MARK = "<HOLE>"

if TYPE_CHECKING:
    import dspy

    from lift_lsp.analysis.context import FunctionUnit, ModuleContext


class UnansweredSignature(LookupError):
    """A signature this route has no program for (forward-mode ones, on the local route)."""


class LocalProvider:
    """Answers ``ExtractIntentFromCode``, ``InferTypeFromUsage``, ``DetectConstraints`` and
    ``DetectEffects`` with the static engine; predictions carry the signatures' fields."""

    route: str = "local"
    model: str | None = None
    #: Functions per graph branch: the static engine needs no per-function concurrency.
    batch_size: int = 16

    def __init__(self) -> None:
        # Only the most recent modules: a long-running server lifts file after file.
        self._types: OrderedDict[int, tuple[ModuleContext, dict[str, FunctionTypes]]] = (
            OrderedDict()
        )
        self.type_model = load_model()
        self.program_version = f"static-{self.type_model.version}"
        self.workspace = WorkspaceModules(self.type_model)

    async def predict(
        self,
        signature: type[dspy.Signature],
        inputs: dict[str, Any],
        *,
        unit: FunctionUnit | None = None,
    ) -> dspy.Prediction:
        import dspy

        name = signature.__name__
        if name not in LOCAL_SIGNATURES:
            raise UnansweredSignature(f"the local route does not answer {name}")
        if name == "SuggestHoleFill":
            return _hole_fills(inputs)
        if unit is None:
            raise ValueError("the local route analyses parsed functions: pass unit=")
        if name == "ExtractIntentFromCode":
            found = extract_intent(unit)
            return dspy.Prediction(
                summary=found.summary or "",
                confidence=found.confidence,
                evidence=found.evidence,
            )
        if name == "InferTypeFromUsage":
            types = self._module_types(unit)[unit.qualname]
            guesses = [
                {
                    "target": target.target,
                    "candidates": [{"type": t, "confidence": c} for t, c in target.candidates],
                    "evidence": target.evidence,
                    "annotated": target.annotated,
                }
                for target in [*types.params.values(), types.returns]
            ]
            return dspy.Prediction(
                type_guesses=guesses, calibration=self.type_model.calibration_label
            )
        if name == "DetectConstraints":
            return dspy.Prediction(
                assertions=[
                    {"category": c.category, "expression": c.expression, "confidence": c.confidence}
                    for c in detect_constraints(unit)
                ]
            )
        if name == "DetectEffects":
            return dspy.Prediction(
                effects=[
                    {"kind": e.kind, "detail": e.detail, "confidence": e.confidence}
                    for e in detect_effects(unit)
                ]
            )
        raise UnansweredSignature(f"the local route does not answer {name}")

    def _module_types(self, unit: FunctionUnit) -> dict[str, FunctionTypes]:
        """Type inference runs per module (functions inform each other), once."""
        key = id(unit.module)
        cached = self._types.get(key)
        if cached is None or cached[0] is not unit.module:
            inferred = TypeInference(unit.module, self.type_model, self.workspace).infer_module()
            cached = (unit.module, inferred)
            self._types[key] = cached
            while len(self._types) > MODULES_KEPT:
                self._types.popitem(last=False)
        return cached[1]


def _hole_fills(inputs: dict[str, Any]) -> dspy.Prediction:
    """SuggestHoleFill from its inputs alone: the code around the hole, the hole marked
    ``<HOLE>``, is parsed with ``...`` in its place and the static engine ranks fills
    there (as completion does on the whole file)."""
    import dspy

    from lift_lsp.holes.analysis import Analysis
    from lift_lsp.signatures import HoleFill
    from lift_lsp.suggest.engine import suggest
    from lift_lsp.syntax.document import SourceDocument

    context = str(inputs.get("code_context", ""))
    at = context.find(HOLE_MARK)
    if at < 0:
        return dspy.Prediction(suggestions=[])
    text = context[:at] + "..." + context[at + len(HOLE_MARK) :]
    offset = len(context[:at].encode("utf-8", "surrogatepass"))
    result = suggest(Analysis(SourceDocument(text), None), offset, on_request=True)
    rejected = {r.split(":", 1)[0] for r in inputs.get("rejected") or []}
    return dspy.Prediction(
        suggestions=[
            HoleFill(value=s.text, rationale=s.rationale, confidence=s.confidence)
            for s in result.suggestions
            if s.text not in rejected
        ]
    )
