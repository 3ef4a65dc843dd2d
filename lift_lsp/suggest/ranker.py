"""Ranking fills: a linear score over candidate features, a softmax per hole.

The untrained ranker (``ranker-0``) weighs type fit, closeness in scope, and name
similarity with prior weights (it is the baseline a learned ranker has to beat). A
learned ranker is fitted on recorded feedback — which fill people accepted among the
ones shown — as a conditional logit (softmax cross-entropy per hole), so its
confidences are the probabilities of being the accepted fill.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

FEATURES = (
    "type_fit",
    "type_exact",
    "type_unknown",
    "type_mismatch",
    "expected_unknown",
    "name_sim",
    "name_exact",
    "proximity",
    "recency",
    "frequency",
    "depth",
    "nested_holes",
    "kind_parameter",
    "kind_local",
    "kind_attribute",
    "kind_global",
    "kind_call",
    "kind_literal",
)

# The baseline's prior weights: type fit first, then names, then closeness.
UNTRAINED = {
    "type_fit": 3.0,
    "type_exact": 1.0,
    "type_unknown": -0.5,
    "type_mismatch": -4.0,
    "name_sim": 2.0,
    "name_exact": 1.0,
    "proximity": 1.0,
    "recency": 0.5,
    "frequency": 0.3,
    "depth": -0.3,
    "nested_holes": -0.5,
    "kind_literal": -1.0,
    "kind_call": -0.3,
}

Group = Sequence[tuple[dict[str, float], bool]]


@dataclass
class Ranker:
    version: str = "ranker-0"
    weights: dict[str, float] = field(default_factory=lambda: dict(UNTRAINED))
    metrics: dict[str, Any] = field(default_factory=dict)

    def score(self, features: dict[str, float]) -> float:
        return sum(self.weights.get(k, 0.0) * v for k, v in features.items())

    def probabilities(self, feature_rows: Sequence[dict[str, float]]) -> list[float]:
        if not feature_rows:
            return []
        scores = [self.score(f) for f in feature_rows]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def evaluate(self, groups: Sequence[Group]) -> dict[str, float]:
        """top-1, top-5 and mean reciprocal rank of the accepted fill."""
        top1 = top5 = rr = 0.0
        counted = 0
        for group in groups:
            if not any(ok for _, ok in group):
                continue
            counted += 1
            order = sorted(range(len(group)), key=lambda i: -self.score(group[i][0]))
            rank = next(r for r, i in enumerate(order, 1) if group[i][1])
            top1 += rank == 1
            top5 += rank <= 5
            rr += 1 / rank
        n = max(counted, 1)
        return {"top1": top1 / n, "top5": top5 / n, "mrr": rr / n, "holes": float(counted)}

    def fit(
        self,
        groups: Sequence[Group],
        *,
        epochs: int = 60,
        learning_rate: float = 0.1,
        l2: float = 0.01,
        seed: int = 0,
        version: str = "",
    ) -> Ranker:
        """A new ranker fitted from these weights on feedback groups (conditional logit)."""
        weights = dict(self.weights)
        usable = [g for g in groups if any(ok for _, ok in g) and len(g) > 1]
        rng = random.Random(seed)
        for epoch in range(epochs):
            rng.shuffle(usable)
            rate = learning_rate / (1 + epoch / 20)
            for group in usable:
                feats = [f for f, _ in group]
                probs = Ranker(weights=weights).probabilities(feats)
                target = [1.0 if ok else 0.0 for _, ok in group]
                total = sum(target)
                target = [t / total for t in target]
                grad: dict[str, float] = {}
                for f, p, t in zip(feats, probs, target, strict=True):
                    for k, v in f.items():
                        grad[k] = grad.get(k, 0.0) + (p - t) * v
                for k in set(grad) | set(weights):
                    weights[k] = weights.get(k, 0.0) - rate * (
                        grad.get(k, 0.0) + l2 * weights.get(k, 0.0)
                    )
        return Ranker(version=version or f"ranker-{len(usable)}", weights=weights)

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "weights": self.weights, "metrics": self.metrics}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ranker:
        return cls(
            version=str(data.get("version", "ranker-?")),
            weights={str(k): float(v) for k, v in dict(data.get("weights", {})).items()},
            metrics=dict(data.get("metrics", {})),
        )
