"""The parts of forward mode that need no model: the hole's function, the body a model
answers (cleaned, indented, spliced, parsed), the IR's checks, and the sandbox."""

from __future__ import annotations

import ast
import time

import pytest

from lift_lsp.forward import code as gen
from lift_lsp.forward import ir as irs
from lift_lsp.forward.availability import why_unavailable
from lift_lsp.forward.sandbox import run_doctests, run_python
from lift_lsp.forward.target import BodyTarget, NotABodyHole, find_body_target
from lift_lsp.providers.router import RouteConfig
from tests.test_forward_responder import ir_for


def target_of(source: str, marker: str = "...") -> BodyTarget:
    return find_body_target(source, source.encode().rindex(marker.encode()), "m.py")


def generated(source: str, answer: str, marker: str = "...") -> str:
    target = target_of(source, marker)
    spliced = gen.splice(source, target, gen.body_lines(answer, target))
    assert gen.parse_problems(spliced, source) == []
    ast.parse(spliced.text)
    return spliced.text


# -- where the body goes ---------------------------------------------------------------


def test_a_method_body_keeps_the_docstring_and_the_indentation() -> None:
    source = 'class A:\n    def f(self, x: int) -> int:\n        """Twice x."""\n        ...\n'
    target = target_of(source)
    assert (target.qualname, target.name, target.docstring) == ("A.f", "f", "Twice x.")
    assert target.header == "def f(self, x: int) -> int:"
    assert target.context == 'def f(self, x: int) -> int:\n    """Twice x."""'
    assert (target.row, target.column, target.body_indent) == (2, 5, "        ")
    new = generated(source, "    y = x * 2\n    return y\n")
    assert new == source.replace("        ...\n", "        y = x * 2\n        return y\n")


def test_a_one_line_def_gets_a_block() -> None:
    source = "def f(x): ...\n\nz = 1\n"
    assert target_of(source).inline
    assert generated(source, "return x + 1") == "def f(x):\n    return x + 1\n\nz = 1\n"


def test_a_one_line_def_keeps_its_docstring() -> None:
    source = 'class A:\n    def f(self): "Doc."; ...\n'
    new = generated(source, "return 1")
    assert new == 'class A:\n    def f(self):\n        "Doc."\n        return 1\n'


def test_decorators_async_and_crlf() -> None:
    source = "import functools\r\n\r\n@functools.cache\r\nasync def f(x):\r\n    ...\r\n"
    target = target_of(source)
    assert target.is_async
    assert target.header == "@functools.cache\r\nasync def f(x):"
    new = generated(source, "    await g()\n    return x\n")
    assert new.endswith("async def f(x):\r\n    await g()\r\n    return x\r\n")


def test_a_named_hole_body_is_a_body_hole_too() -> None:
    source = 'from lift_holes import hole\n\ndef f(x):\n    hole("later")\n'
    assert generated(source, "return x", 'hole("later")').endswith("def f(x):\n    return x\n")


def test_only_body_holes() -> None:
    with pytest.raises(NotABodyHole):
        target_of("def f(x):\n    return ...\n")
    with pytest.raises(NotABodyHole):
        target_of("def f(x):\n    y = 1\n    return x\n", "y")


# -- what a model answers ----------------------------------------------------------------

CLAMP = 'def clamp(v, lo, hi):\n    """Keep v in [lo, hi]."""\n    ...\n'
EXPECTED = CLAMP.replace("    ...\n", "    return max(lo, min(v, hi))\n")


@pytest.mark.parametrize(
    "answer",
    [
        "    return max(lo, min(v, hi))\n",
        "return max(lo, min(v, hi))",
        "```python\n    return max(lo, min(v, hi))\n```\n",
        "def clamp(v, lo, hi):\n    return max(lo, min(v, hi))\n",
        'def clamp(v, lo, hi):\n    """Keep v in [lo, hi]."""\n    return max(lo, min(v, hi))\n',
        '    """Keep v in [lo, hi]."""\n    return max(lo, min(v, hi))\n',
        "\n\n    return max(lo, min(v, hi))\n\n",
    ],
)
def test_answers_in_every_shape_become_the_same_body(answer: str) -> None:
    assert generated(CLAMP, answer) == EXPECTED


def test_a_first_line_without_its_indentation_is_repaired() -> None:
    answer = "if v < lo:\n        return lo\n    return min(v, hi)\n"
    assert generated(CLAMP, answer) == CLAMP.replace(
        "    ...\n", "    if v < lo:\n        return lo\n    return min(v, hi)\n"
    )


def test_multi_line_strings_keep_their_content() -> None:
    answer = '    text = """a\nb"""\n    return text\n'
    new = generated(CLAMP, answer)
    assert '    text = """a\nb"""\n    return text\n' in new


def test_tab_indentation_becomes_spaces_but_not_inside_strings() -> None:
    answer = 'if v < lo:\n\treturn "a\tb"\nreturn v\n'
    new = generated(CLAMP, answer)
    assert '    if v < lo:\n            return "a\tb"\n    return v\n' in new


def test_no_code_is_a_problem() -> None:
    target = target_of(CLAMP)
    for answer in ("", "\n\n", '    """Keep v in [lo, hi]."""\n'):
        with pytest.raises(gen.CodeProblem):
            gen.body_lines(answer, target)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("    return (v +\n", "tree-sitter"),
        ("    return v\n        x = 1\n", "python: unexpected indent"),
        ("    await something()\n", "'await' outside async function"),
    ],
)
def test_code_that_does_not_parse_or_compile_is_reported(answer: str, says: str) -> None:
    target = target_of(CLAMP)
    spliced = gen.splice(CLAMP, target, gen.body_lines(answer, target))
    problems = gen.parse_problems(spliced, CLAMP)
    assert any(says in p for p in problems), problems


