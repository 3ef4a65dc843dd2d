"""Which ``...`` and ``hole(...)`` are holes, and how they are named (engine API only)."""

from __future__ import annotations

import textwrap

import pytest

from lift_lsp.holes import Hole, HoleKind, find_holes
from lift_lsp.holes.analysis import Analysis
from lift_lsp.syntax.document import Position, SourceDocument


def holes_of(src: str, path: str | None = "m.py") -> list[Hole]:
    return find_holes(SourceDocument(textwrap.dedent(src)), path=path)


def texts_of(src: str, path: str | None = "m.py") -> list[str]:
    """The source text of every hole found (``...`` or ``hole("x")``)."""
    doc = SourceDocument(textwrap.dedent(src))
    return [doc.data[h.start : h.end].decode() for h in find_holes(doc, path=path)]


def only_hole(src: str, path: str | None = "m.py") -> Hole:
    holes = holes_of(src, path)
    assert len(holes) == 1, holes
    return holes[0]


def assert_no_holes(src: str, path: str | None = "m.py") -> None:
    assert holes_of(src, path) == []


# -- 1. expression holes ------------------------------------------------------------------


def test_return_ellipsis_is_an_expression_hole() -> None:
    h = only_hole(
        """
        def f(x: int) -> int:
            y = x
            return ...
        """
    )
    assert h.kind is HoleKind.EXPRESSION
    assert not h.is_body
    assert h.function == "f"


def test_hole_offsets_and_position() -> None:
    src = "def f() -> int:\n    x = 1\n    return ...\n"
    doc = SourceDocument(src)
    (h,) = find_holes(doc, path="m.py")
    assert doc.data[h.start : h.end] == b"..."
    assert doc.position_at(h.start) == Position(2, 11)


def test_hole_offsets_are_utf8_bytes_and_columns_code_points() -> None:
    src = 'def f() -> str:\n    s = "é"; return ...\n'
    doc = SourceDocument(src)
    (h,) = find_holes(doc, path="m.py")
    line_start = src.index("\n") + 1
    col = src[line_start:].index("...")
    assert h.start == len(src[: line_start + col].encode())
    assert doc.position_at(h.start) == Position(1, col)


def test_annotated_assignment_is_an_expression_hole() -> None:
    h = only_hole("x: int = ...\n")
    assert h.kind is HoleKind.EXPRESSION
    assert h.function is None


def test_plain_assignment_in_function_is_a_hole() -> None:
    h = only_hole(
        """
        def f():
            y = ...
            return y
        """
    )
    assert h.kind is HoleKind.EXPRESSION


def test_keyword_argument_is_a_hole() -> None:
    h = only_hole(
        """
        def f(msg):
            send(msg, retries=...)
        """
    )
    assert h.kind is HoleKind.EXPRESSION


def test_positional_argument_is_a_hole() -> None:
    h = only_hole(
        """
        def g():
            f(1, ...)
        """
    )
    assert h.kind is HoleKind.EXPRESSION


def test_binary_operand_is_a_hole() -> None:
    h = only_hole(
        """
        def g(x):
            return x + ...
        """
    )
    assert h.kind is HoleKind.EXPRESSION


def test_if_condition_is_a_bool_hole() -> None:
    h = only_hole(
        """
        def g():
            if ...:
                return 1
            return 2
        """
    )
    assert h.kind is HoleKind.EXPRESSION
    assert h.expected_type == "bool"


def test_lambda_body_is_a_hole() -> None:
    h = only_hole(
        """
        def g():
            k = lambda: ...
            return k
        """
    )
    assert h.kind is HoleKind.EXPRESSION
    assert h.function == "g"


# -- 2. body holes ------------------------------------------------------------------------


def test_body_hole_of_method() -> None:
    h = only_hole(
        """
        class Circle:
            def area(self, radius: float) -> float:
                ...
        """
    )
    assert h.kind is HoleKind.BODY
    assert h.is_body
    assert h.expected_type == "(self, radius: float) -> float"
    assert h.function == "Circle.area"
    assert h.message == "body hole of type (self, radius: float) -> float"


