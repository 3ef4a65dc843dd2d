"""Bindings visible at a point of a function (``ScopeView.visible``)."""

from __future__ import annotations

import textwrap

from lift_lsp.holes.defs import ModuleIndex
from lift_lsp.holes.scope import Binding, ScopeView
from lift_lsp.syntax.document import SourceDocument

MARK = "HERE"


def visible(src: str) -> list[Binding]:
    """What is visible where ``HERE`` is written in ``src``."""
    data = textwrap.dedent(src).encode()
    doc = SourceDocument(data)
    offset = data.index(MARK.encode())
    node = doc.tree.root_node.descendant_for_byte_range(offset, offset)
    while node is not None and node.type != "function_definition":
        node = node.parent
    assert node is not None, "HERE must be inside a function"
    index = ModuleIndex.build(doc.tree.root_node)
    return ScopeView(index, node, offset).visible()


def table(src: str) -> dict[str, tuple[str | None, str]]:
    return {b.name: (b.type, b.kind) for b in visible(src)}


# -- parameters ---------------------------------------------------------------------------


def test_parameters_with_annotations() -> None:
    names = table(
        """
        def f(a: int, b, *rest: str, **kw: float) -> None:
            return HERE
        """
    )
    assert names == {
        "a": ("int", "parameter"),
        "b": (None, "parameter"),
        "rest": ("tuple[str, ...]", "parameter"),
        "kw": ("dict[str, float]", "parameter"),
    }


def test_self_is_typed_as_the_class() -> None:
    names = table(
        """
        class Circle:
            def area(self, k: float) -> float:
                return HERE
        """
    )
    assert names["self"] == ("Circle", "parameter")
    assert names["k"] == ("float", "parameter")


# -- locals -------------------------------------------------------------------------------


def test_locals_from_annotations_and_literals() -> None:
    names = table(
        """
        def f():
            a: float = g()
            n = 1
            s = "x"
            xs = [1, 2]
            return HERE
        """
    )
    assert names == {
        "a": ("float", "local"),
        "n": ("int", "local"),
        "s": ("str", "local"),
        "xs": ("list[int]", "local"),
    }


def test_local_from_constructor_of_module_class() -> None:
    names = table(
        """
        class Circle:
            pass

        def f():
            c = Circle()
            return HERE
        """
    )
    assert names["c"] == ("Circle", "local")


def test_local_from_call_of_annotated_module_function() -> None:
    names = table(
        """
        def load() -> dict[str, int]:
            return {}

        def f():
            data = load()
            return HERE
        """
    )
    assert names["data"] == ("dict[str, int]", "local")


def test_local_from_unknown_call_has_no_type() -> None:
    names = table(
        """
        def f():
            r = requests.get("u")
            return HERE
        """
    )
    assert names["r"] == (None, "local")


def test_locals_assigned_after_the_point_are_not_visible() -> None:
    names = table(
        """
        def f():
            before = 1
            HERE
            after = 2
        """
    )
    assert "before" in names
    assert "after" not in names


def test_local_shadows_parameter() -> None:
    bindings = visible(
        """
        def f(x: int):
            x = "s"
            return HERE
        """
    )
    assert [(b.name, b.type, b.kind) for b in bindings] == [("x", "str", "local")]


def test_for_loop_over_range_is_int() -> None:
    names = table(
        """
        def f():
            for i in range(3):
                HERE
        """
    )
    assert names["i"] == ("int", "local")


def test_for_loop_over_annotated_list() -> None:
    names = table(
        """
        def f(words: list[str]):
            for w in words:
                HERE
        """
    )
    assert names["w"] == ("str", "local")


def test_except_alias_is_the_exception_type() -> None:
    names = table(
        """
        def f():
            try:
                g()
            except ValueError as e:
                HERE
        """
    )
    assert names["e"] == ("ValueError", "local")


# -- self attributes ----------------------------------------------------------------------


def test_self_attributes_from_annotations() -> None:
    names = table(
        """
        class Circle:
            def __init__(self) -> None:
                self.radius: float = 1.0
                self.name = "c"

            def area(self):
                return HERE
        """
    )
    assert names["self.radius"] == ("float", "attribute")
    assert names["self.name"] == ("str", "attribute")


def test_self_attribute_typed_from_assigned_parameter() -> None:
    names = table(
        """
        class Circle:
            def __init__(self, radius: float) -> None:
                self.radius = radius

            def area(self):
                return HERE
        """
    )
    assert names["self.radius"] == ("float", "attribute")


def test_attribute_assignment_does_not_bind_locals() -> None:
    bindings = visible(
        """
        class Circle:
            def __init__(self, radius: float) -> None:
                self.radius = radius
                HERE
        """
    )
    assert {(b.name, b.type, b.kind) for b in bindings} == {
        ("self", "Circle", "parameter"),
        ("radius", "float", "parameter"),
        ("self.radius", "float", "attribute"),
    }


def test_subscript_assignment_does_not_shadow_parameters() -> None:
    names = table(
        """
        def f(d: dict[str, int], k: str):
            d[k] = 1
            return HERE
        """
    )
    assert names == {"d": ("dict[str, int]", "parameter"), "k": ("str", "parameter")}


def test_tuple_unpacking_binds_names_without_types() -> None:
    names = table(
        """
        def f():
            a, b = g()
            return HERE
        """
    )
    assert names == {"a": (None, "local"), "b": (None, "local")}


def test_class_level_annotation_is_an_attribute() -> None:
    names = table(
        """
        class P:
            x: int

            def f(self):
                return HERE
        """
    )
    assert names["self.x"] == ("int", "attribute")


# -- ordering -----------------------------------------------------------------------------


def test_nearest_first() -> None:
    bindings = visible(
        """
        def f(p: int):
            a = 1
            b = 2
            c = 3
            return HERE
        """
    )
    assert [b.name for b in bindings] == ["c", "b", "a", "p"]


def test_module_level_view_is_empty() -> None:
    doc = SourceDocument("x = 1\n")
    view = ScopeView(ModuleIndex.build(doc.tree.root_node), None, 5)
    assert view.visible() == []
