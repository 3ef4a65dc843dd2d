"""Evidence about the types of a function's parameters and return value.

Each *clue* proposes one type and names the kind of evidence (its ``source``): a
default value, an ``isinstance`` check, a method called on the parameter, a call
into a typed function, a return expression... How much each kind of evidence is
worth is not decided here: ``typemodel.py`` holds weights fitted on annotated code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from tree_sitter import Node

from lift_lsp.analysis import stubs
from lift_lsp.analysis.context import FunctionUnit, ModuleContext
from lift_lsp.holes.defs import (
    Param,
    ParamKind,
    decorator_names,
    is_generator,
    param_for_argument,
    parameters,
    return_annotation,
)
from lift_lsp.holes.scope import ScopeView, split_top
from lift_lsp.syntax.nodes import (
    assignment_of,
    body_statements,
    definition_name,
    owning_class,
    text,
)

if TYPE_CHECKING:
    from lift_lsp.analysis.workspace_types import WorkspaceModules


K_contra = TypeVar("K_contra", contravariant=True)
V_co = TypeVar("V_co", covariant=True)


class Lookup(Protocol[K_contra, V_co]):
    """Other functions' inferred types (see ``TypeInference``)."""

    def get(self, key: K_contra) -> V_co | None: ...


class _Nothing:
    def get(self, key: object) -> None:
        return None


#: Marks "this may be None" (a ``None`` default, an ``is None`` test); combined later.
OPTIONAL = "<optional>"

_NESTED = frozenset({"function_definition", "class_definition"})
_NUMBER_OPS = frozenset({"-", "*", "/", "//", "**", "%", "<<", ">>", "&", "|", "^"})
_ORDERING = frozenset({"<", "<=", ">", ">="})
_CALLABLE_NAMES = frozenset({"callable"})
_SELF_RETURN_METHODS = frozenset({"__enter__", "__aenter__", "__iter__", "copy"})


@dataclass(frozen=True, slots=True)
class Clue:
    """One piece of evidence: ``type`` proposed because of ``source`` (``detail`` says how)."""

    type: str
    source: str
    detail: str
    #: For priors learned from names: the probability itself (other sources use fitted weights).
    strength: float | None = None


