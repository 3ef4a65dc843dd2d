"""The forward-mode graph: from one body hole to an implementation the user can apply.

    ExtractIntent → PromptToIR → IRValid? ─ yes ──────────────→ IRToCode → Validate → End
                                         └ no → RefineIR → Refined? ┘ no → End (reported)

- **ExtractIntent** turns the function's name, signature and docstring into a precise
  statement of intent. A docstring with doctest examples already is one: the call is
  skipped and the docstring is the intent (provenance ``user``).
- **PromptToIR** designs the IR; it is stamped (the function's own name, location and
  annotations, the answer's provenance on every element) and checked against the
  written signature. An IR that fails gets one **RefineIR** with the errors; if that
  fails too, the run ends with the errors and no code.
- **IRToCode** writes the body (schema-constrained on ``modal``).
- **Validate** indents the body like the function, requires the function to parse
  with tree-sitter and CPython, lists every element below 0.7 and every ``...`` left
  in the code (the former also as ``# hole:`` comments at the top of the body), and
  runs the docstring's examples in a subprocess when the user enabled it.

What the routes see: the function's qualified name, decorators, def line and docstring,
and the IR — never the rest of the file. Each step's output is recorded in the store as
it completes (graph type ``forward``); a run resumed with its execution id replays them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic_graph import GraphBuilder

from lift_lsp.forward import code as gen
from lift_lsp.forward import ir as irs
from lift_lsp.forward.sandbox import DEFAULT_TIMEOUT_S, run_doctests
from lift_lsp.forward.target import BodyTarget, text_hash
from lift_lsp.syntax.positions import encode

if TYPE_CHECKING:
    from lift_lsp.providers.guard import Budget
    from lift_lsp.providers.router import Router
    from lift_lsp.store.db import Store

log = logging.getLogger(__name__)

GRAPH_TYPE = "forward"
Json = dict[str, Any]
#: What each step is doing, for progress reports (and its share of the run).
STEP_TITLES: dict[str, tuple[str, int]] = {
    "ExtractIntent": ("stating the intent", 5),
    "PromptToIR": ("designing the IR", 20),
    "RefineIR": ("repairing the IR", 45),
    "IRToCode": ("writing the body", 60),
    "Validate": ("checking the code", 85),
}


class StepFailed(Exception):
    """A step could not get an answer (no route, budget spent, routes down)."""


@dataclass
class ForwardState:
    path: str
    qualname: str


@dataclass
class ForwardDeps:
    store: Store
    router: Router
    budget: Budget
    execution_id: str
    target: BodyTarget
    text: str
    #: The file on disk, when there is one (remote-exclude globs, doctest imports).
    file: str | None = None
    override: str | None = None
    run_tests: bool = False
    test_timeout: float = DEFAULT_TIMEOUT_S
    #: Called when a step starts (node id): progress reporting.
    on_step: Callable[[str], None] | None = None
    recorded: dict[tuple[str, str], Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    resumed: int = 0


class Ctx(Protocol):
    """What a step sees (see the note on ``reverse.Ctx``)."""

    @property
    def state(self) -> ForwardState: ...
    @property
    def deps(self) -> ForwardDeps: ...
    @property
    def inputs(self) -> Any: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


async def checkpoint(ctx: Ctx, node_id: str, compute: Callable[[], Awaitable[Any]]) -> Any:
    """Run a step once per execution: a recorded output is replayed, not recomputed.
    A step is a model call of seconds, so each is written as soon as it completes."""
    deps = ctx.deps
    key = (node_id, deps.target.qualname)
    if key in deps.recorded:
        deps.resumed += 1
        deps.outputs[node_id] = deps.recorded[key]
        return deps.recorded[key]
    if deps.on_step is not None:
        deps.on_step(node_id)
    started, t0 = _now(), time.perf_counter()
    output = await compute()
    ms = (time.perf_counter() - t0) * 1000
    state = {"path": ctx.state.path, "qualname": ctx.state.qualname}
    await deps.store.record_node(deps.execution_id, node_id, key[1], output, started, ms, state)
    deps.outputs[node_id] = output
    return output


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


async def ask(ctx: Ctx, signature_name: str, inputs: Json) -> Json:
    """One signature through the router: its fields and the answer's provenance."""
    import lift_lsp.signatures as sigs
    from lift_lsp.providers.router import NoAnswer

    deps = ctx.deps
    try:
        answer = await deps.router.answer(
            getattr(sigs, signature_name),
            inputs,
            path=deps.file or ctx.state.path,
            budget=deps.budget,
            override=deps.override,
        )
    except NoAnswer as exc:
        raise StepFailed(f"{signature_name}: {_no_answer_reason(str(exc))}") from None
    return {
        "fields": _jsonable(dict(answer.prediction.items())),
        "provenance": answer.provenance(),
    }


