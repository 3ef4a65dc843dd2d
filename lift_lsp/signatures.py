"""Every question the engine asks, as DSPy signatures (one module, one place).

Each route answers the same signatures: the ``local`` route (the static engine)
returns ``dspy.Prediction`` objects with exactly these output fields; LLM routes run
DSPy programs built from them. Importing this module imports ``dspy`` (~0.7 s), so it
is only imported when a graph runs, never at server start-up.

Output fields avoid names that are methods of ``dspy.Example`` (``items``, ``labels``,
``keys``, ``copy``, ``inputs``).
"""

from __future__ import annotations

import dspy
from pydantic import BaseModel, Field


class HoleFill(BaseModel):
    """One proposed fill: exactly the text that replaces the hole."""

    value: str = Field(min_length=1)
    rationale: str
    confidence: float = Field(ge=0.0, le=1.0)


class ExtractIntentFromCode(dspy.Signature):
    """Summarise in one sentence what a Python function is for, from its code and docstring."""

    qualname: str = dspy.InputField(desc="qualified name, e.g. Circle.area")
    function_source: str = dspy.InputField(desc="the function's source code")
    summary: str = dspy.OutputField(desc="one sentence, imperative mood, ending with a period")
    confidence: float = dspy.OutputField(desc="0..1: how well the evidence supports the summary")


class InferTypeFromUsage(dspy.Signature):
    """Infer the types of a function's unannotated parameters and return value from how they
    are used, written as they would be written in the module's source (PEP 604 unions,
    builtin generics, names visible in the module)."""

    qualname: str = dspy.InputField()
    function_source: str = dspy.InputField()
    module_context: str = dspy.InputField(
        desc="signatures of the module's other functions and classes"
    )
    targets: list[str] = dspy.InputField(desc="parameter names to type, and 'return'")
    type_guesses: list[dict] = dspy.OutputField(  # type: ignore[type-arg]
        desc="one per target: {target, candidates: [{type, confidence}] best first (<= 5), "
        "evidence}"
    )


class DetectConstraints(dspy.Signature):
    """List the preconditions and postconditions a Python function checks or guarantees."""

    qualname: str = dspy.InputField()
    function_source: str = dspy.InputField()
    assertions: list[dict] = dspy.OutputField(  # type: ignore[type-arg]
        desc="[{category: precondition|postcondition|invariant, expression, confidence}]"
    )


class DetectEffects(dspy.Signature):
    """List the side effects of a Python function: io, filesystem, network, subprocess,
    global_state, mutation (of its arguments), time, random."""

    qualname: str = dspy.InputField()
    function_source: str = dspy.InputField()
    effects: list[dict] = dspy.OutputField(  # type: ignore[type-arg]
        desc="[{kind, detail, confidence}]"
    )


class SuggestHoleFill(dspy.Signature):
    """Propose Python expressions that fill a typed hole, best first."""

    code_context: str = dspy.InputField(desc="the code around the hole, the hole marked <HOLE>")
    expected_type: str = dspy.InputField(desc="the type the hole must have, or 'unknown'")
    bindings: list[str] = dspy.InputField(desc="names in scope with their types, nearest first")
    rejected: list[str] = dspy.InputField(
        desc="earlier fills that were rejected, each with the reason; do not repeat them"
    )
    suggestions: list[HoleFill] = dspy.OutputField(
        desc="best first; value is exactly the replacement text"
    )


class ExtractIntent(dspy.Signature):
    """Turn a request written in prose into a precise statement of intent."""

    prompt: str = dspy.InputField()
    intent: str = dspy.OutputField()
    confidence: float = dspy.OutputField()


class PromptToIR(dspy.Signature):
    """Design the IR of a function (signature, effects, pre/postconditions) for an intent."""

    intent: str = dspy.InputField()
    signature_hint: str = dspy.InputField(desc="the signature if already written, else empty")
    ir_json: dict = dspy.OutputField(  # type: ignore[type-arg]
        desc="a FunctionIR object (grammars/ir.schema.json)"
    )


class RefineIR(dspy.Signature):
    """Improve an IR given feedback (validation errors, user edits)."""

    ir_json: str = dspy.InputField()
    feedback: str = dspy.InputField()
    refined_ir_json: dict = dspy.OutputField(  # type: ignore[type-arg]
        desc="the improved FunctionIR object"
    )


class IRToCode(dspy.Signature):
    """Write the body of a Python function that implements the IR."""

    ir_json: str = dspy.InputField()
    def_line: str = dspy.InputField(desc="the def line to implement")
    module_context: str = dspy.InputField(
        desc="the module's imports and other definitions' signatures: names the body may use"
    )
    code: str = dspy.OutputField(desc="the function's body, indented one level")


#: Signatures the reverse graph asks per function.
REVERSE_SIGNATURES = (ExtractIntentFromCode, InferTypeFromUsage, DetectConstraints, DetectEffects)
