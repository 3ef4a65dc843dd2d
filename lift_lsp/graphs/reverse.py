"""The reverse-mode graph: lift every function of a file into the IR.

    LoadCode → ParseAST → per function ┬ ExtractIntentFromCode ┐
                                        ├ InferTypeFromUsage    ├ → JoinFunction
                                        ├ DetectConstraints     │   → AssignConfidence
                                        └ DetectEffects         ┘   → PromoteToHoles
    → JoinFile → ValidateIR → End

Built with pydantic-graph's ``GraphBuilder``. Every step's output is JSON and is
recorded in the store as the step completes (``checkpoint``), keyed by the step and
the function it worked on: a run that was killed resumes by replaying recorded outputs
instead of recomputing them, and ``lift-lsp replay`` prints the trace. The node cache
(keyed by the function's content hash and the program version) makes re-analysing an
unchanged function free.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError
from pydantic_graph import GraphBuilder, reduce_list_append
from pydantic_graph.id_types import NodeID

from lift_lsp.analysis.context import FunctionUnit, ModuleContext
from lift_lsp.ir.model import FileIR, FunctionIR
from lift_lsp.syntax.document import SourceDocument

if TYPE_CHECKING:
    from lift_lsp.providers.base import Provider
    from lift_lsp.store.db import Store

GRAPH_TYPE = "reverse"
FLUSH_EVERY_S = 0.05
#: Parallel branches the static engine's batches are spread over.
MAX_BRANCHES = 8
EXTRACTIONS = ("ExtractIntentFromCode", "InferTypeFromUsage", "DetectConstraints", "DetectEffects")
Json = dict[str, Any]


@dataclass
class ReverseState:
    """What the run has done so far (saved with every node)."""

    path: str
    functions: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)


@dataclass
class ReverseDeps:
    store: Store
    provider: Provider
    execution_id: str
    text: str
    use_cache: bool = True
    #: Called after each node (node id, item, milliseconds) — progress reporting.
    on_node: Callable[[str, str, float], None] | None = None
    resumed: int = 0
    module: ModuleContext | None = None
    units: dict[str, FunctionUnit] = field(default_factory=dict)
    cached_irs: list[Json] = field(default_factory=list)
    #: The file on disk (to resolve imports to the project's other modules), if any.
    file: str | None = None
    #: Outputs recorded by an interrupted run of this execution, replayed on resume.
    recorded: dict[tuple[str, str], Any] = field(default_factory=dict)
    pending: list[tuple[str, str, Any, str, float]] = field(default_factory=list)
    to_cache: dict[str, Json] = field(default_factory=dict)
    last_flush: float = field(default_factory=time.monotonic)


class Ctx(Protocol):
    """What a step sees. (pydantic-graph's own ``StepContext`` generics defeat mypy, whose
    TypeVars with ``infer_variance`` it cannot read; the runtime object is the same.)"""

    @property
    def state(self) -> ReverseState: ...
    @property
    def deps(self) -> ReverseDeps: ...
    @property
    def inputs(self) -> Any: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


async def checkpoint(
    ctx: Ctx, node_id: str, item: str, compute: Callable[[], Awaitable[Any]]
) -> Any:
    """Run ``compute`` once per execution: a recorded output is replayed, not recomputed.

    Completions are written in small batches (at most ``FLUSH_EVERY_S`` apart), so a
    killed run loses at most that much work and a large file is not one transaction
    per node.
    """
    deps = ctx.deps
    key = (node_id, item)
    if key in deps.recorded:
        deps.resumed += 1
        return deps.recorded[key]
    started, t0 = _now(), time.perf_counter()
    output = await compute()
    ms = (time.perf_counter() - t0) * 1000
    deps.pending.append((node_id, item, output, started, ms))
    if deps.on_node is not None:
        deps.on_node(node_id, item, ms)
    if time.monotonic() - deps.last_flush >= FLUSH_EVERY_S:
        await flush(ctx.state, deps)
    return output


async def flush(state: ReverseState, deps: ReverseDeps) -> None:
    """Write the completions (and the IRs to cache) still held in memory."""
    pending, deps.pending = deps.pending, []
    deps.last_flush = time.monotonic()
    if pending:
        snapshot = {"path": state.path, "functions": state.functions, "cached": state.cached}
        await deps.store.record_nodes(deps.execution_id, pending, snapshot)
    if deps.to_cache:
        values, deps.to_cache = deps.to_cache, {}
        await deps.store.cache_put_many("FunctionIR", deps.provider.program_version, values)


def _module(deps: ReverseDeps, path: str) -> ModuleContext:
    if deps.module is None:
        deps.module = ModuleContext(SourceDocument(deps.text), deps.file or path)
        deps.units = {}
        for unit in deps.module.functions():
            deps.units.setdefault(unit.qualname, unit)
    return deps.module


def context_hash(unit: FunctionUnit) -> str:
    """The function's text plus what it can see of the module (imports, other signatures)."""
    module = unit.module
    header = sorted(f"{k}={v}" for k, v in module.imports.items())
    signatures = sorted(
        f"{name}:{len(funcs)}" for name, funcs in module.index.functions.items()
    ) + sorted(module.index.classes)
    digest = hashlib.sha256()
    digest.update(unit.node.text or b"")
    digest.update("\n".join(header + signatures).encode())
    return digest.hexdigest()[:20]


