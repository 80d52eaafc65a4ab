"""Shared fixtures: one way to run the CLI, and paths to the test data."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from softbank_kb.cli import cli

TESTS = Path(__file__).parent
REPO = TESTS.parent
HOSTILE = TESTS / "hostile"

# The argument fuzz (test_arguments.py) is FUZZ_TESTS property tests; a profile names
# how many examples they draw in all. `ci`, the default, runs in CI and in every plain
# `pytest`; `long` (HYPOTHESIS_PROFILE=long) is the one to run before a release.
FUZZ_TESTS = 14
FUZZ_PROFILES = {"ci": 2_000, "long": 10_000}
for _name, _total in FUZZ_PROFILES.items():
    settings.register_profile(
        _name,
        max_examples=-(-_total // FUZZ_TESTS),  # rounded up: at least the total
        deadline=None,
        database=None,  # nothing written into the checkout
        # run_cli is per test, not per example; its cache directory is shared, which is fine.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

RunCli = Callable[..., Result]

# Every command of sbkb, once. Tests that go over every command read it, and
# test_cli.py checks it against the click group, so a new command cannot be missed.
COMMANDS = (
    "ask",
    "company",
    "completion",
    "export",
    "financials",
    "graph",
    "help",
    "invest",
    "people",
    "quote",
    "schema",
    "search",
    "show",
    "stats",
    "strategy",
    "timeline",
    "validate",
    "verify",
)
# The commands that read no argument a user could get wrong but a data directory, or
# that only print help: the argument fuzz (test_arguments.py) leaves them to
# test_loading, test_verify and test_help.
NOT_FUZZED = ("completion", "help", "schema", "validate", "verify")

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


def spy_on_paths(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[str]:
    """The names of the files `owner.name(path)` is called with, in order, as it runs."""
    called: list[str] = []
    wrapped = getattr(owner, name)

    def spied(path: Path, *args: object) -> object:
        called.append(path.name)
        return wrapped(path, *args)

    monkeypatch.setattr(owner, name, spied)
    return called
