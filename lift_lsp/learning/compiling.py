"""Compiling a fresh ``SuggestHoleFill`` program with one DSPy optimizer.

Synchronous on purpose: DSPy's optimizers call the LM from the calling thread and from
their own thread pools, so the caller runs this in a worker thread
(``asyncio.to_thread``) and the LM's sync engine hands each call back to the route's
event loop (:mod:`~lift_lsp.learning.lm`).
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from lift_lsp.learning.examples import Labeled, metric
from lift_lsp.suggest.learning import MAX_P

if TYPE_CHECKING:
    import dspy

OPTIMIZERS: Final = ("LabeledFewShot", "BootstrapFewShot", "MIPROv2")
LABELED_K: Final = 8
BOOTSTRAPPED: Final = 4
BOOTSTRAP_MIN_TRAIN: Final = 20
MIPRO_MIN_TRAIN: Final = 50
CONCURRENCY: Final = 3


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """DSPy's optimizers print progress; stdout is the JSON of ``--format json`` and the
    LSP stream of a stdio server, so their prints go to stderr."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


@dataclass(frozen=True)
class Options:
    """How candidates are compiled and judged (the defaults are what ``optimize`` uses)."""

    seed: int = 0
    labeled_k: int = LABELED_K
    bootstrap_min_train: int = BOOTSTRAP_MIN_TRAIN
    mipro_min_train: int = MIPRO_MIN_TRAIN
    concurrency: int = CONCURRENCY
    max_p: float = MAX_P


def compile_program(
    optimizer: str,
    train: Sequence[Labeled],
    lm: dspy.LM,
    options: Options,
    prompt_lm: dspy.LM | None = None,
) -> dspy.Module:
    """Compile a fresh ``Predict`` with ``optimizer`` (synchronous: DSPy's optimizers call
    the LM from this thread and their own)."""
    import dspy

    from lift_lsp.signatures import SuggestHoleFill

    trainset = [e.example() for e in train]
    random.Random(options.seed).shuffle(trainset)
    student = dspy.Predict(SuggestHoleFill)
    k = min(options.labeled_k, len(trainset))
    with _quiet_stdout(), dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
        if optimizer == "LabeledFewShot":
            return dspy.LabeledFewShot(k=k).compile(student, trainset=trainset)
        if optimizer == "BootstrapFewShot":
            return dspy.BootstrapFewShot(
                metric=metric, max_bootstrapped_demos=BOOTSTRAPPED, max_labeled_demos=k
            ).compile(student, trainset=trainset)
        if optimizer == "MIPROv2":
            # Its own validation set, from the training examples: the held-out ones must
            # stay unseen until the candidates are compared.
            valset, rest = trainset[::3], [e for i, e in enumerate(trainset) if i % 3]
            mipro = dspy.MIPROv2(
                metric=metric,
                prompt_model=prompt_lm or lm,
                task_model=lm,
                auto="light",
                num_threads=options.concurrency,
                seed=options.seed,
                verbose=False,
            )
            return mipro.compile(
                student,
                trainset=rest,
                valset=valset,
                max_bootstrapped_demos=BOOTSTRAPPED,
                max_labeled_demos=k,
            )
    raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZERS)}")


def not_run(optimizer: str, train: int, options: Options) -> str | None:
    """Why ``optimizer`` is not run on ``train`` training examples, or ``None``."""
    needed = {
        "BootstrapFewShot": options.bootstrap_min_train,
        "MIPROv2": options.mipro_min_train,
    }.get(optimizer, 0)
    if train < needed:
        return f"needs {needed} training examples, there are {train}"
    return None
