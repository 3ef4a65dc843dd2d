"""The annotation-recovery benchmark's parts: stripping, normalisation, scoring, adapters.

Fast and offline: no pyright, no network; lift-lsp is replaced by a fake executable.
"""

from __future__ import annotations

import ast
import json
import stat
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import annotations as bench  # noqa: E402  (bench/annotations.py, not __future__)
from _strip import Function, strip_source  # noqa: E402
from _typenorm import base, import_aliases, normalize  # noqa: E402

CORPUS = BENCH.parent.parent / "shared" / "corpus"

SAMPLE = textwrap.dedent(
    '''\
    """Module docstring."""
    from __future__ import annotations

    import typing as t
    from typing import TYPE_CHECKING, overload

    LIMIT: int = 3


    @overload
    def pick(x: int) -> int: ...
    @overload
    def pick(x: str) -> str: ...
    def pick(x: int | str, y: "Foo" = None, *args: int, flag: bool = False, **kw: str) -> t.Any:
        """Pick one."""
        total: int = 0
        def inner(a: list[int], b=2) -> None:
            pass
        return x


    class Box:
        size: int = 1

        def __init__(self, size: int = 1) -> None:
            self.size = size

        def get(self, key: str, /, *, default: dict[str, int] | None = None) -> "Box":
            return self

        @property
        def label(self) -> str:
            return "x"

        @label.setter
        def label(self, value: str) -> None:
            pass

        async def fetch(self, url: str) -> bytes:
            return b""


    if TYPE_CHECKING:
        def hidden(z: int) -> int: ...


    def multi(
        a: dict[
            str, int
        ],
    ) -> (
        int
    ):
        return 1
    '''
)


# -- stripping ---------------------------------------------------------------------------
def test_strip_gives_parseable_code_without_parameter_or_return_annotations() -> None:
    result = strip_source(SAMPLE)
    tree = ast.parse(result.text)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            every = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
            assert node.returns is None, node.name
            assert all(x is None or x.annotation is None for x in every), node.name
    # What is not a parameter or return annotation stays.
    assert '"""Pick one."""' in result.text
    assert "LIMIT: int = 3" in result.text
    assert "total: int = 0" in result.text
    assert "size: int = 1" in result.text
    assert "def pick(x, y=None, *args, flag=False, **kw):" in result.text
    assert "def inner(a, b=2):" in result.text
    assert "def get(self, key, /, *, default=None):" in result.text
    assert "async def fetch(self, url):" in result.text


def test_strip_records_the_ground_truth() -> None:
    truth = strip_source(SAMPLE).ground_truth("pkg/m.py")
    expected = {
        "pick": {
            "x": "int | str",
            "y": '"Foo"',
            "args": "int",
            "flag": "bool",
            "kw": "str",
            "return": "t.Any",
        },
        "pick.inner": {"a": "list[int]", "return": "None"},
        "Box.__init__": {"size": "int", "return": "None"},
        "Box.get": {"key": "str", "default": "dict[str, int] | None", "return": '"Box"'},
        "Box.label": {"return": "str"},
        "Box.label#2": {"value": "str", "return": "None"},
        "Box.fetch": {"url": "str", "return": "bytes"},
        "multi": {"a": "dict[\n        str, int\n    ]", "return": "(\n    int\n)"},
    }
    flat = {("pkg/m.py", q, n): text for q, names in expected.items() for n, text in names.items()}
    assert truth == flat


def test_overloads_and_type_checking_functions_are_stripped_but_not_scored() -> None:
    result = strip_source(SAMPLE)
    skipped = [(f.qualname, f.skip) for f in result.functions if f.skip]
    assert skipped == [("pick", "overload"), ("pick", "overload"), ("hidden", "type_checking")]
    assert "def hidden(z): ..." in result.text
    assert not any(q == "hidden" for _, q, _ in result.ground_truth("m.py"))


def test_rows_point_into_the_stripped_text() -> None:
    result = strip_source(SAMPLE)
    lines = result.text.splitlines()
    for fn in result.functions:
        assert lines[fn.def_row - 1].lstrip().startswith(("def ", "async def ")), fn.qualname
        assert fn.first_row <= fn.def_row <= fn.end_row
    label = [f for f in result.functions if f.name == "label"]
    assert [f.is_method for f in label] == [True, True]
    assert lines[label[0].first_row - 1].strip() == "@property"
    assert [f.is_async for f in result.functions if f.name == "fetch"] == [True]