g = GraphBuilder(
    name="reverse",
    state_type=ReverseState,
    deps_type=ReverseDeps,
    input_type=str,
    output_type=dict,
    auto_instrument=False,
)


@g.step(node_id="LoadCode")
async def load_code(ctx: Ctx) -> Json:
    async def compute() -> Json:
        data = ctx.deps.text.encode("utf-8", "surrogatepass")
        return {
            "path": ctx.inputs,
            "bytes": len(data),
            "sha": hashlib.sha256(data).hexdigest()[:16],
        }

    out: Json = await checkpoint(ctx, "LoadCode", "", compute)
    return out


@g.step(node_id="ParseAST")
async def parse_ast(ctx: Ctx) -> list[Json]:
    """Every function, in batches; those whose IR is cached are set aside."""

    async def compute() -> Json:
        module = _module(ctx.deps, ctx.state.path)
        jobs, cached = [], []
        version = ctx.deps.provider.program_version
        keys = {qualname: context_hash(unit) for qualname, unit in ctx.deps.units.items()}
        hits = (
            await ctx.deps.store.cache_get_many("FunctionIR", list(keys.values()), version)
            if ctx.deps.use_cache
            else {}
        )
        for qualname, key in keys.items():
            if key in hits:
                cached.append({"qualname": qualname, "ir": hits[key]})
            else:
                jobs.append({"qualname": qualname, "hash": key})
        return {"jobs": jobs, "cached": cached, "has_error": module.doc.tree.root_node.has_error}

    out: Json = await checkpoint(ctx, "ParseAST", "", compute)
    _module(ctx.deps, ctx.state.path)
    ctx.state.functions = [j["qualname"] for j in out["jobs"]]
    ctx.state.cached = [c["qualname"] for c in out["cached"]]
    ctx.deps.cached_irs = out["cached"]
    return batches(out["jobs"], ctx.deps.provider)


