"""The type a hole must have, read from its context (engine API only)."""

from __future__ import annotations

import textwrap

import pytest

from lift_lsp.holes import HoleKind, find_holes
from lift_lsp.syntax.document import SourceDocument


def types_of(src: str) -> list[str | None]:
    doc = SourceDocument(textwrap.dedent(src))
    return [h.expected_type for h in find_holes(doc, path="m.py")]


def type_of(src: str) -> str | None:
    types = types_of(src)
    assert len(types) == 1, types
    return types[0]


# -- return annotations -------------------------------------------------------------------


def test_return_annotation() -> None:
    assert type_of("def area(r: float) -> float:\n    return ...\n") == "float"


def test_string_return_annotation_is_unquoted() -> None:
    assert type_of('def make() -> "Circle":\n    return ...\n') == "Circle"


def test_generator_return_uses_generator_return_type() -> None:
    src = """
        def gen() -> Generator[int, None, str]:
            yield 1
            return ...
    """
    assert type_of(src) == "str"


def test_yield_uses_iterator_element_type() -> None:
    assert type_of("def gen() -> Iterator[int]:\n    yield ...\n") == "int"


def test_return_without_annotation_is_unknown() -> None:
    assert type_of("def f(x):\n    return ...\n") is None


def test_message_mentions_type() -> None:
    doc = SourceDocument("def f() -> int:\n    return ...\n")
    (h,) = find_holes(doc, path="m.py")
    assert h.message == "hole of type int"
    (u,) = find_holes(SourceDocument("def f():\n    return ...\n"), path="m.py")
    assert u.message == "hole of unknown type"


# -- variables ----------------------------------------------------------------------------


def test_variable_annotation() -> None:
    assert type_of("def f():\n    x: dict[str, int] = ...\n") == "dict[str, int]"


def test_earlier_declaration_in_same_function() -> None:
    src = """
        def f(flag):
            x: int
            if flag:
                x = ...
    """
    assert type_of(src) == "int"


def test_declaration_in_another_function_does_not_leak() -> None:
    src = """
        def g():
            x: int = 1

        def f():
            x = ...
    """
    assert type_of(src) is None


def test_unannotated_assignment_is_unknown() -> None:
    assert type_of("def f():\n    y = ...\n    return y\n") is None


@pytest.mark.parametrize(
    ("use", "expected"),
    [
        ("return total", "float"),  # returned by a `-> float` function
        ("return scale(total)", "int"),  # passed to an annotated parameter
        ("return scale(by=total)", "str"),  # by keyword
        ("print(total)\n            return scale(total)", "int"),  # the first use that says
    ],
)
def test_an_unannotated_variable_is_expected_as_it_is_used(use: str, expected: str) -> None:
    src = f"""
        def scale(amount: int, by: str = "") -> float:
            return amount * 2.0

        def f() -> float:
            total = ...
            {use}
    """
    assert type_of(src) == expected


@pytest.mark.parametrize(
    "between",
    [
        "total = total.strip()",  # bound again first
        "total += 1",
        "for total in range(3): pass",
        "with open('f') as total: pass",
        "def inner(total: str) -> str: return total",  # a nested function's own `total`
        "inner = lambda total=1: total",
    ],
)
def test_a_variable_bound_again_before_its_use_says_nothing(between: str) -> None:
    src = f"""
        def f() -> float:
            total = ...
            {between}
            return total
    """
    assert type_of(src) is None


def test_a_keyword_of_the_same_name_is_not_a_use() -> None:
    src = """
        def scale(amount: int, total: str = "") -> float:
            return amount * 2.0

        def f() -> float:
            total = ...
            scale(1, total=None)
            return total
    """
    assert type_of(src) == "float"


# -- call arguments -----------------------------------------------------------------------


def test_keyword_argument_of_module_function() -> None:
    src = """
        def send(msg: str, retries: int = 3) -> None:
            pass

        def f(msg):
            send(msg, retries=...)
    """
    assert type_of(src) == "int"


def test_positional_argument_of_module_function() -> None:
    src = """
        def send(msg: str, retries: int = 3) -> None:
            pass

        def f():
            send(..., 2)
    """
    assert type_of(src) == "str"


def test_positional_argument_after_positional_only_marker() -> None:
    src = """
        def g(x: int, /, y: str) -> None:
            pass

        def f():
            g(1, ...)
    """
    assert type_of(src) == "str"


