"""Hole fills on the local route: candidates, type fit, ranking, validation, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lift_lsp.holes.analysis import Analysis
from lift_lsp.suggest.engine import parses_in_place, suggest
from lift_lsp.suggest.ranker import Ranker
from lift_lsp.suggest.typecompat import fits, split_union
from lift_lsp.syntax.document import SourceDocument


def fills(src: str, occurrence: int = 0, **kwargs: object) -> list[str]:
    src = textwrap.dedent(src)
    analysis = Analysis(SourceDocument(src), "m.py")
    hole = analysis.holes[occurrence]
    result = suggest(analysis, hole.start, **kwargs)  # type: ignore[arg-type]
    return [s.text for s in result.suggestions]


@pytest.mark.parametrize(
    ("actual", "expected", "fit"),
    [
        ("int", "int", 1.0),
        ("int", "float", 0.8),
        ("float", "int", 0.0),
        ("None", "str | None", 0.95),
        ("str", "Optional[str]", 0.95),
        ("list[int]", "list", 0.9),
        ("list[int]", "Sequence[int]", 0.8),
        ("str", "Any", 0.5),
        ("int", None, None),
    ],
)
def test_type_compatibility(actual: str, expected: str | None, fit: float | None) -> None:
    assert fits(actual, expected) == fit


def test_unions_are_split_at_the_top_level() -> None:
    assert split_union("dict[str, int | None] | None") == ["dict[str, int | None]", "None"]
    assert split_union("Union[int, Optional[str]]") == ["int", "str", "None"]


def test_subclasses_of_the_module_fit_their_bases() -> None:
    src = """
    class Shape: ...
    class Circle(Shape): ...
    def pick(c: Circle, n: int) -> Shape:
        return ...
    """
    top = fills(src, -1)
    assert "c" in top[:2]  # a Circle where a Shape is wanted
    assert "n" not in top[:3]  # an int does not fit


def test_the_typed_binding_nearest_the_hole_comes_first() -> None:
    src = """
    def area(radius: float, label: str) -> float:
        r2 = radius * radius
        return ...
    """
    top = fills(src)
    assert top[0] == "r2"
    assert top.index("radius") < top.index("label") if "label" in top else True


def test_attribute_chains_and_methods_of_self() -> None:
    src = """
    class Client:
        def __init__(self, timeout: float) -> None:
            self.timeout = timeout

    class Service:
        def __init__(self, client: Client) -> None:
            self.client = client

        def wait(self) -> float:
            return ...
    """
    assert fills(src)[0] == "self.client.timeout"


def test_refinement_fits_leave_holes_for_arguments() -> None:
    src = """
    def parse(text: str, strict: bool) -> dict[str, int]: ...
    def load(raw: bytes) -> dict[str, int]:
        return ...
    """
    assert "parse(..., ...)" in fills(src, -1)


def test_names_guide_the_choice_between_equal_types() -> None:
    src = """
    def connect(host: str, user: str, port: int) -> None: ...
    def main(user_name: str, hostname: str) -> None:
        connect(host=..., user="x", port=1)
    """
    assert fills(src, -1)[0] == "hostname"


def test_body_holes_get_return_statements() -> None:
    src = """
    def double(n: int) -> int:
        ...
    """
    top = fills(src)
    assert top[0] == "return n"
    assert all(t.startswith("return ") for t in top)


def test_no_expected_type_still_gets_fills() -> None:
    src = """
    def f(items):
        first = items[0]
        x = ...
    """
    assert "first" in fills(src)


def test_default_literals_of_the_expected_type() -> None:
    src = """
    def f() -> list[str]:
        return ...
    """
    assert "[]" in fills(src)


def test_a_position_outside_any_hole_gives_nothing() -> None:
    analysis = Analysis(SourceDocument("x = 1\n"), "m.py")
    result = suggest(analysis, 2)
    assert result.hole is None
    assert result.suggestions == []


def test_holes_in_a_file_with_syntax_errors_elsewhere() -> None:
    src = """
    def broken(:
        pass

    def g(count: int) -> int:
        return ...
    """
    assert fills(src)[0] == "count"


def test_the_validation_gate_rejects_what_would_not_parse() -> None:
    assert parses_in_place("self.radius", as_statement=False)
    assert not parses_in_place("x y", as_statement=False)
    assert parses_in_place("return n", as_statement=True)
    assert not parses_in_place("return return", as_statement=True)


def test_confidences_are_a_distribution_and_carry_the_ranker_version() -> None:
    src = """
    def f(a: int, b: int) -> int:
        return ...
    """
    analysis = Analysis(SourceDocument(textwrap.dedent(src)), "m.py")
    result = suggest(analysis, analysis.holes[0].start, ranker=Ranker(version="ranker-7"))
    total = sum(s.confidence for s in result.suggestions)
    assert 0.99 <= total <= 1.01
    confidences = [s.confidence for s in result.suggestions]
    assert confidences == sorted(confidences, reverse=True)
    assert {s.provenance["program_version"] for s in result.suggestions} == {"ranker-7"}


def test_cli_suggest_follows_the_contract(tmp_path: Path) -> None:
    (tmp_path / "geo.py").write_text("def area(r: float) -> float:\n    return ...\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lift_lsp",
            "suggest",
            "geo.py:2:14",
            "geo.py:1:1",
            "--format",
            "json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["version"] == 1
    first, second = out["results"]
    assert first["location"] == {"row": 2, "column": 12}
    assert first["hole"] == {"kind": "expression", "name": "area#1", "expected_type": "float"}
    assert first["suggestions"][0]["text"] == "r"
    assert set(first["suggestions"][0]) == {
        "text",
        "confidence",
        "source",
        "rationale",
        "provenance",
    }
    assert second["hole"] is None
    assert second["suggestions"] == []
    bad = subprocess.run(
        [sys.executable, "-m", "lift_lsp", "suggest", "geo.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2


def test_comprehension_variables_are_in_scope_of_the_element() -> None:
    src = """
    def names(items: list[str]) -> list[str]:
        return [... for item in items]
    """
    assert fills(src)[0] == "item"