def test_strip_keeps_the_rest_byte_for_byte() -> None:
    source = "def f(a, b=1):\n    return a  # comment: int\n"
    result = strip_source(source)
    assert result.text == source
    assert result.ground_truth("m.py") == {}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no dev corpus next to the repository")
def test_every_corpus_file_still_parses_after_stripping() -> None:
    files = 0
    for wheel in sorted(CORPUS.glob("*.whl")):
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                if member.endswith(".py") and ".dist-info/" not in member:
                    original = zf.read(member)
                    ast.parse(original)
                    ast.parse(strip_source(original).text, filename=member)
                    files += 1
    assert files > 50


# -- normalisation -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Optional[int]", "int | None"),
        ("typing.Optional[List[str]]", "list[str] | None"),
        ("Union[str, None, int]", "int | str | None"),
        ("Union[Optional[int], Union[str, bytes]]", "bytes | int | str | None"),
        ("None | int | int", "int | None"),
        ("t.Dict[str, t.Any]", "dict[str, Any]"),
        ("typing_extensions.Literal['a', \"b\"]", "Literal['a', 'b']"),
        ("collections.abc.Iterable[Tuple[int, ...]]", "Iterable[tuple[int, ...]]"),
        ("FrozenSet[Type[X]]", "frozenset[type[X]]"),
        ("Sequence[Mapping[str,int]]", "Sequence[Mapping[str, int]]"),
        ("'Box'", "Box"),
        ('"Optional[Box]"', "Box | None"),
        ("list['Box']", "list[Box]"),
        ("Callable[[int,str],None]", "Callable[[int, str], None]"),
        ("Annotated[int, 'meta']", "int"),
        ("tuple[()]", "tuple[()]"),
        ("Self@Arrow", "Self"),
        ("list[T@pick]", "list[T]"),
        ("  this is not ( python ", "this is not ( python"),
        ("None", "None"),
        ("tuple[int, str]\n        | None", "tuple[int, str] | None"),
        ("Callable[\n    [int],\n    str,\n]\n| None", "Callable[[int], str] | None"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list[str]", "list"),
        ("Optional[Dict[str, int]]", "dict | None"),
        ("List[int] | list[str]", "list"),
        ("Callable[[int], str]", "Callable"),
        ("str", "str"),
    ],
)
def test_base_form_drops_type_parameters(text: str, expected: str) -> None:
    assert base(text) == expected


def test_import_aliases_map_names_on_both_sides() -> None:
    aliases = import_aliases("from datetime import datetime as dt_datetime\nimport typing as T\n")
    assert aliases == {"dt_datetime": "datetime", "T": "typing"}
    assert normalize("Optional[dt_datetime]", aliases) == "datetime | None"
    assert normalize("T.List[dt_datetime]", aliases) == "list[datetime]"
    assert normalize(None) is None
    assert normalize("  ") is None


# -- metrics -----------------------------------------------------------------------------
def _items(annotations: list[str], kind: str = "return") -> list[bench.Item]:
    return [
        bench.Item(f"w-1/p/m{i}.py", "p", "f", kind, text, {}) for i, text in enumerate(annotations)
    ]


def _preds(items: list[bench.Item], types: list[str | None], conf: list[float]) -> dict:
    return {
        item.key: bench.Prediction(t, c, [t] if t else [])
        for item, t, c in zip(items, types, conf, strict=True)
    }


def test_perfect_predictions_score_one_with_no_calibration_error() -> None:
    items = _items(["int", "Optional[str]", "List[int]"])
    preds = _preds(items, ["int", "str | None", "list[int]"], [1.0, 1.0, 1.0])
    s = bench.score(items, preds)
    assert s["coverage"] == s["top1"] == s["top5"] == s["top1_base"] == 1.0
    assert s["ece"] == 0.0
    assert s["brier"] == 0.0


def test_null_predictions_have_no_coverage() -> None:
    items = _items(["int", "str"])
    s = bench.score(items, _preds(items, [None, None], [0.9, 0.9]))
    assert s["coverage"] == 0.0
    assert s["top1"] == 0.0
    assert s["ece"] is None
    assert s["brier"] is None
    assert bench.score(items, {})["coverage"] == 0.0


