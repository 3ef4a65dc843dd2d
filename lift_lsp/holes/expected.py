"""The type a hole must have, read from its context; unknown stays ``None``."""

from __future__ import annotations

from tree_sitter import Node

from lift_lsp.holes import typeshed
from lift_lsp.holes.defs import (
    ModuleIndex,
    Param,
    ParamKind,
    decorator_names,
    is_generator,
    param_for_argument,
    parameters,
    return_annotation,
)
from lift_lsp.holes.scope import ScopeView, binary_result, split_type_args
from lift_lsp.syntax.nodes import (
    assignment_of,
    definition_name,
    enclosing_function,
    field_of,
    strip_string_annotation,
    text,
)

_DATACLASS_DECORATORS = frozenset({"dataclass", "define", "frozen", "attrs", "dataclass_transform"})
_MAX_HOPS = 8


class ExpectedTypes:
    """Answers "what type goes here?" for holes of one module."""

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index

    def scope(self, node: Node) -> ScopeView:
        return ScopeView(self.index, enclosing_function(node), node.start_byte)

    def of(self, node: Node, hops: int = 0) -> str | None:
        parent = node.parent
        if parent is None or hops > _MAX_HOPS:
            return None
        kind = parent.type
        field = field_of(node)
        if kind == "parenthesized_expression":
            return self.of(parent, hops + 1)
        if kind == "return_statement":
            return return_value_type(enclosing_function(node))
        if kind == "assignment" and field == "right":
            return self._assigned(parent, hops)
        if kind == "augmented_assignment" and field == "right":
            left = parent.child_by_field_name("left")
            op = parent.child_by_field_name("operator")
            if left is None or op is None:
                return None
            lt = self.scope(node).infer(left)
            return binary_result(text(op).rstrip("="), lt, lt)
        if kind == "keyword_argument" and field == "value":
            args = parent.parent
            call = args.parent if args is not None else None
            name = parent.child_by_field_name("name")
            if call is None or call.type != "call" or name is None:
                return None
            return self._call_param(call, None, text(name), node)
        if kind == "argument_list":
            call = parent.parent
            if call is None or call.type != "call":
                return None
            position = 0
            for arg in parent.named_children:
                if arg.id == node.id:
                    return self._call_param(call, position, None, node)
                if arg.type in ("list_splat", "dictionary_splat", "parenthesized_list_splat"):
                    return None  # positions after a splat are unknowable
                if arg.type not in ("keyword_argument", "comment"):
                    position += 1
            return None
        if kind in ("binary_operator", "comparison_operator", "boolean_operator"):
            others = [c for c in parent.named_children if c.id != node.id]
            if len(others) != 1:
                return None
            other = self.scope(node).infer(others[0])
            if kind == "binary_operator":
                op = parent.child_by_field_name("operator")
                return binary_result(text(op), other, other) if op is not None else None
            return other
        if kind in ("if_statement", "elif_clause", "while_statement") and field == "condition":
            return "bool"
        if kind == "assert_statement" and parent.named_children[0].id == node.id:
            return "bool"
        if kind == "conditional_expression":
            children = parent.named_children
            if len(children) >= 2 and children[1].id == node.id:
                return "bool"
            return self.of(parent, hops + 1)
        if kind in ("list", "set"):
            return _type_arg(self.of(parent, hops + 1), {"list", "set", "List", "Set"}, 0)
        if kind == "pair" and field == "value":
            container = parent.parent
            if container is None:
                return None
            return _type_arg(self.of(container, hops + 1), {"dict", "Dict"}, 1)
        if kind == "tuple":
            outer = self.of(parent, hops + 1)
            index = [c.id for c in parent.named_children].index(node.id)
            return _type_arg(outer, {"tuple", "Tuple"}, index)
        if kind in ("default_parameter", "typed_default_parameter") and field == "value":
            ann_node = parent.child_by_field_name("type")
            return strip_string_annotation(text(ann_node)) if ann_node is not None else None
        if kind == "yield":
            func = enclosing_function(node)
            ret = return_annotation(func) if func is not None else None
            return _type_arg(ret, _GENERATORS, 0)
        return None

    def _assigned(self, assignment: Node, hops: int) -> str | None:
        ann = assignment.child_by_field_name("type")
        if ann is not None:
            return strip_string_annotation(text(ann))
        parent = assignment.parent
        if parent is not None and parent.type == "assignment":  # a = b = <hole>
            return self._assigned(parent, hops + 1)
        left = assignment.child_by_field_name("left")
        if left is None:
            return None
        scope = self.scope(assignment)
        if left.type == "identifier":
            declared = _declared_type(assignment, text(left))
            return declared if declared is not None else self._used_as(assignment, text(left), hops)
        if left.type == "attribute":
            obj = left.child_by_field_name("object")
            attr = left.child_by_field_name("attribute")
            is_self = (
                obj is not None
                and obj.type == "identifier"
                and scope.cls is not None
                and bool(scope.params)
                and scope.params[0].name == text(obj)
            )
            if is_self and attr is not None:
                wanted = f"self.{text(attr)}"
                for b in scope.attributes:
                    if b.name == wanted and b.offset != assignment.start_byte:
                        return b.type
        return None

    def _used_as(self, assignment: Node, name: str, hops: int) -> str | None:
        """``x = <hole>`` then ``return x`` or ``f(x)``: the type the next read of ``x``
        that has one expects — returned, or passed to an annotated parameter — unless
        ``x`` is bound again first."""
        func = enclosing_function(assignment)
        body = func.child_by_field_name("body") if func is not None else None
        if body is None:
            return None
        for node in _names_after(body, assignment.end_byte, name):
            parent = node.parent
            if parent is None or _binds(node, parent):
                return None
            if parent.type == "keyword_argument" and field_of(node) == "name":
                continue  # `f(x=...)`: the keyword, not the variable
            if parent.type in _TYPED_SINKS:
                found = self.of(node, hops + 1)
                if found is not None and found not in _SAYS_NOTHING:
                    return found
        return None

    def _call_param(
        self, call: Node, position: int | None, keyword: str | None, at: Node
    ) -> str | None:
        fn = call.child_by_field_name("function")
        if fn is None:
            return None
        params = self._callee_params(fn, at)
        if params is None:
            if fn.type == "identifier" and self.scope(at).lookup(text(fn)) is None:
                return typeshed.builtin_param_type(text(fn), position, keyword)
            return None
        param = param_for_argument(params, position, keyword)
        return param.annotation if param is not None else None

    def _callee_params(self, fn: Node, at: Node) -> list[Param] | None:
        """Parameters the call's arguments bind to (bound ``self``/``cls`` removed)."""
        if fn.type == "identifier":
            name = text(fn)
            scope = self.scope(at)
            if scope.lookup(name) is not None and name not in self.index.functions:
                return None
            func = self.index.function(name)
            if func is not None:
                return parameters(func)
            if name in self.index.classes:
                return self._constructor_params(name)
            return None
        if fn.type != "attribute":
            return None
        obj = fn.child_by_field_name("object")
        attr = fn.child_by_field_name("attribute")
        if obj is None or attr is None or obj.type != "identifier":
            return None
        scope = self.scope(at)
        obj_name = text(obj)
        if scope.cls is not None and scope.params and scope.params[0].name == obj_name:
            method = self.index.find_method(definition_name(scope.cls), text(attr))
            return _bound(method)
        if obj_name in self.index.classes and scope.lookup(obj_name) is None:
            method = self.index.find_method(obj_name, text(attr))
            if method is None:
                return None
            decos = decorator_names(method)
            if "classmethod" in decos:
                return parameters(method)[1:]
            return parameters(method)
        obj_type = scope.infer(obj)
        if obj_type in self.index.classes:
            return _bound(self.index.find_method(obj_type, text(attr)))
        return None

    def _constructor_params(self, class_name: str) -> list[Param] | None:
        init = self.index.find_method(class_name, "__init__")
        if init is not None:
            return parameters(init)[1:]
        info = self.index.classes[class_name]
        is_record = decorator_names(info.node) & _DATACLASS_DECORATORS or "NamedTuple" in info.bases
        if not is_record:
            return None
        return _field_params(info.node)


