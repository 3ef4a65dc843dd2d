"""Forward mode: from a body hole to an implementation (intent → IR → code → validation).

The graph itself lives in :mod:`lift_lsp.graphs.forward`; this package holds the parts
that need no model: finding the hole's function, checking the IR against the written
signature, splicing and parsing the generated body, and running doctests in a
subprocess.
"""
