"""A generated body: cleaned up, indented like the function, spliced in, and checked.

Models answer with the body alone, the whole function, a fenced block, or a body whose
first line lost its indentation; all of these become the same list of body lines. The
result must parse — with tree-sitter (what the editor shows) and with CPython's own
compiler — as part of the function it goes into, or it is not offered.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from typing import Any

from lift_lsp.forward.target import BodyTarget
from lift_lsp.holes.detect import find_holes
from lift_lsp.syntax.document import SourceDocument
from lift_lsp.syntax.parser import new_parser
from lift_lsp.syntax.positions import decode, encode

_LINE_BREAK = re.compile(rb"\r\n|\n|\r")
_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


class CodeProblem(ValueError):
    """The generated code cannot be offered (empty, or it does not parse)."""


@dataclass(frozen=True)
class Spliced:
    #: The text that replaces ``target.replace_start..replace_end``.
    replacement: str
    #: The body as inserted, each line with its indentation.
    body: str
    #: The whole file with the new body.
    text: str
    #: The new function's source (whole lines, decorators included).
    function: str
    #: Byte range of the new function in ``text``.
    function_start: int
    function_end: int


def _wrapped(lines: list[str], is_async: bool = False) -> str:
    head = "async def _f():\n" if is_async else "def _f():\n"
    return head + "".join(f"    {line}\n" if line.strip() else "\n" for line in lines)


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def body_lines(raw: str, target: BodyTarget) -> list[str]:
    """The answer as body lines at indentation zero (the function's own docstring, which
    the edit keeps, is not repeated)."""
    fenced = _FENCE.search(raw)
    code = _tabs_to_spaces((fenced.group(1) if fenced else raw).strip("\n"))
    lines = _dedented(code, target.is_async)
    lines = _unwrap_def(lines, target)
    if target.docstring is not None:
        lines = _without_docstring(lines, target.is_async)
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines or all(not line.strip() for line in lines):
        raise CodeProblem("the answer has no code")
    return lines


def _tabs_to_spaces(code: str) -> str:
    """Indentation in spaces (a tab reaches the next multiple of 8, as for CPython), so
    that it mixes with the file's; tabs inside strings stay."""
    lines = code.splitlines()
    keep = _string_continuations(lines)
    out = []
    for i, line in enumerate(lines):
        body = line.lstrip(" \t")
        out.append(line if i in keep else line[: len(line) - len(body)].expandtabs(8) + body)
    return "\n".join(out)


def _dedented(code: str, is_async: bool) -> list[str]:
    lines = code.splitlines()
    whole = _dedent(lines)
    if _parses(_wrapped(whole, is_async)) or len(lines) < 2:
        return whole
    # "x = 1\n    return x": the first line lost the indentation the others kept.
    first, rest = lines[0], lines[1:]
    if not first[:1].isspace() and all(line[:1].isspace() for line in rest if line.strip()):
        repaired = [first, *_dedent(rest)]
        if _parses(_wrapped(repaired, is_async)):
            return repaired
    return whole


def _dedent(lines: list[str]) -> list[str]:
    """``textwrap.dedent`` that leaves the inside of multi-line strings alone (their
    lines do not count towards the common indentation, and are not changed)."""
    keep = _string_continuations(lines)
    margins = [
        len(line) - len(line.lstrip())
        for i, line in enumerate(lines)
        if line.strip() and i not in keep
    ]
    cut = min(margins, default=0)
    return [
        line if i in keep else (line[cut:] if line.strip() else "") for i, line in enumerate(lines)
    ]


def _unwrap_def(lines: list[str], target: BodyTarget) -> list[str]:
    """The body of ``def <name>(...): ...`` when the answer is the whole function."""
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return lines
    funcs = (ast.FunctionDef, ast.AsyncFunctionDef)
    if len(tree.body) != 1 or not isinstance(tree.body[0], funcs):
        return lines
    fn = tree.body[0]
    if fn.name != target.name or not fn.body:
        return lines
    first = fn.body[0]
    start = first.lineno - 1
    if first.lineno == fn.lineno:  # def f(): return 1
        return [lines[start][first.col_offset :].strip()]
    return _dedent(lines[start:])