_GENERATORS = frozenset(
    {"Generator", "Iterator", "Iterable", "AsyncGenerator", "AsyncIterator", "AsyncIterable"}
)


def return_value_type(func: Node | None) -> str | None:
    """What ``return <hole>`` must give: the annotation, or a generator's return type."""
    if func is None:
        return None
    ann = return_annotation(func)
    if ann is None or not is_generator(func):
        return ann
    return _type_arg(ann, {"Generator"}, 2)


def _bound(method: Node | None) -> list[Param] | None:
    if method is None:
        return None
    params = parameters(method)
    return params if "staticmethod" in decorator_names(method) else params[1:]


def _type_arg(annotation: str | None, heads: set[str] | frozenset[str], index: int) -> str | None:
    if annotation is None:
        return None
    head, sep, rest = annotation.partition("[")
    if not sep or head.rsplit(".", 1)[-1] not in heads or not rest.endswith("]"):
        return None
    args = split_type_args(rest[:-1])
    if head.endswith(("tuple", "Tuple")) and len(args) == 2 and args[1] == "...":
        return args[0]
    return args[index] if index < len(args) else None


#: Where a read of a variable is given a type by the code: returned, or passed on.
_TYPED_SINKS = frozenset({"return_statement", "argument_list", "keyword_argument"})
_BINDING_PARENTS = frozenset(
    {
        "pattern_list", "tuple_pattern", "list_pattern", "for_statement", "as_pattern_target",
        # A parameter of a nested function or lambda of the same name hides the variable.
        "parameters", "lambda_parameters", "default_parameter", "typed_parameter",
        "typed_default_parameter",
    }
)  # fmt: skip
#: Types a use can expect that say nothing of the value (`print(x)`).
_SAYS_NOTHING = frozenset({"object", "Any", "typing.Any"})
#: Reads of a variable looked at, at most, for the type it is used as.
_MAX_USES = 8