def test_body_hole_on_the_def_line() -> None:
    h = only_hole("def f(x: int) -> str: ...\n")
    assert h.kind is HoleKind.BODY
    assert h.expected_type == "(x: int) -> str"


def test_body_hole_after_docstring_and_comments() -> None:
    h = only_hole(
        '''
        def f(a, *, b: int = 1) -> None:
            """Do it."""
            # later
            ...
            # really
        '''
    )
    assert h.kind is HoleKind.BODY
    assert h.expected_type == "(a, *, b: int = 1) -> None"
    assert h.function == "f"


def test_body_hole_of_nested_function_has_qualified_name() -> None:
    h = only_hole(
        """
        def outer():
            def inner(x):
                ...
            return inner
        """
    )
    assert h.kind is HoleKind.BODY
    assert h.function == "outer.inner"
    assert h.name == "inner#1"


# -- 3. named holes -----------------------------------------------------------------------


def test_named_hole_with_from_import() -> None:
    h = only_hole(
        """
        from lift_holes import hole

        def area(r: float) -> float:
            return 3.14 * hole("area")
        """
    )
    assert h.kind is HoleKind.NAMED
    assert h.name == "area"
    assert not h.is_body
    assert h.function == "area"


@pytest.mark.parametrize(
    ("imports", "call"),
    [
        ("from lift_holes import hole as h", 'h("x")'),
        ("import lift_holes", 'lift_holes.hole("x")'),
        ("import lift_holes as lh", 'lh.hole("x")'),
    ],
)
def test_named_hole_through_aliases(imports: str, call: str) -> None:
    h = only_hole(f"{imports}\n\ndef f() -> int:\n    return {call}\n")
    assert h.kind is HoleKind.NAMED
    assert h.name == "x"
    assert h.expected_type == "int"


def test_hole_call_without_import_is_not_a_hole() -> None:
    assert_no_holes(
        """
        def hole(name):
            return name

        def f():
            return hole("area")
        """
    )


def test_hole_from_other_module_is_not_a_hole() -> None:
    assert_no_holes(
        """
        from other import hole

        def f():
            return hole("area")
        """
    )


def test_unnamed_hole_call_is_an_expression_hole() -> None:
    h = only_hole(
        """
        from lift_holes import hole

        def f() -> int:
            return 1 + hole()
        """
    )
    assert h.kind is HoleKind.EXPRESSION
    assert h.name == "f#1"
    assert h.expected_type == "int"


def test_unnamed_hole_call_as_whole_body_is_a_body_hole() -> None:
    h = only_hole(
        """
        from lift_holes import hole

        def f(x: int) -> int:
            hole()
        """
    )
    assert h.kind is HoleKind.BODY
    assert h.is_body
    assert h.expected_type == "(x: int) -> int"


def test_named_hole_as_whole_body() -> None:
    h = only_hole(
        '''
        from lift_holes import hole

        def f(x: int) -> int:
            """Doc."""
            hole("impl")
        '''
    )
    assert h.kind is HoleKind.NAMED
    assert h.name == "impl"
    assert h.is_body
    assert h.expected_type == "(x: int) -> int"


def test_named_hole_by_keyword() -> None:
    h = only_hole(
        """
        from lift_holes import hole

        def f() -> int:
            return hole(name="x")
        """
    )
    assert h.kind is HoleKind.NAMED
    assert h.name == "x"


# -- 4. anonymous names -------------------------------------------------------------------


def test_anonymous_names_numbered_per_function() -> None:
    holes = holes_of(
        """
        def area(r: float) -> float:
            a = ...
            return a * ...

        def perimeter(r: float) -> float:
            return ...
        """
    )
    assert [h.name for h in holes] == ["area#1", "area#2", "perimeter#1"]


def test_module_level_names_use_module_stem() -> None:
    src = "x: int = ...\ny: str = ...\n"
    assert [h.name for h in holes_of(src, "pkg/geometry.py")] == ["geometry#1", "geometry#2"]


@pytest.mark.parametrize("path", ["pkg/__init__.py", None])
def test_module_level_name_without_stem(path: str | None) -> None:
    assert only_hole("x: int = ...\n", path).name == "module#1"


