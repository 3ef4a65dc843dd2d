"""What a function is for, in one sentence: from its docstring, or guessed from its name.

* With a docstring: its first sentence (first paragraph up to the first ``. ``, without
  Google/NumPy/reST sections, fields, directives or doctests; whitespace collapsed;
  ending with a period).
* Without one: a sentence built from the name (``snake_case``/``camelCase`` words, a
  verb table, the class for methods, the first parameter as a subject) and hints from
  the body (returns a bool → "Whether …", a stub body → very low confidence).
* Dunder methods whose meaning the data model fixes get a fixed sentence.

Confidence numbers are heuristic strengths, not calibrated probabilities. They are
placed around the IR's hole threshold (0.7) on purpose:

* docstring: ``0.9``; ``0.7`` when the sentence has fewer than four words (terse
  docstrings still state intent, but little of it);
* well-known dunder methods: ``0.75`` (the protocol establishes the intent);
* everything guessed from a name stays below the threshold, capped at ``0.69``: a clear
  verb + object name ``0.6``, ±0.05 when the body agrees or ``-0.15`` when it disagrees
  (``get_x`` that returns nothing); a verb alone ``0.35-0.45``; single generic words
  (``run``, ``process``, ``main``, ``_helper``…) and other dunders ``0.3``; a stub body
  at most ``0.3``. Without documentation, intent is a guess and should become an
  intent hole.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from tree_sitter import Node

from lift_lsp.analysis.context import FunctionUnit
from lift_lsp.analysis.effects import own_nodes
from lift_lsp.holes.defs import ParamKind, decorator_names, is_generator, parameters
from lift_lsp.syntax.nodes import body_statements, definition_name, dotted_tail, owning_class

DOCSTRING = 0.9
SHORT_DOCSTRING = 0.7
PROTOCOL = 0.75
VERB_OBJECT = 0.6
NAME_CAP = 0.69
THIN = 0.3


@dataclass(frozen=True)
class IntentFinding:
    summary: str | None
    confidence: float
    evidence: str


def _words(names: str) -> list[str]:
    return names.split()


# -- docstrings ------------------------------------------------------------------------

_SECTION = re.compile(
    r"(args|arguments|parameters|params|other parameters|keyword args|keyword arguments|"
    r"returns?|return type|yields?|raises|exceptions?|examples?|notes?|attributes|"
    r"methods|see also|references|warnings?|warns|todo|usage)\s*:?",
    re.IGNORECASE,
)
_FIELD = re.compile(
    r"(:(param|parameter|arg|argument|key|keyword|kwarg|type|returns?|rtype|raises?|"
    r"except|exception|yields?|ytype|var|ivar|cvar|vartype|meta)\b[^:]*:|\.\. |>>>|@[a-z]+\b)"
)
_UNDERLINE = re.compile(r"[-=~^*]{3,}")
_ROLE = re.compile(r":[\w:.-]+:`~?([^`<]+?)\s*(?:<[^`]*>)?`")
_ABBREVIATIONS = frozenset({"e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "no.", "e.g.,"})
_PLACEHOLDER = re.compile(r"(todo|fixme|xxx|tbd|\.\.\.|docstring)\.?", re.IGNORECASE)


def first_sentence(docstring: str) -> str | None:
    """The docstring's first sentence, without sections, with a final period."""
    lines = inspect.cleandoc(docstring).splitlines()
    paragraph: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        following = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if not stripped:
            if paragraph:
                break
            continue
        if (
            _SECTION.fullmatch(stripped)
            or _FIELD.match(stripped)
            or _UNDERLINE.fullmatch(stripped)
            or _UNDERLINE.fullmatch(following)
        ):
            break
        paragraph.append(stripped)
    joined = _ROLE.sub(r"\1", " ".join(" ".join(paragraph).split()))
    if not joined or _PLACEHOLDER.fullmatch(joined):
        return None
    sentence = _cut_sentence(joined)
    if sentence.endswith(":"):
        sentence = sentence[:-1].rstrip()
    if not sentence.endswith((".", "!", "?")):
        sentence += "."
    return sentence[0].upper() + sentence[1:]


def _cut_sentence(paragraph: str) -> str:
    for match in re.finditer(r"[.!?](?=\s)", paragraph):
        end = match.end()
        word = paragraph[:end].rsplit(" ", 1)[-1].lower()
        if word in _ABBREVIATIONS or re.fullmatch(r"\(?[a-z]\.", word):
            continue
        return paragraph[:end]
    return paragraph


# -- names -----------------------------------------------------------------------------

