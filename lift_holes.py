"""Runtime helper for *named typed holes*.

Write ``hole("name")`` (or plain ``hole()``) wherever an expression is still missing::

    from lift_holes import hole

    def area(self) -> float:
        return hole("area")

A file with holes imports and runs normally until a hole is reached; reaching one raises
:class:`HoleError` naming the hole and the type expected there (read from the surrounding
annotations), e.g. ``hole 'area' of type float reached at geometry.py:12 in Circle.area``.
A function body consisting only of ``hole("name")`` (after an optional docstring) is a *body
hole* whose expected type is the function's signature. This file depends only on the standard
library and may be vendored as is.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from collections.abc import Iterator, Sequence
    from types import CodeType, FrameType
    from typing import Any

__all__ = ["HoleError", "hole"]

# Code flag of function (as opposed to module and class body) code objects.
_CO_OPTIMIZED = 0x1


class HoleError(NotImplementedError):
    """Raised when a hole is reached at run time.

    Attributes:
        name: the hole's name (``None`` for an anonymous hole).
        expected_type: the type expected at the hole as written in the source, or ``None``
            when it could not be determined. For a body hole it is the function's signature.
        filename: the file containing the hole.
        lineno: the line of the hole.
        function: the qualified name of the function containing the hole (``Circle.area``),
            or ``None`` at module level or directly in a class body.
    """

    name: str | None
    expected_type: str | None
    filename: str | None
    lineno: int | None
    function: str | None

    def __init__(
        self,
        message: str | None = None,
        *,
        name: str | None = None,
        expected_type: str | None = None,
        filename: str | None = None,
        lineno: int | None = None,
        function: str | None = None,
    ) -> None:
        self.name = name
        self.expected_type = expected_type
        self.filename = filename
        self.lineno = lineno
        self.function = function
        if message is None:
            label = "anonymous hole" if name is None else f"hole {name!r}"
            type_part = "unknown type" if expected_type is None else f"type {expected_type}"
            message = f"{label} of {type_part} reached"
        super().__init__(message)


def hole(name: str | None = None) -> Any:
    """Mark a missing piece of code; reaching it raises :class:`HoleError`.

    The error names the hole and the type expected at the call site, which is read from the
    caller's source only when the hole is actually reached.
    """
    __tracebackhide__ = True  # hide this frame in pytest tracebacks
    error = _make_error(name)
    raise error


# --------------------------------------------------------------------------------------------
# Building the error (never raises)


def _make_error(name: object) -> HoleError:
    shown_name = name if name is None or isinstance(name, str) else repr(name)
    label = "anonymous hole" if name is None else f"hole {name!r}"
    filename: str | None = None
    lineno: int | None = None
    function: str | None = None
    location = ""
    expected: str | None = None
    body = False
    frame: FrameType | None = None
    try:
        frame = sys._getframe(2)  # 0: here, 1: hole(), 2: the code containing the hole
        code = frame.f_code
        filename = code.co_filename
        lineno = frame.f_lineno
        function, where = _describe_scope(code)
        location = f" at {_display_path(filename)}:{lineno} in {where}"
        expected, body = _expected_type(frame, name)
    except Exception:  # reading or analysing the source must never fail the hole
        expected, body = None, False
    finally:
        del frame
    if body:
        label = "anonymous body hole" if name is None else f"body {label}"
    type_part = "unknown type" if expected is None else f"type {expected}"
    return HoleError(
        f"{label} of {type_part} reached{location}",
        name=shown_name,
        expected_type=expected,
        filename=filename,
        lineno=lineno,
        function=function,
    )


def _describe_scope(code: CodeType) -> tuple[str | None, str]:
    """Return the ``function`` attribute and the ``in ...`` text for a code object."""
    qualname: str = getattr(code, "co_qualname", code.co_name)
    if code.co_name == "<module>":
        return None, "<module>"
    if not code.co_flags & _CO_OPTIMIZED:  # a class body
        return None, f"class {qualname}"
    return qualname, qualname


def _display_path(filename: str) -> str:
    """Show ``filename`` relative to the working directory when it lies inside it."""
    if filename.startswith("<"):
        return filename
    import os

    try:
        relative = os.path.relpath(filename)
    except (OSError, ValueError):
        return filename
    return filename if relative.startswith(os.pardir) else relative


# --------------------------------------------------------------------------------------------
# Finding the call expression in the source


def _expected_type(frame: FrameType, name: object) -> tuple[str | None, bool]:
    """Return ``(expected type, is body hole)`` for the hole called from ``frame``."""
    import linecache

    code = frame.f_code
    filename = code.co_filename
    linecache.checkcache(filename)
    lines = linecache.getlines(filename, frame.f_globals)
    if not lines:
        return None, False
    source = "".join(lines)
    tree = _parse(source, filename)
    if tree is None:
        return None, False
    path = _find_call(tree, _call_position(frame), frame.f_lineno, name)
    if path is None:
        return None, False
    return _Context(source, path).expected_type()


def _parse(source: str, filename: str) -> ast.Module | None:
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _call_position(frame: FrameType) -> tuple[int | None, int | None]:
    """The end ``(line, column)`` of the call instruction currently executing in ``frame``.

    The end rather than the start is used: for a method call spanning several lines the
    compiler moves the start of the call's location to the attribute name.
    """
    index = frame.f_lasti // 2
    if index < 0:
        return None, None
    for i, position in enumerate(frame.f_code.co_positions()):
        if i == index:
            return position[1], position[3]
    return None, None


def _find_call(
    tree: ast.Module, end: tuple[int | None, int | None], lineno: int, name: object
) -> list[ast.AST] | None:
    """Return the path from ``tree`` to the hole's call node (the call last), or ``None``."""
    import ast

    end_col = end[1]
    exact: list[ast.AST] | None = None
    on_line: list[list[ast.AST]] = []
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [tree])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, ast.Call):
            if end_col is not None and (node.end_lineno, node.end_col_offset) == end:
                exact = path
                break
            if node.lineno == lineno and _looks_like_hole(node):
                on_line.append(path)
        for child in ast.iter_child_nodes(node):
            # The running line lies inside the call and so inside each of its ancestors.
            first = getattr(child, "lineno", None)
            last = getattr(child, "end_lineno", None)
            if first is not None and last is not None and not first <= lineno <= last:
                continue
            stack.append((child, [*path, child]))
    if exact is None:
        # No column information (``-X no_debug_ranges``) or a stale source: settle for the
        # only hole call on the line, if there is exactly one.
        if len(on_line) != 1:
            return None
        exact = on_line[0]
    call = exact[-1]
    assert isinstance(call, ast.Call)
    if not _name_matches(call, name):
        return None  # the source no longer matches the running code
    return exact