def test_holes_left_in_the_code_are_found_with_their_place() -> None:
    target = target_of(CLAMP)
    spliced = gen.splice(CLAMP, target, ["x = ...", "return x"])
    (hole,) = gen.code_holes(spliced, "m.py")
    assert hole["kind"] == "code"
    assert hole["location"] == {"row": 3, "column": 9}


# -- the IR -----------------------------------------------------------------------------

PROV = {"source": "llm", "route": "anthropic", "model": "m", "program_version": "p"}


def test_the_ir_is_stamped_with_the_function_and_the_answer() -> None:
    target = target_of("class A:\n    def f(self, x: int, y):\n        ...\n")
    raw = ir_for("def f(self, x: str, y):", qualname="wrong", location={"row": 9, "column": 9})
    stamped = irs.stamp(raw, target, PROV)
    assert irs.problems(stamped, target) == []
    assert (stamped["qualname"], stamped["location"]) == ("A.f", {"row": 2, "column": 5})
    by_name = {p["name"]: p for p in stamped["params"]}
    assert by_name["x"]["type"] == "int"  # the source's annotation, not the model's str
    assert by_name["x"]["provenance"] == {"source": "annotation"}
    assert by_name["y"]["provenance"] == PROV
    assert stamped["intent"]["provenance"] == PROV


def test_an_ir_of_another_signature_is_invalid() -> None:
    target = target_of("def f(a, *, b):\n    ...\n")
    wrong_names = irs.stamp(ir_for("def f(a, c):"), target, PROV)
    assert "(a, b), not (a, c)" in irs.problems(wrong_names, target)[0]
    wrong_kind = irs.stamp(ir_for("def f(a, b):"), target, PROV)
    assert irs.problems(wrong_kind, target) == [
        "param b: kind must be keyword_only, not positional_or_keyword"
    ]
    broken = irs.stamp({"params": "none"}, target, PROV)
    assert any("intent" in p for p in irs.problems(broken, target))


def test_ir_answers_in_any_spelling() -> None:
    assert irs.parse_ir({"a": 1}) == {"a": 1}
    assert irs.parse_ir('{"a": true}') == {"a": True}
    assert irs.parse_ir("{'a': True, 'b': None}") == {"a": True, "b": None}
    assert irs.parse_ir("[1]") is None
    assert irs.parse_ir("not json") is None


def test_open_questions_skip_annotations_and_self() -> None:
    target = target_of("class A:\n    def f(self, x: int, y) -> int:\n        ...\n")
    ir = irs.stamp(ir_for("def f(self, x, y):", confidence=0.4), target, PROV)
    questions = irs.open_questions(ir)
    assert [(q["kind"], q["target"]) for q in questions] == [
        ("intent", "intent"),
        ("signature", "y"),
    ]


# -- availability and the sandbox ----------------------------------------------------------


def test_availability_explains_what_to_configure() -> None:
    local = RouteConfig()
    assert "local route does not generate" in str(why_unavailable(local, "m.py"))
    keyed = RouteConfig(route="anthropic", anthropic_key="sk-ant-x-1234")
    assert why_unavailable(keyed, "m.py") is None
    assert "remote-exclude" in str(why_unavailable(keyed, "config/.env.local"))
    assert "local route" in str(why_unavailable(keyed, "m.py", "local"))
    unconfigured = RouteConfig(route="auto")
    assert "no remote route is configured" in str(why_unavailable(unconfigured, "m.py"))


async def test_the_sandbox_has_no_keys_and_its_own_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-must-not-leak-77")
    code = (
        "import os, sys; print(sorted(os.environ)); print(os.getcwd()); print(sys.flags.isolated)"
    )
    outcome = await run_python(code)
    assert outcome.ok
    assert "ANTHROPIC_API_KEY" not in outcome.stdout
    assert "lift-run-" in outcome.stdout
    assert outcome.stdout.strip().endswith("1")


async def test_the_sandbox_kills_what_runs_too_long() -> None:
    started = time.monotonic()
    outcome = await run_python(
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "while True: time.sleep(1)\n",
        timeout=1.0,
    )
    assert outcome.timed_out
    assert not outcome.ok
    assert time.monotonic() - started < 8


async def test_doctests_of_a_method_and_a_broken_module() -> None:
    module = (
        "class A:\n"
        "    def f(self):\n"
        '        """\n        >>> A().f()\n        1\n        """\n'
        "        return 1\n"
    )
    result = await run_doctests(module, "A.f")
    assert (result["attempted"], result["failed"], result["passed"]) == (1, 0, True)
    broken = await run_doctests("raise SystemExit('no')\n", "f")
    assert broken["passed"] is False
    assert "could not be run" in broken["report"]


def test_the_body_writer_sees_the_modules_names_but_no_other_body() -> None:
    from lift_lsp.forward.target import find_body_target

    src = (
        "import math\n"
        "from pathlib import Path as P\n\n"
        "class Circle:\n"
        "    radius: float\n\n"
        "    def area(self) -> float:\n"
        "        ...\n\n"
        "    def scale(self, k: float) -> 'Circle':\n"
        "        return Circle(self.radius * k)\n\n"
        "def helper(x: int,\n"
        "           y: int = 2) -> int:\n"
        "    return x + y  # secret arithmetic\n"
    )
    target = find_body_target(src, src.index("..."), "m.py")
    lines = target.module_context.splitlines()
    assert lines[:2] == ["import math", "from pathlib import Path as P"]
    assert "    def scale(self, k: float) -> 'Circle': ..." in lines
    assert "def helper(x: int, y: int = 2) -> int: ..." in lines
    assert not any("area" in line for line in lines)  # the function being written
    assert "secret arithmetic" not in target.module_context
    assert "self.radius * k" not in target.module_context