def test_names_stable_when_another_function_above_grows() -> None:
    src = textwrap.dedent(
        """
        def first():
            return ...

        def second() -> int:
            a = ...
            return ...
        """
    )
    doc = SourceDocument(src)
    before = [(h.function, h.name) for h in find_holes(doc, path="m.py")]
    assert before == [("first", "first#1"), ("second", "second#1"), ("second", "second#2")]
    doc.replace_all(src.replace("    return ...\n", "    x = 1\n    y = 2\n    return ...\n", 1))
    after = find_holes(doc, path="m.py")
    assert [(h.function, h.name) for h in after] == before
    assert [doc.position_at(h.start).line for h in after] == [4, 7, 8]


# -- 5. declarations are not holes --------------------------------------------------------


def test_stub_file_has_no_holes() -> None:
    assert_no_holes("def f(x: int) -> int: ...\nx: int = ...\n", "pkg/m.pyi")


@pytest.mark.parametrize(
    ("imports", "decorator"),
    [
        ("from typing import overload", "overload"),
        ("import typing", "typing.overload"),
        ("from abc import abstractmethod", "abstractmethod"),
        ("import abc", "abc.abstractmethod"),
    ],
)
def test_declaring_decorators_make_no_body_hole(imports: str, decorator: str) -> None:
    src = f"{imports}\n\nclass A:\n    @{decorator}\n    def f(self, x: int) -> int: ...\n"
    assert_no_holes(src)


def test_overloads_declare_but_implementation_body_is_a_hole() -> None:
    holes = holes_of(
        """
        from typing import overload

        @overload
        def f(x: int) -> int: ...
        @overload
        def f(x: str) -> str: ...
        def f(x):
            ...
        """
    )
    assert [(h.kind, h.expected_type) for h in holes] == [(HoleKind.BODY, "(x)")]


@pytest.mark.parametrize("base", ["Protocol", "typing.Protocol", "Protocol[T]"])
def test_protocol_methods_are_not_holes(base: str) -> None:
    src = f"class P({base}):\n    def f(self) -> int: ...\n    def g(self) -> T:\n        ...\n"
    assert_no_holes(src)


@pytest.mark.parametrize("condition", ["TYPE_CHECKING", "typing.TYPE_CHECKING"])
def test_type_checking_block_has_no_holes(condition: str) -> None:
    src = f"if {condition}:\n    def f(x: int) -> int: ...\n    X: int = ...\n"
    assert_no_holes(src)


def test_else_of_type_checking_still_has_holes() -> None:
    h = only_hole(
        """
        if TYPE_CHECKING:
            X: int = ...
        else:
            def f() -> int: ...
        """
    )
    assert h.kind is HoleKind.BODY


def test_named_hole_under_type_checking_is_not_a_hole() -> None:
    assert_no_holes(
        """
        from lift_holes import hole

        if TYPE_CHECKING:
            X: int = hole("x")
        """
    )


# -- 6. subscripts and annotations --------------------------------------------------------


def test_tuple_ellipsis_in_annotation() -> None:
    assert_no_holes("def f(x: tuple[int, ...]) -> tuple[str, ...]:\n    return x\n")


def test_tuple_ellipsis_in_type_alias_value() -> None:
    assert_no_holes("X = tuple[int, ...]\nY: TypeAlias = tuple[int, ...]\n")


def test_callable_ellipsis() -> None:
    assert_no_holes(
        """
        def f(cb: Callable[..., T]) -> T:
            g: Callable[..., int] = cb
            return g()
        """
    )


def test_numpy_style_subscript() -> None:
    assert_no_holes(
        """
        def f(x):
            return x[..., 0]
        """
    )


def test_slice_with_ellipsis() -> None:
    assert_no_holes(
        """
        def f(arr):
            return arr[1:...]
        """
    )


# -- 7. statements that are not whole bodies ----------------------------------------------


def test_pass_body_is_not_a_hole() -> None:
    assert_no_holes("def f(x: int) -> int:\n    pass\n")


def test_ellipsis_in_except_is_not_a_hole() -> None:
    assert_no_holes(
        """
        def f():
            try:
                g()
            except ValueError:
                ...
        """
    )