# Letters beyond ASCII count as letters (``größe`` is one word): [^\W\d_] is "a letter".
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?(?:(?![A-Z])[^\W\d_])+|[A-Z]+|\d+")

_GENERIC = frozenset(
    _words(
        "run process handle do main f g h fn func function helper execute call go inner "
        "wrapper wrapped decorator callback cb impl worker foo bar baz method action "
        "apply perform invoke exec dispatch step task job work tmp temp cmd"
    )
)
#: Verbs written differently in the summary; every other known verb is capitalised.
_VERB_PHRASE = {
    "get": "Return",
    "calc": "Compute",
    "init": "Initialise",
    "initialize": "Initialise",
    "gen": "Generate",
    "del": "Delete",
    "rm": "Remove",
    "mk": "Make",
    "fmt": "Format",
    "iter": "Iterate over",
    "on": "Handle",
    "setup": "Set up",
    "teardown": "Tear down",
}
_VERBS = frozenset(
    _words(
        "get set load read parse write save build make create compute calculate calc "
        "validate check find update delete remove add send fetch render format convert "
        "print show display list iterate generate normalize normalise extract split join "
        "merge filter sort register resolve reset clear close open start stop connect "
        "disconnect download upload install uninstall configure emit log report collect "
        "gather scan search match replace encode decode serialize deserialize serialise "
        "dump dumps loads wrap unwrap copy clone count strip clean escape unescape quote "
        "unquote lookup query select insert append pop push verify ensure setup teardown "
        "prepare compile evaluate transform map reduce group flatten expand pack unpack "
        "patch notify watch listen serve refresh reload retry sync wait enable disable "
        "toggle mark attach detach bind unbind import export spawn kill terminate flush "
        "commit rollback lock unlock acquire release allocate cache hash sign compare "
        "diff echo warn raise require sanitize guess infer detect determine choose pick "
        "apply handle process run execute dispatch call invoke init initialize gen del "
        "rm mk fmt iter on humanize naturalize store restore "
        "translate localize activate deactivate describe explain summarize summarise "
        "visit walk traverse decorate accept reject approve submit post put sum"
    )
)
_QUESTION_VERBS = frozenset({"is", "has", "can", "should", "needs", "will", "does", "was"})
_CONNECTORS = frozenset(
    _words(
        "from to by with into for in on at of all each every any a an the once now again "
        "later always never safely quietly lazily eagerly recursively"
    )
)
#: Verbs whose first parameter reads naturally as their object (``validate(config)``).
_OBJECT_VERBS = frozenset(
    _words(
        "process handle validate check verify parse format convert render normalize normalise "
        "clean sanitize encode decode serialize serialise deserialize escape unescape quote "
        "unquote sort filter flatten send print show display register wrap unwrap dump copy "
        "transform apply execute run dispatch evaluate compile split strip hash sign "
        "humanize naturalize translate describe explain summarize summarise visit"
    )
)

#: Dunder methods whose meaning the data model fixes; ``{C}`` is the class name.
_DUNDERS = {
    "__init__": "Initialise {a} {C}.",
    "__new__": "Create a new {C} instance.",
    "__post_init__": "Finish initialising {a} {C} after the generated __init__.",
    "__repr__": "Return the developer-facing representation of the {C}.",
    "__str__": "Return the string form of the {C}.",
    "__format__": "Format the {C} according to a format spec.",
    "__eq__": "Whether the {C} equals another object.",
    "__ne__": "Whether the {C} differs from another object.",
    "__lt__": "Whether the {C} sorts before another object.",
    "__le__": "Whether the {C} sorts before or equal to another object.",
    "__gt__": "Whether the {C} sorts after another object.",
    "__ge__": "Whether the {C} sorts after or equal to another object.",
    "__hash__": "Return the hash of the {C}.",
    "__bool__": "Whether the {C} is truthy.",
    "__len__": "Return the number of items in the {C}.",
    "__iter__": "Iterate over the items of the {C}.",
    "__next__": "Return the next item of the iteration.",
    "__contains__": "Whether the {C} contains an item.",
    "__getitem__": "Return the item of the {C} at a key or index.",
    "__setitem__": "Set the item of the {C} at a key or index.",
    "__delitem__": "Delete the item of the {C} at a key or index.",
    "__enter__": "Enter the {C}'s context and return the context value.",
    "__exit__": "Exit the {C}'s context, releasing what it holds.",
    "__aenter__": "Enter the {C}'s asynchronous context.",
    "__aexit__": "Exit the {C}'s asynchronous context, releasing what it holds.",
    "__del__": "Finalise the {C} before it is garbage-collected.",
}