def _looks_like_hole(call: ast.Call) -> bool:
    import ast

    func = call.func
    return (isinstance(func, ast.Name) and func.id == "hole") or (
        isinstance(func, ast.Attribute) and func.attr == "hole"
    )


def _name_matches(call: ast.Call, name: object) -> bool:
    """Check the literal name at the call site (if any) against the name passed at run time."""
    import ast

    if any(isinstance(arg, ast.Starred) for arg in call.args) or any(
        keyword.arg is None for keyword in call.keywords
    ):
        return True  # ``hole(*args)`` / ``hole(**kwargs)``: nothing to compare
    arguments = [*call.args, *(kw.value for kw in call.keywords if kw.arg == "name")]
    if not arguments:
        return name is None
    if len(arguments) != 1:
        return False
    literal = arguments[0]
    if isinstance(literal, ast.Constant):
        return literal.value == name and type(literal.value) is type(name)
    return True  # a computed name: nothing to compare


# --------------------------------------------------------------------------------------------
# Working out the expected type from the context of the call


class _Context:
    def __init__(self, source: str, path: list[ast.AST]) -> None:
        self.source = source
        self.path = path

    def expected_type(self) -> tuple[str | None, bool]:
        import ast

        path = self.path
        call = path[-1]
        parent = path[-2] if len(path) >= 2 else None
        if isinstance(parent, ast.Return):
            return self._return_type(), False
        if isinstance(parent, ast.AnnAssign) and parent.value is call:
            return self.render(parent.annotation), False
        if isinstance(parent, ast.Assign) and parent.value is call:
            return self._assigned_type(parent), False
        if isinstance(parent, ast.arguments):
            return self._default_type(parent, call), False
        if isinstance(parent, ast.Call) and call in parent.args:
            return self._argument_type(parent, parent.args.index(call), None), False
        if isinstance(parent, ast.keyword) and parent.arg is not None and len(path) >= 3:
            outer = path[-3]
            if isinstance(outer, ast.Call):
                return self._argument_type(outer, None, parent.arg), False
        if isinstance(parent, ast.Expr) and len(path) >= 3:
            function = path[-3]
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = function.body
                if body and body[-1] is parent and (len(body) == 1 or _is_docstring_body(body)):
                    return self.signature(function), True
        return None, False

    # -- rendering ---------------------------------------------------------------------------

    def render(self, node: ast.expr | None) -> str | None:
        """The annotation ``node`` as written in the source (quotes of strings removed)."""
        import ast

        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return " ".join(node.value.split()) or None
        segment = ast.get_source_segment(self.source, node)
        if segment is None or "\n" in segment:
            segment = ast.unparse(node)
        return segment

    def signature(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        """Render ``function``'s signature like ``(text: str) -> dict[str, int]``."""
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults += arguments.defaults
        parts: list[str] = []
        for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
            parts.append(self._parameter(arg.arg, arg.annotation, default))
            if index == len(arguments.posonlyargs) - 1:
                parts.append("/")
        if arguments.vararg is not None:
            parts.append(self._parameter("*" + arguments.vararg.arg, arguments.vararg.annotation))
        elif arguments.kwonlyargs:
            parts.append("*")
        for arg, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
            parts.append(self._parameter(arg.arg, arg.annotation, kw_default))
        if arguments.kwarg is not None:
            parts.append(self._parameter("**" + arguments.kwarg.arg, arguments.kwarg.annotation))
        text = "(" + ", ".join(parts) + ")"
        returns = self.render(function.returns)
        return text if returns is None else f"{text} -> {returns}"

    def _parameter(
        self, name: str, annotation: ast.expr | None, default: ast.expr | None = None
    ) -> str:
        annotation_text = self.render(annotation)
        text = name if annotation_text is None else f"{name}: {annotation_text}"
        if default is not None:
            default_text = self._expression(default)
            text += f"={default_text}" if annotation_text is None else f" = {default_text}"
        return text

    def _expression(self, node: ast.expr) -> str:
        import ast

        segment = ast.get_source_segment(self.source, node)
        if segment is None or "\n" in segment:
            segment = ast.unparse(node)
        return segment

    # -- contexts ----------------------------------------------------------------------------

    def _enclosing_function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        import ast

        for node in reversed(self.path):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
            if isinstance(node, (ast.Lambda, ast.ClassDef)):
                return None
        return None

    def _return_type(self) -> str | None:
        import ast

        function = self._enclosing_function()
        if function is None or function.returns is None:
            return None
        if not _is_generator(function):
            return self.render(function.returns)
        annotation: ast.expr = function.returns
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value.strip(), mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
            if not _is_generator_annotation(annotation):
                return None
            return ast.unparse(_generator_return(annotation))
        if not _is_generator_annotation(annotation):
            return None
        return self.render(_generator_return(annotation))

    def _assigned_type(self, assign: ast.Assign) -> str | None:
        import ast

        for target in assign.targets:
            if isinstance(target, (ast.Name, ast.Attribute)):
                found = self._earlier_annotation(target, assign)
                if found is not None:
                    return found
        return None

    def _earlier_annotation(self, target: ast.Name | ast.Attribute, before: ast.stmt) -> str | None:
        """The annotation of ``target`` given earlier in the scope containing ``before``."""
        import ast

        key = ast.dump(target)
        scope = self._scopes()[-1]
        found: ast.expr | None = None
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and isinstance(
            target, ast.Name
        ):
            # An annotated parameter counts as annotated earlier (not ``*args``/``**kwargs``,
            # whose annotation is not the variable's type).
            arguments = scope.args
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                if arg.arg == target.id:
                    found = arg.annotation
        position = (before.lineno, before.col_offset)
        for statement in _scope_statements(scope.body):
            if (
                isinstance(statement, ast.AnnAssign)
                and (statement.lineno, statement.col_offset) < position
                and ast.dump(statement.target) == key
            ):
                found = statement.annotation  # statements come in source order: keep the last
        return self.render(found)

    def _default_type(self, arguments: ast.arguments, value: ast.AST) -> str | None:
        positional = [*arguments.posonlyargs, *arguments.args]
        offset = len(positional) - len(arguments.defaults)
        for index, default in enumerate(arguments.defaults):
            if default is value:
                return self.render(positional[offset + index].annotation)
        for arg, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
            if kw_default is value:
                return self.render(arg.annotation)
        return None

    def _argument_type(self, call: ast.Call, index: int | None, keyword: str | None) -> str | None:
        import ast

        if index is not None and any(isinstance(arg, ast.Starred) for arg in call.args[:index]):
            return None
        target = self._resolve_callee(call.func)
        if target is None:
            return None
        function, skip = target
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args][skip:]
        if index is not None:
            if index < len(positional):
                return self.render(positional[index].annotation)
            if arguments.vararg is not None:
                return self.render(arguments.vararg.annotation)
            return None
        named = [*arguments.args, *arguments.kwonlyargs]
        if skip and arguments.args and not arguments.posonlyargs:
            named = named[skip:]
        for arg in named:
            if arg.arg == keyword:
                return self.render(arg.annotation)
        if arguments.kwarg is not None:
            return self.render(arguments.kwarg.annotation)
        return None

    def _scopes(self) -> list[ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef]:
        """The function, class and module scopes along the path, outermost first."""
        import ast

        scopes: list[ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef] = []
        for node in self.path:
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                scopes.append(node)
        return scopes

    def _lookup(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
        """Find the definition ``name`` refers to in the scopes enclosing the call."""
        import ast

        scopes = self._scopes()
        for depth, scope in enumerate(reversed(scopes)):
            if isinstance(scope, ast.ClassDef) and depth > 0:
                continue  # class scopes are not visible from nested functions
            definition = _find_definition(scope.body, name)
            if definition is not None:
                return definition
        return None

    def _resolve_callee(
        self, func: ast.expr
    ) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, int] | None:
        """The function called by ``func`` and how many leading parameters are bound."""
        import ast

        if isinstance(func, ast.Name):
            definition = self._lookup(func.id)
            if isinstance(definition, ast.ClassDef):
                init = _find_definition(definition.body, "__init__")
                if isinstance(init, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    return init, 1
                return None
            if definition is not None:
                return definition, 0
            return None
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        receiver = func.value.id
        # ``self.method(...)`` / ``cls.method(...)`` inside a method of the enclosing class.
        for position in range(len(self.path) - 1, 0, -1):
            node = self.path[position]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                owner = self.path[position - 1]
                first = [*node.args.posonlyargs, *node.args.args][:1]
                if (
                    isinstance(owner, ast.ClassDef)
                    and first
                    and first[0].arg == receiver
                    and "staticmethod" not in _decorator_names(node)
                ):
                    method = _find_definition(owner.body, func.attr)
                    if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        bound = 0 if "staticmethod" in _decorator_names(method) else 1
                        return method, bound
                    return None
                break
            if isinstance(node, (ast.Lambda, ast.ClassDef)):
                break
        # ``ClassName.method(...)`` for a class defined in this module.
        definition = self._lookup(receiver)
        if isinstance(definition, ast.ClassDef):
            method = _find_definition(definition.body, func.attr)
            if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return method, 1 if "classmethod" in _decorator_names(method) else 0
        return None


# --------------------------------------------------------------------------------------------
# AST helpers


def _is_docstring_body(body: Sequence[ast.stmt]) -> bool:
    import ast

    if len(body) != 2:
        return False
    first = body[0]
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


def _scope_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a scope, including those nested in compound statements."""
    import ast

    stack = list(reversed(body))
    while stack:
        statement = stack.pop()
        yield statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        nested: list[ast.stmt] = []
        for field in ("body", "orelse", "finalbody"):
            value = getattr(statement, field, None)
            if isinstance(value, list):
                nested += value
        for handler in getattr(statement, "handlers", None) or []:
            nested += handler.body
        for case in getattr(statement, "cases", None) or []:
            nested += case.body
        stack.extend(reversed(nested))


def _find_definition(
    body: Sequence[ast.stmt], name: str
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
    """The last definition of ``name`` among the statements of a scope."""
    import ast

    found: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None
    for statement in _scope_statements(body):
        if (
            isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and statement.name == name
        ):
            found = statement
    return found


def _decorator_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    import ast

    names: set[str] = set()
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Name):
            names.add(decorator.id)
        elif isinstance(decorator, ast.Attribute):
            names.add(decorator.attr)
    return names


def _is_generator(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``function`` contains ``yield`` (outside nested scopes)."""
    import ast

    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _is_generator_annotation(annotation: ast.expr) -> bool:
    import ast

    if not isinstance(annotation, ast.Subscript):
        return False
    base = annotation.value
    named = (isinstance(base, ast.Name) and base.id == "Generator") or (
        isinstance(base, ast.Attribute) and base.attr == "Generator"
    )
    return named and isinstance(annotation.slice, ast.Tuple) and len(annotation.slice.elts) == 3


def _generator_return(annotation: ast.expr) -> ast.expr:
    import ast

    assert isinstance(annotation, ast.Subscript)
    assert isinstance(annotation.slice, ast.Tuple)
    return annotation.slice.elts[2]
