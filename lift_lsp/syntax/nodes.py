"""Small, allocation-light helpers over tree-sitter nodes of the Python grammar."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from lift_lsp.syntax.positions import decode

SCOPE_TYPES = frozenset({"function_definition", "class_definition", "module"})
STATEMENT_BOUNDARY = frozenset({"block", "module", "function_definition", "class_definition"})


def text(node: Node) -> str:
    raw = node.text
    return decode(raw) if raw is not None else ""


def ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def field_of(node: Node) -> str | None:
    """The field name under which ``node`` hangs from its parent."""
    parent = node.parent
    if parent is None:
        return None
    for i, child in enumerate(parent.children):
        if child.id == node.id:
            return parent.field_name_for_child(i)
    return None


def enclosing(node: Node, *types: str) -> Node | None:
    for anc in ancestors(node):
        if anc.type in types:
            return anc
    return None


def enclosing_function(node: Node) -> Node | None:
    """The nearest function definition around ``node`` (lambdas do not count)."""
    return enclosing(node, "function_definition")


def owning_class(func: Node) -> Node | None:
    """The class of which ``func`` is a method, or None."""
    parent = func.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    if parent is not None and parent.type == "block":
        owner = parent.parent
        if owner is not None and owner.type == "class_definition":
            return owner
    return None


def definition_name(node: Node) -> str:
    name = node.child_by_field_name("name")
    return text(name) if name is not None else "<anonymous>"


def qualname(node: Node) -> str:
    """``Outer.method.inner``-style name of a function or class definition."""
    parts = [definition_name(node)]
    for anc in ancestors(node):
        if anc.type in ("function_definition", "class_definition"):
            parts.append(definition_name(anc))
    return ".".join(reversed(parts))


def decorators(definition: Node) -> list[Node]:
    """The decorator expressions of a function or class definition."""
    parent = definition.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    result = []
    for child in parent.named_children:
        if child.type == "decorator" and child.named_children:
            result.append(child.named_children[0])
    return result


def dotted_tail(node: Node) -> str:
    """The last name of ``a.b.c`` or ``a.b.c(...)`` or ``a.b[c]`` (``c``, ``c``, ``b``)."""
    while node.type in ("call", "subscript", "generic_type"):
        inner = node.child_by_field_name("function") or node.child_by_field_name("value")
        if inner is None:
            inner = node.named_children[0] if node.named_children else None
        if inner is None:
            break
        node = inner
    if node.type == "attribute":
        attr = node.child_by_field_name("attribute")
        return text(attr) if attr is not None else ""
    return text(node)


def body_statements(definition: Node) -> list[Node]:
    body = definition.child_by_field_name("body")
    return list(body.named_children) if body is not None else []


def is_docstring(statement: Node) -> bool:
    return (
        statement.type == "expression_statement"
        and statement.named_child_count == 1
        and statement.named_children[0].type in ("string", "concatenated_string")
    )


def assignment_of(statement: Node) -> Node | None:
    """The ``assignment`` a statement consists of (``x = 1``, ``x: int``), or None."""
    if statement.type != "expression_statement" or not statement.named_children:
        return None
    inner = statement.named_children[0]
    return inner if inner.type == "assignment" else None


def strip_string_annotation(annotation: str) -> str:
    """``"Foo"`` → ``Foo``: forward references are written as strings."""
    s = annotation.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1].strip()
    return s


def walk(node: Node) -> Iterator[Node]:
    """Pre-order traversal without recursion (deeply nested code is legal Python)."""
    cursor = node.walk()
    while True:
        current = cursor.node
        if current is not None:
            yield current
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
