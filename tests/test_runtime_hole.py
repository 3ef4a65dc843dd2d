"""Tests for the runtime helper ``lift_holes.hole`` (named typed holes)."""

from __future__ import annotations

import importlib.util
import itertools
import os
import pickle
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

try:
    import lift_holes
except ImportError:  # the project is not installed: import the file from the repository
    sys.path.insert(0, str(REPO_ROOT))
    import lift_holes

HoleError = lift_holes.HoleError
hole = lift_holes.hole
_module_numbers = itertools.count()


def write(tmp_path: Path, source: str, stem: str = "holey") -> Path:
    path = tmp_path / f"{stem}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def load(tmp_path: Path, source: str, stem: str = "holey") -> ModuleType:
    """Write ``source`` to a file and import it as a fresh module."""
    path = write(tmp_path, source, stem)
    name = f"_runtime_hole_{stem}_{next(_module_numbers)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(tmp_path: Path, source: str, stem: str = "holey") -> HoleError:
    """Run ``source`` as a script and return the HoleError it raises."""
    path = write(tmp_path, source, stem)
    with pytest.raises(HoleError) as info:
        runpy.run_path(str(path))
    return info.value


def reach(function: Any, *args: Any) -> HoleError:
    with pytest.raises(HoleError) as info:
        function(*args)
    return info.value


def line_of(path: Path, needle: str) -> int:
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(needle)


# --- return ---------------------------------------------------------------------------------


def test_return_uses_return_annotation_and_formats_message(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        class Circle:
            def __init__(self, radius: float) -> None:
                self.radius = radius

            def area(self) -> float:
                return hole("area")
        """,
        stem="geometry",
    )
    error = reach(module.Circle(1.0).area)
    path = tmp_path / "geometry.py"
    assert error.name == "area"
    assert error.expected_type == "float"
    assert error.filename == str(path)
    assert error.lineno == line_of(path, 'hole("area")')
    assert error.function == "Circle.area"
    assert str(error) == (
        f"hole 'area' of type float reached at "
        f"{lift_holes._display_path(str(path))}:{error.lineno} in Circle.area"
    )
    assert str(error).endswith(f"geometry.py:{error.lineno} in Circle.area")


def test_return_string_annotation_is_unquoted(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        def make() -> "dict[str, list[int]]":
            return hole("make")
        """,
    )
    assert reach(module.make).expected_type == "dict[str, list[int]]"


def test_return_in_generator_uses_generator_return_type(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        import typing
        from collections.abc import Generator, Iterator
        from lift_holes import hole

        def gen() -> Generator[int, None, str]:
            yield 1
            return hole("gen")

        def qualified() -> "typing.Generator[int, None, bytes]":
            yield 1
            return hole("qualified")

        def it() -> Iterator[int]:
            yield 1
            return hole("it")
        """,
    )
    assert reach(lambda: list(module.gen())).expected_type == "str"
    assert reach(lambda: list(module.qualified())).expected_type == "bytes"
    error = reach(lambda: list(module.it()))
    assert error.expected_type is None
    assert "hole 'it' of unknown type reached at" in str(error)


def test_anonymous_and_unknown(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        def f() -> int:
            return hole()

        def g():
            return hole()
        """,
    )
    error = reach(module.f)
    assert error.name is None
    assert str(error).startswith("anonymous hole of type int reached at ")
    assert str(reach(module.g)).startswith("anonymous hole of unknown type reached at ")


# --- assignments ----------------------------------------------------------------------------


def test_annotated_assignment(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        def f() -> None:
            xs: list[int] = hole("xs")

        class Point:
            def __init__(self) -> None:
                self.x: float = hole("x")
        """,
    )
    assert reach(module.f).expected_type == "list[int]"
    error = reach(module.Point)
    assert error.expected_type == "float"
    assert error.function == "Point.__init__"


def test_assignment_to_previously_annotated_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        from lift_holes import hole

        def f(flag: bool, count: int) -> None:
            result: set[str]
            if flag:
                result = hole("result")
            count = hole("count")

        def g() -> None:
            unrelated = hole("unrelated")
        """,
    )
    namespace = runpy.run_path(str(path))
    assert reach(namespace["f"], True, 1).expected_type == "set[str]"
    assert reach(namespace["f"], False, 1).expected_type == "int"
    assert reach(namespace["g"]).expected_type is None


def test_assignment_at_module_level_to_annotated_name(tmp_path: Path) -> None:
    error = run(
        tmp_path,
        """
        from lift_holes import hole

        total: int
        if True:
            total: "bytes"
        total = hole("total")
        """,
    )
    assert error.expected_type == "bytes"
    assert error.function is None
    assert str(error).endswith(" in <module>")


# --- call arguments -------------------------------------------------------------------------