def _without_docstring(lines: list[str], is_async: bool) -> list[str]:
    try:
        tree = ast.parse(_wrapped(lines, is_async))
    except (SyntaxError, ValueError):
        return lines
    body = tree.body[0].body if tree.body and hasattr(tree.body[0], "body") else []
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        end = first.end_lineno or first.lineno
        return lines[: first.lineno - 2] + lines[end - 1 :]
    return lines


def _string_continuations(lines: list[str]) -> set[int]:
    """Indices of lines that continue a multi-line string: re-indenting them would
    change the string."""
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0], tok.end[0]))  # 0-based: lines after the first
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return set()
    return inside


def splice(text: str, target: BodyTarget, lines: list[str]) -> Spliced:
    """The file with ``lines`` as the function's body, indented like the function."""
    data = encode(text)
    first_break = _LINE_BREAK.search(data)
    newline = decode(first_break.group()) if first_break else "\n"
    if target.docstring_source is not None:
        lines = [target.docstring_source, *lines]
    keep = _string_continuations(lines)
    indented = [
        line if i in keep or not line.strip() else target.body_indent + line
        for i, line in enumerate(lines)
    ]
    indented = [line if line.strip() or i in keep else "" for i, line in enumerate(indented)]
    if target.inline:
        replacement = "".join(newline + line for line in indented)
    else:
        replacement = newline.join([indented[0][len(target.body_indent) :], *indented[1:]])
    new = encode(replacement)
    new_data = data[: target.replace_start] + new + data[target.replace_end :]
    end = target.func_end + len(new) - (target.replace_end - target.replace_start)
    return Spliced(
        replacement=replacement,
        body=newline.join(indented),
        text=decode(new_data),
        function=decode(new_data[target.func_start : end]),
        function_start=target.func_start,
        function_end=end,
    )


def parse_problems(spliced: Spliced, old_text: str) -> list[str]:
    """Why the new function does not parse, as tree-sitter and CPython see it (empty:
    it does). Lines are counted from the function's first line.

    The function is parsed on its own — inside ``if True:`` when it is indented (a
    method), so that its lines keep their exact indentation. CPython's compiler then
    checks the whole file (``await`` outside ``async def``, a misplaced ``nonlocal``),
    unless the file did not compile before the edit either."""
    source, offset = spliced.function, 0
    if source[:1] in (" ", "\t"):
        source, offset = "if True:\n" + source, 1
    problems = []
    tree = new_parser().parse(encode(source))
    if tree.root_node.has_error:
        line = _first_error_line(tree.root_node) - offset
        problems.append(f"tree-sitter: syntax error at line {line}")
    try:
        ast.parse(source)
    except SyntaxError as exc:
        problems.append(f"python: {exc.msg} at line {(exc.lineno or 1) - offset}")
    except (ValueError, RecursionError, MemoryError) as exc:
        problems.append(f"python: {exc}")
    if not problems and _compiles(old_text):
        try:
            compile(spliced.text, "<generated>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            before = encode(spliced.text)[: spliced.function_start].count(b"\n")
            line = (exc.lineno or 1) - before
            problems.append(f"python: {exc.msg} at line {line}")
    return problems


def _compiles(text: str) -> bool:
    try:
        compile(text, "<before>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _first_error_line(root: Any) -> int:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return int(node.start_point[0]) + 1
        if node.has_error:
            stack.extend(reversed(node.children))
    return 1


def code_holes(spliced: Spliced, path: str) -> list[dict[str, Any]]:
    """Holes (``...``, ``hole("name")``) left in the new function's code."""
    doc = SourceDocument(spliced.text)
    out = []
    for hole in find_holes(doc, path=path):
        if not spliced.function_start <= hole.start < spliced.function_end:
            continue
        pos = doc.position_at(hole.start)
        out.append(
            {
                "kind": "code",
                "target": hole.name,
                "message": f"{hole.message} left in the generated code",
                "confidence": None,
                "location": {"row": pos.line + 1, "column": pos.column + 1},
            }
        )
    return out
