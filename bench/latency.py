"""Latency of lift-lsp (and two peer servers) driven over stdio, on the stdlib's argparse.py.

    python bench/latency.py [--edits 200] [--hovers 200] [--spawns 10] [--no-peers]
                            [--json out.json]

Measures, for lift-lsp: cold ``initialize`` (spawn -> response, and the request alone),
one-character ``didChange`` -> the ``publishDiagnostics`` of that version, hover on a
hole, open -> first diagnostics; and the tree-sitter floor (full parse, incremental
re-parse) in this process. Peers (jedi-language-server, basedpyright) are installed from
PyPI into ``~/.cache/lift-lsp-bench/peers-venv`` and measured with the same client:
open -> first diagnostics and hover. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lsp_client import LspClient, LspError, initialize_params

LIFT_CMD = [sys.executable, "-m", "lift_lsp", "serve", "--stdio"]
PEERS_VENV = Path.home() / ".cache" / "lift-lsp-bench" / "peers-venv"
PEER_PACKAGES = ("jedi-language-server", "basedpyright")
HOLE_FUNCTION = "\n\ndef _bench_hole(x: int) -> str:\n    return ...\n"
TARGETS_MS = {
    "change_to_diagnostics_p50": 10.0,
    "hover_p50": 5.0,
    "completion_p50": 15.0,
    "cold_initialize_p50": 300.0,
}
MS = 1e6  # ns per ms

OPEN_BUDGET_S = 60.0  # first diagnostics after didOpen (basedpyright's first check is slow)
REQUEST_BUDGET_S = 30.0
CHANGE_BUDGET_S = 10.0
HOVER_LOOP_BUDGET_S = 90.0


# -- statistics --------------------------------------------------------------------------
def summary(samples_ns: list[int]) -> dict[str, Any]:
    """p50/p95/max in ms (p95 by nearest rank); ``None`` values when there are no samples."""
    if not samples_ns:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    ordered = sorted(samples_ns)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered) / MS,
        "p95": p95 / MS,
        "max": ordered[-1] / MS,
    }


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


# -- the workspace ----------------------------------------------------------------------
@dataclass
class Workload:
    """argparse.py plus one hole, and where to edit and hover."""

    folder: Path
    path: Path
    text: str
    hole: tuple[int, int]  # line, utf-16 column of the `...`
    edit: tuple[int, int]  # line, utf-16 column at the end of a comment mid-file
    name: tuple[int, int]  # the `ArgumentParser` in its class statement

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    @property
    def root_uri(self) -> str:
        return self.folder.as_uri()


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def make_workload(folder: Path) -> Workload:
    source = Path(sysconfig.get_paths()["stdlib"]) / "argparse.py"
    text = source.read_text(encoding="utf-8").rstrip("\n") + "\n" + HOLE_FUNCTION
    path = folder / "argparse.py"
    path.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    hole_line = max(i for i, line in enumerate(lines) if line == "    return ...")
    hole = (hole_line, utf16_len("    return "))
    edit_line = next(
        i for i in range(len(lines) // 2, len(lines)) if lines[i].lstrip().startswith("#")
    )
    edit = (edit_line, utf16_len(lines[edit_line]))
    class_line = next(i for i, line in enumerate(lines) if line.startswith("class ArgumentParser("))
    name = (class_line, utf16_len("class Argument"))
    return Workload(folder, path, text, hole, edit, name)


def position(pos: tuple[int, int]) -> dict[str, int]:
    return {"line": pos[0], "character": pos[1]}


# -- driving a server -------------------------------------------------------------------
@dataclass
class ServerSpec:
    name: str
    cmd: list[str]
    env: dict[str, str] | None = None
    version: str | None = None


@dataclass
class Session:
    client: LspClient
    init_result: Any
    spawn_to_init_ns: int
    init_alone_ns: int


async def start_session(spec: ServerSpec, work: Workload, *, ping_first: bool = False) -> Session:
    """Spawn, ``initialize`` (right away, or after a readiness ping), ``initialized``."""
    client = await LspClient.spawn(spec.cmd, cwd=str(work.folder), env=spec.env)
    try:
        if ping_first:
            # An unknown request: the error response says the server is up and reading.
            with contextlib.suppress(LspError):
                await client.request("$/liftBench/ping", None, timeout=REQUEST_BUDGET_S)
        result, sent, received = await client.request(
            "initialize",
            initialize_params(work.root_uri, work.folder.name),
            timeout=REQUEST_BUDGET_S,
        )
        await client.notify("initialized", {})
    except BaseException:
        client.kill()
        await client.close(timeout=2)
        raise
    return Session(client, result, received - client.spawned_ns, received - sent)


def for_uri(uri: str, version: int | None = None) -> Callable[[Any], bool]:
    if version is None:
        return lambda p: isinstance(p, dict) and p.get("uri") == uri
    return lambda p: isinstance(p, dict) and p.get("uri") == uri and p.get("version") == version


async def open_and_wait(
    client: LspClient, uri: str, text: str, budget: float
) -> tuple[int | None, int]:
    """didOpen -> first publishDiagnostics for ``uri``: (ns or None on timeout, count)."""
    fut = client.expect("textDocument/publishDiagnostics", for_uri(uri))
    sent = await client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    try:
        received, params = await asyncio.wait_for(fut, timeout=budget)
    except TimeoutError:
        client.forget(fut)
        return None, 0
    return received - sent, len(params.get("diagnostics") or [])


async def hover_loop(
    client: LspClient,
    uri: str,
    pos: tuple[int, int],
    count: int,
    method: str = "textDocument/hover",
) -> tuple[list[int], Any, str | None]:
    """``count`` requests of ``method`` at ``pos`` (hovers by default; bounded by a time
    budget): latencies, first result, failure."""
    samples: list[int] = []
    first: Any = None
    deadline = time.monotonic() + HOVER_LOOP_BUDGET_S
    params = {"textDocument": {"uri": uri}, "position": position(pos)}
    for i in range(count):
        try:
            result, sent, received = await client.request(method, params, timeout=REQUEST_BUDGET_S)
        except TimeoutError:
            return samples, first, "timeout"
        except LspError as exc:
            return samples, first, str(exc)
        if i == 0:
            first = result
        samples.append(received - sent)
        if time.monotonic() > deadline:
            break
    return samples, first, None


def hover_text(result: Any) -> str:
    if not isinstance(result, dict):
        return ""
    contents = result.get("contents")
    if isinstance(contents, dict):
        return str(contents.get("value", ""))
    if isinstance(contents, list):
        return " ".join(c if isinstance(c, str) else str(c.get("value", "")) for c in contents)
    return str(contents or "")


async def cold_initialize(
    spec: ServerSpec, work: Workload, spawns: int, *, alone: bool
) -> dict[str, Any]:
    """Spawn -> initialize response over ``spawns`` processes (and, with ``alone``, a
    second series that pings first so the ``initialize`` request is timed by itself)."""
    cold: list[int] = []
    ready: list[int] = []
    init_alone: list[int] = []
    errors: list[str] = []
    for _ in range(spawns):
        try:
            session = await start_session(spec, work)
        except (TimeoutError, LspError, OSError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        cold.append(session.spawn_to_init_ns)
        await session.client.close()
    if alone:
        for _ in range(spawns):
            try:
                session = await start_session(spec, work, ping_first=True)
            except (TimeoutError, LspError, OSError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            init_alone.append(session.init_alone_ns)
            ready.append(session.spawn_to_init_ns - session.init_alone_ns)
            await session.client.close()
    return {
        "spawn_to_initialize": summary(cold),
        "spawn_to_ready": summary(ready),
        "initialize_alone": summary(init_alone),
        "errors": errors,
    }


# -- lift-lsp ---------------------------------------------------------------------------
async def bench_lift(work: Workload, args: argparse.Namespace) -> dict[str, Any]:
    spec = ServerSpec("lift-lsp", LIFT_CMD, dict(os.environ))
    out: dict[str, Any] = {"name": spec.name}
    out["initialize"] = await cold_initialize(spec, work, args.spawns, alone=True)

    session = await start_session(spec, work)
    client = session.client
    try:
        info = (session.init_result or {}).get("serverInfo") or {}
        out["version"] = info.get("version")

        # Round trip of a request the server rejects at once: pipes + JSON-RPC dispatch.
        out["ping"] = summary(await ping_loop(client, args.hovers))

        opened, count = await open_and_wait(client, work.uri, work.text, OPEN_BUDGET_S)
        out["open_first_diagnostics_ms"] = None if opened is None else opened / MS
        out["open_diagnostic_count"] = count

        # didChange -> publishDiagnostics of that version.
        line, col = work.edit
        samples: list[int] = []
        failure = None
        for i in range(args.edits):
            version = i + 2
            if i % 2 == 0:
                rng = {"start": position((line, col)), "end": position((line, col))}
                change = {"range": rng, "text": "x"}
            else:
                rng = {"start": position((line, col)), "end": position((line, col + 1))}
                change = {"range": rng, "text": ""}
            fut = client.expect("textDocument/publishDiagnostics", for_uri(work.uri, version))
            sent = await client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": work.uri, "version": version},
                    "contentChanges": [change],
                },
            )
            try:
                received, params = await asyncio.wait_for(fut, timeout=CHANGE_BUDGET_S)
            except TimeoutError:
                client.forget(fut)
                failure = f"timeout at version {version}"
                break
            samples.append(received - sent)
            if len(params.get("diagnostics") or []) != count:
                failure = f"diagnostic count changed at version {version}"
        out["change_to_diagnostics"] = summary(samples)
        out["change_failure"] = failure

        hovers, first, hover_failure = await hover_loop(client, work.uri, work.hole, args.hovers)
        out["hover_hole"] = summary(hovers)
        out["hover_failure"] = hover_failure
        out["hover_is_hole"] = "hole" in hover_text(first)

        completions, first, failure = await hover_loop(
            client, work.uri, work.hole, args.hovers, method="textDocument/completion"
        )
        out["completion_hole"] = summary(completions)
        items = (first or {}).get("items", []) if isinstance(first, dict) else first or []
        out["completion_failure"] = failure or (
            None if items else "no completion items at the hole"
        )

        opens = await reopen_copies(client, work, args.opens)
        out["open_diagnostics"] = summary([t for t in opens if t is not None])
    finally:
        await client.close()
    return out


async def ping_loop(client: LspClient, count: int) -> list[int]:
    samples: list[int] = []
    for _ in range(count):
        t0 = time.perf_counter_ns()
        with contextlib.suppress(LspError):
            await client.request("$/liftBench/ping", None, timeout=REQUEST_BUDGET_S)
        samples.append(time.perf_counter_ns() - t0)
    return samples


async def reopen_copies(client: LspClient, work: Workload, opens: int) -> list[int | None]:
    """Open ``opens`` fresh copies of the file (new URIs) one after another, closing each."""
    times: list[int | None] = []
    for i in range(opens):
        path = work.folder / f"argparse_copy{i + 1}.py"
        uri = path.as_uri()
        took, _ = await open_and_wait(client, uri, work.text, OPEN_BUDGET_S)
        times.append(took)
        await client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        if took is None:
            break
    return times


# -- peers ------------------------------------------------------------------------------
def peer_bins(venv: Path) -> dict[str, Path]:
    return {
        "jedi-language-server": venv / "bin" / "jedi-language-server",
        "basedpyright": venv / "bin" / "basedpyright-langserver",
    }


def ensure_peers(venv: Path) -> dict[str, str] | None:
    """Install the peers into ``venv`` unless they are there; their versions, or None."""
    bins = peer_bins(venv)
    python = venv / "bin" / "python"
    if not all(p.exists() for p in bins.values()) or not python.exists():
        print(f"installing {' '.join(PEER_PACKAGES)} into {venv} ...", flush=True)
        try:
            if not python.exists():
                venv.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            done = subprocess.run(
                [
                    str(python),
                    *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                    *PEER_PACKAGES,
                ],
                capture_output=True,
                text=True,
                timeout=1200,
                check=False,
            )
            if done.returncode != 0:
                tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
                print(f"pip install failed (exit {done.returncode}):\n{tail}")
                print("continuing without peers")
                return None
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"could not install the peer servers ({exc}); continuing without peers")
            return None
        if not all(p.exists() for p in bins.values()):
            print("the peer servers were installed but their commands are missing; skipping")
            return None
    try:
        code = (
            "import importlib.metadata as m, json;"
            f"print(json.dumps({{n: m.version(n) for n in {list(PEER_PACKAGES)!r}}}))"
        )
        done = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        versions: dict[str, str] = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        print(f"could not read the peer versions ({exc}); continuing without peers")
        return None
    return versions


async def bench_peer(spec: ServerSpec, work: Workload, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"name": spec.name, "version": spec.version}
    out["initialize"] = await cold_initialize(spec, work, args.peer_spawns, alone=False)
    try:
        session = await start_session(spec, work)
    except (TimeoutError, LspError, OSError) as exc:
        out["error"] = f"could not start: {type(exc).__name__}: {exc}"
        return out
    client = session.client
    try:
        first, count = await open_and_wait(client, work.uri, work.text, OPEN_BUDGET_S)
        out["open_first_diagnostics_ms"] = None if first is None else first / MS
        out["open_diagnostic_count"] = count
        if first is None:
            out["error"] = f"no diagnostics within {OPEN_BUDGET_S:.0f} s (timeout)"
            return out
        opens = await reopen_copies(client, work, args.opens)
        out["open_diagnostics"] = summary([t for t in opens if t is not None])
        if None in opens:
            out["error"] = "timeout on a later open"
        hovers, result, failure = await hover_loop(client, work.uri, work.name, args.peer_hovers)
        out["hover_name"] = summary(hovers)
        out["hover_failure"] = failure
        out["hover_answered"] = bool(hover_text(result))
        out["server_requests"] = sorted(set(client.server_requests))
    finally:
        await client.close()
    return out


# -- the floor and the engine pieces, in this process ----------------------------------------
def tree_sitter_floor(work: Workload, runs: int) -> dict[str, Any]:
    import tree_sitter_python
    from tree_sitter import Language, Parser, Point

    parser = Parser(Language(tree_sitter_python.language()))
    data = work.text.encode()
    full: list[int] = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        parser.parse(data)
        full.append(time.perf_counter_ns() - t0)

    line, col = work.edit  # ASCII file: columns are bytes
    offset = sum(len(x) + 1 for x in work.text.split("\n")[:line]) + col
    inserted = data[:offset] + b"x" + data[offset:]
    tree = parser.parse(data)
    incremental: list[int] = []
    current = data
    for i in range(runs):
        t0 = time.perf_counter_ns()
        if i % 2 == 0:
            new, old_end, new_end = inserted, offset, offset + 1
        else:
            new, old_end, new_end = data, offset + 1, offset
        tree.edit(
            start_byte=offset,
            old_end_byte=old_end,
            new_end_byte=new_end,
            start_point=Point(line, col),
            old_end_point=Point(line, col + old_end - offset),
            new_end_point=Point(line, col + new_end - offset),
        )
        tree = parser.parse(new, tree)
        incremental.append(time.perf_counter_ns() - t0)
        current = new
    if tree.root_node.has_error or current not in (data, inserted):
        raise RuntimeError("the incremental re-parse loop lost track of the text")
    return {"full_parse": summary(full), "incremental_reparse": summary(incremental)}


def engine_pieces(work: Workload, runs: int) -> dict[str, Any]:
    """The server's work per change and per hover, piece by piece, without the protocol."""
    try:
        from lift_lsp.config import Settings
        from lift_lsp.holes.analysis import Analysis
        from lift_lsp.server.convert import hole_diagnostic
        from lift_lsp.server.features.hover import render
        from lift_lsp.server.settings import SettingsManager
        from lift_lsp.syntax.document import Position, SourceDocument
        from lift_lsp.syntax.parser import cursor
        from lift_lsp.syntax.positions import Encoding
    except ImportError as exc:
        return {"error": f"cannot import lift_lsp pieces: {exc}"}

    doc = SourceDocument(work.text, version=1)
    line, col = work.edit
    keys = (
        "SourceDocument.apply_change",
        "SettingsManager.for_path",
        "SettingsManager.is_excluded",
        "holes query captures (full tree)",
        "Analysis(...) (includes the query)",
        "line_starts rebuild",
        "holes -> lsp.Diagnostic",
        "hover: describe + render",
    )
    timings: dict[str, list[int]] = {k: [] for k in keys}
    manager = SettingsManager()
    manager.roots = [work.folder]
    settings: Settings = manager.for_path(work.path)
    for i in range(runs):
        t = [time.perf_counter_ns()]
        if i % 2 == 0:
            doc.apply_change(Position(line, col), Position(line, col), "x", Encoding.UTF16)
        else:
            doc.apply_change(Position(line, col), Position(line, col + 1), "", Encoding.UTF16)
        t.append(time.perf_counter_ns())
        settings = manager.for_path(work.path)
        t.append(time.perf_counter_ns())
        manager.is_excluded(work.path, settings)
        t.append(time.perf_counter_ns())
        cursor("holes").captures(doc.tree.root_node)
        t.append(time.perf_counter_ns())
        analysis = Analysis(doc, str(work.path), settings.enabled_kinds)
        t.append(time.perf_counter_ns())
        _ = doc.line_starts
        t.append(time.perf_counter_ns())
        diags = [
            hole_diagnostic(work.uri, doc, h, Encoding.UTF16, settings.severity, [])
            for h in analysis.holes
        ]
        t.append(time.perf_counter_ns())
        hole = analysis.hole_at(doc.offset_at(Position(*work.hole), Encoding.UTF16)[0])
        if hole is None or not diags:
            raise RuntimeError("the in-process analysis did not find the hole")
        render(analysis.describe(hole), {})
        t.append(time.perf_counter_ns())
        for j, key in enumerate(keys):
            timings[key].append(t[j + 1] - t[j])
    return {k: summary(v) for k, v in timings.items()}


