"""Intent: the docstring's first sentence, or a low-confidence guess from the name."""

from __future__ import annotations

import textwrap

import pytest

from lift_lsp.analysis.context import ModuleContext
from lift_lsp.analysis.intent import (
    DOCSTRING,
    NAME_CAP,
    PROTOCOL,
    SHORT_DOCSTRING,
    IntentFinding,
    extract_intent,
    first_sentence,
    split_name,
)
from lift_lsp.ir.model import HOLE_THRESHOLD
from lift_lsp.syntax.document import SourceDocument


def intent(src: str, name: str) -> IntentFinding:
    ctx = ModuleContext(SourceDocument(textwrap.dedent(src)), "m.py")
    unit = {u.qualname: u for u in ctx.functions()}[name]
    return extract_intent(unit)


def test_docstring_first_sentence_with_abbreviations() -> None:
    src = '''
        def f(x):
            """Compute the total, e.g. the sum of all parts.  Then more.

            Args:
                x: the parts.
            """
        '''
    assert intent(src, "f") == IntentFinding(
        "Compute the total, e.g. the sum of all parts.", DOCSTRING, "docstring"
    )


def test_google_section_without_blank_line_is_cut() -> None:
    src = '''
        def f(path):
            """
            parse a config file into
            a dictionary
            Args:
                path: where it is
            Returns:
                the mapping
            """
        '''
    found = intent(src, "f")
    assert found.summary == "Parse a config file into a dictionary."
    assert found.confidence == DOCSTRING


def test_rest_fields_and_roles() -> None:
    src = '''
        def f(user):
            """Return a new :class:`Arrow <arrow.arrow.Arrow>` for the given
            :class:`~datetime.datetime` of the user
            :param user: who
            :returns: the arrow
            """
        '''
    assert (
        intent(src, "f").summary
        == "Return a new Arrow for the given datetime.datetime of the user."
    )


def test_numpy_section_header_is_cut() -> None:
    doc = "Summarise the data set for the report\n\nParameters\n----------\nx : int\n"
    assert first_sentence(doc) == "Summarise the data set for the report."
    assert first_sentence("Parameters\n----------\nx : int") is None


def test_short_docstring_is_less_confident() -> None:
    src = '''
        def f():
            """Frobnicate."""
        '''
    assert intent(src, "f") == IntentFinding("Frobnicate.", SHORT_DOCSTRING, "docstring")


def test_placeholder_docstring_falls_back_to_the_name() -> None:
    src = '''
        def load_config(path):
            """TODO"""
            return open(path).read()
        '''
    found = intent(src, "load_config")
    assert found.evidence == "name"
    assert found.summary == "Load the config."


def test_split_name() -> None:
    assert split_name("parseHTTPResponse") == ["parse", "HTTP", "response"]
    assert split_name("_get_user_name2") == ["get", "user", "name", "2"]


@pytest.mark.parametrize(
    ("src", "name", "summary"),
    [
        ("def get_user_name(uid):\n    return db[uid]\n", "get_user_name", "Return the user name."),
        ("def load_config(path):\n    return read(path)\n", "load_config", "Load the config."),
        ("def is_prime(n):\n    return n > 1\n", "is_prime", "Whether n is prime."),
        ("def to_json(value):\n    return dump(value)\n", "to_json", "Convert value to json."),
        (
            "def celsius_to_fahrenheit(c):\n    return c * 1.8 + 32\n",
            "celsius_to_fahrenheit",
            "Convert celsius to fahrenheit.",
        ),
        ("def validate(config):\n    check(config)\n", "validate", "Validate the config."),
    ],
)
def test_name_based_summaries_stay_below_the_hole_threshold(
    src: str, name: str, summary: str
) -> None:
    found = intent(src, name)
    assert found.summary == summary
    assert found.confidence <= NAME_CAP < HOLE_THRESHOLD
    assert found.evidence in ("name", "name and body")


def test_clear_verb_object_name_with_a_small_body() -> None:
    found = intent("def load_config(path):\n    return read(path)\n", "load_config")
    assert found.confidence == pytest.approx(0.6)


def test_methods_use_the_class() -> None:
    src = """
        class Circle:
            def area(self):
                return 3.14 * self.r ** 2

            def is_empty(self):
                return self.r == 0

            @property
            def display_name(self):
                return "circle"

            def get_radius(self):
                return self.r
        """
    assert intent(src, "Circle.area").summary == "Return the area of the circle."
    assert intent(src, "Circle.is_empty").summary == "Whether the circle is empty."
    assert intent(src, "Circle.display_name").summary == "Return the display name of the circle."
    assert intent(src, "Circle.get_radius").summary == "Return the radius of the circle."


def test_body_that_disagrees_with_the_name_lowers_confidence() -> None:
    agrees = intent("def get_user(uid):\n    return db[uid]\n", "get_user")
    disagrees = intent("def get_user(uid):\n    db.load(uid)\n", "get_user")
    assert agrees.evidence == disagrees.evidence == "name and body"
    assert disagrees.confidence < agrees.confidence <= NAME_CAP


@pytest.mark.parametrize("name", ["run", "process", "handle", "do", "main", "f", "_helper"])
def test_single_generic_words_are_thin_evidence(name: str) -> None:
    found = intent(f"def {name}(items):\n    return items\n", name)
    assert found.confidence <= 0.5


def test_single_letter_has_no_summary() -> None:
    assert intent("def f(x):\n    return x\n", "f") == IntentFinding(None, 0.1, "none")


def test_stub_body_is_low_confidence() -> None:
    src = """
        class Base:
            def save_record(self, record):
                raise NotImplementedError
        """
    found = intent(src, "Base.save_record")
    assert found.summary == "Save the record."
    assert found.confidence <= 0.3
    assert found.evidence == "name and body"


def test_well_known_dunders_are_established_by_the_protocol() -> None:
    src = """
        class Circle:
            def __init__(self, r):
                self.r = r

            def __len__(self):
                return 1

            def __enter__(self):
                return self

            def __getattr__(self, name):
                return 1
        """
    assert intent(src, "Circle.__init__") == IntentFinding("Initialise a Circle.", PROTOCOL, "name")
    assert intent(src, "Circle.__len__").summary == "Return the number of items in the Circle."
    assert intent(src, "Circle.__enter__").confidence == PROTOCOL >= HOLE_THRESHOLD
    assert intent(src, "Circle.__getattr__").confidence <= 0.5


def test_private_and_public_names_are_treated_alike() -> None:
    public = intent("def load_config(p):\n    return p\n", "load_config")
    private = intent("def _load_config(p):\n    return p\n", "_load_config")
    assert (public.summary, public.confidence) == (private.summary, private.confidence)
