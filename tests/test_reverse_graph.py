"""The reverse graph end to end on the local route: IR, provenance, holes, cache, resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from lift_lsp.graphs.runner import ReverseRunner
from lift_lsp.ir.model import HOLE_THRESHOLD, FileIR
from lift_lsp.store.db import Store

SOURCE = textwrap.dedent(
    '''
    import os
    from pathlib import Path


    class Circle:
        def __init__(self, radius: float) -> None:
            self.radius = radius

        def area(self) -> float:
            """Return the area of the circle."""
            return 3.14159 * self.radius**2

        def scaled(self, factor):
            return Circle(self.radius * factor)


    def read_config(path, encoding=None):
        """Read the configuration file at ``path``."""
        assert path, "a path is required"
        if encoding is None:
            encoding = "utf-8"
        with open(path, encoding=encoding) as fh:
            return fh.read()


    def count_words(text):
        return len(text.split())


    def run(x):
        print(x)
    '''
)


async def lift(
    tmp_path: Path, text: str = SOURCE, **kwargs: Any
) -> tuple[dict[str, Any], Store, str]:
    store = await Store.open(tmp_path / "lift.db")
    result = await ReverseRunner(store).run("m.py", text, **kwargs)
    return result.file_ir, store, result.execution_id


def by_name(file_ir: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["qualname"]: f for f in file_ir["functions"]}


async def test_every_function_every_parameter_in_order(tmp_path: Path) -> None:
    file_ir, store, _ = await lift(tmp_path)
    await store.close()
    FileIR.model_validate(file_ir)
    fns = by_name(file_ir)
    assert list(fns) == [
        "Circle.__init__",
        "Circle.area",
        "Circle.scaled",
        "read_config",
        "count_words",
        "run",
    ]
    assert [(p["name"], p["kind"]) for p in fns["read_config"]["params"]] == [
        ("path", "positional_or_keyword"),
        ("encoding", "positional_or_keyword"),
    ]
    assert fns["Circle.area"]["location"] == {"row": 10, "column": 5}


async def test_annotations_are_reported_as_written_with_full_confidence(tmp_path: Path) -> None:
    file_ir, store, _ = await lift(tmp_path)
    await store.close()
    radius = by_name(file_ir)["Circle.__init__"]["params"][1]
    assert (radius["type"], radius["confidence"]) == ("float", 1.0)
    assert radius["provenance"]["source"] == "annotation"


async def test_inferred_types_carry_a_calibrated_static_provenance(tmp_path: Path) -> None:
    file_ir, store, execution_id = await lift(tmp_path)
    await store.close()
    fns = by_name(file_ir)
    encoding = fns["read_config"]["params"][1]
    assert encoding["type"] == "str | None"
    prov = encoding["provenance"]
    assert prov["source"] == "static"
    assert prov["route"] == "local"
    assert prov["execution_id"] == execution_id
    assert prov["calibration"].startswith("isotonic:")
    assert prov["program_version"].startswith("static-")
    assert "timestamp" in prov
    assert fns["count_words"]["returns"]["type"] == "int"
    assert fns["run"]["returns"]["type"] == "None"
    assert fns["Circle.scaled"]["returns"]["type"] == "Circle"
    candidates = encoding["candidates"]
    assert candidates[0]["type"] == encoding["type"]
    assert [c["confidence"] for c in candidates] == sorted(
        (c["confidence"] for c in candidates), reverse=True
    )


async def test_low_confidence_elements_become_holes(tmp_path: Path) -> None:
    file_ir, store, _ = await lift(tmp_path)
    await store.close()
    for fn in file_ir["functions"]:
        holes = {(h["kind"], h["target"]) for h in fn["holes"]}
        for p in fn["params"]:
            inferred = p["provenance"]["source"] != "annotation" and p["name"] not in (
                "self",
                "cls",
            )
            if inferred and p["confidence"] < HOLE_THRESHOLD:
                assert ("signature", p["name"]) in holes, (fn["qualname"], p)
            if p["confidence"] >= HOLE_THRESHOLD:
                assert ("signature", p["name"]) not in holes
        intent = fn["intent"]
        if intent["confidence"] >= HOLE_THRESHOLD:
            assert ("intent", "intent") not in holes
    run_holes = {h["kind"] for h in by_name(file_ir)["run"]["holes"]}
    assert "intent" in run_holes  # `run` with no docstring: intent not established


async def test_effects_and_preconditions(tmp_path: Path) -> None:
    file_ir, store, _ = await lift(tmp_path)
    await store.close()
    fns = by_name(file_ir)
    assert {e["kind"] for e in fns["read_config"]["effects"]} == {"filesystem"}
    assert {e["kind"] for e in fns["run"]["effects"]} == {"io"}
    (pre,) = fns["read_config"]["assertions"]
    assert (pre["category"], pre["expression"]) == ("precondition", "path")


async def test_unchanged_functions_cost_nothing_the_second_time(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "lift.db")
    runner = ReverseRunner(store)
    await runner.run("m.py", SOURCE)
    again = await runner.run("m.py", SOURCE)
    nodes = [r.node_id for r in await store.node_runs(again.execution_id)]
    assert nodes == ["LoadCode", "ParseAST", "ValidateIR"]

    edited = SOURCE.replace("return len(text.split())", "return len(text.split(','))")
    third = await runner.run("m.py", edited)
    items = {r.item_key for r in await store.node_runs(third.execution_id) if r.item_key}
    assert items == {"count_words"}
    assert by_name(third.file_ir).keys() == by_name(again.file_ir).keys()
    await store.close()


async def test_syntax_errors_leave_the_rest_analysed(tmp_path: Path) -> None:
    broken = SOURCE + "\ndef broken(:\n    pass\n"
    file_ir, store, _ = await lift(tmp_path, broken)
    await store.close()
    assert by_name(file_ir)["count_words"]["returns"]["type"] == "int"


class ExplodingProvider:
    """A route that fails on one function, as a dead remote route would."""

    route = "local"
    model = None

    def __init__(self) -> None:
        from lift_lsp.providers.local import LocalProvider

        self.inner = LocalProvider()
        self.program_version = "exploding-1"

    async def predict(self, signature: Any, inputs: dict[str, Any], *, unit: Any = None) -> Any:
        if inputs["qualname"] == "count_words":
            raise RuntimeError("the engine choked")
        return await self.inner.predict(signature, inputs, unit=unit)


async def test_a_function_the_engine_cannot_analyse_becomes_a_hole(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "lift.db")
    result = await ReverseRunner(store, ExplodingProvider()).run("m.py", SOURCE)
    await store.close()
    fn = by_name(result.file_ir)["count_words"]
    assert any("the engine choked" in h["message"] for h in fn["holes"])
    assert by_name(result.file_ir)["run"]["returns"]["type"] == "None"


def test_graph_renders_as_mermaid() -> None:
    from lift_lsp.graphs.reverse import mermaid

    diagram = mermaid()
    for node in ("LoadCode", "ParseAST", "InferTypeFromUsage", "PromoteToHoles", "ValidateIR"):
        assert node in diagram


async def test_local_provider_answers_with_the_signature_fields(tmp_path: Path) -> None:
    import dspy

    from lift_lsp import signatures
    from lift_lsp.analysis.context import ModuleContext
    from lift_lsp.providers.local import LocalProvider
    from lift_lsp.syntax.document import SourceDocument

    unit = ModuleContext(SourceDocument(SOURCE)).functions()[3]
    provider = LocalProvider()
    for sig in signatures.REVERSE_SIGNATURES:
        prediction = await provider.predict(sig, {"qualname": unit.qualname}, unit=unit)
        assert isinstance(prediction, dspy.Prediction)
        assert set(sig.output_fields) <= set(prediction.keys())


def test_schema_file_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lift_lsp.ir", "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


# -- the command line, and a run killed half way ------------------------------------------


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lift_lsp", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "LIFT_WORKSPACE": str(cwd)},
    )


def test_ir_json_follows_the_contract(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SOURCE)
    proc = cli("ir", "m.py", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["version"] == 1
    assert out["errors"] == []
    (file_ir,) = out["files"]
    assert file_ir["path"] == "m.py"
    fn = file_ir["functions"][0]
    assert set(fn) == {
        "qualname",
        "location",
        "intent",
        "params",
        "returns",
        "effects",
        "assertions",
        "holes",
    }
    assert set(fn["params"][0]) == {
        "name",
        "kind",
        "type",
        "confidence",
        "candidates",
        "provenance",
    }
    assert (tmp_path / ".lift" / "lift.db").is_file()


def test_replay_prints_the_trace(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SOURCE)
    assert cli("ir", "m.py", cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / ".lift" / "lift.db") as db:
        (execution_id,) = db.execute("SELECT id FROM graph_executions").fetchone()
    proc = cli("replay", execution_id[:8], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "completed" in proc.stdout.splitlines()[0]
    nodes = [line.split()[1] for line in proc.stdout.splitlines()[1:]]
    assert nodes[:2] == ["LoadCode", "ParseAST"]
    assert nodes[-1] == "ValidateIR"
    assert nodes.count("InferTypeFromUsage") == 6
    assert cli("replay", "nonexistent", cwd=tmp_path).returncode == 2


def test_a_killed_run_resumes_from_its_last_node(tmp_path: Path) -> None:
    body = "".join(f"def f{i}(x{i}, y=1):\n    return x{i} + y\n\n" for i in range(400))
    (tmp_path / "big.py").write_text(body)
    db_path = tmp_path / ".lift" / "lift.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lift_lsp", "ir", "big.py"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "LIFT_WORKSPACE": str(tmp_path)},
    )
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline:
            if db_path.exists():
                try:
                    with sqlite3.connect(db_path, timeout=1) as db:
                        done = db.execute("SELECT count(*) FROM node_runs").fetchone()[0]
                except sqlite3.Error:
                    done = 0
            if done >= 50:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert done >= 50, "the run did not get far enough to be interrupted"
    with sqlite3.connect(db_path) as db:
        (status, before) = db.execute(
            "SELECT status, (SELECT count(*) FROM node_runs) FROM graph_executions"
        ).fetchone()
    assert status == "running"
    assert before < 400 * 6  # killed part way

    assert cli("ir", "big.py", cwd=tmp_path).returncode == 0
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT e.id, e.status, count(n.seq), count(DISTINCT n.node_id || '/' || n.item_key) "
            "FROM graph_executions e JOIN node_runs n ON n.execution_id = e.id "
            "GROUP BY e.id ORDER BY e.created_at"
        ).fetchall()
    first = rows[0]
    assert first[1] == "completed"  # the interrupted execution was finished...
    assert first[2] == first[3]  # ...without recomputing any node it had recorded
    assert first[2] >= before


async def test_cached_functions_are_placed_where_they_are_now(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "lift.db")
    runner = ReverseRunner(store)
    first = await runner.run("m.py", SOURCE)
    moved = await runner.run("m.py", "# a comment\n# and another\n" + SOURCE)
    await store.close()
    before, after = by_name(first.file_ir), by_name(moved.file_ir)
    for name, fn in before.items():
        assert after[name]["location"]["row"] == fn["location"]["row"] + 2
        rows = [h["location"]["row"] + 2 for h in fn["holes"]]
        assert [h["location"]["row"] for h in after[name]["holes"]] == rows


async def test_resume_leaves_runs_of_live_processes_alone(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "lift.db")
    parent = os.getppid()  # alive for the whole test
    await store.create_execution("reverse", {"path": "m.py", "text": SOURCE, "pid": parent}, {})
    results = await ReverseRunner(store).resume_unfinished()
    unfinished = await store.unfinished_executions("reverse")
    await store.close()
    assert results == []
    assert len(unfinished) == 1


def test_types_follow_imports_to_the_projects_other_modules(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "api.py").write_text(
        "class Base:\n"
        "    def name(self) -> str:\n        return 'base'\n\n"
        "    @property\n    def size(self) -> int:\n        return 3\n\n"
        "def make() -> Base:\n    return Base()\n"
    )
    (pkg / "impl.py").write_text(
        "from .api import Base, make\n\n"
        "class Impl(Base):\n"
        "    def label(self):\n        return self.name()\n\n"
        "    def double(self):\n        return self.size\n\n"
        "def build():\n    return make()\n"
    )
    proc = cli("ir", "pkg/impl.py", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    fns = {f["qualname"]: f for f in json.loads(proc.stdout)["files"][0]["functions"]}
    assert fns["Impl.label"]["returns"]["type"] == "str"
    assert fns["Impl.double"]["returns"]["type"] == "int"
    assert fns["build"]["returns"]["type"] == "Base"
