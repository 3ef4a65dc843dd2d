"""The provider a graph run uses when routes are configured: every question goes through
the router (with the run's budget), and every answer says which route gave it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lift_lsp.providers.guard import Budget
from lift_lsp.providers.router import Router

if TYPE_CHECKING:
    import dspy

    from lift_lsp.analysis.context import FunctionUnit


def module_context(unit: FunctionUnit) -> str:
    """The module's imports and other definitions' headers, which a model needs to name
    types as the module does."""
    from lift_lsp.holes.defs import module_outline

    return module_outline(unit.module.doc.tree.root_node, unit.node)


def targets(unit: FunctionUnit) -> list[str]:
    from lift_lsp.holes.defs import parameters

    names = [p.name for p in parameters(unit.node) if p.name not in {"self", "cls"}]
    return [*names, "return"]


def remote_inputs(signature: str, unit: FunctionUnit | None) -> dict[str, Any]:
    if unit is None:
        return {}
    if signature == "InferTypeFromUsage":
        return {"module_context": module_context(unit), "targets": targets(unit)}
    return {}


class RoutedProvider:
    def __init__(
        self,
        router: Router,
        *,
        path: Path | str | None = None,
        budget: Budget | None = None,
        override: str | None = None,
    ) -> None:
        self.router = router
        self.path = path
        self.budget = budget
        self.override = override
        chain = router.chain("InferTypeFromUsage", path=path, override=override)
        self.route = chain[0]
        self.model: str | None = None
        remote = [r for r in chain if r != "local"]
        # The node cache keys on this: a remote chain's answers are not the static ones.
        self.program_version = "+".join(
            [*(router.provider(r).program_version for r in remote), router.local.program_version]
        )
        self.batch_size = 1 if remote else getattr(router.local, "batch_size", 1)

    async def predict(
        self,
        signature: type[dspy.Signature],
        inputs: dict[str, Any],
        *,
        unit: FunctionUnit | None = None,
    ) -> dspy.Prediction:
        import dspy

        name = signature.__name__
        answer = await self.router.answer(
            signature,
            inputs,
            unit=unit,
            path=self.path,
            budget=self.budget,
            override=self.override,
            remote_inputs=lambda: remote_inputs(name, unit),
        )
        prov = answer.provenance()
        return dspy.Prediction(
            **dict(answer.prediction.items()),
            route=answer.route,
            model=answer.model,
            program_version=answer.program_version,
            llm_calls=prov.get("llm_calls", []),
            fallback=prov.get("fallback", []),
        )
