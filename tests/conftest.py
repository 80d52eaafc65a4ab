"""Shared fixtures: one way to run the CLI, and paths to the test data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from softbank_kb.cli import cli

TESTS = Path(__file__).parent
REPO = TESTS.parent
HOSTILE = TESTS / "hostile"

RunCli = Callable[..., Result]

# Every command that answers with a list of records, with arguments that list many.
LIST_COMMANDS = [
    ["invest"],
    ["quote"],
    ["people"],
    ["company"],
    ["financials"],
    ["timeline"],
    ["strategy"],
    ["search", "softbank", "--limit", "40"],
]


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> RunCli:
    """Run `sbkb ARGS` in-process with no colour, stdout and stderr kept apart.

    Each test has a cache directory of its own, empty at the start.
    """
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("SBKB_NO_CACHE", raising=False)
    monkeypatch.delenv("SBKB_DATA", raising=False)
    monkeypatch.delenv("SBKB_FORMAT", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    return run
