"""The IR of a function: every element carries a confidence and where it came from.

The JSON of these models is the ``ir`` part of the CLI contract (version 1); the JSON
schema in ``grammars/ir.schema.json`` is generated from them (``python -m lift_lsp.ir``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
Source = Literal["annotation", "static", "llm", "user"]
Route = Literal["local", "anthropic", "modal"]
ParamKindName = Literal[
    "positional_only", "positional_or_keyword", "var_positional", "keyword_only", "var_keyword"
]
EffectKind = Literal[
    "io", "filesystem", "network", "subprocess", "global_state", "mutation", "time", "random"
]
AssertionCategory = Literal["precondition", "postcondition", "invariant"]
#: Below this confidence an element becomes a signature or intent hole.
HOLE_THRESHOLD = 0.7


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Provenance(_Model):
    """Who produced an element. Keys that do not apply are left out of the JSON."""

    source: Source
    route: Route | None = None
    model: str | None = None
    program_version: str | None = None
    execution_id: str | None = None
    timestamp: str | None = None
    #: How the confidence was calibrated (e.g. ``isotonic:types-v1``).
    calibration: str | None = None
    #: The recorded LLM call this element came from.
    call_id: str | None = None
    #: Routes that were tried first and gave no answer, with the reason.
    fallback: list[str] | None = None

    @model_serializer(mode="wrap")
    def _drop_none(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}


class TypeCandidate(_Model):
    type: str
    confidence: Confidence


class Location(_Model):
    row: int = Field(ge=1)
    column: int = Field(ge=1)


class ParamIR(_Model):
    name: str
    kind: ParamKindName
    type: str | None
    confidence: Confidence
    candidates: list[TypeCandidate] = Field(default_factory=list, max_length=5)
    provenance: Provenance


class ReturnsIR(_Model):
    type: str | None
    confidence: Confidence
    candidates: list[TypeCandidate] = Field(default_factory=list, max_length=5)
    provenance: Provenance


class Intent(_Model):
    summary: str | None
    confidence: Confidence
    provenance: Provenance


class Effect(_Model):
    kind: EffectKind
    detail: str
    confidence: Confidence
    provenance: Provenance


class Assertion(_Model):
    category: AssertionCategory
    expression: str
    confidence: Confidence
    provenance: Provenance


class IRHole(_Model):
    """A signature or intent element not established with confidence >= 0.7."""

    kind: Literal["signature", "intent"]
    #: A parameter name, ``return`` or ``intent``.
    target: str
    message: str
    confidence: Confidence
    candidates: list[TypeCandidate] = Field(default_factory=list, max_length=5)
    location: Location | None = None


class FunctionIR(_Model):
    qualname: str
    location: Location
    intent: Intent
    params: list[ParamIR]
    returns: ReturnsIR
    effects: list[Effect] = Field(default_factory=list)
    assertions: list[Assertion] = Field(default_factory=list)
    holes: list[IRHole] = Field(default_factory=list)


class FileIR(_Model):
    path: str
    functions: list[FunctionIR]


class FileError(_Model):
    path: str
    message: str


class IRReport(_Model):
    """``lift-lsp ir --format json``."""

    version: Literal[1] = 1
    files: list[FileIR]
    errors: list[FileError] = Field(default_factory=list)