def _no_answer_reason(message: str) -> str:
    """What the remote routes said; the local route's own complaint is beside the point
    (it answers no forward signature)."""
    marker = "(remote routes: "
    if marker in message:
        return "no route answered — " + message.split(marker, 1)[1].rstrip(")")
    return "no remote route answered, and the local route does not generate code"


g = GraphBuilder(
    name="forward",
    state_type=ForwardState,
    deps_type=ForwardDeps,
    input_type=dict,
    output_type=dict,
    auto_instrument=False,
)


def intent_prompt(target: BodyTarget) -> str:
    parts = [f"Implement `{target.qualname}`.", "", target.header]
    if target.docstring:
        parts += ["", target.docstring]
    return "\n".join(parts)


@g.step(node_id="ExtractIntent")
async def extract_intent(ctx: Ctx) -> Json:
    target = ctx.deps.target

    async def compute() -> Json:
        if target.has_doctests and target.docstring is not None:
            return {
                "skipped": "the docstring has examples: it already states the intent",
                "intent": target.docstring,
                "confidence": 1.0,
                "provenance": {"source": "user"},
            }
        answer = await ask(ctx, "ExtractIntent", {"prompt": intent_prompt(target)})
        fields = answer["fields"]
        return {
            "intent": str(fields.get("intent") or ""),
            "confidence": fields.get("confidence"),
            "provenance": answer["provenance"],
        }

    out: Json = await checkpoint(ctx, "ExtractIntent", compute)
    return out


def _checked(raw_value: Any, target: BodyTarget, answer: Json, ctx: Ctx) -> Json:
    raw = irs.parse_ir(raw_value)
    if raw is None:
        return {"ir": None, "errors": ["the answer is not a JSON object"], **answer}
    prov = irs.ir_provenance(answer["provenance"], ctx.deps.execution_id, _now())
    stamped = irs.stamp(raw, target, prov)
    return {"ir": stamped, "errors": irs.problems(stamped, target), **answer}


@g.step(node_id="PromptToIR")
async def prompt_to_ir(ctx: Ctx) -> Any:
    target = ctx.deps.target
    intent: Json = ctx.inputs

    async def compute() -> Json:
        text = intent["intent"]
        if target.docstring and "skipped" not in intent:
            text += f"\n\nThe docstring, as written:\n{target.docstring}"
        answer = await ask(ctx, "PromptToIR", {"intent": text, "signature_hint": target.header})
        return _checked(answer["fields"].get("ir_json"), target, answer, ctx)

    return await checkpoint(ctx, "PromptToIR", compute)


@g.step(node_id="RefineIR")
async def refine_ir(ctx: Ctx) -> Any:
    target = ctx.deps.target
    first: Json = ctx.inputs

    async def compute() -> Json:
        feedback = "\n".join(
            [
                f"This IR is not a valid IR of `{target.header}`:",
                *(f"- {e}" for e in first["errors"]),
                "Return the corrected IR.",
            ]
        )
        ir_json = json.dumps(first["ir"]) if first["ir"] is not None else "{}"
        answer = await ask(ctx, "RefineIR", {"ir_json": ir_json, "feedback": feedback})
        checked = _checked(answer["fields"].get("refined_ir_json"), target, answer, ctx)
        return {**checked, "first_errors": first["errors"]}

    return await checkpoint(ctx, "RefineIR", compute)


