"""The routing policy on its own: configuration, chains, privacy, breaker, budget."""

from __future__ import annotations

import pytest

from lift_lsp.config import Settings, merge
from lift_lsp.providers.guard import (
    Budget,
    CircuitBreaker,
    Limits,
    Redactor,
    backoff_s,
)
from lift_lsp.providers.router import RouteConfig, chain_for, remote_allowed

FULL_ENV = {
    "ANTHROPIC_API_KEY": "sk-ant-test-1234",
    "LIFT_MODAL_URL": "http://127.0.0.1:9/",
    "LIFT_MODAL_KEY": "wk-abcd",
    "LIFT_MODAL_SECRET": "ws-efgh",
}


def config(env: dict[str, str], **settings: object) -> RouteConfig:
    merged = merge(Settings(), settings, "test")
    assert not merged.problems, merged.problems
    return RouteConfig.from_sources(merged, env)


def test_nothing_configured_means_local_only() -> None:
    cfg = config({})
    assert cfg.route == "local"
    for route in ("local", "anthropic", "modal", "auto"):
        assert chain_for("SuggestHoleFill", cfg, route) == ["local"]


def test_auto_sends_constrained_answers_to_modal_and_prose_to_anthropic() -> None:
    cfg = config(FULL_ENV, route="auto")
    assert chain_for("SuggestHoleFill", cfg) == ["modal", "anthropic", "local"]
    assert chain_for("IRToCode", cfg) == ["modal", "anthropic", "local"]
    assert chain_for("ExtractIntent", cfg) == ["anthropic", "modal", "local"]


def test_auto_skips_routes_that_are_not_configured() -> None:
    cfg = config({"ANTHROPIC_API_KEY": "sk-ant-x-9999", "LIFT_ROUTE": "auto"})
    assert cfg.route == "auto"
    assert chain_for("SuggestHoleFill", cfg) == ["anthropic", "local"]


def test_an_explicit_route_goes_first_and_an_override_beats_settings() -> None:
    cfg = config(FULL_ENV, route="anthropic")
    assert chain_for("SuggestHoleFill", cfg) == ["anthropic", "modal", "local"]
    assert chain_for("SuggestHoleFill", cfg, "modal") == ["modal", "anthropic", "local"]
    assert chain_for("SuggestHoleFill", cfg, "local") == ["local"]


def test_settings_win_over_the_environment() -> None:
    env = {**FULL_ENV, "LIFT_ROUTE": "modal", "LIFT_MODAL_URL": "http://env.example"}
    cfg = config(env, route="anthropic", modalUrl="http://settings.example")
    assert cfg.route == "anthropic"
    assert cfg.modal_url == "http://settings.example"
    assert config(env).modal_url == "http://env.example"


def test_a_setting_equal_to_its_default_still_beats_the_environment() -> None:
    env = {**FULL_ENV, "LIFT_ROUTE": "anthropic"}
    assert config(env).route == "anthropic"
    assert config(env, route="local").route == "local"


def test_a_bad_route_in_the_environment_is_reported_and_ignored() -> None:
    cfg = config({"LIFT_ROUTE": "gpt"})
    assert cfg.route == "local"
    assert "LIFT_ROUTE" in cfg.problems[0]


def test_route_settings_are_checked() -> None:
    merged = merge(
        Settings(),
        {
            "route": "cloud",
            "completionBudgetMs": -1,
            "anthropicApiKey": "sk-ant-in-settings",
            "limits": {"reverse": {"maxCalls": 5, "maxSpeed": 3}},
        },
        "editor",
    )
    text = " ".join(merged.problems)
    assert "route must be one of" in text
    assert "completionBudgetMs" in text
    assert "keys come from the environment" in text
    assert "maxSpeed" in text
    assert merged.limits_for("reverse") == {"max_calls": 5}
    assert merged.route == "local"


@pytest.mark.parametrize(
    "path",
    [".env", ".env.local", "deploy/server.pem", "config/secrets.py", "my_credentials.json"],
)
def test_secret_looking_files_never_go_remote(path: str) -> None:
    assert not remote_allowed(path, Settings().all_remote_excludes)


@pytest.mark.parametrize("path", ["src/app.py", "pkg/environment.py", "tests/test_keys.py"])
def test_ordinary_files_may_go_remote(path: str) -> None:
    assert remote_allowed(path, Settings().all_remote_excludes)


def test_extend_remote_exclude_adds_to_the_defaults() -> None:
    settings = merge(Settings(), {"extendRemoteExclude": ["internal/"]}, "t")
    assert not remote_allowed("internal/billing.py", settings.all_remote_excludes)
    assert not remote_allowed(".env", settings.all_remote_excludes)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_five_failures_and_probes_after_the_cool_down() -> None:
    clock = Clock()
    changes: list[tuple[str, str]] = []
    breaker = CircuitBreaker(
        "anthropic", clock=clock, on_change=lambda r, s: changes.append((r, s))
    )
    for _ in range(4):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now += 29
    assert not breaker.allow()
    clock.now += 2
    assert breaker.state == "half-open"
    assert breaker.allow()  # one probe
    assert not breaker.allow()  # and only one
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 31
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert changes == [("anthropic", "open"), ("anthropic", "open"), ("anthropic", "closed")]


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    breaker = CircuitBreaker("modal")
    for _ in range(4):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state == "closed"


def test_backoff_doubles_and_respects_retry_after() -> None:
    assert [backoff_s(a, None) for a in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert backoff_s(1, 3.0) == 3.0
    assert backoff_s(1, 600.0) == 8.0


def test_budget_warns_at_80_percent_and_is_spent_at_100() -> None:
    said: list[str] = []
    budget = Budget(Limits(max_calls=10, max_tokens=1000), on_warning=said.append)
    for _ in range(7):
        budget.start_call()
    assert not said
    budget.start_call()
    assert len(said) == 1
    assert "80%" in said[0]
    assert not budget.exhausted
    budget.charge(1000)
    assert budget.exhausted
    assert "local route finishes" in said[-1]
    budget.charge(10)
    assert len(said) == 2  # each said once


def test_limits_from_settings_spellings() -> None:
    limits = Limits.from_dict({"maxCalls": 5, "max_tokens": 10, "max-concurrent": 0})
    assert limits == Limits(max_calls=5, max_tokens=10, max_concurrent=1)


def test_redactor_removes_every_secret() -> None:
    redact = Redactor(["sk-ant-test-1234", None, "ws-efgh"])
    text = redact("bad key sk-ant-test-1234 and ws-efgh in a message")
    assert "sk-ant" not in text
    assert "ws-efgh" not in text
    assert text.count("[redacted]") == 2