def _names_after(body: Node, start: int, name: str) -> list[Node]:
    """The first few identifiers ``name`` in ``body`` after ``start``, in order."""
    found: list[Node] = []
    stack = [body]
    while stack and len(found) < _MAX_USES:
        node = stack.pop()
        if node.end_byte <= start:
            continue
        if node.type == "identifier":
            if node.start_byte >= start and text(node) == name:
                found.append(node)
            continue
        stack.extend(reversed(node.children))
    return found


def _binds(node: Node, parent: Node) -> bool:
    """``name`` is bound here (assigned, a loop target, ``as name``, a parameter of a
    nested function), not read."""
    field = field_of(node)
    if parent.type in ("assignment", "augmented_assignment") and field == "left":
        return True
    if parent.type in ("for_statement", "for_in_clause") and field == "left":
        return True
    return parent.type in _BINDING_PARENTS


def _declared_type(assignment: Node, name: str) -> str | None:
    """An earlier ``name: T`` (or ``name: T = …``) in the same block of statements."""
    stmt = assignment.parent
    block = stmt.parent if stmt is not None else None
    while block is not None and block.type not in ("block", "module"):
        block = block.parent
    scope_root = block
    while scope_root is not None and scope_root.type not in ("function_definition", "module"):
        scope_root = scope_root.parent
    if scope_root is None:
        return None
    body = scope_root if scope_root.type == "module" else scope_root.child_by_field_name("body")
    if body is None:
        return None
    found: str | None = None
    stack = list(reversed(body.named_children))
    while stack:
        node = stack.pop()
        if node.start_byte >= assignment.start_byte:
            break
        if node.type in ("function_definition", "class_definition", "decorated_definition"):
            continue
        if node.type == "assignment":
            left = node.child_by_field_name("left")
            ann = node.child_by_field_name("type")
            if left is not None and ann is not None and text(left) == name:
                found = strip_string_annotation(text(ann))
            continue
        stack.extend(reversed(node.named_children))
    return found


def _field_params(class_node: Node) -> list[Param]:
    """Dataclass / NamedTuple fields in order, as constructor parameters."""
    body = class_node.child_by_field_name("body")
    params: list[Param] = []
    if body is None:
        return params
    for stmt in body.named_children:
        assign = assignment_of(stmt)
        if assign is None:
            continue
        left = assign.child_by_field_name("left")
        ann = assign.child_by_field_name("type")
        if left is None or ann is None or left.type != "identifier":
            continue
        ann_text = strip_string_annotation(text(ann))
        if ann_text.startswith(("ClassVar", "typing.ClassVar", "InitVar")):
            continue
        kind = ParamKind.POSITIONAL_OR_KEYWORD
        params.append(Param(text(left), kind, ann_text, assign.child_by_field_name("right"), left))
    return params
