"""A scripted model for the forward graph's tests, behind the fake Anthropic server.

DSPy's JSON adapter names a signature's output fields in the system prompt and its
inputs as ``[[ ## name ## ]]`` sections of the user turn; the answer is a JSON object
with the output fields. ``ForwardResponder`` reads which signature is asked and answers
it — a fixed body, an IR built from the signature hint, or whatever a test plugs in.
The tests at the bottom check that reading.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_OUTPUTS = re.compile(r"Your output fields are:\n(.*?)\nAll interactions", re.DOTALL)
_FIELD = re.compile(r"^\d+\. `(\w+)`", re.MULTILINE)
_SECTION = re.compile(
    r"\[\[ ## (\w+) ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond with|\Z)", re.DOTALL
)
SIGNATURES = {
    ("confidence", "intent"): "ExtractIntent",
    ("ir_json",): "PromptToIR",
    ("refined_ir_json",): "RefineIR",
    ("code",): "IRToCode",
}
Json = dict[str, Any]


def output_fields(body: Json) -> list[str]:
    found = _OUTPUTS.search(str(body.get("system") or ""))
    return _FIELD.findall(found.group(1)) if found else []


def signature_of(body: Json) -> str:
    return SIGNATURES.get(tuple(sorted(output_fields(body))), "unknown")


def inputs_of(body: Json) -> dict[str, str]:
    """The input sections of the first user turn (later turns are repair requests)."""
    turns = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = turns[0].get("content", "") if turns else ""
    if not isinstance(content, str):
        content = "".join(block.get("text", "") for block in content)
    return {name: value.strip("\n") for name, value in _SECTION.findall(content)}


def ir_for(header: str, *, confidence: float = 0.9, **overrides: Any) -> Json:
    """A valid FunctionIR for the function whose def line (and decorators) is ``header``."""
    source = header.strip()
    tree = ast.parse(source + "\n    ...\n")
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
    prov = {"source": "llm"}
    params: list[Json] = []
    args = fn.args

    def add(arg: ast.arg, kind: str) -> None:
        written = ast.unparse(arg.annotation) if arg.annotation is not None else "object"
        params.append(
            {
                "name": arg.arg,
                "kind": kind,
                "type": written,
                "confidence": confidence,
                "candidates": [],
                "provenance": prov,
            }
        )

    for a in args.posonlyargs:
        add(a, "positional_only")
    for a in args.args:
        add(a, "positional_or_keyword")
    if args.vararg:
        add(args.vararg, "var_positional")
    for a in args.kwonlyargs:
        add(a, "keyword_only")
    if args.kwarg:
        add(args.kwarg, "var_keyword")
    returns = ast.unparse(fn.returns) if fn.returns is not None else "object"
    ir: Json = {
        "qualname": fn.name,
        "location": {"row": 1, "column": 1},
        "intent": {
            "summary": f"Implement {fn.name}.",
            "confidence": confidence,
            "provenance": prov,
        },
        "params": params,
        "returns": {
            "type": returns,
            "confidence": confidence,
            "candidates": [],
            "provenance": prov,
        },
        "effects": [],
        "assertions": [],
        "holes": [],
    }
    ir.update(overrides)
    return ir


Answer = Callable[[dict[str, str]], Any]


@dataclass
class ForwardResponder:
    """Answers the forward signatures; each ``*_answer`` gets the request's inputs and
    returns the value of the output field (or a whole reply string when ``raw``)."""

    code: str | Answer = "    return 0\n"
    ir: Answer | None = None
    refined: Answer | None = None
    intent: str = "Do what the name says."
    #: Signatures asked, in order (repairs included).
    asked: list[str] = field(default_factory=list)
    #: Every request body, for assertions on what left the machine.
    bodies: list[Json] = field(default_factory=list)

    def __call__(self, body: Json) -> str:
        name = signature_of(body)
        self.asked.append(name)
        self.bodies.append(body)
        inputs = inputs_of(body)
        if name == "ExtractIntent":
            return json.dumps({"intent": self.intent, "confidence": 0.9})
        if name == "PromptToIR":
            ir = self.ir(inputs) if self.ir else ir_for(inputs["signature_hint"])
            return json.dumps({"ir_json": ir})
        if name == "RefineIR":
            if self.refined is None:
                raise AssertionError("RefineIR was not expected")
            return json.dumps({"refined_ir_json": self.refined(inputs)})
        if name == "IRToCode":
            code = self.code(inputs) if callable(self.code) else self.code
            return json.dumps({"code": code})
        raise AssertionError(f"unexpected request: {output_fields(body)}")


# -- the reading itself --------------------------------------------------------------

SYSTEM = """Your input fields are:
1. `ir_json` (str):
2. `def_line` (str): the def line to implement
Your output fields are:
1. `code` (str): the function's body, indented one level
All interactions will be structured in the following way."""


def test_reads_the_signature_and_the_inputs() -> None:
    body = {
        "system": SYSTEM,
        "messages": [
            {
                "role": "user",
                "content": "[[ ## ir_json ## ]]\n{}\n\n[[ ## def_line ## ]]\ndef f(a):\n"
                '    """Doc.\n\n    More."""\n\nRespond with a JSON object.',
            }
        ],
    }
    assert signature_of(body) == "IRToCode"
    assert inputs_of(body) == {
        "ir_json": "{}",
        "def_line": 'def f(a):\n    """Doc.\n\n    More."""',
    }


def test_ir_for_follows_the_signature() -> None:
    ir = ir_for("@staticmethod\ndef f(a, /, b: int = 1, *c, d, **e) -> str:")
    assert [(p["name"], p["kind"]) for p in ir["params"]] == [
        ("a", "positional_only"),
        ("b", "positional_or_keyword"),
        ("c", "var_positional"),
        ("d", "keyword_only"),
        ("e", "var_keyword"),
    ]
    assert ir["returns"]["type"] == "str"
    from lift_lsp.ir.model import FunctionIR

    FunctionIR.model_validate(ir)
