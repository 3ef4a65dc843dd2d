"""Turning clues into ranked, calibrated type candidates.

The numbers live in ``typemodel.json`` next to this file and are *fitted*, not chosen:
``bench/fit_types.py`` strips the annotations from annotated packages that are not
part of the evaluation corpus, collects clues, and measures

- how often each kind of clue names the right type (its precision),
- which types parameters of a given name, and functions whose name starts with a
  given word, carry (name priors),
- an isotonic map from the combined score to the observed accuracy (calibration).

Without the file (or with an empty one) every kind of clue counts the same and no
calibration is applied; the provenance then says ``uncalibrated``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lift_lsp.analysis.clues import OPTIONAL, Clue, union

MODEL_PATH = Path(__file__).with_name("typemodel.json")
MAX_CANDIDATES = 5
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@dataclass
class TypeModel:
    version: str = "untrained"
    default_precision: float = 0.5
    source_precision: dict[str, float] = field(default_factory=dict)
    param_priors: dict[str, dict[str, float]] = field(default_factory=dict)
    return_priors: dict[str, dict[str, float]] = field(default_factory=dict)
    prior_weight: float = 0.5
    #: The prior weight per target kind (``param``, ``return``), when fitted.
    prior_weights: dict[str, float] = field(default_factory=dict)
    #: What a parameter / return with no usable evidence usually is (fitted base rates);
    #: ``optional`` is the non-None part for a parameter whose only clue is ``= None``.
    fallback_priors: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Isotonic calibration per target kind (``param``, ``return``): raw score breakpoints
    #: ``x`` and the accuracy observed there ``y``, measured out of sample.
    calibration: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    trained_on: list[str] = field(default_factory=list)
    items: int = 0

    @property
    def calibration_label(self) -> str:
        if not self.calibration:
            return "uncalibrated"
        return f"isotonic:{self.version}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TypeModel:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    # -- scoring ---------------------------------------------------------------------------
    def precision(self, clue: Clue) -> float:
        if clue.strength is not None:
            return clue.strength
        return self.source_precision.get(clue.source, self.default_precision)

    def calibrate(self, score: float, kind: str = "param") -> float:
        table = self.calibration.get(kind, {})
        xs, ys = table.get("x", []), table.get("y", [])
        if not xs:
            return score
        if score <= xs[0]:
            return ys[0]
        if score >= xs[-1]:
            return ys[-1]
        i = next(i for i in range(1, len(xs)) if xs[i] >= score)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (score - x0) / (x1 - x0)

    def param_prior(self, name: str) -> dict[str, float]:
        """Types parameters of this name carry; else those whose name ends in the same word."""
        exact = self.param_priors.get(name.lstrip("_").lower())
        if exact:
            return exact
        words = _WORD.findall(name.lstrip("_"))
        return self.param_priors.get("~" + words[-1].lower(), {}) if len(words) > 1 else {}

    def return_prior(self, func_name: str) -> dict[str, float]:
        if func_name.startswith("__") and func_name.endswith("__"):
            return self.return_priors.get(func_name, {})
        words = _WORD.findall(func_name.lstrip("_"))
        return self.return_priors.get(words[0].lower(), {}) if words else {}

    def rank(
        self,
        clues: Iterable[Clue],
        prior: dict[str, float] | None = None,
        visible: Callable[[str], bool] = lambda _t: True,
        kind: str = "param",
    ) -> tuple[list[tuple[str, float]], float]:
        """Candidates best first with calibrated confidences, and the raw top score."""
        scores = raw_scores(clues, prior or {}, self, kind)
        ranked = sorted(
            ((t, s) for t, s in scores.items() if visible(t)), key=lambda ts: (-ts[1], ts[0])
        )[:MAX_CANDIDATES]
        if not ranked:
            return [], 0.0
        calibrated = [(t, self.calibrate(s, kind)) for t, s in ranked]
        total = sum(c for _, c in calibrated)
        if total > 1.0:  # keep the top's calibrated value; share what is left among the rest
            top_t, top_c = calibrated[0]
            rest = sum(c for _, c in calibrated[1:]) or 1.0
            room = max(0.0, 1.0 - top_c)
            calibrated = [(top_t, top_c)] + [(t, c * room / rest) for t, c in calibrated[1:]]
        return [(t, round(c, 4)) for t, c in calibrated], ranked[0][1]


def raw_scores(
    clues: Iterable[Clue], prior: dict[str, float], model: TypeModel, kind: str = "param"
) -> dict[str, float]:
    """Noisy-OR of the evidence for each type; a None marker turns ``T`` into ``T | None``."""
    misses: dict[str, float] = {}
    optional_miss = 1.0
    for clue in clues:
        p = min(max(model.precision(clue), 0.0), 0.999)
        if clue.type == OPTIONAL:
            optional_miss *= 1 - p
            continue
        misses[clue.type] = misses.get(clue.type, 1.0) * (1 - p)
    weight = model.prior_weights.get(kind, model.prior_weight)
    for t, prob in prior.items():
        p = min(weight * prob, 0.999)
        misses[t] = misses.get(t, 1.0) * (1 - p)
    scores = {t: 1 - m for t, m in misses.items()}
    optional = 1 - optional_miss
    if optional == 0:
        return scores
    # A None default (or an `is None` test) says the type is `T | None` for whatever T
    # the rest of the evidence names; alone, it says little.
    widened: dict[str, float] = {}
    for t, s in scores.items():
        key = union([t, "None"])
        widened[key] = max(widened.get(key, 0.0), s)
    return widened or {"None": optional * 0.3}


@cache
def load_model() -> TypeModel:
    try:
        data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return TypeModel()
    return TypeModel.from_json(data)


def entropy(dist: dict[str, float]) -> float:
    return -sum(p * math.log(p) for p in dist.values() if p > 0)