def batches(jobs: list[Json], provider: Provider) -> list[Json]:
    """The fan-out items: one function each for routes that call a model per function;
    for the static engine (microseconds per function, CPU-bound) a few functions each,
    so a large file is not hundreds of graph tasks of bookkeeping."""
    per_batch = max(1, getattr(provider, "batch_size", 1))
    if per_batch > 1:
        per_batch = max(1, min(per_batch, -(-len(jobs) // MAX_BRANCHES)))
    return [
        {
            "key": ",".join(j["qualname"] for j in jobs[i : i + per_batch]),
            "jobs": jobs[i : i + per_batch],
        }
        for i in range(0, len(jobs), per_batch)
    ]


def _extraction(node_id: str, signature_name: str) -> Callable[..., Awaitable[Json]]:
    async def step(ctx: Ctx) -> Json:
        batch: Json = ctx.inputs

        async def compute() -> Json:
            import lift_lsp.signatures as sigs

            signature = getattr(sigs, signature_name)
            results: Json = {}
            for job in batch["jobs"]:
                qualname = job["qualname"]
                unit = ctx.deps.units[qualname]
                inputs = {"qualname": qualname, "function_source": unit.source}
                try:
                    prediction = await ctx.deps.provider.predict(signature, inputs, unit=unit)
                    result: Json = {"ok": True, **dict(prediction.items())}
                except Exception as exc:  # a function the engine cannot analyse becomes holes
                    result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                result.setdefault("route", ctx.deps.provider.route)
                results[qualname] = result
            return results

        parts = await checkpoint(ctx, node_id, batch["key"], compute)
        return {"batch": batch, node_id: parts}

    step.__name__ = node_id
    return step


extract_intent = g.step(
    _extraction("ExtractIntentFromCode", "ExtractIntentFromCode"), node_id="ExtractIntentFromCode"
)
infer_types = g.step(
    _extraction("InferTypeFromUsage", "InferTypeFromUsage"), node_id="InferTypeFromUsage"
)
detect_constraints = g.step(
    _extraction("DetectConstraints", "DetectConstraints"), node_id="DetectConstraints"
)
detect_effects = g.step(_extraction("DetectEffects", "DetectEffects"), node_id="DetectEffects")


def _merge(current: Json, part: Json) -> Json:
    return {**current, **part}


join_function = g.join(
    _merge, initial_factory=dict, node_id="JoinFunction", preferred_parent_fork="closest"
)


@g.step(node_id="AssignConfidence")
async def assign_confidence(ctx: Ctx) -> Json:
    merged: Json = ctx.inputs
    batch = merged["batch"]

    async def compute() -> Json:
        from lift_lsp.graphs.lift import build_function_ir

        irs: Json = {}
        for job in batch["jobs"]:
            qualname = job["qualname"]
            parts = {name: merged[name][qualname] for name in EXTRACTIONS if name in merged}
            unit = ctx.deps.units[qualname]
            irs[qualname] = build_function_ir(
                unit, parts, ctx.deps.provider, ctx.deps.execution_id, _now()
            )
        return irs

    irs: Json = await checkpoint(ctx, "AssignConfidence", batch["key"], compute)
    return {"batch": batch, "irs": irs}


@g.step(node_id="PromoteToHoles")
async def promote_to_holes(ctx: Ctx) -> Json:
    item: Json = ctx.inputs
    batch = item["batch"]

    async def compute() -> Json:
        from lift_lsp.graphs.lift import promote

        irs: Json = {}
        for job in batch["jobs"]:
            qualname = job["qualname"]
            irs[qualname] = promote(item["irs"][qualname], ctx.deps.units[qualname])
            if ctx.deps.use_cache:
                ctx.deps.to_cache[job["hash"]] = irs[qualname]
        return irs

    irs: Json = await checkpoint(ctx, "PromoteToHoles", batch["key"], compute)
    return irs


join_file = g.join(reduce_list_append, initial_factory=list, node_id="JoinFile")


@g.step(node_id="ValidateIR")
async def validate_ir(ctx: Ctx) -> Json:
    async def compute() -> Json:
        from lift_lsp.graphs.lift import relocate, unanalysable

        fresh = {qualname: ir for irs in ctx.inputs for qualname, ir in irs.items()}
        cached = {
            c["qualname"]: relocate(c["ir"], ctx.deps.units[c["qualname"]])
            for c in ctx.deps.cached_irs
            if c["qualname"] in ctx.deps.units
        }
        functions = []
        for qualname, unit in ctx.deps.units.items():
            raw = fresh.get(qualname) or cached.get(qualname)
            try:
                functions.append(FunctionIR.model_validate(raw))
            except ValidationError as exc:
                functions.append(unanalysable(unit, f"invalid IR: {exc.error_count()} errors"))
        return FileIR(path=ctx.state.path, functions=functions).model_dump(mode="json")

    out: Json = await checkpoint(ctx, "ValidateIR", "", compute)
    return out


g.add(
    g.edge_from(g.start_node).to(load_code),
    g.edge_from(load_code).to(parse_ast),
    g.edge_from(parse_ast)
    .map(downstream_join_id=NodeID("JoinFile"))
    .to(extract_intent, infer_types, detect_constraints, detect_effects),
    g.edge_from(extract_intent, infer_types, detect_constraints, detect_effects).to(join_function),
    g.edge_from(join_function).to(assign_confidence),
    g.edge_from(assign_confidence).to(promote_to_holes),
    g.edge_from(promote_to_holes).to(join_file),
    g.edge_from(join_file).to(validate_ir),
    g.edge_from(validate_ir).to(g.end_node),
)
REVERSE_GRAPH = g.build()


def mermaid() -> str:
    """The graph as a Mermaid state diagram (``lift.showGraph``)."""
    return REVERSE_GRAPH.render(title="reverse")