def test_a_miscalibrated_set_gives_the_expected_ece_and_brier() -> None:
    # Bin 0.2-0.3: 4 items at 0.25, all right (gap 0.75); bin 0.8-0.9: 4 at 0.85, half right
    # (gap 0.35). ECE = 0.5 * 0.75 + 0.5 * 0.35 = 0.55.
    items = _items(["int"] * 8)
    types = ["int"] * 4 + ["int", "int", "str", "str"]
    s = bench.score(items, _preds(items, types, [0.25] * 4 + [0.85] * 4))
    assert s["top1"] == pytest.approx(0.75)
    assert s["ece"] == pytest.approx(0.55)
    brier = (4 * 0.75**2 + 2 * 0.15**2 + 2 * 0.85**2) / 8
    assert s["brier"] == pytest.approx(brier)
    rows = {r["bin"]: r for r in s["reliability"] if r["n"]}
    assert rows["0.2-0.3"]["accuracy"] == 1.0
    assert rows["0.8-0.9"]["accuracy"] == 0.5
    assert rows["0.8-0.9"]["confidence"] == pytest.approx(0.85)
    # A confidence of exactly 1.0 lands in the last bin.
    assert bench.reliability([(1.0, True)])[-1]["n"] == 1


def test_top5_and_base_forms() -> None:
    items = _items(["List[str]", "dict[str, int]"])
    preds = {
        items[0].key: bench.Prediction("list[int]", 0.5, ["list[int]", "list[str]"]),
        items[1].key: bench.Prediction("Mapping[str, int]", 0.5, ["Mapping[str, int]"]),
    }
    s = bench.score(items, preds)
    assert (s["top1"], s["top5"], s["top1_base"]) == (0.0, 0.5, 0.5)


def test_scores_are_split_by_kind_and_package() -> None:
    items = [
        bench.Item("a-1/a/m.py", "a", "f", "x", "int", {}),
        bench.Item("a-1/a/m.py", "a", "f", "return", "str", {}),
        bench.Item("b-1/b/m.py", "b", "g", "return", "str", {}),
    ]
    preds = {i.key: bench.Prediction("str", 0.8, ["str"]) for i in items}
    s = bench.score_all(items, preds)
    assert (s["params"]["items"], s["params"]["top1"]) == (1, 0.0)
    assert (s["returns"]["items"], s["returns"]["top1"]) == (2, 1.0)
    assert s["by_package"]["a"]["returns"]["top1"] == 1.0
    assert s["by_package"]["b"]["params"]["items"] == 0


# -- lift-lsp IR adapter -----------------------------------------------------------------
def _corpus(tmp_path: Path, source: str = SAMPLE) -> bench.Corpus:
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg/m.py", source)
        zf.writestr("pkg-1.0.dist-info/x.py", "def ignored(a: int) -> int: ...\n")
    workspace = tmp_path / "stripped"
    workspace.mkdir()
    return bench.build_corpus([wheel], workspace)


def _ir_function(fn: Function, types: dict[str, str | None], conf: float = 0.9) -> dict:
    def entry(t: str | None) -> dict:
        return {"type": t, "confidence": conf, "candidates": [{"type": t, "confidence": conf}]}

    params = []
    for p in fn.params:
        stars = {"var_positional": "*", "var_keyword": "**"}.get(p.kind, "")
        params.append({"name": stars + p.name, "kind": "x", **entry(types.get(p.name))})
    return {
        "qualname": fn.qualname.split("#")[0],
        "location": {"row": fn.def_row, "column": 5},
        "params": params,
        "returns": entry(types.get("return")),
    }


def _perfect_ir(corpus: bench.Corpus, absolute: bool = False) -> dict:
    truth = {i.key: i.annotation for i in corpus.items}
    files = []
    for path, functions in corpus.functions.items():
        out = []
        for fn in functions:  # overloads too, as lift-lsp reports every function
            names = [p.name for p in fn.params] + ["return"]
            types = {n: truth.get((path, fn.qualname, n)) for n in names}
            out.append(_ir_function(fn, types if not fn.skip else {}))
        shown = str(corpus.workspace / path) if absolute else path
        files.append({"path": shown, "functions": list(reversed(out))})
    return {"version": 1, "files": files, "errors": []}