def startup_pieces(runs: int) -> dict[str, Any]:
    """Where a cold start goes: wall time of short interpreter runs (median of ``runs``)."""
    snippets = {
        "python -c pass": "pass",
        "import lsprotocol.types": "import lsprotocol.types",
        "import pygls.lsp.server": "import pygls.lsp.server",
        "lift_lsp create_server()": (
            "from lift_lsp.server.app import create_server; create_server()"
        ),
    }
    out: dict[str, Any] = {}
    for label, code in snippets.items():
        samples: list[int] = []
        for _ in range(runs):
            t0 = time.perf_counter_ns()
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, timeout=60, check=False
            )
            if done.returncode != 0:
                break
            samples.append(time.perf_counter_ns() - t0)
        out[label] = summary(samples)
    return out


# -- report -----------------------------------------------------------------------------
def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def print_report(result: dict[str, Any]) -> None:
    m = result["machine"]
    print()
    print(f"machine: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}")
    print(f"file: {result['file']['source']} + one hole ({result['file']['lines']} lines)")
    versions = ", ".join(f"{k} {v}" for k, v in result["versions"].items())
    print(f"servers: {versions}")
    print()
    lift = result["lift"]
    rows: list[tuple[str, dict[str, Any]]] = [
        ("cold initialize (spawn -> response)", lift["initialize"]["spawn_to_initialize"]),
        ("  spawn -> server reading (ping)", lift["initialize"]["spawn_to_ready"]),
        ("  initialize request alone", lift["initialize"]["initialize_alone"]),
        ("didChange -> publishDiagnostics", lift["change_to_diagnostics"]),
        ("hover on the hole", lift["hover_hole"]),
        ("completion at the hole", lift["completion_hole"]),
        ("didOpen -> publishDiagnostics (copies)", lift["open_diagnostics"]),
        ("request round trip (error reply)", lift["ping"]),
        ("tree-sitter full parse (in-process)", result["floor"]["full_parse"]),
        ("tree-sitter incremental re-parse", result["floor"]["incremental_reparse"]),
    ]
    print(
        f"{'lift-lsp ' + str(lift.get('version') or ''):<42}{'n':>5}{'p50':>9}{'p95':>9}{'max':>9}"
    )
    for label, s in rows:
        print(f"{label:<42}{s['n']:>5}{fmt(s['p50']):>9}{fmt(s['p95']):>9}{fmt(s['max']):>9}")
    print("(milliseconds)")
    if lift.get("change_failure"):
        print(f"note: change -> diagnostics: {lift['change_failure']}")
    if lift.get("completion_failure"):
        print(f"note: completion: {lift['completion_failure']}")
    if lift.get("hover_failure") or not lift.get("hover_is_hole"):
        print(f"note: hover: {lift.get('hover_failure') or 'the answer did not describe a hole'}")
    print()
    r = result["ratios"]
    print(f"change->diagnostics p50 / incremental re-parse p50: {fmt(r['change_vs_reparse'])}x")
    print(f"hover p50 / full parse p50:                        {fmt(r['hover_vs_full_parse'])}x")
    print()
    print("targets:")
    for key, t in result["targets"].items():
        verdict = "met" if t["met"] else "MISSED" if t["met"] is False else "n/a"
        print(f"  {key:<28} <= {t['target_ms']:g} ms: {fmt(t['measured_ms'])} ms  {verdict}")

    pieces = result.get("engine")
    if pieces and "error" not in pieces:
        print()
        print(f"{'engine pieces per change/hover (in-process)':<42}{'n':>5}{'p50':>9}{'p95':>9}")
        for label, s in pieces.items():
            print(f"  {label:<40}{s['n']:>5}{fmt(s['p50']):>9}{fmt(s['p95']):>9}")
    elif pieces:
        print(f"engine pieces: {pieces['error']}")
    print()
    print(f"{'cold start pieces (wall time of python -c)':<42}{'n':>5}{'p50':>9}{'p95':>9}")
    for label, s in result["startup"].items():
        print(f"  {label:<40}{s['n']:>5}{fmt(s['p50']):>9}{fmt(s['p95']):>9}")

    peers = result.get("peers")
    if peers is None:
        return
    print()
    head = f"{'server':<22}{'init p50':>10}{'open 1st':>10}{'open p50':>10}{'hover p50':>11}"
    print(head + f"{'hover p95':>11}{'diags':>7}")
    for p in [lift, *peers]:
        init = p["initialize"]["spawn_to_initialize"]["p50"]
        openp = p.get("open_diagnostics", {}).get("p50")
        hover = p.get("hover_hole") or p.get("hover_name") or {}
        name = p["name"]
        print(
            f"{name:<22}{fmt(init):>10}{fmt(p.get('open_first_diagnostics_ms')):>10}"
            f"{fmt(openp):>10}{fmt(hover.get('p50')):>11}{fmt(hover.get('p95')):>11}"
            f"{p.get('open_diagnostic_count', 0):>7}"
        )
        if p.get("error"):
            print(f"  {name}: {p['error']}")
        if p.get("hover_failure"):
            print(f"  {name}: hover: {p['hover_failure']}")
    print("(milliseconds; lift-lsp hovers the hole, peers hover `ArgumentParser`)")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lift-bench-") as tmp:
        folder = Path(tmp) / "workspace"
        folder.mkdir()
        work = make_workload(folder)
        for i in range(max(args.opens, 0)):
            shutil.copyfile(work.path, folder / f"argparse_copy{i + 1}.py")
        print(f"lift-lsp: {args.spawns} spawns, {args.edits} edits, {args.hovers} hovers ...")
        lift = await bench_lift(work, args)
        floor = tree_sitter_floor(work, args.runs)
        engine = engine_pieces(work, args.runs)
        startup = startup_pieces(args.startup_runs)
        import lift_lsp

        versions: dict[str, str | None] = {"lift-lsp": lift.get("version") or lift_lsp.__version__}
        peers: list[dict[str, Any]] | None = None
        if not args.no_peers:
            installed = ensure_peers(Path(args.peers_venv))
            if installed is not None:
                versions.update(installed)
                bins = peer_bins(Path(args.peers_venv))
                env = dict(os.environ)
                env["PATH"] = f"{Path(args.peers_venv) / 'bin'}{os.pathsep}{env.get('PATH', '')}"
                env.pop("VIRTUAL_ENV", None)
                specs = [
                    ServerSpec(
                        "jedi-language-server",
                        [str(bins["jedi-language-server"])],
                        env,
                        installed["jedi-language-server"],
                    ),
                    ServerSpec(
                        "basedpyright",
                        [str(bins["basedpyright"]), "--stdio"],
                        env,
                        installed["basedpyright"],
                    ),
                ]
                peers = []
                for spec in specs:
                    print(f"{spec.name}: {args.peer_spawns} spawns, {args.opens + 1} opens ...")
                    try:
                        peers.append(await bench_peer(spec, work, args))
                    except (TimeoutError, LspError, OSError) as exc:
                        peers.append({"name": spec.name, "error": f"{type(exc).__name__}: {exc}"})

    change = lift["change_to_diagnostics"]["p50"]
    hover = lift["hover_hole"]["p50"]
    cold = lift["initialize"]["spawn_to_initialize"]["p50"]
    measured = {
        "change_to_diagnostics_p50": change,
        "hover_p50": hover,
        "completion_p50": lift["completion_hole"]["p50"],
        "cold_initialize_p50": cold,
    }
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "file": {"source": "argparse.py (stdlib)", "lines": work.text.count("\n")},
        "versions": versions,
        "settings": vars(args),
        "lift": lift,
        "floor": floor,
        "engine": engine,
        "startup": startup,
        "ratios": {
            "change_vs_reparse": ratio(change, floor["incremental_reparse"]["p50"]),
            "hover_vs_full_parse": ratio(hover, floor["full_parse"]["p50"]),
        },
        "targets": {
            key: {
                "target_ms": target,
                "measured_ms": measured[key],
                "met": None if measured[key] is None else measured[key] <= target,
            }
            for key, target in TARGETS_MS.items()
        },
        "peers": peers,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--edits", type=int, default=200, help="didChange edits (default 200)")
    p.add_argument("--hovers", type=int, default=200, help="hovers on the hole (default 200)")
    p.add_argument("--spawns", type=int, default=10, help="cold lift-lsp spawns (default 10)")
    p.add_argument("--runs", type=int, default=200, help="in-process parse runs (default 200)")
    p.add_argument("--opens", type=int, default=5, help="fresh-URI opens after the first")
    p.add_argument("--startup-runs", type=int, default=5, help="runs per import timing")
    p.add_argument("--peer-spawns", type=int, default=3, help="cold spawns per peer")
    p.add_argument("--peer-hovers", type=int, default=50, help="hovers per peer")
    p.add_argument("--no-peers", action="store_true", help="skip jedi-language-server/basedpyright")
    p.add_argument("--peers-venv", default=str(PEERS_VENV), help=f"default {PEERS_VENV}")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    args = p.parse_args(argv)
    result = asyncio.run(run(args))
    print_report(result)
    if args.json is not None:
        result["settings"] = {k: str(v) for k, v in result["settings"].items()}
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