def test_positional_and_keyword_arguments(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        def connect(host: str, port: int, *, timeout: float = 1.0) -> None: ...

        def by_position() -> None:
            connect("localhost", hole("port"))

        def by_keyword() -> None:
            connect("localhost", 80, timeout=hole("timeout"))

        def by_keyword_positional_param() -> None:
            connect(port=1, host=hole("host"))
        """,
    )
    assert reach(module.by_position).expected_type == "int"
    assert reach(module.by_keyword).expected_type == "float"
    assert reach(module.by_keyword_positional_param).expected_type == "str"


def test_star_args_and_kwargs(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        def log(message: str, *values: int, **tags: bytes) -> None: ...

        def extra_positional() -> None:
            log("m", 1, 2, hole("value"))

        def extra_keyword() -> None:
            log("m", colour=hole("tag"))

        def after_unpacking(xs: list[int]) -> None:
            log(*xs, hole("unknown"))
        """,
    )
    assert reach(module.extra_positional).expected_type == "int"
    assert reach(module.extra_keyword).expected_type == "bytes"
    assert reach(module.after_unpacking, []).expected_type is None


def test_method_and_class_calls(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        class Account:
            def __init__(self, owner: str, balance: int = 0) -> None:
                self.owner = owner

            def deposit(self, amount: "Decimal") -> None: ...

            @classmethod
            def open(cls, owner: str, bank: "Bank") -> "Account": ...

            @staticmethod
            def check(code: bytes) -> bool: ...

            def run(self) -> None:
                self.deposit(hole("amount"))

            def run_static(self) -> None:
                self.check(hole("code"))

            @classmethod
            def run_class(cls) -> None:
                cls.open("x", hole("bank"))

        def make() -> None:
            Account("ann", balance=hole("balance"))

        def make_positional() -> None:
            Account(hole("owner"))

        def via_class() -> None:
            Account.open("bob", hole("bank"))
        """,
    )
    assert reach(module.Account("a").run).expected_type == "Decimal"
    assert reach(module.Account("a").run_static).expected_type == "bytes"
    assert reach(module.Account.run_class).expected_type == "Bank"
    assert reach(module.make).expected_type == "int"
    assert reach(module.make_positional).expected_type == "str"
    assert reach(module.via_class).expected_type == "Bank"


def test_call_to_unknown_function_is_unknown(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        import os
        from lift_holes import hole

        def f() -> None:
            os.path.join(hole("part"))
        """,
    )
    assert reach(module.f).expected_type is None


# --- parameter defaults ---------------------------------------------------------------------


def test_parameter_default(tmp_path: Path) -> None:
    error = run(
        tmp_path,
        """
        from lift_holes import hole

        def scale(c: object, factor: float = hole("default_factor")) -> None: ...
        """,
    )
    assert error.name == "default_factor"
    assert error.expected_type == "float"
    assert error.function is None


def test_keyword_only_parameter_default_in_class_body(tmp_path: Path) -> None:
    error = run(
        tmp_path,
        """
        from lift_holes import hole

        class Shape:
            def scale(self, *, factor: "int | None" = hole()) -> None: ...
        """,
    )
    assert error.expected_type == "int | None"
    assert error.function is None
    assert str(error).endswith(" in class Shape")


# --- body holes -----------------------------------------------------------------------------


def test_body_hole_with_docstring(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        def parse(text: str) -> dict[str, int]:
            \"\"\"Parse it.\"\"\"
            hole("parse")
        """,
    )
    error = reach(module.parse, "x")
    assert error.expected_type == "(text: str) -> dict[str, int]"
    assert str(error).startswith(
        "body hole 'parse' of type (text: str) -> dict[str, int] reached at "
    )
    assert error.function == "parse"


def test_body_hole_full_signature(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        class Codec:
            async def run(self, a: int, /, b, *rest: str, key: "bytes" = b"k", **kw) -> None:
                hole()
        """,
    )
    with pytest.raises(HoleError) as info:
        module.Codec().run(1, 2).send(None)
    error = info.value
    assert error.expected_type == (
        '(self, a: int, /, b, *rest: str, key: bytes = b"k", **kw) -> None'
    )
    assert str(error).startswith("anonymous body hole of type (self, a: int")


