"""Hole fills on the local route: candidates, type fit, ranking, validation, the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lift_lsp.holes.analysis import Analysis
from lift_lsp.suggest.analogy import swap_words, word_map
from lift_lsp.suggest.engine import Suggestion, parses_in_place, suggest
from lift_lsp.suggest.nearby import free_names
from lift_lsp.suggest.ranker import NONE, Ranker
from lift_lsp.suggest.renamed import rename
from lift_lsp.suggest.typecompat import conflicts, fits, split_union
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
    assert top[0] == "c"  # a Circle where a Shape is wanted
    assert top.index("n") > top.index("c")  # an int does not fit


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
    top = fills(src)
    assert "self.client.timeout" in top
    assert top.index("self.client.timeout") < top.index("self.client")  # float, not Client


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


def test_confidences_are_calibrated_shares_and_carry_the_ranker_version() -> None:
    src = """
    def f(a: int, b: int) -> int:
        return ...
    """
    analysis = Analysis(SourceDocument(textwrap.dedent(src)), "m.py")
    result = suggest(analysis, analysis.holes[0].start, ranker=Ranker(version="ranker-7"))
    confidences = [s.confidence for s in result.suggestions]
    assert confidences == sorted(confidences, reverse=True)
    # The built-in ranker keeps a share for "none of these": the rest is what the fills get.
    assert 0 < sum(confidences) < 1
    assert {s.provenance["program_version"] for s in result.suggestions} == {"ranker-7"}
    # A ranker without that weight shares everything among the fills.
    plain = Ranker(version="ranker-8", weights={"type_fit": 1.0})
    result = suggest(analysis, analysis.holes[0].start, ranker=plain, limit=1000)
    assert 0.99 <= sum(s.confidence for s in result.suggestions) <= 1.01


def suggest_cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``lift-lsp suggest ARGS`` run in ``folder``."""
    return subprocess.run(
        [sys.executable, "-m", "lift_lsp", "suggest", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_cli_suggest_follows_the_contract(tmp_path: Path) -> None:
    (tmp_path / "geo.py").write_text("def area(r: float) -> float:\n    return ...\n")
    proc = suggest_cli(tmp_path, "geo.py:2:14", "geo.py:1:1", "--format", "json")
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
    assert suggest_cli(tmp_path, "geo.py").returncode == 2


def test_comprehension_variables_are_in_scope_of_the_element() -> None:
    src = """
    def names(items: list[str]) -> list[str]:
        return [... for item in items]
    """
    assert fills(src)[0] == "item"


# -- what the code around the hole writes (suggest/nearby.py) ---------------------------
def suggestions(src: str, occurrence: int = -1, **kwargs: object) -> list[Suggestion]:
    src = textwrap.dedent(src)
    analysis = Analysis(SourceDocument(src), "m.py")
    hole = analysis.holes[occurrence]
    return suggest(analysis, hole.start, limit=1000, **kwargs).suggestions  # type: ignore[arg-type]


def test_expressions_written_nearby_are_offered() -> None:
    src = """
    import os

    def config_path(root: str) -> str:
        return os.path.join(root, "setup.cfg")

    def load(root: str) -> str:
        text = open(os.path.join(root, "setup.cfg")).read()
        return ...
    """
    assert 'os.path.join(root, "setup.cfg")' in fills(src, -1, limit=1000)


def test_the_hole_itself_is_never_among_what_is_written() -> None:
    # The only place `os.path.join(root, name)` was written is where the hole now is.
    src = """
    import os

    def full(root: str, name: str) -> str:
        return ...
    """
    assert not any("join" in t for t in fills(src, -1, limit=1000))


def test_expressions_whose_names_are_not_visible_are_not_offered() -> None:
    src = """
    def first(items: list[str]) -> str:
        return items[0].strip()

    def second(values: list[str]) -> str:
        return ...
    """
    top = fills(src, -1, limit=1000)
    assert "items[0].strip()" not in top  # `items` is not in scope in `second`
    assert "values" in top


def test_what_stood_in_the_same_slot_elsewhere_comes_first() -> None:
    src = """
    def fetch(url, timeout):
        ...

    def a(url, delay, limit):
        fetch(url, limit)
        fetch(url, delay)

    def b(url, delay, limit):
        fetch(url, ...)
    """
    got = suggestions(src)
    by_text = {s.text: s for s in got}
    assert by_text["delay"].features.get("slot", 0) > 0
    assert by_text["limit"].features.get("slot", 0) > 0
    assert "url" in by_text
    assert "slot" not in by_text["url"].features
    assert got[0].text in ("delay", "limit")


def test_the_pattern_of_neighbouring_keywords_is_followed() -> None:
    src = """
    def run(args, configure):
        configure(verbose=args.verbose, color=..., quiet=args.quiet)
    """
    top = fills(src, -1, limit=1000)
    assert "args.color" in top
    assert top.index("args.color") < 3


def test_a_neighbours_value_follows_the_word_its_key_changes() -> None:
    src = """
    from pathlib import Path

    class Dirs:
        def __init__(self, user_root, site_root):
            self.user_dir = Path(user_root, "data")
            self.site_dir = ...
    """
    got = suggestions(src)
    texts = [s.text for s in got]
    made = texts.index('Path(site_root, "data")')
    assert made < 5  # behind `site_root` itself, which nothing has read yet
    assert made < texts.index('Path(user_root, "data")')
    assert got[made].features.get("neighbour") == 1.0
    src_unknown = src.replace("site_root):", "system_root):")  # `site_root` is nowhere
    assert 'Path(site_root, "data")' not in [s.text for s in suggestions(src_unknown)]


def test_subscript_targets_are_named_by_their_key() -> None:
    src = """
    def parts_of(dt):
        parts = {}
        parts["year"] = dt.year
        parts["month"] = ...
        return parts
    """
    got = suggestions(src)
    assert got[0].text == "dt.month"
    assert got[0].features.get("neighbour") == 1.0


def test_calls_get_their_arguments_from_the_scope() -> None:
    src = """
    class Conn: ...

    def connect(host: str, port: int, *, timeout: float = 1.0) -> Conn: ...

    def main(host: str, port: int, timeout: float) -> Conn:
        return ...
    """
    top = fills(src, -1, limit=1000)
    assert "connect(host, port)" in top  # by name
    assert "connect(host, port, timeout=timeout)" in top  # a keyword passed through
    assert "connect(..., ...)" in top  # the refinement fit is still there


def test_an_argument_is_taken_by_type_when_one_variable_fits() -> None:
    src = """
    class Shape: ...

    def area(shape: Shape) -> float: ...

    def report(item: Shape, label: str) -> float:
        return ...
    """
    assert "area(item)" in fills(src, -1, limit=1000)


def test_methods_of_a_variable_of_a_module_class() -> None:
    src = """
    class Source:
        def read(self, name: str) -> bytes: ...

    def load(source: Source, name: str) -> bytes:
        return ...
    """
    assert "source.read(name)" in fills(src, -1, limit=1000)


def test_a_variable_not_read_yet_is_likely_the_fill() -> None:
    src = """
    def total(prices: list[float], tax: float) -> float:
        subtotal = sum(prices)
        shipping = 4.0
        print(subtotal)
        return subtotal + ...
    """
    got = {s.text: s for s in suggestions(src)}
    assert got["shipping"].features.get("unread") == 1.0
    assert "unread" not in got["subtotal"].features  # read by `print(subtotal)`
    assert got["tax"].features.get("unread") == 1.0


def test_properties_of_the_class_and_its_bases() -> None:
    src = """
    class Base:
        @property
        def data_dir(self) -> str:
            return "/data"

    class Unix(Base):
        def cache(self) -> str:
            return ...
    """
    assert "self.data_dir" in fills(src, -1, limit=1000)


def test_one_argument_calls_of_the_code_around_on_nearby_variables() -> None:
    src = """
    def show(code: int) -> str:
        return str(code)

    def fail(error: Exception) -> str:
        return ...
    """
    assert "str(error)" in fills(src, -1, limit=1000)


def test_imported_names_and_none_are_candidates() -> None:
    src = """
    from pathlib import Path

    def pick(kind):
        handler = ...
        return handler
    """
    top = fills(src, -1, limit=1000)
    assert "Path" in top
    assert "None" in top


def test_every_suggestion_passes_the_parse_gate() -> None:
    src = """
    import os

    def a(root: str, names: list[str]) -> list[str]:
        joined = [os.path.join(root, n) for n in names if n]
        return sorted(joined, key=lambda p: (len(p), p))

    def b(root: str, names: list[str]) -> list[str]:
        x = ...
        return x
    """
    got = suggestions(src)
    assert len(got) > 5
    assert all(parses_in_place(s.text, as_statement=False) for s in got)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("os.path.join(root, name)", {"os", "root", "name"}),
        ("f(x, key=value)", {"f", "x", "value"}),
        ('f"{user.name!r} has {count:>4}"', {"user", "count"}),
        ("[n for n in names if n]", {"names"}),
        ("lambda p: (len(p), p)", {"len"}),
        ("'a b' + x.y", {"x"}),
        ("1e5 + 0x1F + n", {"n"}),
        ("not (a is None)", {"a"}),
    ],
)
def test_free_names_of_an_expression(expr: str, names: set[str]) -> None:
    assert free_names(expr) == names