def test_exception_class_body_is_not_a_hole() -> None:
    assert_no_holes("class E(Exception): ...\n")


def test_ellipsis_after_statements_is_not_a_hole() -> None:
    assert_no_holes(
        """
        def f():
            g()
            ...
        """
    )


# -- 8. parameter defaults ----------------------------------------------------------------


@pytest.mark.parametrize("params", ["x=...", "x: int = ...", "*, x: int = ..."])
def test_parameter_default_is_not_a_hole(params: str) -> None:
    assert_no_holes(f"def f({params}):\n    return x\n")


# -- 9. Ellipsis used as a value or sentinel ----------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        "x is ...",
        "x is not ...",
        "x == ...",
        "x != ...",
        "[1, ..., 3]",
        "(..., 1)",
        '{"a": ...}',
        "{...}",
        "... if a else b",
        "type(...)",
        'getattr(o, "n", ...)',
        "d.get(k, ...)",
        "f(default=...)",
        "Field(...)",
        "typer.Option(...)",
    ],
)
def test_ellipsis_as_value_is_not_a_hole(expr: str) -> None:
    assert_no_holes(f"def g(x, a, b, o, d, k):\n    return {expr}\n")


@pytest.mark.parametrize("expr", ["Field(...)", 'typer.Option(..., help="h")'])
def test_external_factory_in_default_is_not_a_hole(expr: str) -> None:
    assert_no_holes(f"def main(name: str = {expr}):\n    return name\n")


def test_factory_in_class_field_is_not_a_hole() -> None:
    assert_no_holes(
        """
        class Model(BaseModel):
            name: str = Field(..., description="n")
        """
    )


def test_constant_like_module_name_is_a_sentinel() -> None:
    assert_no_holes("Required = ...\nMISSING = ...\n_Sentinel = ...\n")


def test_lower_name_at_module_level_is_a_hole() -> None:
    h = only_hole("lower_name = ...\n")
    assert h.kind is HoleKind.EXPRESSION
    assert h.name == "m#1"


def test_attribute_of_other_object_is_not_a_hole() -> None:
    assert_no_holes(
        """
        class A:
            def f(self, other):
                other.attr = ...
        """
    )


def test_attribute_of_other_object_in_plain_function_is_not_a_hole() -> None:
    assert_no_holes(
        """
        def f(self):
            self.attr = ...
        """
    )


def test_self_attribute_in_method_is_a_hole() -> None:
    h = only_hole(
        """
        class A:
            def __init__(self):
                self.x = ...
        """
    )
    assert h.kind is HoleKind.EXPRESSION
    assert h.function == "A.__init__"


def test_ellipsis_type_annotation_is_a_sentinel() -> None:
    assert_no_holes(
        """
        from types import EllipsisType

        def f():
            x: EllipsisType = ...
            return x
        """
    )


def test_match_subject_ellipsis_is_not_a_hole() -> None:
    # `case ...:` is a SyntaxError in Python (Ellipsis is not a pattern), so only the
    # subject can hold one.
    assert_no_holes(
        """
        def f(x):
            match ...:
                case 1:
                    return 1
        """
    )


def test_module_class_constructor_is_a_hole() -> None:
    holes = holes_of(
        """
        class Point:
            def __init__(self, x: int) -> None:
                self.x = x

        def origin() -> Point:
            return Point(...)
        """
    )
    assert [(h.kind, h.expected_type) for h in holes] == [(HoleKind.EXPRESSION, "int")]


def test_external_factory_later_argument_is_a_hole() -> None:
    assert texts_of("def f():\n    return Model(1, ...)\n") == ["..."]


def test_constant_like_local_in_function_is_a_hole() -> None:
    assert only_hole("def f():\n    MAX = ...\n    return MAX\n").kind is HoleKind.EXPRESSION


def test_yield_ellipsis_is_a_hole() -> None:
    assert only_hole("def f():\n    yield ...\n").kind is HoleKind.EXPRESSION


