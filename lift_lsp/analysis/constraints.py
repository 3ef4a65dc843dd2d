"""Pre- and postconditions a function states itself, with ``assert`` and guard clauses.

* **Preconditions** come from the *leading* statements of the body (after the docstring):
  ``assert`` statements (``assert x >= 0, "msg"`` → ``x >= 0``) and guard clauses, an
  ``if`` without ``elif``/``else`` whose block ends in ``raise`` (``if x < 0: raise
  ValueError`` → ``x >= 0``). The scan stops at the first statement that is neither.
  Only conditions that mention a parameter are kept; ``assert a and b`` and
  ``if a or b: raise`` give one precondition per part.
* **Postconditions** come from ``assert`` statements placed right before a ``return``
  (anywhere in the function's own body) that mention the returned name or ``result``.

Confidence numbers are heuristic strengths, not calibrated probabilities:
``0.9`` (:data:`ASSERTED`) for an assertion, the author's own statement of the
condition; ``0.85`` (:data:`GUARDED`) for a guard whose condition only needed an exact
negation (dropping a ``not`` or writing ``not (…)``), since the author may also raise
for reasons that are not about the caller's input; ``0.8`` (:data:`REWRITTEN`) when the
negation rewrote an operator (``x < 0`` → ``x >= 0``), which is exact for ordinary
values but not, e.g., for NaN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from lift_lsp.analysis.context import FunctionUnit
from lift_lsp.analysis.effects import own_nodes
from lift_lsp.holes.defs import parameters
from lift_lsp.syntax.nodes import body_statements, dotted_tail, is_docstring, text, walk

ASSERTED = 0.9
GUARDED = 0.85
REWRITTEN = 0.8

_NEGATED_OPERATOR = {
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
    "==": "!=",
    "!=": "==",
    "in": "not in",
    "not in": "in",
    "is": "is not",
    "is not": "is",
}
#: Raised to signal the end of a protocol, not a broken precondition.
_PROTOCOL_EXCEPTIONS = frozenset({"StopIteration", "StopAsyncIteration", "GeneratorExit"})
#: Expressions that need no parentheses after ``not``.
_ATOMS = frozenset(
    {
        "identifier",
        "attribute",
        "call",
        "subscript",
        "parenthesized_expression",
        "string",
        "integer",
        "float",
        "true",
        "false",
        "none",
        "list",
        "tuple",
        "dictionary",
        "set",
    }
)


@dataclass(frozen=True)
class ConstraintFinding:
    category: str
    expression: str
    confidence: float


def _clean(node: Node) -> str:
    """The source of an expression on one line (line breaks and their indentation folded)."""
    return re.sub(r"\s*(?:\\\s*)?[\r\n]+\s*", " ", text(node)).strip()


def _unparen(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        if inner.type in ("comment", "yield"):
            break
        node = inner
    return node


def _split(node: Node, operator: str) -> list[Node]:
    """``a and (b and c)`` → ``[a, b, c]`` for ``operator="and"`` (iteratively)."""
    parts: list[Node] = []
    stack = [node]
    while stack:
        current = _unparen(stack.pop())
        op = current.child_by_field_name("operator")
        if current.type == "boolean_operator" and op is not None and op.type == operator:
            left = current.child_by_field_name("left")
            right = current.child_by_field_name("right")
            if left is not None and right is not None:
                stack.extend([right, left])
                continue
        parts.append(current)
    return parts


def _negate(node: Node) -> tuple[str, bool]:
    """The negation of a condition, and whether an operator had to be rewritten.

    ``not (a and b)`` becomes ``not a or not b``-style only when every part negates
    without parentheses (``x < 0 and not y`` → ``x >= 0 or y``).
    """
    node = _unparen(node)
    argument = node.child_by_field_name("argument") if node.type == "not_operator" else None
    if argument is not None:
        return _clean(_unparen(argument)), False
    parts = _split(node, "and")
    if len(parts) > 1:
        negated = [_negate_simple(part) for part in parts]
        if all(n is not None for n in negated):
            return " or ".join(n[0] for n in negated if n is not None), True
        return f"not ({_clean(node)})", False
    simple = _negate_simple(node)
    if simple is not None:
        return simple
    if node.type in _ATOMS:
        return f"not {_clean(node)}", False
    return f"not ({_clean(node)})", False


def _negate_simple(node: Node) -> tuple[str, bool] | None:
    """``not E`` → ``E``; ``a < b`` → ``a >= b``; ``x`` → ``not x``; else None."""
    node = _unparen(node)
    if node.type == "not_operator":
        argument = node.child_by_field_name("argument")
        if argument is not None:
            inner = _unparen(argument)
            if inner.type == "boolean_operator":
                return None  # ``not (a or b)`` inside a larger ``and`` stays as it is
            return _clean(inner), False
    if node.type == "comparison_operator":
        operands = [c for i, c in enumerate(node.children) if _is_operand(node, i)]
        operators = [
            c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "operators"
        ]
        if len(operands) == 2 and len(operators) == 1:
            op = " ".join(text(operators[0]).split())
            flipped = _NEGATED_OPERATOR.get(op)
            if flipped is not None:
                return f"{_clean(operands[0])} {flipped} {_clean(operands[1])}", True
    if node.type in _ATOMS:
        return f"not {_clean(node)}", False
    return None


def _is_operand(comparison: Node, index: int) -> bool:
    child = comparison.children[index]
    return child.is_named and comparison.field_name_for_child(index) != "operators"


def _mentions(node: Node, names: set[str]) -> set[str]:
    """The ``names`` that occur in ``node`` as variables (not as ``.attr`` or ``kw=``)."""
    found: set[str] = set()
    for child in walk(node):
        if child.type != "identifier":
            continue
        parent = child.parent
        if parent is not None and parent.type in ("attribute", "keyword_argument"):
            field = "attribute" if parent.type == "attribute" else "name"
            named = parent.child_by_field_name(field)
            if named is not None and named.id == child.id:
                continue
        name = text(child)
        if name in names:
            found.add(name)
    return found


def _statements(block_owner: Node) -> list[Node]:
    return [s for s in body_statements(block_owner) if s.type != "comment"]


def _is_guard(statement: Node) -> bool:
    """``if cond: [simple statements…] raise …`` with no ``elif``/``else``."""
    if statement.type != "if_statement":
        return False
    if statement.child_by_field_name("alternative") is not None:
        return False
    block = statement.child_by_field_name("consequence")
    if block is None:
        return False
    body = [s for s in block.named_children if s.type != "comment"]
    if not body or body[-1].type != "raise_statement":
        return False
    raised = body[-1].named_children
    if raised and dotted_tail(raised[0]) in _PROTOCOL_EXCEPTIONS:
        return False  # ``if not queue: raise StopIteration`` ends an iteration
    return all(s.type == "expression_statement" for s in body[:-1])


def _condition(assertion: Node) -> Node | None:
    children = [c for c in assertion.named_children if c.type != "comment"]
    return children[0] if children else None


def detect_constraints(unit: FunctionUnit) -> list[ConstraintFinding]:
    """Preconditions (leading asserts and guards) and postconditions (asserts before return)."""
    func = unit.node
    params = {p.name for p in parameters(func)}
    found: list[tuple[int, ConstraintFinding]] = []
    leading: set[int] = set()

    statements = _statements(func)
    if statements and is_docstring(statements[0]):
        statements = statements[1:]
    for statement in statements:
        if statement.type == "assert_statement":
            leading.add(statement.id)
            condition = _condition(statement)
            for part in _split(condition, "and") if condition is not None else []:
                if _mentions(part, params):
                    finding = ConstraintFinding("precondition", _clean(part), ASSERTED)
                    found.append((part.start_byte, finding))
        elif _is_guard(statement):
            condition = statement.child_by_field_name("condition")
            for part in _split(condition, "or") if condition is not None else []:
                if _mentions(part, params):
                    expression, rewritten = _negate(part)
                    strength = REWRITTEN if rewritten else GUARDED
                    found.append(
                        (part.start_byte, ConstraintFinding("precondition", expression, strength))
                    )
        else:
            break

    for node in own_nodes(func):
        if node.type == "block":
            found.extend(_postconditions(node, leading))

    found.sort(key=lambda item: item[0])
    seen: set[tuple[str, str]] = set()
    result = []
    for _, finding in found:
        key = (finding.category, finding.expression)
        if key not in seen:
            seen.add(key)
            result.append(finding)
    return result


def _postconditions(block: Node, leading: set[int]) -> list[tuple[int, ConstraintFinding]]:
    statements = [s for s in block.named_children if s.type != "comment"]
    found: list[tuple[int, ConstraintFinding]] = []
    for i, statement in enumerate(statements):
        if statement.type != "return_statement" or not statement.named_children:
            continue
        returned = _unparen(statement.named_children[0])
        names = {"result"}
        if returned.type == "identifier":
            names.add(text(returned))
        elif returned.type in ("expression_list", "tuple"):
            names.update(text(c) for c in returned.named_children if c.type == "identifier")
        j = i - 1
        while j >= 0 and statements[j].type == "assert_statement":
            assertion = statements[j]
            j -= 1
            condition = _condition(assertion)
            if assertion.id in leading or condition is None:
                continue
            for part in _split(condition, "and"):
                if _mentions(part, names):
                    finding = ConstraintFinding("postcondition", _clean(part), ASSERTED)
                    found.append((part.start_byte, finding))
    return found