def test_corpus_is_built_per_wheel_without_dist_info(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    assert corpus.files == 1
    assert list(corpus.functions) == ["pkg-1.0-py3-none-any/pkg/m.py"]
    assert (corpus.workspace / "pkg-1.0-py3-none-any/pkg/m.py").is_file()
    assert "exclude" in (corpus.workspace / "pyproject.toml").read_text()
    assert {i.package for i in corpus.items} == {"pkg"}
    assert corpus.skipped == {"overload": 2, "type_checking": 1}


@pytest.mark.parametrize("absolute", [False, True])
def test_perfect_ir_matches_every_item(tmp_path: Path, absolute: bool) -> None:
    corpus = _corpus(tmp_path)
    preds, info = bench.predictions_from_ir(_perfect_ir(corpus, absolute), corpus)
    assert info["functions_matched"] == info["functions_with_truth"] == 8
    s = bench.score_all(corpus.items, preds)
    for kind in ("params", "returns"):
        assert s[kind]["top1"] == 1.0, kind
        assert s[kind]["coverage"] == 1.0


def test_getter_and_setter_of_a_property_are_told_apart_by_row(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    path = next(iter(corpus.functions))
    getter, setter = [f for f in corpus.functions[path] if f.name == "label"]
    found = [
        {"qualname": "Box.label", "location": {"row": setter.first_row}, "id": "set"},
        {"qualname": "Box.label", "location": {"row": getter.def_row}, "id": "get"},
    ]
    matched = bench.match_functions([getter, setter], found)
    assert matched["Box.label"]["id"] == "get"
    assert matched["Box.label#2"]["id"] == "set"


def test_fake_lift_lsp_run(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    report = _perfect_ir(corpus)
    (tmp_path / "report.json").write_text(json.dumps(report))
    fake = tmp_path / "lift-lsp"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, pathlib\n"
        "assert sys.argv[1:] == ['ir', '.', '--format', 'json'], sys.argv\n"
        "assert 'PYTHONPATH' not in os.environ\n"
        "assert pathlib.Path.cwd() == pathlib.Path(os.environ['LIFT_WORKSPACE'])\n"
        f"print(open({str(tmp_path / 'report.json')!r}).read())\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    preds, info = bench.run_lift(corpus, str(fake), timeout=60)
    assert info["status"] == "ok", info
    assert info["maxrss_mb"] > 0
    assert preds is not None
    assert bench.score_all(corpus.items, preds)["returns"]["top1"] == 1.0


def test_missing_ir_command_is_reported_as_pending(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    fake = tmp_path / "lift-lsp"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "sys.stderr.write(\"lift-lsp: error: argument command: invalid choice: 'ir'\\n\")\n"
        "sys.exit(2)\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    preds, info = bench.run_lift(corpus, str(fake), timeout=60)
    assert preds is None
    assert info["status"].startswith("pending")
    preds, info = bench.run_lift(corpus, str(tmp_path / "nowhere"), timeout=60)
    assert preds is None
    assert info["status"].startswith("pending")


# -- pyright adapter (no pyright run) ----------------------------------------------------
def test_parse_callable_reads_pyright_signatures() -> None:
    shown = (
        '(self: Self@C, x: Unknown, y: int = 3, *args: str, z: dict[str, int] = {"a, b": 1}, '
        "**kw: Unknown) -> (int | None)"
    )
    params, returns = bench.parse_callable(shown)
    assert params == {
        "self": "Self@C",
        "x": "Unknown",
        "y": "int",
        "args": "str",
        "z": "dict[str, int]",
        "kw": "Unknown",
    }
    assert returns == "int | None"
    assert bench.parse_callable("(a, /, *, b: bool = True) -> None") == (
        {"a": None, "b": "bool"},
        "None",
    )
    assert bench.parse_callable("(x) -> ((y: Unknown) -> str)")[1] == "(y: Unknown) -> str"
    assert bench.parse_callable("property") is None
    assert bench.parse_callable("Overload[(x: int) -> int, (x: str) -> str]") is None


@pytest.mark.parametrize(
    ("shown", "is_async", "expected"),
    [
        ("Unknown", False, None),
        ("Unknown | None", False, None),
        ("None", False, "None"),
        ("str | Unknown", False, "str"),
        ("Literal['a', 'b'] | None", False, "str | None"),
        ("Literal[1, True]", False, "int | bool"),
        ("LiteralString", False, "str"),
        ("Self@Arrow", False, "Arrow"),
        ("list[T@f]", False, "list[T]"),
        ("CoroutineType[Any, Any, bytes]", True, "bytes"),
        ("CoroutineType[Any, Any, bytes]", False, "CoroutineType[Any, Any, bytes]"),
        ("NotImplementedType | bool", False, "bool"),
        ("list[Unknown]", False, "list[Unknown]"),
    ],
)
def test_pyright_types_as_annotations(shown: str, is_async: bool, expected: str | None) -> None:
    assert bench.pyright_type(shown, is_async) == expected


def test_probe_source_reveals_each_scored_function_in_its_scope() -> None:
    result = strip_source(SAMPLE)
    probed, rows = bench.probe_source(result.text, result.functions)
    ast.parse(probed)
    lines = probed.splitlines()
    shown = {fn.qualname: lines[row - 1].strip() for row, fn in rows.items()}
    assert shown["pick"] == "reveal_type(pick)"
    assert shown["pick.inner"] == "reveal_type(inner)"
    assert shown["Box.get"] == "reveal_type(get)"
    assert shown["Box.label"] == "reveal_type(self.label)"
    assert "Box.label#2" not in shown  # setters are not revealed
    assert "hidden" not in shown
    # The nested reveal stays inside `pick`, the outer one follows it at module level.
    inner_row = next(r for r, f in rows.items() if f.qualname == "pick.inner")
    outer_row = next(r for r, f in rows.items() if f.qualname == "pick")
    assert lines[inner_row - 1].startswith("    reveal_type")
    assert lines[outer_row - 1].startswith("reveal_type")
    assert inner_row < outer_row


def test_split_top_respects_brackets_and_quotes() -> None:
    assert bench.split_top("a: dict[str, int], b: Literal['x, y'], c") == [
        "a: dict[str, int]",
        " b: Literal['x, y']",
        " c",
    ]


def test_pyright_report_becomes_predictions(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    rel = next(iter(corpus.functions))
    text = (corpus.workspace / rel).read_text()
    _, rows = bench.probe_source(text, corpus.functions[rel])
    row = {fn.qualname: r for r, fn in rows.items()}
    folder = tmp_path / "probe"
    shown = {
        "pick": "(x: Unknown, y: Unknown | None = None, *args: Unknown, flag: bool = False) -> int",
        "Box.get": "(self: Self@Box, key: Unknown, /, *, default: Unknown | None = None)"
        " -> Self@Box",
        "Box.label": "Literal['x']",
        "Box.fetch": "(self: Self@Box, url: Unknown) -> CoroutineType[Any, Any, bytes]",
        "multi": "_lru_cache_wrapper[int]",
        "Box.__init__": "Overload[(self: Self@Box) -> None, (self: Self@Box, size: int) -> None]",
    }
    report = {
        "generalDiagnostics": [
            {
                "file": str(folder / rel),
                "severity": "information",
                "message": f'Type of "{"self.label" if q == "Box.label" else q}" is "{t}"',
                "range": {"start": {"line": row[q] - 1, "character": 0}},
            }
            for q, t in shown.items()
        ]
    }
    preds, info = bench.predictions_from_pyright(report, folder, corpus, {rel: rows})
    assert info["not_callable"] == 1

    def typed(qualname: str, name: str) -> str | None:
        pred = preds.get((rel, qualname, name))
        return pred.type if pred else None

    assert typed("pick", "flag") == "bool"
    assert typed("pick", "y") is None
    assert typed("pick", "return") == "int"
    assert typed("Box.get", "return") == "Box"
    assert typed("Box.label", "return") == "str"
    assert typed("Box.fetch", "return") == "bytes"
    assert typed("multi", "return") == "int"
    assert typed("Box.__init__", "return") is None


def test_an_overload_stub_is_not_taken_for_the_implementation(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    path = next(iter(corpus.functions))
    stubs = [f for f in corpus.functions[path] if f.name == "pick" and f.skip]
    impl = next(f for f in corpus.functions[path] if f.qualname == "pick" and not f.skip)
    only_stub = [{"qualname": "pick", "location": {"row": stubs[0].def_row}}]
    assert bench.match_functions([impl], only_stub) == {}
    # Without rows, definitions of one name are paired by rank.
    no_rows = [{"qualname": "Box.label", "id": 1}, {"qualname": "Box.label", "id": 2}]
    labels = [f for f in corpus.functions[path] if f.name == "label"]
    matched = bench.match_functions(labels, no_rows)
    assert (matched["Box.label"]["id"], matched["Box.label#2"]["id"]) == (1, 2)