def for_prompt(ir: Json) -> str:
    """The IR a model reads: without provenance, which is bookkeeping, not design."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "provenance"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(ir), indent=1)


@g.step(node_id="IRToCode")
async def ir_to_code(ctx: Ctx) -> Json:
    designed: Json = ctx.inputs

    async def compute() -> Json:
        inputs = {
            "ir_json": for_prompt(designed["ir"]),
            "def_line": ctx.deps.target.context,
            "module_context": ctx.deps.target.module_context,
        }
        answer = await ask(ctx, "IRToCode", inputs)
        return {
            "code": str(answer["fields"].get("code") or ""),
            "ir": designed["ir"],
            "provenance": answer["provenance"],
        }

    out: Json = await checkpoint(ctx, "IRToCode", compute)
    return out


def hole_comments(questions: list[Json]) -> list[str]:
    """Open questions about the design, kept where the reader of the code sees them."""
    return [f"# hole: {q['message']}" for q in questions if q["kind"] != "code"]


@g.step(node_id="Validate")
async def validate(ctx: Ctx) -> Json:
    written: Json = ctx.inputs
    deps = ctx.deps

    async def compute() -> Json:
        target = deps.target
        questions = irs.open_questions(written["ir"])
        ir = irs.with_holes(written["ir"], questions)
        try:
            lines = gen.body_lines(written["code"], target)
        except gen.CodeProblem as exc:
            return {"ok": False, "error": f"IRToCode: {exc}", "code": written["code"], "ir": ir}
        spliced = gen.splice(deps.text, target, [*hole_comments(questions), *lines])
        problems = gen.parse_problems(spliced, deps.text)
        if problems:
            return {
                "ok": False,
                "error": "the generated code does not parse: " + "; ".join(problems),
                "code": written["code"],
                "ir": ir,
            }
        remaining = [*questions, *gen.code_holes(spliced, ctx.state.path)]
        tests: Json = {"ran": False, "reason": "runGeneratedTests is off"}
        if deps.run_tests:
            if not target.has_doctests:
                tests = {"ran": False, "reason": "the docstring has no examples to run"}
            else:
                tests = await run_doctests(
                    spliced.text,
                    target.qualname,
                    search_path=_search_path(deps.file),
                    timeout=deps.test_timeout,
                )
        return {
            "ok": True,
            "replacement": spliced.replacement,
            "body": spliced.body,
            "ir": ir,
            "remaining_holes": remaining,
            "tests": tests,
        }

    out: Json = await checkpoint(ctx, "Validate", compute)
    return out


def _search_path(file: str | None) -> list[str]:
    """The file's folder, so that its sibling imports resolve when its examples run."""
    return [str(Path(file).resolve().parent)] if file else []


def _invalid(out: Any) -> bool:
    return bool(out.get("errors"))


g.add(
    g.edge_from(g.start_node).to(extract_intent),
    g.edge_from(extract_intent).to(prompt_to_ir),
    g.edge_from(prompt_to_ir).to(
        g.decision(node_id="IRValid")
        .branch(g.match(dict, matches=_invalid).to(refine_ir))
        .branch(g.match(dict).to(ir_to_code))
    ),
    g.edge_from(refine_ir).to(
        g.decision(node_id="Refined")
        .branch(g.match(dict, matches=_invalid).to(g.end_node))
        .branch(g.match(dict).to(ir_to_code))
    ),
    g.edge_from(ir_to_code).to(validate),
    g.edge_from(validate).to(g.end_node),
)
FORWARD_GRAPH = g.build()


def mermaid() -> str:
    return FORWARD_GRAPH.render(title="forward")


# --- running it ----------------------------------------------------------------------


@dataclass
class ForwardResult:
    ok: bool
    path: str
    target: BodyTarget
    execution_id: str
    error: str | None = None
    #: Replaces ``target.replace_start..replace_end`` (bytes of the text it was made for).
    replacement: str | None = None
    body: str | None = None
    ir: Json | None = None
    #: IR elements below 0.7, holes the IR declares, ``...`` left in the code.
    remaining_holes: list[Json] = field(default_factory=list)
    tests: Json | None = None
    #: The provenance of each step's answer.
    steps: dict[str, Json] = field(default_factory=dict)
    ir_errors: list[str] = field(default_factory=list)
    refined: bool = False
    resumed_nodes: int = 0
    llm_calls: int = 0
    tokens: int = 0
    status: str = "completed"

    def apply(self, text: str) -> str:
        """``text`` (the text this result was made for) with the new body."""
        if self.replacement is None:
            raise ValueError("no implementation to apply")
        if text_hash(encode(text)) != self.target.text_sha:
            raise ValueError("the text changed since the implementation was generated")
        data = encode(text)
        new = data[: self.target.replace_start] + encode(self.replacement)
        return (new + data[self.target.replace_end :]).decode("utf-8", "surrogatepass")

    def to_json(self) -> Json:
        return {
            "ok": self.ok,
            "path": self.path,
            "qualname": self.target.qualname,
            "execution_id": self.execution_id,
            "status": self.status,
            "error": self.error,
            "body": self.body,
            "replacement": self.replacement,
            "ir": self.ir,
            "ir_errors": self.ir_errors,
            "refined": self.refined,
            "remaining_holes": self.remaining_holes,
            "tests": self.tests,
            "steps": self.steps,
            "llm_calls": self.llm_calls,
            "tokens": self.tokens,
            "resumed_nodes": self.resumed_nodes,
        }

    def summary(self) -> str:
        """One paragraph for the user: what happened, what is still open."""
        name = self.target.qualname
        if not self.ok:
            return f"Generate implementation of {name} failed: {self.error}"
        code = self.steps.get("IRToCode", {})
        where = code.get("route", "?") + (f", {code['model']}" if code.get("model") else "")
        parts = [f"Generated the body of {name} ({where})."]
        if self.remaining_holes:
            listed = "; ".join(f"{h['target']}: {h['message']}" for h in self.remaining_holes)
            parts.append(f"{len(self.remaining_holes)} hole(s) remain: {listed}.")
        tests = self.tests or {}
        if tests.get("ran"):
            if tests.get("timed_out"):
                parts.append(f"Doctests: {tests.get('report')}.")
            else:
                ok = tests["attempted"] - tests["failed"]
                parts.append(f"Doctests: {ok}/{tests['attempted']} passed.")
        return " ".join(parts)