def test_statement_hole_that_is_not_the_whole_body(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        def f(x: int) -> int:
            x += 1
            hole("step")
        """,
    )
    error = reach(module.f, 1)
    assert error.expected_type is None
    assert str(error).startswith("hole 'step' of unknown type")


# --- class body and module level ------------------------------------------------------------


def test_class_body_and_module_level(tmp_path: Path) -> None:
    error = run(
        tmp_path,
        """
        from lift_holes import hole

        class Config:
            debug: bool = hole("debug")
        """,
    )
    assert error.expected_type == "bool"
    assert error.function is None
    assert str(error).endswith(" in class Config")

    error = run(tmp_path, "import lift_holes\nlimit: int = lift_holes.hole('limit')\n")
    assert error.expected_type == "int"
    assert error.function is None
    assert error.lineno == 2
    assert str(error).endswith(":2 in <module>")


# --- telling holes apart --------------------------------------------------------------------


def test_two_holes_on_the_same_line(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        def connect(host: str, port: int) -> None: ...

        first = lambda: connect(hole("h"), 0); second = lambda: connect("x", hole("h"))
        """,
    )
    one = reach(module.first)
    two = reach(module.second)
    assert one.lineno == two.lineno
    assert (one.expected_type, two.expected_type) == ("str", "int")


def test_multiline_method_call(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        import lift_holes

        def f() -> "list[str]":
            return (lift_holes
                    .hole(
                        "names"))
        """,
    )
    assert reach(module.f).expected_type == "list[str]"


def test_hole_inside_lambda(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        key = lambda item: hole("key")

        def sort(items: list[int]) -> list[int]:
            return sorted(items, key=lambda item: hole("nested"))
        """,
    )
    error = reach(module.key, 1)
    assert error.function == "<lambda>"
    assert error.expected_type is None
    assert error.name == "key"
    error = reach(module.sort, [1, 2])
    assert error.function == "sort.<locals>.<lambda>"
    assert error.name == "nested"


# --- robustness -----------------------------------------------------------------------------


def test_source_unavailable_exec_string() -> None:
    namespace: dict[str, Any] = {"hole": hole}
    source = "def f() -> int:\n    return hole('x')\n"
    exec(compile(source, "<string>", "exec"), namespace)
    error = reach(namespace["f"])
    assert error.name == "x"
    assert error.expected_type is None
    assert error.filename == "<string>"
    assert str(error) == "hole 'x' of unknown type reached at <string>:2 in f"


def test_source_edited_after_import(tmp_path: Path) -> None:
    module = load(
        tmp_path,
        """
        from lift_holes import hole

        def f() -> int:
            return hole("f")

        def g() -> int:
            return hole("g")
        """,
    )
    path = tmp_path / "holey.py"
    # Lines shift: the positions now point at another hole (or at nothing).
    path.write_text(
        "from lift_holes import hole\n\n\ndef g() -> str:\n    return hole('g')\n"
        "\n\ndef f() -> bytes:\n    return hole('f')\n",
        encoding="utf-8",
    )
    os.utime(path, (1, 1))
    error = reach(module.f)
    assert error.name == "f"
    assert error.expected_type is None
    # A syntax error in the edited file: still a HoleError.
    path.write_text("def (:\n" * 5, encoding="utf-8")
    os.utime(path, (2, 2))
    error = reach(module.g)
    assert error.name == "g"
    assert error.expected_type is None
    path.unlink()
    assert reach(module.g).name == "g"


def test_deeply_nested_source_falls_back_to_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linecache

    module = load(tmp_path, "from lift_holes import hole\ndef f() -> int:\n    return hole()\n")
    deep = ["x = " + "-" * 200_000 + "1\n", "(" * 1000 + ")" * 1000 + "\n"]
    monkeypatch.setattr(linecache, "getlines", lambda *args, **kwargs: deep)
    error = reach(module.f)
    assert error.expected_type is None
    assert error.function == "f"


def test_no_column_information_falls_back_to_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        from lift_holes import hole

        def f() -> int:
            return hole("f")

        try:
            f()
        except NotImplementedError as error:
            print(error.expected_type)
        """,
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-X", "no_debug_ranges", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert result.stdout.strip() == "int"


def test_hole_error_is_not_implemented_error_and_pickles() -> None:
    assert issubclass(HoleError, NotImplementedError)
    with pytest.raises(NotImplementedError) as info:
        hole("x")
    error = info.value
    assert isinstance(error, HoleError)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error)
    assert (copy.name, copy.lineno, copy.function) == (error.name, error.lineno, error.function)


def test_non_string_name_uses_repr() -> None:
    with pytest.raises(HoleError) as info:
        hole(42)  # type: ignore[arg-type]
    assert info.value.name == "42"
    assert str(info.value).startswith("hole 42 of ")


def test_import_is_cheap() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import lift_holes\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    loaded = set(result.stdout.split())
    assert "lift_holes" in loaded
    forbidden = {"ast", "_ast", "typing", "tokenize", "linecache", "lift_lsp", "pygls"}
    assert not loaded & forbidden
    assert not {name for name in loaded if name.startswith(("tree_sitter", "lift_lsp."))}
    assert loaded <= {"lift_holes", "__future__"}


def test_module_metadata() -> None:
    assert lift_holes.__all__ == ["HoleError", "hole"]
    assert lift_holes.__doc__ is not None
    assert 'hole("name")' in lift_holes.__doc__
