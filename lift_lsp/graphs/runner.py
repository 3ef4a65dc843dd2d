"""Running the reverse graph: one execution per file, recorded, resumable, replayable."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lift_lsp.graphs.reverse import (
    GRAPH_TYPE,
    REVERSE_GRAPH,
    ReverseDeps,
    ReverseState,
    flush,
)

if TYPE_CHECKING:
    from lift_lsp.providers.base import Provider
    from lift_lsp.providers.guard import Budget
    from lift_lsp.providers.router import Router
    from lift_lsp.store.db import ExecutionRow, NodeRun, Store


@dataclass(frozen=True)
class RunResult:
    file_ir: dict[str, Any]
    execution_id: str
    resumed_nodes: int
    duration_ms: float


class ReverseRunner:
    def __init__(
        self,
        store: Store,
        provider: Provider | None = None,
        *,
        router: Router | None = None,
        limits: Mapping[str, int] | None = None,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        """With a ``router``, each run asks it (with a budget of ``limits`` per run);
        without, ``provider`` (the static engine by default) answers everything."""
        if provider is None and router is None:
            from lift_lsp.providers.local import LocalProvider

            provider = LocalProvider()
        self.store = store
        self.provider = provider
        self.router = router
        self.limits = dict(limits or {})
        self.on_warning = on_warning
        #: A route asked for explicitly (``--route``), over the configured one.
        self.override: str | None = None

    def _provider_for(self, path: str, execution_id: str) -> tuple[Provider, Budget | None]:
        if self.router is None:
            assert self.provider is not None
            return self.provider, None
        from lift_lsp.providers.routed import RoutedProvider

        budget = self.router.budget(
            self.limits, execution_id=execution_id, on_warning=self.on_warning
        )
        provider = RoutedProvider(self.router, path=path, budget=budget, override=self.override)
        return provider, budget

    async def run(
        self,
        path: str,
        text: str,
        *,
        use_cache: bool = True,
        on_node: Callable[[str, str, float], None] | None = None,
        execution_id: str | None = None,
        file: str | None = None,
    ) -> RunResult:
        """Lift every function of ``text``; resume ``execution_id`` if it was interrupted."""
        recorded: dict[tuple[str, str], Any] = {}
        if execution_id is None:
            given = {
                "path": path,
                "text": text,
                "use_cache": use_cache,
                "pid": os.getpid(),
                "file": file,
            }
            execution_id = await self.store.create_execution(GRAPH_TYPE, given, {"path": path})
        else:
            recorded = await self.store.completed_outputs(execution_id)
        provider, budget = self._provider_for(file or path, execution_id)
        deps = ReverseDeps(
            store=self.store,
            provider=provider,
            execution_id=execution_id,
            text=text,
            use_cache=use_cache,
            on_node=on_node,
            recorded=recorded,
            file=file,
        )
        state = ReverseState(path)
        started = time.perf_counter()
        status = "failed"
        try:
            output = await REVERSE_GRAPH.run(inputs=path, state=state, deps=deps)
            status = "completed"
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            await asyncio.shield(self._finish(state, deps, status, elapsed, budget))
        return RunResult(output, execution_id, deps.resumed, elapsed)

    async def _finish(
        self,
        state: ReverseState,
        deps: ReverseDeps,
        status: str,
        elapsed: float,
        budget: Budget | None,
    ) -> None:
        await flush(state, deps)
        await self.store.finish_execution(
            deps.execution_id,
            status,
            total_duration_ms=elapsed,
            llm_calls=budget.calls if budget else 0,
            tokens_used=budget.tokens if budget else 0,
        )

    async def resume_unfinished(self) -> list[RunResult]:
        """Finish the runs a killed process left behind, from their last recorded node."""
        results = []
        for row in await self.store.unfinished_executions(GRAPH_TYPE):
            given = row.input or {}
            if _alive_elsewhere(given.get("pid")):
                continue  # another live process (an editor, a CLI run) is doing it
            if not isinstance(given.get("text"), str):
                await self.store.finish_execution(row.id, "failed", total_duration_ms=0.0)
                continue
            results.append(
                await self.run(
                    str(given.get("path", "")),
                    given["text"],
                    use_cache=bool(given.get("use_cache", True)),
                    execution_id=row.id,
                    file=given.get("file") if isinstance(given.get("file"), str) else None,
                )
            )
        return results


def _alive_elsewhere(pid: object) -> bool:
    """Whether ``pid`` is a running process other than this one (on this machine)."""
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def execution_json(row: ExecutionRow, runs: list[NodeRun], *, outputs: bool) -> dict[str, Any]:
    """A recorded execution and its nodes (with each node's output when ``outputs``)."""
    return {
        "execution": {
            "id": row.id,
            "graph_type": row.graph_type,
            "status": row.status,
            "path": (row.input or {}).get("path"),
            "created_at": row.created_at,
            "total_duration_ms": row.total_duration_ms,
            "node_count": row.node_count,
        },
        "nodes": [
            {
                "seq": r.seq,
                "node": r.node_id,
                "item": r.item_key,
                "started_at": r.started_at,
                "duration_ms": r.duration_ms,
                **({"output": r.output} if outputs else {}),
            }
            for r in runs
        ],
    }


def trace_lines(runs: list[NodeRun]) -> list[str]:
    """A node-by-node trace: order, node, the function it worked on, milliseconds."""
    width = max((len(r.node_id) for r in runs), default=10)
    return [
        f"{r.seq:4}  {r.node_id:<{width}}  {r.item_key or '-':<40}  {r.duration_ms:8.2f} ms"
        for r in runs
    ]
