"""InferTypeFromUsage on the local route: ranked, calibrated types for unannotated
parameters and return values, propagated between the functions of a module."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from lift_lsp.analysis.clues import OPTIONAL, Clue, ClueFinder, Lookup
from lift_lsp.analysis.context import FunctionUnit, ModuleContext
from lift_lsp.analysis.typemodel import TypeModel, load_model
from lift_lsp.holes.defs import ParamKind, parameters, return_annotation
from lift_lsp.syntax.nodes import definition_name, owning_class

if TYPE_CHECKING:
    from lift_lsp.analysis.workspace_types import WorkspaceModules

K = TypeVar("K")
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


def _confident_return(types: FunctionTypes, _key: object) -> str | None:
    t, c = types.returns.best
    return t if t is not None and (c >= PROPAGATE_AT or types.returns.annotated) else None


def _confident_param(types: FunctionTypes, key: object) -> str | None:
    assert isinstance(key, tuple)
    target = types.params.get(key[1])
    if target is None:
        return None
    t, c = target.best
    return t if t is not None and (c >= PROPAGATE_AT or target.annotated) else None


class _Known(Generic[K]):
    """Other functions' confident types, looked up (and inferred) on demand."""

    def __init__(
        self, inference: TypeInference, pick: Callable[[FunctionTypes, object], str | None]
    ) -> None:
        self._inference = inference
        self._pick = pick

    def get(self, key: K) -> str | None:
        name = key if isinstance(key, str) else key[0]  # type: ignore[index]
        types = self._inference.lookup(str(name))
        return self._pick(types, key) if types is not None else None


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
    """Infers the functions of one module. A function that needs another's types (a
    call's return, the parameter an argument is passed on to) infers that one first, on
    demand and once; cycles and very long chains stop at what is known."""

    MAX_DEPTH = 8

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
        self._results: dict[str, FunctionTypes] = {}
        self._in_progress: list[str] = []
        self._units: dict[str, FunctionUnit] = {}
        self.known_returns: _Known[str] = _Known(self, _confident_return)
        self.known_params: _Known[tuple[str, str]] = _Known(self, _confident_param)

    def visible(self, type_text: str) -> bool:
        return all(h in self._visible for h in _heads(type_text))

    def infer_module(self, units: list[FunctionUnit] | None = None) -> dict[str, FunctionTypes]:
        units = units if units is not None else self.module.functions()
        for unit in units:
            self._units.setdefault(unit.qualname, unit)
            self._units.setdefault(unit.qualname.rsplit(".", 1)[-1], unit)
        return {unit.qualname: self.result(unit) for unit in units}

    def result(self, unit: FunctionUnit) -> FunctionTypes:
        cached = self._results.get(unit.qualname)
        if cached is None:
            self._in_progress.append(unit.qualname)
            try:
                cached = self.infer(unit, self.known_returns, self.known_params)
            finally:
                self._in_progress.pop()
            self._results[unit.qualname] = cached
        return cached

    def lookup(self, name: str) -> FunctionTypes | None:
        """Another function's types, inferring it now if need be (None on a cycle)."""
        unit = self._units.get(name)
        if unit is None:
            return None
        if unit.qualname in self._in_progress or len(self._in_progress) > self.MAX_DEPTH:
            return self._results.get(unit.qualname)
        return self.result(unit)

    def infer(
        self,
        unit: FunctionUnit,
        known_returns: Lookup[str, str] | None = None,
        known_params: Lookup[tuple[str, str], str] | None = None,
    ) -> FunctionTypes:
        finder = ClueFinder(unit, known_returns, known_params, self.workspace)
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
            variadic = param.kind in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD)
            prior = self._prior(self.model.param_prior(param.name)) or (
                {} if variadic else self._fallback("param", clues)
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