def test_argument_of_method_via_self() -> None:
    src = """
        class A:
            def move(self, dx: float) -> None:
                pass

            def step(self):
                self.move(...)
    """
    assert type_of(src) == "float"


def test_argument_of_constructor_skips_self() -> None:
    src = """
        class Circle:
            def __init__(self, radius: float) -> None:
                self.radius = radius

        def unit():
            return Circle(...)
    """
    assert type_of(src) == "float"


def test_argument_of_dataclass_constructor_uses_fields() -> None:
    src = """
        from dataclasses import dataclass

        @dataclass
        class P:
            x: int
            label: str = ""

        def f():
            return P(..., label=...)
    """
    assert types_of(src) == ["int", "str"]


def test_star_args_and_star_kwargs() -> None:
    src = """
        def g(*args: int, **kw: str) -> None:
            pass

        def f():
            g(1, 2, ..., extra=...)
    """
    assert types_of(src) == ["int", "str"]


def test_builtin_len_from_typeshed() -> None:
    assert type_of("def f():\n    return len(...)\n") == "Sized"


def test_builtin_print_sep_from_typeshed() -> None:
    assert type_of("def f(x):\n    print(x, sep=...)\n") == "str | None"


def test_builtin_with_private_typevar_is_unknown() -> None:
    # typeshed: def abs(x: SupportsAbs[_T], /) -> _T
    assert type_of("def f():\n    return abs(...)\n") is None


def test_shadowed_builtin_is_not_typeshed() -> None:
    src = """
        def f(len):
            return len(...)
    """
    assert type_of(src) is None


def test_argument_of_unknown_external_function() -> None:
    src = """
        import requests

        def f():
            return requests.get(...)
    """
    assert type_of(src) is None


# -- attributes ---------------------------------------------------------------------------


def test_self_attribute_declared_in_init() -> None:
    src = """
        class Circle:
            def __init__(self) -> None:
                self.radius: float = 1.0

            def grow(self):
                self.radius = ...
    """
    assert type_of(src) == "float"


def test_self_attribute_typed_by_assigned_parameter() -> None:
    src = """
        class Circle:
            def __init__(self, radius: float) -> None:
                self.radius = radius

            def reset(self):
                self.radius = ...
    """
    assert type_of(src) == "float"


def test_dataclass_classvar_is_not_a_field() -> None:
    src = """
        from dataclasses import dataclass
        from typing import ClassVar

        @dataclass
        class P:
            count: ClassVar[int] = 0
            x: str

        def f():
            return P(...)
    """
    assert type_of(src) == "str"


# -- operators ----------------------------------------------------------------------------


def test_addition_operand() -> None:
    assert type_of("def f(count: int):\n    return count + ...\n") == "int"


def test_comparison_operand() -> None:
    assert type_of("def f(x: float):\n    return x < ...\n") == "float"


def test_augmented_assignment() -> None:
    assert type_of("def f(x: str):\n    x += ...\n") == "str"


def test_operand_of_unknown_is_unknown() -> None:
    assert type_of("def f(x):\n    return x + ...\n") is None


@pytest.mark.parametrize("keyword", ["if", "while", "elif"])
def test_conditions_are_bool(keyword: str) -> None:
    head = "if x:\n        pass\n    " if keyword == "elif" else ""
    src = f"def f(x):\n    {head}{keyword} ...:\n        pass\n"
    assert type_of(src) == "bool"


# -- containers are data ------------------------------------------------------------------


def test_list_element_is_not_a_hole() -> None:
    assert types_of("def f():\n    xs: list[int] = [...]\n") == []


# -- syntax errors elsewhere --------------------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    [
        "def g(:\n    pass\n",
        "x = = 2\n",
        "def g():\n    y = 1 +\n",
        "class :\n",
    ],
)
def test_hole_found_despite_syntax_error_elsewhere(broken: str) -> None:
    good = "def f(x: int) -> int:\n    return ...\n"
    for src in (broken + "\n" + good, good + "\n" + broken):
        doc = SourceDocument(src)
        assert doc.tree.root_node.has_error
        holes = find_holes(doc, path="m.py")
        assert [(h.kind, h.expected_type, h.function) for h in holes] == [
            (HoleKind.EXPRESSION, "int", "f")
        ]