class ClueFinder:
    """Collects clues for one function; ``known`` holds types inferred in earlier passes."""

    def __init__(
        self,
        unit: FunctionUnit,
        known_returns: Lookup[str, str] | None = None,
        known_params: Lookup[tuple[str, str], str] | None = None,
        workspace: WorkspaceModules | None = None,
    ) -> None:
        self.unit = unit
        self.workspace = workspace
        self.file = _file_of(unit.module.path) if workspace is not None else None
        self.module = unit.module
        self.index = unit.module.index
        self.known_returns: Lookup[str, str] = known_returns or _Nothing()
        self.known_params: Lookup[tuple[str, str], str] = known_params or _Nothing()
        self.params = parameters(unit.node)
        self.cls = owning_class(unit.node)
        self.scope = ScopeView(self.index, unit.node, unit.node.end_byte)
        self._uses = self._collect_uses()

    # -- walking ---------------------------------------------------------------------------
    def _body_nodes(self) -> Iterator[Node]:
        """Nodes of the function's own body; nested definitions are theirs, not ours."""
        body = self.unit.node.child_by_field_name("body")
        if body is None:
            return
        stack = list(reversed(body.named_children))
        while stack:
            node = stack.pop()
            yield node
            if node.type in _NESTED:
                continue
            stack.extend(reversed(node.named_children))

    def _collect_uses(self) -> dict[str, list[Node]]:
        names = {p.name for p in self.params}
        uses: dict[str, list[Node]] = {n: [] for n in names}
        for node in self._body_nodes():
            if node.type == "identifier":
                name = text(node)
                if name in uses:
                    uses[name].append(node)
        return uses

    # -- parameters ------------------------------------------------------------------------
    def param_clues(self, param: Param) -> list[Clue]:
        clues: list[Clue] = []
        if param.default is not None:
            clues.extend(self._default_clues(param.default))
        if param.kind in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD):
            # *args / **kwargs: evidence is about the elements; usage rarely tells.
            return clues
        for use in self._uses.get(param.name, []):
            clues.extend(self._use_clues(param, use))
        clues.extend(self._named_like_a_type(param.name))
        return clues

    def _named_like_a_type(self, name: str) -> list[Clue]:
        """``session`` → ``Session``, ``config`` → ``NoxConfig``, ``ctx`` → ``Context``:
        parameters are often named after the class they hold, among those visible here."""
        words = [w.lower() for w in _WORDS.findall(name.lstrip("_"))]
        if not words:
            return []
        compact = "".join(words)
        clues = []
        for type_name, type_words in visible_type_names(self.module, self.workspace, self.file):
            lowered = "".join(type_words)
            if compact == lowered:
                clues.append(Clue(type_name, "name-class-exact", f"named like {type_name}"))
            elif words[-1] == type_words[-1] and len(words[-1]) > 2:
                clues.append(Clue(type_name, "name-class-word", f"named like {type_name}"))
            elif len(type_words) == 1 and _abbreviates(compact, lowered):
                clues.append(Clue(type_name, "name-class-abbrev", f"abbreviates {type_name}"))
        return clues

    def _default_clues(self, default: Node) -> list[Clue]:
        if default.type == "none":
            return [Clue(OPTIONAL, "default-none", "defaults to None")]
        literal = self.scope.infer(default)
        if literal is None:
            return []
        if default.type in ("list", "dictionary", "set", "tuple") and "[" in literal:
            literal = literal.split("[", 1)[0]  # `[]` says list, not what it holds
        return [Clue(literal, "default", f"defaults to {text(default)[:30]}")]

    def _use_clues(self, param: Param, use: Node) -> list[Clue]:
        parent = use.parent
        if parent is None:
            return []
        kind = parent.type
        name = param.name
        if kind == "attribute" and parent.child_by_field_name("object") == use:
            return self._attribute_clues(name, parent)
        if kind == "argument_list":
            call = parent.parent
            if call is not None and call.type == "call":
                args = [a for a in parent.named_children if a.type not in ("comment",)]
                positional = [a for a in args if a.type != "keyword_argument"]
                index = next((i for i, a in enumerate(positional) if a.id == use.id), None)
                return self._argument_clues(call, index, None, name)
        if kind == "keyword_argument" and parent.child_by_field_name("value") == use:
            key = parent.child_by_field_name("name")
            call = parent.parent.parent if parent.parent is not None else None
            if call is not None and call.type == "call" and key is not None:
                return self._argument_clues(call, None, text(key), name)
        if kind == "binary_operator":
            return self._operator_clues(parent, use, name)
        if kind == "comparison_operator":
            return self._comparison_clues(parent, use, name)
        if kind == "augmented_assignment" and parent.child_by_field_name("left") == use:
            right = parent.child_by_field_name("right")
            rtype = self.scope.infer(right) if right is not None else None
            if rtype in ("int", "float", "str", "list"):
                return [Clue(rtype, "operator", f"{name} {text(parent.child(1) or parent)} …")]
            return []
        if kind == "subscript" and parent.child_by_field_name("value") == use:
            return self._subscript_clues(parent, name)
        if kind == "for_statement" and parent.child_by_field_name("right") == use:
            return [Clue("Iterable", "iterate", f"iterates over {name}")]
        if kind == "call" and parent.child_by_field_name("function") == use:
            return [Clue("Callable", "called", f"calls {name}(…)")]
        if kind == "assignment" and parent.child_by_field_name("right") == use:
            return self._stored_clues(parent, name)
        if kind == "return_statement":
            known = self.known_returns.get(self.unit.qualname)
            if known is not None and known != "None":
                return [Clue(known, "returned", f"{name} is returned")]
        if kind in ("if_statement", "while_statement", "not_operator", "boolean_operator"):
            return (
                [Clue("bool", "truthiness", f"tests {name}")] if kind != "boolean_operator" else []
            )
        return []

    def _attribute_clues(self, name: str, attribute: Node) -> list[Clue]:
        attr_node = attribute.child_by_field_name("attribute")
        if attr_node is None:
            return []
        attr = text(attr_node)
        is_call = attribute.parent is not None and attribute.parent.type == "call"
        clues: list[Clue] = []
        owners = [
            info.name
            for info in self.index.classes.values()
            if attr in info.methods or attr in _class_attributes(info.node)
        ]
        if 0 < len(owners) <= 2:
            clues += [Clue(o, "member-of-module-class", f"uses {name}.{attr}") for o in owners]
        if is_call:
            builtin_owners = stubs.classes_with_method(attr)
            if 0 < len(builtin_owners) <= 3 and not attr.startswith("__"):
                source = "method-unique" if len(builtin_owners) == 1 else "method-shared"
                clues += [Clue(b, source, f"calls {name}.{attr}()") for b in builtin_owners]
        elif attr in _PATH_PROPERTIES:
            clues.append(Clue("Path", "method-unique", f"uses {name}.{attr}"))
        return clues

    def _argument_clues(
        self, call: Node, index: int | None, keyword: str | None, name: str
    ) -> list[Clue]:
        fn = call.child_by_field_name("function")
        if fn is None:
            return []
        callee = text(fn)
        if callee == "isinstance" and index == 0:
            args = call.child_by_field_name("arguments")
            second = (
                args.named_children[1]
                if args is not None and len(args.named_children) > 1
                else None
            )
            if second is not None:
                return [
                    Clue(t, "isinstance", f"isinstance({name}, …)")
                    for t in _isinstance_types(second)
                ]
            return []
        if callee in ("len", "sorted", "list", "tuple", "set", "enumerate", "zip", "iter", "sum"):
            return [
                Clue(
                    "Sized" if callee == "len" else "Iterable",
                    "container-builtin",
                    f"{callee}({name})",
                )
            ]
        if callee in ("str", "int", "float", "repr", "print", "bool", "hash", "id", "type"):
            return []  # these accept anything
        annotation, where = self._callee_param_annotation(fn, index, keyword)
        if annotation is None:
            return []
        return [Clue(annotation, f"call-arg-{where}", f"passed to {callee}()")]

    def _callee_param_annotation(
        self, fn: Node, index: int | None, keyword: str | None
    ) -> tuple[str | None, str]:
        """The annotation (or inferred type) of the parameter an argument lands in."""
        if fn.type == "identifier":
            name = text(fn)
            func = self.index.function(name)
            if func is not None:
                return self._module_param(func, name, index, keyword, bound=False)
            if name in self.index.classes:
                init = self.index.find_method(name, "__init__")
                if init is not None:
                    return self._module_param(init, f"{name}.__init__", index, keyword, bound=True)
                return None, "module"
            origin = self.module.imports.get(name)
            if origin is not None and "." in origin:
                from_module, _, imported = origin.rpartition(".")
                return self._stub_param(from_module, imported, index, keyword), "stdlib"
            if name in _BUILTIN_FUNCS:
                return self._stub_param("builtins", name, index, keyword), "stdlib"
            return None, ""
        if fn.type == "attribute":
            obj = fn.child_by_field_name("object")
            attr = fn.child_by_field_name("attribute")
            if obj is None or attr is None:
                return None, ""
            obj_name = text(obj)
            if self.cls is not None and self.params and obj_name == self.params[0].name:
                method = self.index.find_method(definition_name(self.cls), text(attr))
                if method is not None:
                    qual = f"{definition_name(self.cls)}.{text(attr)}"
                    return self._module_param(method, qual, index, keyword, bound=True)
            module = self.module.imports.get(obj_name)
            if module is not None and obj.type in ("identifier", "attribute"):
                return self._stub_param(module, text(attr), index, keyword), "stdlib"
            if obj.type == "attribute":
                dotted = text(obj)
                head = dotted.split(".")[0]
                if head in self.module.imports:
                    full = self.module.imports[head] + dotted[len(head) :]
                    return self._stub_param(full, text(attr), index, keyword), "stdlib"
        return None, ""

    def _module_param(
        self, func: Node, qual: str, index: int | None, keyword: str | None, *, bound: bool
    ) -> tuple[str | None, str]:
        params = parameters(func)
        if bound and "staticmethod" not in decorator_names(func):
            params = params[1:]
        param = param_for_argument(params, index, keyword)
        if param is None:
            return None, "module"
        if param.annotation is not None:
            return param.annotation, "module"
        known = self.known_params.get((qual, param.name))
        return known, "propagated"

    @staticmethod
    def _stub_param(module: str, name: str, index: int | None, keyword: str | None) -> str | None:
        params = stubs.params_of(module, name)
        if params is None:
            return None
        param = param_for_argument(params, index, keyword)
        if param is None:
            return None
        annotation = stubs.public_type(param.annotation)
        if annotation in ("object", "Any", None) or (annotation or "").startswith(
            ("Callable", "type")
        ):
            return annotation if annotation and annotation.startswith("Callable") else None
        return annotation

    def _operator_clues(self, op_node: Node, use: Node, name: str) -> list[Clue]:
        op = op_node.child_by_field_name("operator")
        left = op_node.child_by_field_name("left")
        right = op_node.child_by_field_name("right")
        other = right if left is not None and left.id == use.id else left
        if op is None or other is None:
            return []
        other_type = self.scope.infer(other)
        symbol = text(op)
        if other_type in ("int", "float") and (symbol in _NUMBER_OPS or symbol == "+"):
            return [Clue(other_type, "operator", f"{name} {symbol} {other_type}")]
        if other_type == "str" and symbol == "+":
            return [Clue("str", "operator", f"{name} + str")]
        if other_type == "str" and symbol == "%" and left is not None and left.id == use.id:
            return [Clue("str", "operator", f"{name} % …")]
        return []

    def _comparison_clues(self, comparison: Node, use: Node, name: str) -> list[Clue]:
        ops = [text(c) for c in comparison.children if not c.is_named]
        others = [c for c in comparison.named_children if c.id != use.id]
        if not others:
            return []
        other = others[0]
        if other.type == "none" and any(o.startswith("is") for o in ops):
            return [Clue(OPTIONAL, "compare-none", f"{name} is None")]
        if any(o in ("in", "not in") for o in ops):
            idx = [c.id for c in comparison.named_children].index(use.id)
            if idx > 0:  # `x in name`
                return [Clue("Container", "container-builtin", f"… in {name}")]
            return []
        other_type = self.scope.infer(other)
        if other_type in ("int", "float", "str", "bytes") and (
            set(ops) & (_ORDERING | {"==", "!="})
        ):
            return [Clue(other_type, "compare", f"{name} {ops[0]} {text(other)[:20]}")]
        return []

    def _subscript_clues(self, subscript: Node, name: str) -> list[Clue]:
        index = subscript.child_by_field_name("subscript")
        if index is None:
            return []
        if index.type == "string":
            return [Clue("dict", "subscript-str", f'{name}["…"]')]
        if index.type == "slice":
            return [Clue("Sequence", "subscript-int", f"{name}[…:…]")]
        if index.type in ("integer", "unary_operator"):
            return [Clue("Sequence", "subscript-int", f"{name}[{text(index)}]")]
        return []

    def _stored_clues(self, assignment: Node, name: str) -> list[Clue]:
        """``self.x = name`` where the class declares ``x: T``."""
        left = assignment.child_by_field_name("left")
        if left is None or left.type != "attribute" or self.cls is None:
            return []
        attr = left.child_by_field_name("attribute")
        if attr is None:
            return []
        declared = _class_attributes(self.cls).get(text(attr))
        if declared:
            return [Clue(declared, "stored-attribute", f"stored in self.{text(attr)}")]
        return []

    # -- return value ----------------------------------------------------------------------
    def return_clues(self) -> list[Clue]:
        func = self.unit.node
        name = definition_name(func)
        if is_generator(func):
            return self._generator_clues()
        returns = [n for n in self._body_nodes() if n.type == "return_statement"]
        valued = [r for r in returns if r.named_children and r.named_children[0].type != "none"]
        if not valued:
            if _declares_only(func) or decorator_names(func) & _ABSTRACT:
                return []  # a stub whose real type is written elsewhere
            return [Clue("None", "no-return", "returns nothing")]
        clues: list[Clue] = []
        types: list[str | None] = []
        for ret in valued:
            value = ret.named_children[0]
            rtype = self._expression_type(value)
            types.append(rtype)
            if rtype is not None:
                clues.append(Clue(rtype, _return_source(value), f"returns {text(value)[:30]}"))
        if len(valued) < len(returns):  # also `return` / `return None`
            clues.append(Clue(OPTIONAL, "return-none", "also returns None"))
        known = [t for t in types if t is not None]
        if len(known) == len(types) and len(set(known)) > 1:
            clues.append(Clue(union(known), "return-union", "every return typed"))
        if name in _SELF_RETURN_METHODS and self.cls is not None and not clues:
            clues.append(Clue(definition_name(self.cls), "returns-self", "returns self"))
        return clues

    def _generator_clues(self) -> list[Clue]:
        yields = [n for n in self._body_nodes() if n.type == "yield"]
        types = set()
        for y in yields:
            value = y.named_children[0] if y.named_children else None
            if value is not None and text(y).startswith("yield from"):
                return [Clue("Iterator", "generator", "yields from another iterable")]
            types.add(self._expression_type(value) if value is not None else "None")
        func_is_async = any(c.type == "async" for c in self.unit.node.children)
        head = "AsyncIterator" if func_is_async else "Iterator"
        if len(types) == 1 and None not in types:
            return [Clue(f"{head}[{types.pop()}]", "generator", "yields one type")]
        return [Clue(head, "generator", "a generator")]

    def _expression_type(self, node: Node) -> str | None:
        if node.type == "identifier":
            name = text(node)
            if self.cls is not None and self.params and name == self.params[0].name:
                return definition_name(self.cls)
            param = next((p for p in self.params if p.name == name), None)
            if param is not None:
                return param.annotation or self.known_params.get((self.unit.qualname, name))
        if node.type == "call":
            inferred = self._call_type(node)
            if inferred is not None:
                return inferred
        if node.type == "attribute":
            obj = node.child_by_field_name("object")
            attr = node.child_by_field_name("attribute")
            mine = obj is not None and self.params and text(obj) == self.params[0].name
            if mine and attr is not None and self.cls is not None:
                declared = _class_attributes(self.cls).get(text(attr))
                if declared:
                    return declared
                prop = self._property_type(text(attr))
                if prop is not None:
                    return prop
            elif obj is not None and attr is not None and obj.type in ("call", "identifier"):
                receiver = self._call_type(obj) if obj.type == "call" else None
                member = self._member_type(receiver, text(attr), want_property=True)
                if member is not None:
                    return member
        return self.scope.infer(node)

    def _member_type(self, receiver: str | None, member: str, *, want_property: bool) -> str | None:
        """The type of ``obj.member`` (a property) or ``obj.member()`` (a method) for an
        object of a class of this module or of another module of the project."""
        if receiver is None or not receiver.isidentifier():
            return None
        if receiver in self.index.classes:
            method = self.index.find_method(receiver, member)
            if method is None:
                return None
            is_prop = bool(decorator_names(method) & {"property", "cached_property"})
            if is_prop != want_property:
                return None
            return return_annotation(method) or self.known_returns.get(f"{receiver}.{member}")
        origin = self.module.imports.get(receiver)
        if origin is None or self.workspace is None or self.file is None:
            return None
        found, is_prop = self.workspace.member_return(self.file, origin, member)
        return found if is_prop == want_property else None

    def _property_type(self, name: str) -> str | None:
        """``self.name`` where ``name`` is a ``@property`` of this class (or its bases)."""
        if self.cls is None:
            return None
        cls_name = definition_name(self.cls)
        method = self.index.find_method(cls_name, name)
        if method is None:
            inherited, is_prop = self._inherited(name)
            return inherited if is_prop else None
        if not decorator_names(method) & {"property", "cached_property"}:
            return None
        return return_annotation(method) or self.known_returns.get(f"{cls_name}.{name}")

    def _inherited(self, member: str) -> tuple[str | None, bool]:
        """``member`` of a base class defined in another module of the project."""
        if self.workspace is None or self.file is None or self.cls is None:
            return None, False
        seen: set[str] = set()
        queue = [definition_name(self.cls)]
        while queue and len(seen) < 20:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            info = self.index.classes.get(current)
            if info is None:
                origin = self.module.imports.get(current)
                if origin is not None:
                    found = self.workspace.member_return(self.file, origin, member)
                    if found[0] is not None:
                        return found
                continue
            queue.extend(info.bases)
        return None, False

    def _call_type(self, call: Node) -> str | None:
        fn = call.child_by_field_name("function")
        if fn is None:
            return None
        if fn.type == "identifier":
            name = text(fn)
            if name in self.index.classes:
                return name
            func = self.index.function(name)
            if func is not None:
                return return_annotation(func) or self.known_returns.get(name)
            origin = self.module.imports.get(name)
            if origin is not None and self.workspace is not None and self.file is not None:
                found = self.workspace.return_of(self.file, origin)
                if found is not None:
                    return found
            if origin is not None and "." in origin:
                from_module, _, imported = origin.rpartition(".")
                return self._qualified(from_module, stubs.returns_of(from_module, imported))
            return None
        if fn.type == "attribute":
            obj = fn.child_by_field_name("object")
            attr = fn.child_by_field_name("attribute")
            if obj is None or attr is None:
                return None
            obj_name = text(obj)
            is_super = obj.type == "call" and obj_name == "super()"
            if (
                self.cls is not None
                and self.params
                and (obj_name == self.params[0].name or is_super)
            ):
                cls_name = definition_name(self.cls)
                method = None if is_super else self.index.find_method(cls_name, text(attr))
                if method is not None:
                    return return_annotation(method) or self.known_returns.get(
                        f"{cls_name}.{text(attr)}"
                    )
                inherited, _ = self._inherited(text(attr))
                if inherited is not None:
                    return inherited
            module = self.module.imports.get(obj_name)
            if module is None and obj.type == "attribute":  # os.path.join(...)
                head = obj_name.split(".")[0]
                if head in self.module.imports:
                    module = self.module.imports[head] + obj_name[len(head) :]
            if module is not None:
                return self._qualified(module, stubs.returns_of(module, text(attr)))
            receiver = self._expression_type(obj) if obj.type != "call" else self._call_type(obj)
            if receiver in stubs.BUILTIN_CLASSES:
                return stubs.method_return(receiver, text(attr))
            member = self._member_type(receiver, text(attr), want_property=False)
            if member is not None:
                return member
        return None

    def _qualified(self, module: str, type_text: str | None) -> str | None:
        """A stub's class name as this module can write it (``re.Pattern[str]``)."""
        if type_text is None:
            return None
        head = type_text.split("[", 1)[0]
        if stubs.is_class(module, head) and head not in stubs.BUILTIN_CLASSES:
            for local, origin in self.module.imports.items():
                if origin == f"{module}.{head}":
                    return local + type_text[len(head) :]
            alias = next(
                (local for local, origin in self.module.imports.items() if origin == module), None
            )
            if alias is not None:
                return f"{alias}.{type_text}"
            return None  # not visible in this module
        return type_text