async def generate(
    text: str,
    target: BodyTarget,
    *,
    store: Store,
    router: Router,
    path: str,
    file: str | None = None,
    limits: Mapping[str, int] | None = None,
    override: str | None = None,
    run_tests: bool = False,
    test_timeout: float = DEFAULT_TIMEOUT_S,
    on_step: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    execution_id: str | None = None,
) -> ForwardResult:
    """Run the forward graph for ``target`` (a body hole of ``text``); resume
    ``execution_id`` when given. Failures come back as a result with ``error``; only
    cancellation is raised."""
    if text_hash(encode(text)) != target.text_sha:
        raise ValueError("the target was found in another version of the text")
    recorded: dict[tuple[str, str], Any] = {}
    if execution_id is None:
        given = {
            "path": path,
            "file": file,
            "text": text,
            "target": target.to_json(),
            "override": override,
            "run_tests": run_tests,
            "pid": os.getpid(),
        }
        state_json = {"path": path, "qualname": target.qualname}
        execution_id = await store.create_execution(GRAPH_TYPE, given, state_json)
    else:
        recorded = await store.completed_outputs(execution_id)
    budget = router.budget(limits, execution_id=execution_id, on_warning=on_warning)
    deps = ForwardDeps(
        store=store,
        router=router,
        budget=budget,
        execution_id=execution_id,
        target=target,
        text=text,
        file=file,
        override=override,
        run_tests=run_tests,
        test_timeout=test_timeout,
        on_step=on_step,
        recorded=recorded,
    )
    result = ForwardResult(ok=False, path=path, target=target, execution_id=execution_id)
    started = time.perf_counter()
    status = "failed"
    try:
        output = await FORWARD_GRAPH.run(
            inputs=target.to_json(), state=ForwardState(path, target.qualname), deps=deps
        )
        status = "completed"
        _fill(result, output, deps)
    except asyncio.CancelledError:
        status = "cancelled"
        raise
    except StepFailed as exc:
        result.error = str(exc)
    except Exception as exc:  # a bug in a step is a failed run, not a crashed server
        log.exception("forward run %s", execution_id)
        result.error = f"{type(exc).__name__}: {router.redact(str(exc))}"
    finally:
        result.status = status
        result.resumed_nodes = deps.resumed
        result.llm_calls, result.tokens = budget.calls, budget.tokens
        result.steps = _steps(deps.outputs)
        elapsed = (time.perf_counter() - started) * 1000
        await asyncio.shield(
            store.finish_execution(
                execution_id,
                status,
                total_duration_ms=elapsed,
                llm_calls=budget.calls,
                tokens_used=budget.tokens,
            )
        )
    return result


def _steps(outputs: Mapping[str, Any]) -> dict[str, Json]:
    return {
        node: dict(out["provenance"])
        for node, out in outputs.items()
        if isinstance(out, dict) and isinstance(out.get("provenance"), dict)
    }


def _fill(result: ForwardResult, output: Json, deps: ForwardDeps) -> None:
    refined = deps.outputs.get("RefineIR")
    result.refined = refined is not None
    if "errors" in output:  # ended after a refinement that did not validate either
        result.ir_errors = list(output["errors"])
        result.ir = output.get("ir")
        result.error = "the IR did not validate, even after one refinement: " + "; ".join(
            output["errors"][:5]
        )
        return
    result.ir = output.get("ir")
    if refined is not None:
        result.ir_errors = list(refined.get("first_errors", []))
    if not output.get("ok"):
        result.error = output.get("error")
        return
    result.ok = True
    result.replacement = output["replacement"]
    result.body = output["body"]
    result.remaining_holes = list(output["remaining_holes"])
    result.tests = output["tests"]