def test_mixture_in_source_order() -> None:
    texts = texts_of(
        """
        from lift_holes import hole

        def f(x: tuple[int, ...] = ...) -> int:
            if x is ...:
                return hole("a")
            return ...
        """
    )
    assert texts == ['hole("a")', "..."]


def test_unannotated_class_attribute_is_a_value() -> None:
    src = """
    class Color(AutoEnum):
        red = ...
        green = ...
    """
    assert holes_of(src) == []


def test_annotated_class_field_is_a_hole() -> None:
    src = """
    @dataclass
    class Config:
        retries: int = ...
    """
    (h,) = holes_of(src)
    assert (h.kind, h.expected_type) == (HoleKind.EXPRESSION, "int")


def test_ellipsis_inside_match_subject_call_is_a_value() -> None:
    src = """
    class Point:
        def __init__(self, x: int, y: int) -> None: ...
    def f(p):
        match Point(..., ...):
            case Point(x=1):
                return ...
    """
    assert [h.name for h in holes_of(src)] == ["__init__#1", "f#1"]


# -- holes on request: the user asks for fills at a `...` the rules read as a value ------


def _at_ellipsis(src: str, marker: str = "...") -> tuple[Analysis, int]:
    """The analysis of ``src`` and the offset of the last ``marker``'s ``...``."""
    doc = SourceDocument(textwrap.dedent(src))
    at = doc.data.rindex(marker.encode()) + marker.index("...")
    return Analysis(doc, "m.py"), at


@pytest.mark.parametrize(
    "expr",
    [
        "isinstance(x, ...)",
        "type(...)",
        'getattr(o, "n", ...)',
        "d.get(k, ...)",
        "f(default=...)",
        "Path(...)",
        "[1, ...]",
        "... if a else b",
    ],
)
def test_a_value_ellipsis_is_a_hole_on_request_only(expr: str) -> None:
    analysis, at = _at_ellipsis(f"def g(x, a, b, o, d, k):\n    return {expr}\n")
    assert analysis.holes == []  # diagnostics stay quiet
    assert analysis.hole_at(at) is None
    for offset in (at, at + 3):  # on the `...` and just after it
        hole = analysis.hole_at(offset, on_request=True)
        assert hole is not None, offset
        assert (hole.kind, hole.start, hole.end) == (HoleKind.EXPRESSION, at, at + 3)
        column = at - analysis.doc.data.rindex(b"\n", 0, at)  # 1-based
        assert hole.name == f"g@2:{column}"


def test_a_store_into_another_object_is_a_hole_on_request() -> None:
    analysis, at = _at_ellipsis("def f(param):\n    param.default = ...\n")
    assert analysis.holes == []
    hole = analysis.hole_at(at, on_request=True)
    assert hole is not None
    assert hole.function == "f"


@pytest.mark.parametrize(
    "src",
    [
        "def f(x: tuple[int, ...]) -> None:\n    return None\n",  # an annotation
        "def f(x):\n    return x[..., 0]\n",  # a subscript
        "def f(x=...):\n    return x\n",  # a sentinel default
        "def f(x):\n    return x is ...\n",  # a sentinel comparison
        "def f():\n    x: EllipsisType = ...\n    return x\n",  # Ellipsis by its type
        "class P(Protocol):\n    def m(self) -> int:\n        return isinstance(1, ...)\n",
        "def f():\n    try:\n        pass\n    except E:\n        ...\n",  # a statement
        "def f():\n    return 1\n",  # no `...` at all
    ],
)
def test_on_request_never_reaches_declarations_types_or_statements(src: str) -> None:
    doc = SourceDocument(src)
    at = doc.data.rfind(b"...") if b"..." in doc.data else doc.data.rindex(b"1")
    analysis = Analysis(doc, "m.py")
    assert analysis.hole_at(at, on_request=True) is None


def test_on_request_respects_stubs_and_disabled_kinds() -> None:
    src = "def g(x):\n    return isinstance(x, ...)\n"
    at = src.index("...")
    assert Analysis(SourceDocument(src), "m.pyi").hole_at(at, on_request=True) is None
    only_bodies = Analysis(SourceDocument(src), "m.py", kinds={HoleKind.BODY})
    assert only_bodies.hole_at(at, on_request=True) is None
