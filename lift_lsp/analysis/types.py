"""InferTypeFromUsage on the local route: ranked, calibrated types for unannotated
parameters and return values, propagated between the functions of a module."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lift_lsp.analysis.clues import OPTIONAL, Clue, ClueFinder
from lift_lsp.analysis.context import FunctionUnit, ModuleContext
from lift_lsp.analysis.typemodel import TypeModel, load_model
from lift_lsp.holes.defs import parameters, return_annotation
from lift_lsp.syntax.nodes import definition_name, owning_class

if TYPE_CHECKING:
    from lift_lsp.analysis.workspace_types import WorkspaceModules

_BUILTIN_NAMES = frozenset(dir(builtins)) | {"None"}
#: Confidence an inferred type needs before other functions rely on it.
PROPAGATE_AT = 0.5


@dataclass
class TargetTypes:
    """The answer for one parameter (or ``return``)."""

    target: str
    candidates: list[tuple[str, float]]
    evidence: list[str] = field(default_factory=list)
    annotated: bool = False

    @property
    def best(self) -> tuple[str | None, float]:
        return self.candidates[0] if self.candidates else (None, 0.0)


@dataclass
class FunctionTypes:
    params: dict[str, TargetTypes]
    returns: TargetTypes


def _visible_in(module: ModuleContext) -> set[str]:
    names = set(module.imports) | set(module.index.classes) | _BUILTIN_NAMES
    names |= {n.split(".")[0] for n in module.imports}
    return names


def _heads(type_text: str) -> list[str]:
    out, word = [], []
    for ch in type_text + " ":
        if ch.isalnum() or ch in "_.":
            word.append(ch)
        elif word:
            out.append("".join(word).split(".")[0])
            word = []
    return [w for w in out if w and not w[0].isdigit()]


class TypeInference:
    """Infers every function of one module, in two passes so that functions learn
    from each other (a parameter passed on to a typed parameter, a call's return)."""

    def __init__(
        self,
        module: ModuleContext,
        model: TypeModel | None = None,
        workspace: WorkspaceModules | None = None,
    ) -> None:
        self.module = module
        self.model = model or load_model()
        self.workspace = workspace
        self._visible = _visible_in(module)
        self.last_consulted = False

    def visible(self, type_text: str) -> bool:
        return all(h in self._visible for h in _heads(type_text))

    def infer_module(self, units: list[FunctionUnit] | None = None) -> dict[str, FunctionTypes]:
        units = units if units is not None else self.module.functions()
        first: dict[str, FunctionTypes] = {}
        dependent: list[FunctionUnit] = []
        for unit in units:
            first[unit.qualname] = self.infer(unit)
            if self.last_consulted:
                dependent.append(unit)
        known_returns, known_params = self._confident(first)
        for unit in dependent:  # pass two: only functions that asked about others
            first[unit.qualname] = self.infer(unit, known_returns, known_params)
        return first

    def _confident(
        self, results: dict[str, FunctionTypes]
    ) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
        returns: dict[str, str] = {}
        params: dict[tuple[str, str], str] = {}
        for qual, ft in results.items():
            t, c = ft.returns.best
            if t is not None and (c >= PROPAGATE_AT or ft.returns.annotated):
                returns[qual] = t
                returns.setdefault(qual.rsplit(".", 1)[-1], t)
            for name, tt in ft.params.items():
                t, c = tt.best
                if t is not None and (c >= PROPAGATE_AT or tt.annotated):
                    params[(qual, name)] = t
                    params.setdefault((qual.rsplit(".", 1)[-1], name), t)
        return returns, params

    def infer(
        self,
        unit: FunctionUnit,
        known_returns: dict[str, str] | None = None,
        known_params: dict[tuple[str, str], str] | None = None,
    ) -> FunctionTypes:
        finder = ClueFinder(unit, known_returns, known_params, self.workspace)
        self.last_consulted = False
        owner = owning_class(unit.node)
        params: dict[str, TargetTypes] = {}
        for i, param in enumerate(parameters(unit.node)):
            if param.annotation is not None:
                params[param.name] = TargetTypes(
                    param.name, [(param.annotation, 1.0)], ["annotation"], annotated=True
                )
                continue
            first_of_method = i == 0 and owner is not None
            if first_of_method and param.name in ("self", "cls"):
                cls_name = definition_name(owner) if owner is not None else ""
                implicit = cls_name if param.name == "self" else f"type[{cls_name}]"
                params[param.name] = TargetTypes(param.name, [(implicit, 1.0)], ["implicit"])
                continue
            clues = finder.param_clues(param)
            prior = self._prior(self.model.param_prior(param.name)) or self._fallback(
                "param", clues
            )
            params[param.name] = self._target(param.name, clues, prior)
        ret_ann = return_annotation(unit.node)
        if ret_ann is not None:
            returns = TargetTypes("return", [(ret_ann, 1.0)], ["annotation"], annotated=True)
        else:
            clues = finder.return_clues()
            prior = self._prior(self.model.return_prior(definition_name(unit.node))) or (
                self._fallback("return", clues)
            )
            returns = self._target("return", clues, prior)
        self.last_consulted = finder.consulted
        return FunctionTypes(params, returns)

    def _fallback(self, kind: str, clues: list[Clue]) -> dict[str, float]:
        """Base rates when the evidence names no type (only ``= None``, or nothing)."""
        if any(c.type != OPTIONAL for c in clues):
            return {}
        case = "optional" if clues else kind
        return self._prior(self.model.fallback_priors.get(case, {}))

    def _prior(self, prior: dict[str, float]) -> dict[str, float]:
        return {t: p for t, p in prior.items() if self.visible(t)}

    def _target(self, target: str, clues: list[Clue], prior: dict[str, float]) -> TargetTypes:
        kind = "return" if target == "return" else "param"
        ranked, _ = self.model.rank(clues, prior, self.visible, kind)
        evidence = [c.detail for c in clues][:6]
        if prior and ranked and ranked[0][0] in prior:
            evidence.append(f"name prior ({ranked[0][0]})")
        return TargetTypes(target, ranked, evidence)