def split_name(name: str) -> list[str]:
    """``get_userName2`` → ``["get", "user", "name", "2"]``; acronyms keep their case."""
    words: list[str] = []
    for chunk in name.split("_"):
        for word in _CAMEL.findall(chunk):
            words.append(word if len(word) > 1 and word.isupper() else word.lower())
    return words


def _phrase(words: list[str]) -> str:
    return " ".join(words)


def _the(words: list[str]) -> str:
    """``the user name``, but ``from disk`` / ``all users`` without an article."""
    if not words:
        return ""
    if words[0] in _CONNECTORS:
        return _phrase(words)
    return f"the {_phrase(words)}"


# -- body hints ------------------------------------------------------------------------

_BOOL_CALLS = frozenset(
    _words(
        "isinstance issubclass hasattr callable all any bool startswith endswith exists "
        "is_file is_dir isdigit isalpha isalnum isspace islower isupper isidentifier"
    )
)


@dataclass
class _Body:
    returns_value: bool
    returns_bool: bool
    is_stub: bool
    is_generator: bool
    size: int


def _is_boolish(node: Node) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        kind = current.type
        if kind == "parenthesized_expression" and current.named_children:
            stack.append(current.named_children[0])
        elif kind == "boolean_operator":
            stack.extend(current.named_children)
        elif kind == "call":
            fn = current.child_by_field_name("function")
            if fn is None or dotted_tail(fn) not in _BOOL_CALLS:
                return False
        elif kind not in ("true", "false", "comparison_operator", "not_operator"):
            return False
    return True


def _body(unit: FunctionUnit) -> _Body:
    func = unit.node
    values: list[Node] = []
    size = 0
    for node in own_nodes(func):
        if node.type.endswith("_statement") or node.type == "expression_statement":
            size += 1
        if node.type == "return_statement" and node.named_children:
            value = node.named_children[0]
            if value.type != "none":
                values.append(value)
    ret = func.child_by_field_name("return_type")
    annotation = ret.text.decode() if ret is not None and ret.text is not None else None
    returns_bool = annotation == "bool" or (bool(values) and all(map(_is_boolish, values)))
    returns_value = bool(values) or (annotation not in (None, "None", "NoReturn", "Never"))
    return _Body(returns_value, returns_bool, _is_stub(func), is_generator(func), size)


def _is_stub(func: Node) -> bool:
    statements = [s for s in body_statements(func) if s.type != "comment"]
    if statements and statements[0].type == "expression_statement":
        first = statements[0].named_children
        if first and first[0].type in ("string", "concatenated_string"):
            statements = statements[1:]
    if not statements:
        return True
    for statement in statements:
        if statement.type == "pass_statement":
            continue
        if statement.type == "expression_statement":
            children = statement.named_children
            if len(children) == 1 and children[0].type == "ellipsis":
                continue
        if statement.type == "raise_statement" and statement.named_children:
            raised = statement.named_children[0]
            if dotted_tail(raised) == "NotImplementedError":
                continue
        return False
    return True


# -- the analysis ----------------------------------------------------------------------


def extract_intent(unit: FunctionUnit) -> IntentFinding:
    """The function's intent: its docstring's first sentence, or a guess from its name."""
    if unit.docstring:
        sentence = first_sentence(unit.docstring)
        if sentence is not None:
            words = len(sentence.split())
            return IntentFinding(sentence, SHORT_DOCSTRING if words < 4 else DOCSTRING, "docstring")
    return _from_name(unit)


def _class_name(unit: FunctionUnit) -> str | None:
    owner = owning_class(unit.node)
    return definition_name(owner) if owner is not None else None


def _subject_param(unit: FunctionUnit) -> str | None:
    """The first parameter that is not the receiver (``self``/``cls``) nor ``*args``."""
    params = parameters(unit.node)
    has_receiver = unit.is_method and "staticmethod" not in decorator_names(unit.node)
    for i, p in enumerate(params):
        if (has_receiver and i == 0) or p.name in ("self", "cls"):
            continue
        if p.kind in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD) or p.name[:1] == "_":
            return None
        return p.name
    return None


