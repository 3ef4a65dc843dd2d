"""The interface every route implements: answer a DSPy signature with a Prediction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import dspy

    from lift_lsp.analysis.context import FunctionUnit


class Provider(Protocol):
    #: ``local``, ``anthropic`` or ``modal`` (recorded in every element's provenance).
    route: str
    #: The model behind the route (``None`` for the static engine).
    model: str | None
    #: Version of the program that answers (a compiled DSPy program, a fitted model...).
    program_version: str

    async def predict(
        self,
        signature: type[dspy.Signature],
        inputs: dict[str, Any],
        *,
        unit: FunctionUnit | None = None,
    ) -> dspy.Prediction:
        """Answer ``signature`` for ``inputs``. The static engine reads ``unit`` (the parsed
        function) instead of re-parsing the source text that LLM routes get."""
        ...
