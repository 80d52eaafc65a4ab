"""The README's examples are the real output of the commands they show."""

from __future__ import annotations

import os
import re
import shlex

import pytest

from .conftest import REPO, RunCli

README = REPO / "README.md"
EXAMPLE = re.compile(r"```\n\$ sbkb (?P<command>[^\n|]*)\n(?P<output>.*?)```", re.DOTALL)


@pytest.fixture(autouse=True)
def _drawn_as_for_a_terminal(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read what a person sees: lists drawn as tables though stdout is a pipe.

    After run_cli, which clears SBKB_FORMAT for every other test.
    """
    monkeypatch.setenv("SBKB_FORMAT", "table")


def _shown(stdout: str, stderr: str, exit_code: int) -> str:
    """Output as the README shows it: trailing spaces and leading blank lines dropped."""
    lines = [line.rstrip() for line in (stdout + stderr).rstrip("\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    if exit_code:
        lines.append(f"(exit code {exit_code})")
    return "\n".join(lines) + "\n"


def _examples() -> list[re.Match[str]]:
    return list(EXAMPLE.finditer(README.read_text(encoding="utf-8")))


def test_readme_has_examples() -> None:
    commands = [match["command"] for match in _examples()]
    assert "invest --year 2024" in commands
    assert 'quote "Jensen Huang"' in commands
    assert "financials --company ampere" in commands


@pytest.mark.parametrize("match", _examples(), ids=lambda m: m["command"])
def test_readme_example_is_real_output(run_cli: RunCli, monkeypatch, match) -> None:
    monkeypatch.chdir(REPO)
    result = run_cli(*shlex.split(match["command"]), env={"COLUMNS": "80"})
    shown = _shown(result.stdout, result.stderr, result.exit_code)
    if os.environ.get("SBKB_UPDATE_GOLDEN"):
        text = README.read_text(encoding="utf-8")
        README.write_text(
            text.replace(match.group(0), f"```\n$ sbkb {match['command']}\n{shown}```")
        )
        return
    assert shown == match["output"]


def test_the_limits_the_readme_states_are_the_loader_s() -> None:
    from softbank_kb.loading import MAX_DEPTH, MAX_FILE_BYTES

    text = " ".join(README.read_text(encoding="utf-8").split())
    assert f"a data file is at most {MAX_FILE_BYTES // 2**20} MiB" in text
    assert f"a record nests at most {MAX_DEPTH} levels" in text