def test_none_of_these_takes_a_share_when_the_ranker_has_it() -> None:
    rows = [{"type_fit": 1.0}, {"type_fit": 0.0}]
    plain = Ranker(weights={"type_fit": 1.0})
    assert sum(plain.probabilities(rows)) == pytest.approx(1.0)
    assert sum(plain.probabilities(rows, {NONE: 1.0})) == pytest.approx(1.0)  # no weight
    calibrated = Ranker(weights={"type_fit": 1.0, NONE: 1.0})
    probs = calibrated.probabilities(rows, {NONE: 1.0})
    assert probs[0] > probs[1]
    assert sum(probs) == pytest.approx((math.e + 1) / (2 * math.e + 1))


def test_fitting_moves_only_what_the_feedback_speaks_about() -> None:
    start = Ranker(weights={"name_sim": 2.0, "kind_literal": -1.0, "recency": 0.5})
    # Feedback always takes the more recent of two fills; literals never appear.
    groups = [[({"recency": 1.0}, True), ({"recency": 0.5}, False)] for _ in range(40)]
    fitted = start.fit(groups)
    assert fitted.weights["recency"] > 0.5
    assert fitted.weights["name_sim"] == 2.0
    assert fitted.weights["kind_literal"] == -1.0


@pytest.mark.parametrize(
    ("actual", "expected", "sure"),
    [
        ("str", "float", True),
        ("str | None", "int", True),
        ("Circle", "float", True),  # a class of the module is no float
        ("int", "float", False),  # fits
        ("StrPath", "str", False),  # an alias: the fit may have misread it
        ("Sequence[str]", "list", False),
        (None, "str", False),
    ],
)
def test_sure_type_conflicts(actual: str | None, expected: str, sure: bool) -> None:
    assert conflicts(actual, expected, lambda name: name == "Circle") is sure


