"""Which route answers a question, and what happens when it cannot.

``auto`` picks per signature: answers that must match a schema or grammar go to ``modal``
when it is configured; free-form reasoning goes to ``anthropic`` when it is configured;
otherwise ``local``. An explicit route (setting, ``--route``, a command argument) wins.
Every chain ends with ``local``, so the user always gets an answer; a remote route is in
a chain only when it is configured, and never for a file matching the remote-exclude
globs.

Configuration: settings (``route``, ``anthropicModel``, ``anthropicBaseUrl``, ``modalUrl``…)
over the environment (``LIFT_ROUTE``, ``LIFT_ANTHROPIC_MODEL``, ``LIFT_ANTHROPIC_BASE_URL``,
``LIFT_MODAL_URL``); keys only from the environment (``ANTHROPIC_API_KEY``,
``LIFT_MODAL_KEY``, ``LIFT_MODAL_SECRET``), which the editor fills from its secret storage.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Final

from lift_lsp.config import DEFAULT_REMOTE_EXCLUDES, REMOTE_ROUTES, ROUTES, Settings
from lift_lsp.providers.guard import (
    Budget,
    CircuitBreaker,
    Guard,
    Limits,
    Recorder,
    Redactor,
    RouteUnavailable,
)

if TYPE_CHECKING:
    import dspy

    from lift_lsp.analysis.context import FunctionUnit
    from lift_lsp.providers.base import Provider
    from lift_lsp.providers.llm import LLMProvider, Programs
    from lift_lsp.providers.wire import Transport

log = logging.getLogger(__name__)

#: Answers bound to a schema or grammar: what constrained decoding on ``modal`` is for.
CONSTRAINED: Final = frozenset(
    {
        "SuggestHoleFill",
        "InferTypeFromUsage",
        "DetectEffects",
        "DetectConstraints",
        "PromptToIR",
        "IRToCode",
    }
)
#: A Modal container that scaled to zero takes minutes to start (weights, CUDA graphs);
#: the first call after a quiet spell should wait for it rather than fail.
DEFAULT_TIMEOUTS: Final = {"anthropic": 60.0, "modal": 180.0}
#: Free-form reasoning: intent in prose, refining an IR from feedback.
FREE_FORM: Final = frozenset({"ExtractIntent", "ExtractIntentFromCode", "RefineIR"})


@dataclass(frozen=True)
class RouteConfig:
    route: str = "local"
    anthropic_key: str | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str | None = None
    modal_url: str | None = None
    modal_model: str | None = None
    modal_key: str | None = None
    modal_secret: str | None = None
    remote_exclude: tuple[str, ...] = DEFAULT_REMOTE_EXCLUDES
    problems: tuple[str, ...] = ()

    @classmethod
    def from_sources(cls, settings: Settings, env: Mapping[str, str] | None = None) -> RouteConfig:
        """A setting some source set wins over the environment variable for it."""
        env = os.environ if env is None else env
        problems: list[str] = []

        def setting(name: str, env_name: str) -> str | None:
            if name in settings.explicit:
                value = getattr(settings, name)
                return str(value) if value is not None else None
            return env.get(env_name) or None

        route = setting("route", "LIFT_ROUTE") or "local"
        if route not in ROUTES:
            problems.append(f"LIFT_ROUTE must be one of {', '.join(ROUTES)}, got {route!r}")
            route = "local"
        return cls(
            route=route,
            anthropic_key=env.get("ANTHROPIC_API_KEY") or None,
            anthropic_base_url=setting("anthropic_base_url", "LIFT_ANTHROPIC_BASE_URL"),
            anthropic_model=setting("anthropic_model", "LIFT_ANTHROPIC_MODEL"),
            modal_url=setting("modal_url", "LIFT_MODAL_URL"),
            modal_model=setting("modal_model", "LIFT_MODAL_MODEL"),
            modal_key=env.get("LIFT_MODAL_KEY") or None,
            modal_secret=env.get("LIFT_MODAL_SECRET") or None,
            remote_exclude=settings.all_remote_excludes,
            problems=tuple(problems),
        )

    def configured(self, route: str) -> bool:
        if route == "local":
            return True
        if route == "anthropic":
            return self.anthropic_key is not None
        if route == "modal":
            return self.modal_url is not None
        return False

    @property
    def any_remote(self) -> bool:
        """Whether some remote route has what it needs (a key, a URL)."""
        return any(self.configured(r) for r in REMOTE_ROUTES)

    def uses_remote(self, override: str | None = None) -> bool:
        """Whether questions may go to a remote route: one is wanted and one can run."""
        return (override or self.route) != "local" and self.any_remote

    def missing(self, route: str) -> str | None:
        """What a remote route needs and does not have, in words for a message."""
        if self.configured(route):
            return None
        return {
            "anthropic": "ANTHROPIC_API_KEY",
            "modal": "LIFT_MODAL_URL (or the modalUrl setting)",
        }.get(route)

    def secrets(self) -> tuple[str | None, ...]:
        return (self.anthropic_key, self.modal_key, self.modal_secret)


def remote_allowed(path: Path | str | None, globs: tuple[str, ...]) -> bool:
    """May this file's code be sent to a remote route? Matched on the path's parts, so
    ``*secret*`` keeps out ``secrets/api.py`` as well as ``my_secret.py``."""
    if path is None:
        return True
    from lift_lsp.workspace import gitignore_spec

    spec = gitignore_spec(globs)
    pure = PurePath(path)
    candidates = [pure.name, *pure.parts, pure.as_posix()]
    return not any(spec.match_file(c) for c in candidates)


def chain_for(signature: str, config: RouteConfig, override: str | None = None) -> list[str]:
    """Routes to try, in order; always ending with ``local``."""
    wanted = override or config.route
    if wanted == "auto":
        order = ["modal", "anthropic"] if signature not in FREE_FORM else ["anthropic", "modal"]
    elif wanted in REMOTE_ROUTES:
        order = [wanted, *(r for r in REMOTE_ROUTES if r != wanted)]
    else:
        order = []
    return [r for r in order if config.configured(r)] + ["local"]


@dataclass
class RouteAnswer:
    prediction: dspy.Prediction
    route: str
    model: str | None
    program_version: str
    call_ids: list[str] = field(default_factory=list)
    #: (route, reason) for every route that was tried and gave no answer.
    fell_back: list[tuple[str, str]] = field(default_factory=list)

    def provenance(self) -> dict[str, Any]:
        prov: dict[str, Any] = {
            "source": "static" if self.route == "local" else "llm",
            "route": self.route,
            "program_version": self.program_version,
        }
        if self.model:
            prov["model"] = self.model
        if self.call_ids:
            prov["llm_calls"] = list(self.call_ids)
        if self.fell_back:
            prov["fallback"] = [f"{r}: {why}" for r, why in self.fell_back]
        return prov


class NoAnswer(LookupError):
    """No route in the chain could answer (``local`` has no program for the signature)."""


class Router:
    """One per workspace: the routes' transports, breakers and the call log."""

    def __init__(
        self,
        config: RouteConfig,
        *,
        local: Provider | None = None,
        record: Recorder | None = None,
        on_breaker: Callable[[str, str], None] | None = None,
        transports: Mapping[str, Transport] | None = None,
        programs: Mapping[str, Programs] | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.config = config
        #: Seconds one exchange may take, per route (``timeout_s`` sets them all).
        self.timeouts = (
            dict.fromkeys(REMOTE_ROUTES, timeout_s)
            if timeout_s is not None
            else dict(DEFAULT_TIMEOUTS)
        )
        self.redact = Redactor(config.secrets())
        self._local = local
        self._record = record
        self._on_breaker = on_breaker
        self._transports = dict(transports or {})
        self._programs = dict(programs or {})
        self._providers: dict[str, LLMProvider] = {}
        self.breakers = {
            r: CircuitBreaker(r, on_change=self._breaker_changed) for r in REMOTE_ROUTES
        }

    # --- configuration -------------------------------------------------------------------

    def _breaker_changed(self, route: str, state: str) -> None:
        if self._on_breaker is not None:
            self._on_breaker(route, state)

    @property
    def local(self) -> Provider:
        if self._local is None:
            from lift_lsp.providers.local import LocalProvider

            self._local = LocalProvider()
        return self._local

    @local.setter
    def local(self, provider: Provider) -> None:
        """Share an existing static engine (its type model and caches) with the router."""
        self._local = provider

    def _transport(self, route: str) -> Transport:
        found = self._transports.get(route)
        if found is not None:
            return found
        cfg = self.config
        transport: Transport
        if route == "anthropic":
            from lift_lsp.providers.anthropic_route import DEFAULT_MODEL, AnthropicTransport

            transport = AnthropicTransport(
                cfg.anthropic_key or "",
                model=cfg.anthropic_model or DEFAULT_MODEL,
                base_url=cfg.anthropic_base_url,
            )
        else:
            from lift_lsp.providers.modal_route import DEFAULT_MODEL as MODAL_MODEL
            from lift_lsp.providers.modal_route import ModalTransport

            transport = ModalTransport(
                cfg.modal_url or "",
                model=cfg.modal_model or MODAL_MODEL,
                key=cfg.modal_key,
                secret=cfg.modal_secret,
            )
        self._transports[route] = transport
        return transport

    def provider(self, route: str) -> LLMProvider:
        found = self._providers.get(route)
        if found is None:
            from lift_lsp.providers.llm import LLMProvider, Programs

            guard = Guard(self._transport(route), self.breakers[route], self._record, self.redact)
            found = LLMProvider(
                guard, self._programs.get(route) or Programs(), timeout_s=self.timeouts[route]
            )
            self._providers[route] = found
        return found

    def set_programs(self, route: str, programs: Programs) -> None:
        """Use another program version (after ``optimize`` or ``rollback``)."""
        self._programs[route] = programs
        provider = self._providers.get(route)
        if provider is not None:
            provider.programs = programs

    def status(self) -> dict[str, Any]:
        """What the editor's status bar shows."""
        return {
            "route": self.config.route,
            "routes": {
                "local": {"configured": True, "breaker": "closed"},
                **{
                    r: {"configured": self.config.configured(r), "breaker": self.breakers[r].state}
                    for r in REMOTE_ROUTES
                },
            },
        }

    # --- answering -----------------------------------------------------------------------

    def chain(
        self, signature: str, *, path: Path | str | None = None, override: str | None = None
    ) -> list[str]:
        routes = chain_for(signature, self.config, override)
        if not remote_allowed(path, self.config.remote_exclude):
            return ["local"]
        return routes

    async def answer(
        self,
        signature: type[dspy.Signature],
        inputs: dict[str, Any],
        *,
        unit: FunctionUnit | None = None,
        path: Path | str | None = None,
        budget: Budget | None = None,
        override: str | None = None,
        remote_inputs: Callable[[], dict[str, Any]] | None = None,
    ) -> RouteAnswer:
        """The first answer along the chain. ``remote_inputs`` adds what a model needs and
        the static engine does not (module context, targets), computed only when used."""
        fell_back: list[tuple[str, str]] = []
        extra: dict[str, Any] | None = None
        for route in self.chain(signature.__name__, path=path, override=override):
            if route == "local":
                return await self._answer_locally(signature, inputs, unit, fell_back)
            if budget is not None and budget.exhausted:
                fell_back.append((route, "LLM budget for this run spent"))
                continue
            if extra is None:
                extra = remote_inputs() if remote_inputs is not None else {}
            provider = self.provider(route)
            try:
                prediction, trace = await provider.predict_traced(
                    signature, {**inputs, **extra}, budget=budget
                )
            except RouteUnavailable as gone:
                log.info("%s", self.redact(str(gone)))
                fell_back.append((route, self.redact(gone.reason)))
                continue
            return RouteAnswer(
                prediction,
                route,
                trace.model or provider.model,
                provider.program_version,
                trace.call_ids,
                fell_back,
            )
        raise AssertionError("every chain ends with local")  # pragma: no cover

    async def _answer_locally(
        self,
        signature: type[dspy.Signature],
        inputs: dict[str, Any],
        unit: FunctionUnit | None,
        fell_back: list[tuple[str, str]],
    ) -> RouteAnswer:
        from lift_lsp.providers.local import UnansweredSignature

        local = self.local
        try:
            prediction = await local.predict(signature, inputs, unit=unit)
        except (UnansweredSignature, ValueError) as exc:
            tried = "; ".join(f"{r}: {why}" for r, why in fell_back)
            raise NoAnswer(f"{exc}" + (f" (remote routes: {tried})" if tried else "")) from None
        return RouteAnswer(prediction, "local", None, local.program_version, [], fell_back)

    def budget(
        self,
        limits: Mapping[str, int] | None = None,
        *,
        execution_id: str | None = None,
        on_warning: Callable[[str], None] | None = None,
    ) -> Budget:
        return Budget(
            Limits.from_dict(dict(limits or {})), execution_id=execution_id, on_warning=on_warning
        )

    async def aclose(self) -> None:
        for transport in self._transports.values():
            try:
                await transport.aclose()
            except Exception:  # closing is best effort
                log.debug("closing %s failed", transport.route, exc_info=True)