_BUILTIN_FUNCS = frozenset(
    {
        "open",
        "round",
        "divmod",
        "pow",
        "abs",
        "min",
        "max",
        "getattr",
        "setattr",
        "hasattr",
        "format",
        "chr",
        "ord",
    }
)
_PATH_PROPERTIES = frozenset({"suffix", "stem", "parent", "parts", "suffixes", "anchor"})


def _class_attributes(class_node: Node) -> dict[str, str]:
    """Annotated class-level names (dataclass fields, declared attributes)."""
    found: dict[str, str] = {}
    for stmt in body_statements(class_node):
        assign = assignment_of(stmt)
        if assign is None:
            continue
        left = assign.child_by_field_name("left")
        ann = assign.child_by_field_name("type")
        if left is not None and ann is not None and left.type == "identifier":
            found[text(left)] = text(ann).strip("'\"")
    return found


def _isinstance_types(node: Node) -> list[str]:
    if node.type in ("tuple", "parenthesized_expression"):
        return [text(c) for c in node.named_children if c.type in ("identifier", "attribute")]
    if node.type in ("identifier", "attribute"):
        return [text(node)]
    return []


_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_NOT_TYPES = frozenset({"TYPE_CHECKING", "Any", "Optional", "Union", "TypeVar", "Generic"})


