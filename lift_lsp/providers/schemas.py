"""The shapes constrained answers must have: one JSON schema per DSPy signature, and EBNF
grammars, all read from ``lift_lsp/grammars/``.

The same schema goes into the Modal request (the inference server constrains decoding
with it) and checks what comes back, so the two cannot drift apart. An answer is a JSON
object whose keys are the signature's output fields.

Schema files may point into ``ir.schema.json`` (``"$ref": "ir.schema.json#/$defs/..."``)
so that the IR's types and enums have one definition; :func:`schema_for` returns the schema
with those references resolved into a self-contained document, because inference servers
only follow references inside the document they were given.
"""

from __future__ import annotations

import copy
import json
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
    from jsonschema.protocols import Validator  # type: ignore[import-untyped]

#: DSPy signature name → schema file in ``lift_lsp/grammars/``.
SCHEMA_FILES: dict[str, str] = {
    "SuggestHoleFill": "suggest_hole_fill.schema.json",
    "InferTypeFromUsage": "infer_type_from_usage.schema.json",
    "ExtractIntentFromCode": "extract_intent_from_code.schema.json",
    "ExtractIntent": "extract_intent.schema.json",
    "DetectEffects": "detect_effects.schema.json",
    "DetectConstraints": "detect_constraints.schema.json",
    "IRToCode": "ir_to_code.schema.json",
    "PromptToIR": "prompt_to_ir.schema.json",
    "RefineIR": "refine_ir.schema.json",
}
#: Grammar names (``grammar("python_expression")``) are the ``.ebnf`` files' stems.
GRAMMAR_SUFFIX = ".ebnf"
_PACKAGE = "lift_lsp.grammars"


def _read(name: str) -> str:
    return resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")


@cache
def _document(name: str) -> dict[str, Any]:
    data = json.loads(_read(name))
    if not isinstance(data, dict):
        raise ValueError(f"{name}: a schema must be a JSON object")
    return data


def schema_for(signature_name: str) -> dict[str, Any] | None:
    """The self-contained JSON schema of ``signature_name``'s answer, or ``None`` if that
    signature has no schema. A fresh copy: callers may change it."""
    file = SCHEMA_FILES.get(signature_name)
    if file is None:
        return None
    return copy.deepcopy(_bundled(file))


@cache
def _bundled(file: str) -> dict[str, Any]:
    schema = copy.deepcopy(_document(file))
    bundler = _Bundler(dict(schema.get("$defs", {})))
    resolved: dict[str, Any] = bundler.resolve(schema)
    if bundler.defs:
        resolved["$defs"] = bundler.defs
    return resolved


class _Bundler:
    """Replaces ``other.json#/pointer`` references: a ``$defs`` entry is copied into
    ``defs`` (with what it refers to) and pointed at locally; any other target is inlined."""

    def __init__(self, own_defs: dict[str, Any]) -> None:
        self.defs = own_defs
        self._own = set(own_defs)

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return self._import(ref)
        return {key: self.resolve(value) for key, value in node.items()}

    def _import(self, ref: str) -> Any:
        file, _, pointer = ref.partition("#")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/") if p]
        if len(parts) == 2 and parts[0] == "$defs":
            self._definition(file, parts[1])
            return {"$ref": f"#/$defs/{parts[1]}"}
        target: Any = _document(file)
        for part in parts:
            target = target[part]
        return self._localise(file, copy.deepcopy(target))

    def _definition(self, file: str, name: str) -> None:
        if name in self._own:
            raise ValueError(f"$defs/{name} is defined both locally and in {file}")
        if name not in self.defs:
            self.defs[name] = {}  # placeholder first: a definition may refer to itself
            self.defs[name] = self._localise(file, copy.deepcopy(_document(file)["$defs"][name]))

    def _localise(self, file: str, node: Any) -> Any:
        """A fragment of ``file``: its ``#/$defs/X`` references need ``X`` here too."""
        if isinstance(node, list):
            return [self._localise(file, item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            self._definition(file, ref.removeprefix("#/$defs/"))
            return node
        return {key: self._localise(file, value) for key, value in node.items()}


@cache
def grammar(name: str) -> str:
    """The EBNF grammar ``grammars/<name>.ebnf`` (XGrammar / GBNF dialect)."""
    try:
        return _read(name + GRAMMAR_SUFFIX)
    except FileNotFoundError:
        raise KeyError(f"no grammar named {name!r}") from None


def validate(signature_name: str, obj: Any) -> list[str]:
    """Why ``obj`` is not a valid answer of ``signature_name``: one line per error, the
    most relevant first; empty when it is valid."""
    if signature_name not in SCHEMA_FILES:
        raise KeyError(f"no schema for {signature_name!r}")
    return errors(_validator(SCHEMA_FILES[signature_name]), obj)


def errors(validator: Validator, obj: Any) -> list[str]:
    """Every error of ``obj`` against ``validator``'s schema, the most relevant first."""
    from jsonschema.exceptions import best_match

    found = list(validator.iter_errors(obj))
    best = best_match(found)
    if best is None:
        return []
    return [describe(best), *(describe(e) for e in found if e is not best)]


def describe(error: ValidationError) -> str:
    """``at /suggestions/0/confidence: 1.5 is greater than the maximum of 1``."""
    path = "/".join(str(p) for p in error.absolute_path)
    return f"at /{path}: {error.message}"


def validator_for(schema: dict[str, Any]) -> Validator:
    """A Draft 2020-12 validator of ``schema``, cached by content (requests carry schemas
    as plain dicts). Raises ``jsonschema.SchemaError`` when ``schema`` is not a schema."""
    return _validator_from_text(json.dumps(schema, sort_keys=True))


@lru_cache(maxsize=64)
def _validator_from_text(text: str) -> Validator:
    # jsonschema costs ~80 ms to import: only answers that are checked pay for it.
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _validator(file: str) -> Validator:
    return validator_for(_bundled(file))
