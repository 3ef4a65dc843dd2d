"""The JSON schemas in grammars/ and the DSPy signatures describe the same answers."""

from __future__ import annotations

import dspy
import pytest

import lift_lsp.signatures as sigs
from lift_lsp.providers import schemas

SIGNATURES = [
    obj
    for obj in vars(sigs).values()
    if isinstance(obj, type) and issubclass(obj, dspy.Signature) and obj is not dspy.Signature
]


def test_there_are_the_seven_designed_signatures_and_the_reverse_ones() -> None:
    names = {s.__name__ for s in SIGNATURES}
    assert {
        "PromptToIR",
        "ExtractIntent",
        "RefineIR",
        "ExtractIntentFromCode",
        "InferTypeFromUsage",
        "SuggestHoleFill",
        "IRToCode",
    } <= names


@pytest.mark.parametrize("signature", SIGNATURES, ids=lambda s: s.__name__)
def test_each_schema_has_exactly_the_signatures_output_fields(signature: type) -> None:
    schema = schemas.schema_for(signature.__name__)
    assert schema is not None, f"no schema in grammars/ for {signature.__name__}"
    assert set(schema["properties"]) == set(signature.output_fields)  # type: ignore[attr-defined]
    assert set(schema["required"]) == set(signature.output_fields)  # type: ignore[attr-defined]


def test_a_typed_hole_fill_validates_against_the_schema() -> None:
    fill = sigs.HoleFill(value="radius", rationale="in scope", confidence=0.4)
    assert schemas.validate("SuggestHoleFill", {"suggestions": [fill.model_dump()]}) == []
    assert schemas.validate("SuggestHoleFill", {"suggestions": [{"value": "x"}]})