def visible_type_names(
    module: ModuleContext, workspace: WorkspaceModules | None = None, file: Path | None = None
) -> list[tuple[str, list[str]]]:
    """Class-like names visible in the module (its classes, imported CapWords names,
    module-level type aliases, ``pkg.Name`` of project packages imported whole), with
    their lower-cased words (of ``Name``)."""
    cached = module.memo.get("clues.type_names")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    names = set(module.index.classes)
    if workspace is not None and file is not None:
        for local, origin in module.imports.items():
            if local == origin.rsplit(".", 1)[-1] and local[:1].islower():
                names |= {f"{local}.{n}" for n in workspace.exported_types(file, origin)}
    names |= {n for n in module.imports if n[:1].isupper() and not n.isupper()}
    for stmt in module.doc.tree.root_node.named_children:
        assign = assignment_of(stmt)
        if assign is None:
            continue
        left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier":
            alias = text(left)
            if (
                alias[:1].isupper()
                and not alias.isupper()
                and right.type in ("subscript", "binary_operator")
            ):
                names.add(alias)
    found = [
        (n, [w.lower() for w in _WORDS.findall(n.rsplit(".", 1)[-1])])
        for n in sorted(names - _NOT_TYPES)
    ]
    module.memo["clues.type_names"] = found
    return found


