"""Standard-library signatures from the typeshed copy that ``typeshed_client`` ships.

Used by type inference: what an argument passed to ``os.path.join`` must be, what
``json.dumps`` returns, which builtin classes have a method called ``startswith``.
Stubs are parsed with tree-sitter on first use and kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Node

from lift_lsp.holes.defs import ModuleIndex, Param, parameters, return_annotation
from lift_lsp.syntax.document import SourceDocument
from lift_lsp.syntax.nodes import text, walk

# typeshed's private aliases, as user code would write them.
ALIASES = {
    "StrPath": "str | Path",
    "StrOrBytesPath": "str | Path",
    "FileDescriptorOrPath": "str | Path",
    "GenericPath": "str | Path",
    "SupportsIndex": "int",
    "ReadableBuffer": "bytes",
    "WriteableBuffer": "bytearray",
    "SupportsKeysAndGetItem": "Mapping",
    "SupportsRichComparison": None,
    "Incomplete": None,
    "Unused": None,
    "LiteralString": "str",
    "AnyStr": "str",
    "Any": None,
    "Never": None,
    "NoReturn": None,
}
_PRIVATE = re.compile(r"(?<![\w.])_\w*")
BUILTIN_CLASSES = (
    "str", "bytes", "bytearray", "int", "float", "complex", "bool", "list", "dict", "set",
    "frozenset", "tuple",
)  # fmt: skip


@dataclass
class _Stub:
    index: ModuleIndex
    #: ``from genericpath import exists as exists`` → {"exists": ("genericpath", "exists")}
    reexports: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: ``from posixpath import *``
    star: list[str] = field(default_factory=list)


_WINDOWS_ONLY = frozenset({"ntpath", "nt", "winreg", "msvcrt", "_winapi"})


@cache
def _load(module: str) -> _Stub | None:
    from importlib import resources  # first use only: keeps server start-up light

    base = resources.files("typeshed_client") / "typeshed"
    parts = module.split(".")
    candidates = (
        base.joinpath(*parts[:-1], f"{parts[-1]}.pyi"),
        base.joinpath(*parts, "__init__.pyi"),
    )
    for candidate in candidates:
        try:
            data = candidate.read_bytes()
        except (FileNotFoundError, NotADirectoryError, OSError):
            continue
        doc = SourceDocument(data)
        loaded = _Stub(ModuleIndex.build(doc.tree.root_node))
        _read_reexports(loaded, doc.tree.root_node, module)
        return loaded
    return None


def _read_reexports(loaded: _Stub, root: Node, module: str) -> None:
    for node in walk(root):
        if node.type != "import_from_statement":
            continue
        source = node.child_by_field_name("module_name")
        name = text(source) if source is not None else ""
        if not name or name.startswith(".") or name == module or name in _WINDOWS_ONLY:
            continue
        if any(c.type == "wildcard_import" for c in node.children):
            loaded.star.append(name)
            continue
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) != "name":
                continue
            if child.type == "dotted_name":
                loaded.reexports.setdefault(text(child), (name, text(child)))
            elif child.type == "aliased_import":
                original = child.child_by_field_name("name")
                alias = child.child_by_field_name("alias")
                if original is not None and alias is not None:
                    loaded.reexports.setdefault(text(alias), (name, text(original)))


def _find(module: str, name: str, depth: int = 0) -> tuple[str, list[Node] | None, bool]:
    """Where ``module.name`` is defined: (defining module, function overloads, is a class)."""
    loaded = _load(module)
    if loaded is None or depth > 4:
        return module, None, False
    if name in loaded.index.functions:
        return module, loaded.index.functions[name], False
    if name in loaded.index.classes:
        return module, None, True
    if name in loaded.reexports:
        other, original = loaded.reexports[name]
        return _find(other, original, depth + 1)
    for other in loaded.star:
        found = _find(other, name, depth + 1)
        if found[1] is not None or found[2]:
            return found
    return module, None, False


def stub(module: str) -> ModuleIndex | None:
    """The definitions written in a stdlib module's stub (``json``, ``builtins``)."""
    loaded = _load(module)
    return loaded.index if loaded is not None else None


def public_type(annotation: str | None) -> str | None:
    """An annotation as user code could write it: aliases expanded, TypeVars dropped."""
    if annotation is None:
        return None
    annotation = annotation.strip()
    if annotation in ALIASES:
        return ALIASES[annotation]
    for alias, expansion in ALIASES.items():
        if alias in annotation and expansion is not None:
            annotation = re.sub(rf"\b{alias}\b", expansion, annotation)
    if _PRIVATE.search(annotation) or "Self" in annotation:
        return None
    return annotation


def function_overloads(module: str, name: str) -> list[Node]:
    """Overloads of a function, or of a class's constructor."""
    where, funcs, is_cls = _find(module, name)
    if funcs is not None:
        return funcs
    if is_cls:
        index = stub(where)
        info = index.classes.get(name) if index is not None else None
        if info is not None:
            return info.methods.get("__init__") or info.methods.get("__new__") or []
    return []


def is_class(module: str, name: str) -> bool:
    return _find(module, name)[2]


def returns_of(module: str, name: str) -> str | None:
    """What calling ``module.name`` gives (a class gives itself), if the stub is clear."""
    _, funcs, is_cls = _find(module, name)
    if is_cls:
        return name
    if not funcs:
        return None
    answers = [public_type(return_annotation(f)) for f in funcs]
    distinct = {a for a in answers if a is not None}
    if len(distinct) == 1:
        return distinct.pop()
    # Overloads disagree: the first is the common case (str before bytes).
    return next((a for a in answers if a is not None), None)


def params_of(module: str, name: str) -> list[Param] | None:
    overloads = function_overloads(module, name)
    if not overloads:
        return None
    params = parameters(overloads[0])
    return params[1:] if is_class(module, name) else params


def method_return(class_name: str, method: str, module: str = "builtins") -> str | None:
    index = stub(module)
    info = index.classes.get(class_name) if index is not None else None
    if info is None:
        return None
    answers = {public_type(return_annotation(f)) for f in info.methods.get(method, [])}
    answers.discard(None)
    return answers.pop() if len(answers) == 1 else None


@cache
def classes_with_method(method: str) -> tuple[str, ...]:
    """The builtin classes (and ``Path``) that define ``method``."""
    found: list[str] = []
    builtins = stub("builtins")
    if builtins is not None:
        for name in BUILTIN_CLASSES:
            info = builtins.classes.get(name)
            if info is not None and method in info.methods:
                found.append(name)
    pathlib = stub("pathlib")
    if pathlib is not None:
        path_cls = pathlib.classes.get("Path")
        pure = pathlib.classes.get("PurePath")
        if (path_cls and method in path_cls.methods) or (pure and method in pure.methods):
            found.append("Path")
    return tuple(found)
