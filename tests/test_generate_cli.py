"""``lift-lsp generate`` against the fake Anthropic API (the parser built the way the CLI
builds it: ``generate_command.add_parser`` on the subcommands)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lift_lsp.generate_command import add_parser, run
from tests.fakes.anthropic_server import FakeAnthropicServer, Status
from tests.test_forward_responder import ForwardResponder

KEY = "sk-ant-cli-generate-31f9e04c"
SOURCE = '''\
def mean(values: list[float]) -> float:
    """The arithmetic mean; 0.0 for no values."""
    ...
'''
BODY = "    if not values:\n        return 0.0\n    return sum(values) / len(values)\n"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lift-lsp")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["generate", *argv])


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer(api_key=KEY, responder=ForwardResponder(code=BODY)) as server:
        for name in ("LIFT_ROUTE", "LIFT_MODAL_URL", "LIFT_ANTHROPIC_MODEL"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("LIFT_ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("LIFT_ROUTE", "anthropic")
        monkeypatch.setenv("LIFT_WORKSPACE", str(tmp_path))
        monkeypatch.chdir(tmp_path)
        yield server


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "stats.py"
    path.write_text(SOURCE)
    return path


def test_prints_the_body_and_changes_nothing(
    fake: FakeAnthropicServer, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(parse(f"{source}:3:5")) == 0
    out, err = capsys.readouterr()
    assert out == BODY
    assert "Generated the body of mean (anthropic" in err
    assert "use --write" in err
    assert source.read_text() == SOURCE


def test_write_applies_it(
    fake: FakeAnthropicServer, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(parse(f"{source}:3:5", "--write")) == 0
    assert source.read_text() == SOURCE.replace("    ...\n", BODY)
    assert "written to stats.py" in capsys.readouterr().err


def test_json_has_the_ir_its_provenance_and_the_holes(
    fake: FakeAnthropicServer, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(parse(f"{source}:3:6", "--format", "json")) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["version"] == 1
    assert (data["ok"], data["written"], data["qualname"]) == (True, False, "mean")
    assert data["body"] == BODY.rstrip("\n")
    assert data["ir"]["intent"]["provenance"]["route"] == "anthropic"
    assert data["ir"]["params"][0]["provenance"]["source"] == "annotation"
    assert data["remaining_holes"] == []
    assert set(data["steps"]) == {"ExtractIntent", "PromptToIR", "IRToCode"}
    assert KEY not in out
    assert fake.requests
    assert KEY in str(fake.requests[0].headers)


def test_the_local_route_is_a_usage_error(
    fake: FakeAnthropicServer, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(parse(f"{source}:3:5", "--route", "local")) == 2
    assert "local route does not generate" in capsys.readouterr().err
    assert fake.requests == []


def test_an_unconfigured_route_is_a_usage_error(
    fake: FakeAnthropicServer,
    source: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert run(parse(f"{source}:3:5", "--route", "anthropic")) == 2
    assert "docs/routes.md" in capsys.readouterr().err


def test_no_body_hole_there(
    fake: FakeAnthropicServer, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(parse(f"{source}:1:1")) == 2
    assert "no body hole" in capsys.readouterr().err
    assert run(parse(f"{source}:x:1")) == 2


def test_a_failed_run_writes_nothing_and_exits_1(
    fake: FakeAnthropicServer, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script(Status(403, message="forbidden"))
    assert run(parse(f"{source}:3:5", "--write")) == 1
    err = capsys.readouterr().err
    assert "failed" in err
    assert "403" in err
    assert source.read_text() == SOURCE