def _abbreviates(short: str, word: str) -> bool:
    """``ctx`` abbreviates ``context``: same first letter, letters in order, ≥ 3 of them."""
    if len(short) < 3 or len(short) >= len(word) or short[0] != word[0]:
        return False
    it = iter(word)
    return all(ch in it for ch in short)


def _file_of(path: str | None) -> Path | None:
    if not path:
        return None
    try:
        resolved = Path(path).resolve()
    except OSError:
        return None
    return resolved if resolved.is_file() else None


_ABSTRACT = frozenset({"abstractmethod", "abstractproperty", "overload"})


def _declares_only(func: Node) -> bool:
    """A body that only documents, raises or is empty (``...``, ``pass``): a stub whose
    type lives in an override or an implementation elsewhere."""
    stmts = [
        s
        for s in body_statements(func)
        if not (
            s.type == "expression_statement"
            and s.named_children
            and s.named_children[0].type in ("string", "ellipsis")
        )
        and s.type not in ("pass_statement", "comment")
    ]
    return all(s.type == "raise_statement" for s in stmts)


def _return_source(value: Node) -> str:
    kind = value.type
    if kind in ("true", "false", "comparison_operator", "not_operator"):
        return "return-bool"
    if kind in (
        "integer",
        "float",
        "string",
        "concatenated_string",
        "list",
        "dictionary",
        "set",
        "tuple",
        "none",
    ):
        return "return-literal"
    if kind in ("list_comprehension", "dictionary_comprehension", "set_comprehension"):
        return "return-literal"
    if kind == "call":
        return "return-call"
    if kind == "identifier":
        return "return-name"
    if kind == "attribute":
        return "return-attribute"
    return "return-expression"


def union(types: list[str]) -> str:
    """``A | B`` with duplicates dropped and ``None`` last."""
    members: list[str] = []
    for t in types:
        for part in _split_union(t):
            if part not in members:
                members.append(part)
    rest = [m for m in members if m != "None"]
    return " | ".join(rest + (["None"] if "None" in members else []))


def _split_union(t: str) -> list[str]:
    return [p for p in split_top(t, "|") if p]