def test_a_sentinel_ellipsis_gets_fills_only_on_request(tmp_path: Path) -> None:
    src = "def check(value: object, kind: type) -> bool:\n    return isinstance(value, ...)\n"
    analysis = Analysis(SourceDocument(src), "m.py")
    at = src.index("...")
    assert suggest(analysis, at).hole is None  # a diagnostic-only caller sees no hole
    result = suggest(analysis, at, on_request=True)
    assert result.hole is not None
    assert result.hole.name == "check@2:30"
    assert "kind" in [s.text for s in result.suggestions[:3]]

    (tmp_path / "m.py").write_text(src)
    proc = suggest_cli(tmp_path, "m.py:2:30", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (entry,) = json.loads(proc.stdout)["results"]
    assert entry["hole"] == {"kind": "expression", "name": "check@2:30", "expected_type": None}
    assert entry["suggestions"][0]["text"] == result.suggestions[0].text


@pytest.mark.parametrize(
    ("expr", "old", "new", "made"),
    [
        ("int(value)", "value", "number", "int(number)"),
        ("end.day + end.month", "end", "start", "start.day + start.month"),
        ("f(value, value=value)", "value", "x", "f(x, value=x)"),  # the keyword stays
        ("obj.value(value)", "value", "x", "obj.value(x)"),  # the attribute stays
        ('d["value"] or value', "value", "x", 'd["value"] or x'),  # a string stays
        ('f"{value}"', "value", "x", None),  # inside an f-string field: not rewritten
        ("values[value_index]", "value", "x", "values[value_index]"),  # whole names only
    ],
)
def test_renaming_touches_the_variable_only(
    expr: str, old: str, new: str, made: str | None
) -> None:
    assert rename(expr, old, new) == made


def test_a_shape_written_elsewhere_is_offered_with_a_variable_in_scope() -> None:
    src = """
    def first(value):
        return int(value)

    def second(text: str):
        number = float(text)
        whole = ...
        return whole
    """
    got = fills(src, limit=100)
    assert "int(number)" in got
    assert "int(text)" in got
    assert "int(value)" not in got  # `value` cannot be read in `second`


def test_a_variable_out_of_reach_is_swapped_for_one_alike() -> None:
    src = """
    class Writer:
        def write(self, path, stream):
            return self.write_to_fs(path, stream)

        def copy(self, path_, stream):
            return ...
    """
    got = fills(src, limit=5)
    assert "self.write_to_fs(path_, stream)" in got


@pytest.mark.parametrize(
    ("sibling", "name", "words"),
    [
        ("user_state_path", "site_state_path", {"user": "site"}),
        ("find_config_files", "find_cache_files", {"config": "cache"}),
        ("_user_dir", "_site_dir", {"user": "site"}),
        ("user_state_path", "state_path", None),  # other word counts
        ("user_state_path", "user_state_path", None),  # the same name
        ("a_b_c", "x_y_z", None),  # three words changed: not parallel
        ("_copy_items", "_bench_hole", None),  # nothing in common
        ("user_data_dir", "site_config_dir", None),  # more changed than kept
    ],
)
def test_parallel_names_differ_by_a_word_or_two(
    sibling: str, name: str, words: dict[str, str] | None
) -> None:
    assert word_map(sibling, name) == words


def test_swapped_words_keep_their_case_and_whole_words() -> None:
    text = 'Path(self.user_dir, env="XDG_USER_HOME", title="User", users=1)'
    assert swap_words(text, {"user": "site"}) == (
        'Path(self.site_dir, env="XDG_SITE_HOME", title="Site", users=1)'
    )


PARALLEL = """
from pathlib import Path


class Dirs:
    @property
    def user_state_dir(self) -> str:
        return "~/.local/state"

    @property
    def site_state_dir(self) -> str:
        return "/var/lib"

    @property
    def user_state_path(self) -> Path:
        return Path(self.user_state_dir)

    @property
    def site_state_path(self) -> Path:
        return Path(...)
"""


def test_a_parallel_definition_gives_the_fill() -> None:
    src = textwrap.dedent(PARALLEL)
    analysis = Analysis(SourceDocument(src), "m.py")
    result = suggest(analysis, src.rindex("..."), on_request=True)
    assert result.suggestions[0].text == "self.site_state_dir"
    assert result.suggestions[0].features.get("analogy") == 1.0
    # Also found as a property of the class: the first way found gives the rationale.
    assert result.suggestions[0].rationale == "property of Dirs, type str"


def test_no_parallel_fill_names_what_the_module_never_writes() -> None:
    src = textwrap.dedent(PARALLEL).replace("site_state_dir", "system_state_dir", 1)
    analysis = Analysis(SourceDocument(src), "m.py")
    result = suggest(analysis, src.rindex("..."), on_request=True, limit=200)
    assert "self.site_state_dir" not in [s.text for s in result.suggestions]


def test_a_parallel_definition_fills_a_body_hole_with_what_it_returns() -> None:
    src = textwrap.dedent(PARALLEL).replace("return Path(...)", "...")
    analysis = Analysis(SourceDocument(src), "m.py")
    (hole,) = [h for h in analysis.holes if h.is_body]
    got = [s.text for s in suggest(analysis, hole.start).suggestions]
    assert got[0] == "return Path(self.site_state_dir)"
    assert "return self.site_state_path" not in got  # the property returning itself


def test_a_method_is_never_its_own_fill() -> None:
    src = """
    class Circle:
        def __init__(self, radius: float) -> None:
            self.radius = radius

        @property
        def area(self) -> float:
            return ...
    """
    got = fills(src, limit=100)
    assert "self.area" not in got
    assert "self.radius" in got


def test_a_parallel_fill_keeps_the_siblings_spaces_inside_a_line() -> None:
    src = """
    def user_greeting() -> str:
        return "Hello,  user"

    def site_greeting() -> str:
        return ...
    """
    assert '"Hello,  site"' in fills(src, limit=5)


def _features(src: str) -> dict[str, dict[str, float]]:
    src = textwrap.dedent(src)
    analysis = Analysis(SourceDocument(src), "m.py")
    offset = src.index("...")
    result = suggest(analysis, offset, limit=50, on_request=True)
    return {s.text: s.features for s in result.suggestions}


def test_a_fill_that_repeats_the_statement_is_marked_as_an_echo() -> None:
    feats = _features(
        """
        import os
        def check(pyproject: str, setup_py: str) -> bool:
            return not os.path.exists(...) and not os.path.exists(setup_py)
        """
    )
    assert feats["setup_py"].get("echo") == 1.0  # `exists(setup_py)` twice
    assert "echo" not in feats["pyproject"]
    feats = _features(
        """
        def pair(left: int, right: int) -> tuple[int, int]:
            return max(left, ...), 0
        """
    )
    assert feats["left"].get("echo") == 1.0  # `max(left, left)`
    assert "echo" not in feats["right"]
    feats = _features(
        """
        def entry(path: str) -> tuple[str, None, None]:
            return (path, None, None)
        def make(path: str) -> object:
            return entry(path, None, ...)
        """
    )
    assert "echo" not in feats["None"]  # constants do repeat: `Entry(path, None, None)`


def test_a_parallel_branch_gives_what_it_stores_in_the_same_place() -> None:
    src = """
    def parse(token: str, value: str, parts: dict[str, object]) -> None:
        if token == "YYYY":
            parts["year"] = int(value)
        elif token == "MM":
            parts["month"] = ...
        elif token == "DD":
            parts["day"] = int(value)
    """
    assert fills(src)[0] == "int(value)"
    assert _features(src)["int(value)"].get("neighbour") == 1.0
    # Only stores into the same place count: `year = int(value)` is another place.
    other = src.replace('parts["day"]', "day").replace('parts["year"]', "year")
    assert "neighbour" not in _features(other)["int(value)"]


def test_the_same_value_is_not_offered_from_a_statement_next_to_the_hole() -> None:
    feats = _features(
        """
        def parse(value: str, parts: dict[str, object]) -> None:
            parts["year"] = int(value)
            parts["month"] = ...
        """
    )
    assert "neighbour" not in feats["int(value)"]
