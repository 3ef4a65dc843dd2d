"""Ranking fills: a linear score over candidate features, a softmax per hole.

The untrained ranker (``ranker-0``) weighs type fit, names, use around the hole and
closeness with prior weights fitted on code outside the evaluation corpus (it is the
baseline a learned ranker has to beat). A learned ranker is fitted on recorded
feedback — which fill people accepted among the ones shown — as a conditional logit
(softmax cross-entropy per hole), so its confidences are the probabilities of being the
accepted fill.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: The features of a fill (``suggest/engine.py: features_of``); ``kind_<kind>@<slot>``
#: crosses each kind with where the hole stands.
FEATURES = (
    "type_fit",
    "type_exact",
    "type_unknown",
    "type_mismatch",
    "type_conflict",
    "expected_unknown",
    "name_sim",
    "name_exact",
    "callee_sim",
    "outer_sim",
    "use_function",
    "use_class",
    "use_module",
    "use_near",
    "slot",
    "slot_name",
    "written",
    "neighbour",
    "template",
    "arg_recency",
    "arg_unread",
    "rename_sim",
    "rename_missing",
    "analogy",
    "unread",
    "read_after",
    "in_statement",
    "root_in_statement",
    "echo",
    "proximity",
    "recency",
    "depth",
    "function_value",
    "nested_holes",
    "args_by_name",
    "args_by_type",
    "kind_parameter",
    "kind_local",
    "kind_attribute",
    "kind_global",
    "kind_imported",
    "kind_call",
    "kind_literal",
    "kind_expression",
)

# The built-in ranker's prior weights, fitted — never on the evaluation corpus — by
# `bench/holefit.py --fit-prior 6000` on holes made in the code of installed packages
# that are not in it (lift-lsp's dependencies and pytest's, listed in PRIOR_PACKAGES
# there): a conditional logit over every fill's features, then the weights of "none of
# the fills" (`none*`) with the others held fixed. See docs/suggestions.md. Refit when
# features change.
UNTRAINED = {
    "analogy": 4.42,
    "arg_recency": -0.691,
    "arg_unread": 0.372,
    "args_by_name": 0.042,
    "args_by_type": 0.325,
    "callee_sim": 0.003,
    "depth": -0.16,
    "echo": -2.222,
    "function_value": 1.167,
    "in_statement": 0.216,
    "kind_attribute": 0.319,
    "kind_attribute@argument": 1.061,
    "kind_attribute@assignment": -0.895,
    "kind_attribute@keyword": 1.3,
    "kind_attribute@return": -0.602,
    "kind_attribute@unpack": -0.545,
    "kind_call": -0.336,
    "kind_call@argument": -1.213,
    "kind_call@assignment": 0.719,
    "kind_call@keyword": -0.774,
    "kind_call@return": -0.254,
    "kind_call@unpack": 1.194,
    "kind_expression": 0.181,
    "kind_expression@argument": -0.53,
    "kind_expression@assignment": 0.637,
    "kind_expression@keyword": -0.541,
    "kind_expression@return": 0.113,
    "kind_expression@unpack": 0.501,
    "kind_global": -0.452,
    "kind_global@argument": 0.308,
    "kind_global@assignment": -0.032,
    "kind_global@keyword": -0.412,
    "kind_global@return": 0.021,
    "kind_global@unpack": -0.336,
    "kind_imported": -2.138,
    "kind_imported@argument": -0.011,
    "kind_imported@assignment": -0.676,
    "kind_imported@keyword": -0.634,
    "kind_imported@return": -0.645,
    "kind_imported@unpack": -0.179,
    "kind_literal": 0.28,
    "kind_literal@argument": -0.394,
    "kind_literal@assignment": 0.611,
    "kind_literal@keyword": 0.553,
    "kind_literal@return": 0.3,
    "kind_literal@unpack": -0.789,
    "kind_local": 1.233,
    "kind_local@argument": 0.15,
    "kind_local@assignment": -0.332,
    "kind_local@keyword": 0.51,
    "kind_local@return": 1.044,
    "kind_local@unpack": -0.135,
    "kind_parameter": 0.91,
    "kind_parameter@argument": 0.635,
    "kind_parameter@assignment": -0.032,
    "kind_parameter@keyword": -0.003,
    "kind_parameter@return": 0.023,
    "kind_parameter@unpack": 0.29,
    "name_exact": -0.686,
    "name_sim": 3.726,
    "neighbour": 2.21,
    "nested_holes": -2.398,
    "none": 3.093,
    "none@argument": 1.266,
    "none@assignment": 2.391,
    "none@keyword": 2.053,
    "none@return": 2.628,
    "none@unpack": 2.641,
    "none_unknown": 0.214,
    "outer_sim": 1.794,
    "proximity": 0.975,
    "read_after": -1.231,
    "recency": 0.718,
    "rename_missing": -0.387,
    "rename_sim": 2.459,
    "root_in_statement": -0.175,
    "slot": 3.26,
    "slot_name": 2.488,
    "template": -1.464,
    "type_conflict": -0.547,
    "type_exact": -0.478,
    "type_fit": 2.118,
    "type_mismatch": -1.324,
    "type_unknown": 0.039,
    "unread": 0.899,
    "use_class": 0.019,
    "use_function": 0.107,
    "use_module": -0.123,
    "use_near": 1.37,
    "written": -0.451,
}

#: The weight of "none of the fills is right" (with ``none@<slot>`` and ``none_unknown``
#: for where the hole is): when a ranker has it, a fill's confidence is its probability
#: against the others *and* against none of them being right, so confidences are
#: calibrated and add up to less than 1.
NONE = "none"

Group = Sequence[tuple[dict[str, float], bool]]


@dataclass
class Ranker:
    version: str = "ranker-0"
    weights: dict[str, float] = field(default_factory=lambda: dict(UNTRAINED))
    metrics: dict[str, Any] = field(default_factory=dict)

    def score(self, features: dict[str, float]) -> float:
        return sum(self.weights.get(k, 0.0) * v for k, v in features.items())

    def probabilities(
        self, feature_rows: Sequence[dict[str, float]], hole: dict[str, float] | None = None
    ) -> list[float]:
        """Softmax of the scores; with the ``none`` weight and the hole's features
        (``none@return``, ...), "none of them" takes its share too."""
        if not feature_rows:
            return []
        scores = [self.score(f) for f in feature_rows]
        none = self.score(hole) if hole is not None and NONE in self.weights else None
        top = max(scores) if none is None else max(*scores, none)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps) + (math.exp(none - top) if none is not None else 0.0)
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
        epochs: int = 30,
        learning_rate: float = 0.05,
        l2: float = 0.01,
        seed: int = 0,
        version: str = "",
    ) -> Ranker:
        """A new ranker fitted from these weights on feedback groups (conditional logit).

        The penalty pulls the weights towards these ones, not towards zero: what the
        feedback does not speak about stays as it was (the prior of a Bayesian update).
        """
        start = dict(self.weights)
        weights = dict(self.weights)
        usable = [g for g in groups if any(ok for _, ok in g) and len(g) > 1]
        rng = random.Random(seed)
        for epoch in range(epochs):
            rng.shuffle(usable)
            rate = learning_rate / (1 + epoch / 10)
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
                for k, g in grad.items():
                    w = weights.get(k, 0.0)
                    weights[k] = w - rate * (g + l2 * (w - start.get(k, 0.0)))
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