def _from_name(unit: FunctionUnit) -> IntentFinding:
    name = definition_name(unit.node)
    class_name = _class_name(unit)
    if name.startswith("__") and name.endswith("__") and len(name) > 4:
        template = _DUNDERS.get(name)
        shown = class_name or "object"
        if template is None:
            return IntentFinding(f"Implement the {name} protocol.", THIN, "name")
        article = "an" if shown[:1].lower() in "aeiou" else "a"
        return IntentFinding(template.format(C=shown, a=article), PROTOCOL, "name")

    words = split_name(name)
    body = _body(unit)
    is_property = bool(decorator_names(unit.node) & {"property", "cached_property"})
    summary, confidence, used_body = _guess(
        words, class_name, _subject_param(unit), body, is_property=is_property
    )
    if summary is None:
        return IntentFinding(None, 0.1, "none")
    if body.is_stub:
        confidence, used_body = min(confidence, THIN), True
    elif body.size > 25:
        confidence -= 0.05
    confidence = round(max(0.05, min(confidence, NAME_CAP)), 2)
    return IntentFinding(summary, confidence, "name and body" if used_body else "name")


def _guess(
    words: list[str],
    class_name: str | None,
    param: str | None,
    body: _Body,
    *,
    is_property: bool = False,
) -> tuple[str | None, float, bool]:
    """(summary, confidence, whether the body was used) for a name split into words."""
    if not words or (len(words) == 1 and len(words[0]) == 1):
        return None, 0.1, False
    owner = _phrase(split_name(class_name)) if class_name else None
    subject = f"the {owner}" if owner else param
    verb, rest = words[0], words[1:]
    if is_property and verb not in _QUESTION_VERBS:
        return _noun(words, owner, body)
    # The object of a verb used alone: the class, or the first parameter if it reads so.
    target = (
        f"the {owner}" if owner else (f"the {param}" if param and verb in _OBJECT_VERBS else None)
    )

    if verb in _QUESTION_VERBS and rest:
        who = subject or "it"
        confidence = VERB_OBJECT if subject else 0.5
        agrees = body.returns_bool
        confidence += 0.05 if agrees else (-0.15 if not body.returns_value else 0.0)
        return f"Whether {who} {verb} {_phrase(rest)}.", confidence, True

    if verb in ("to", "as") and rest:
        target = _phrase(rest)
        return f"Convert {subject or 'the value'} to {target}.", VERB_OBJECT, False
    if verb == "from" and rest:
        made = f"{'an' if (owner or 'o')[0] in 'aeiou' else 'a'} {owner}" if owner else "it"
        return f"Create {made} from {_phrase(rest)}.", VERB_OBJECT, False

    if len(words) == 1 and verb in _GENERIC:
        if verb == "main":
            return "Run the program's main entry point.", THIN, False
        if not target or verb not in _VERBS:
            return None, 0.1, False
        head = _VERB_PHRASE.get(verb, verb.capitalize())
        return f"{head} {target}.", THIN + 0.05, False

    if verb in _VERBS:
        head = _VERB_PHRASE.get(verb, verb.capitalize())
        used_body = False
        if rest:
            obj = _the(rest)
            if verb == "get":
                obj += _of(owner, rest)
            confidence = VERB_OBJECT
        elif target:
            obj = target
            confidence = 0.45
        else:
            return f"{head}.", 0.35, False
        if verb == "get":
            used_body = True
            confidence += 0.05 if body.returns_value else -0.15
        if verb in ("check", "validate", "verify") and body.returns_bool:
            return f"Check whether {obj} is valid.", confidence + 0.05, True
        return f"{head} {obj}.", confidence, used_body

    # No verb: a noun phrase (``area``, ``user_count``) or ``x_to_y``.
    if "to" in words[1:-1]:
        i = words.index("to", 1)
        left, right = _phrase(words[:i]), _phrase(words[i + 1 :])
        return f"Convert {left} to {right}.", VERB_OBJECT, False
    return _noun(words, owner, body)


def _noun(words: list[str], owner: str | None, body: _Body) -> tuple[str | None, float, bool]:
    """``area`` of a ``Circle`` that returns something: "Return the area of the circle."."""
    if len(words) == 1 and words[0] in _GENERIC:
        return None, 0.1, False
    confidence = 0.4 if len(words) == 1 and not owner else 0.5
    if body.returns_bool:
        return f"Whether {_phrase(words)}.", confidence, True
    if body.returns_value:
        return f"Return the {_phrase(words)}{_of(owner, words)}.", confidence + 0.05, True
    if body.is_generator:
        return f"Yield the {_phrase(words)}{_of(owner, words)}.", confidence, True
    return None, 0.1, False


def _of(owner: str | None, words: list[str]) -> str:
    """`` of the circle`` for a method, unless the name already speaks of the class."""
    if not owner or set(owner.lower().split()) & {w.lower() for w in words}:
        return ""
    return f" of the {owner}"
