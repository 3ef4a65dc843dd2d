"""Preconditions from leading asserts and guards; postconditions from asserts before return."""

from __future__ import annotations

import textwrap

from lift_lsp.analysis.constraints import (
    ASSERTED,
    GUARDED,
    REWRITTEN,
    ConstraintFinding,
    detect_constraints,
)
from lift_lsp.analysis.context import ModuleContext
from lift_lsp.syntax.document import SourceDocument


def constraints(src: str, name: str = "f") -> list[ConstraintFinding]:
    ctx = ModuleContext(SourceDocument(textwrap.dedent(src)), "m.py")
    unit = {u.qualname: u for u in ctx.functions()}[name]
    return detect_constraints(unit)


def triples(src: str, name: str = "f") -> list[tuple[str, str, float]]:
    return [(c.category, c.expression, c.confidence) for c in constraints(src, name)]


def test_leading_asserts_after_the_docstring() -> None:
    src = '''
        def f(x, y):
            """Doc."""
            # a comment does not end the preamble
            assert x >= 0, "x must be non-negative"
            assert (y > 0 and
                    y < 10)
            return x + y
        '''
    assert triples(src) == [
        ("precondition", "x >= 0", ASSERTED),
        ("precondition", "y > 0", ASSERTED),
        ("precondition", "y < 10", ASSERTED),
    ]


def test_guard_with_not_isinstance_drops_the_not() -> None:
    src = """
        def f(x):
            if not isinstance(x, int):
                raise TypeError("x")
            return x
        """
    assert triples(src) == [("precondition", "isinstance(x, int)", GUARDED)]


def test_guard_negation_rewrites_operators() -> None:
    src = """
        def f(x, opt, items, lo):
            if x < 0:
                raise ValueError
            if opt is None:
                raise ValueError
            if x not in items:
                raise KeyError(x)
            if lo == x:
                raise ValueError
            return x
        """
    assert triples(src) == [
        ("precondition", "x >= 0", REWRITTEN),
        ("precondition", "opt is not None", REWRITTEN),
        ("precondition", "x in items", REWRITTEN),
        ("precondition", "lo != x", REWRITTEN),
    ]


def test_guard_with_or_gives_one_precondition_per_part() -> None:
    src = """
        def f(a, b):
            if a is None or b < 0:
                msg = "bad input"
                raise ValueError(msg)
            return a
        """
    assert triples(src) == [
        ("precondition", "a is not None", REWRITTEN),
        ("precondition", "b >= 0", REWRITTEN),
    ]


def test_guard_with_and_uses_de_morgan_or_stays_wrapped() -> None:
    src = """
        def f(silent, stdout, n):
            if silent and stdout is not None:
                raise ValueError
            if 0 <= n < 3:
                raise ValueError
            if n + 1 > 100 and n % 2:
                raise ValueError
            return n
        """
    assert triples(src) == [
        ("precondition", "not silent or stdout is None", REWRITTEN),
        ("precondition", "not (0 <= n < 3)", GUARDED),
        ("precondition", "not (n + 1 > 100 and n % 2)", GUARDED),
    ]


def test_guards_stop_at_the_first_real_statement() -> None:
    src = """
        def f(x):
            assert x
            y = x * 2
            assert x > 1
            if x < 0:
                raise ValueError
            return y
        """
    assert triples(src) == [("precondition", "x", ASSERTED)]


def test_conditions_without_parameters_are_skipped_but_do_not_stop_the_scan() -> None:
    src = """
        import sys

        def f(x):
            assert HAVE_LIB
            if len(sys.argv) < 2:
                raise SystemExit(2)
            assert x != 0
            return 1 / x
        """
    assert triples(src) == [("precondition", "x != 0", ASSERTED)]


def test_if_with_else_or_elif_is_not_a_guard() -> None:
    src = """
        def f(x):
            if x < 0:
                raise ValueError
            else:
                x = 1
            assert x > 0
            return x

        def g(x):
            if x < 0:
                return None
            assert x
            return x
        """
    # Not preconditions (the scan stopped at the ``if``), but asserts right before a return.
    assert triples(src) == [("postcondition", "x > 0", ASSERTED)]
    assert triples(src, "g") == [("postcondition", "x", ASSERTED)]


def test_stop_iteration_is_not_a_precondition() -> None:
    src = """
        class It:
            def __next__(self):
                if not self.queue:
                    raise StopIteration
                return self.queue.pop()
        """
    assert constraints(src, "It.__next__") == []


def test_postcondition_before_return() -> None:
    src = """
        def f(xs):
            total = sum(xs)
            if total > 10:
                result = total * 2
                assert result >= 0 and xs
                return result
            assert total >= 0
            return total

        def g(x):
            y = x + 1
            assert x > 0
            return y
        """
    assert triples(src) == [
        ("postcondition", "result >= 0", ASSERTED),
        ("postcondition", "total >= 0", ASSERTED),
    ]
    assert constraints(src, "g") == []


def test_postconditions_of_nested_functions_stay_with_them() -> None:
    src = """
        def f(x):
            def inner(y):
                assert y > 0
                return y
            return inner(x)
        """
    assert constraints(src) == []
    assert triples(src, "f.inner") == [("precondition", "y > 0", ASSERTED)]


def test_odd_code_does_not_crash() -> None:
    src = """
        def f(x):
            if x:
                raise
            if (x) : raise ValueError  # same-line body
            assert (x), (
                "message"
            )
        """
    assert triples(src) == [
        ("precondition", "not x", GUARDED),
        ("precondition", "x", ASSERTED),
    ]
