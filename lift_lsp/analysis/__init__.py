"""The static engine: the ``local`` route's answers to the DSPy signatures (no LSP, no network)."""
