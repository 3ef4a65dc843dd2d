"""Learning for the LLM routes: DSPy programs compiled from the fills people accepted.

- :mod:`~lift_lsp.learning.examples`: feedback rows as labelled examples, the held-out
  split by hole, and the metric;
- :mod:`~lift_lsp.learning.lm`: a route's guarded transport as a ``dspy.LM``;
- :mod:`~lift_lsp.learning.programs`: compile, evaluate, save and compare versions.

Nothing here imports ``dspy`` or ``optuna`` at import time: they load inside the
functions that use them, never at server start-up.
"""
