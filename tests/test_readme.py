"""The README is short, reads on PyPI as on GitHub, and its examples are real output."""

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


def _text() -> str:
    return README.read_text(encoding="utf-8")


def _examples() -> list[re.Match[str]]:
    return list(EXAMPLE.finditer(_text()))


def test_readme_has_examples_with_ask_first() -> None:
    commands = [match["command"] for match in _examples()]
    assert commands[0].startswith("ask ")
    assert 5 <= len(commands) <= 8
    assert "invest --year 2024" in commands
    assert "show ampere-acquisition" in commands


@pytest.mark.parametrize("match", _examples(), ids=lambda m: m["command"])
def test_readme_example_is_real_output(run_cli: RunCli, monkeypatch, match) -> None:
    monkeypatch.chdir(REPO)
    result = run_cli(*shlex.split(match["command"]), env={"COLUMNS": "80"})
    shown = _shown(result.stdout, result.stderr, result.exit_code)
    if os.environ.get("SBKB_UPDATE_GOLDEN"):
        README.write_text(
            _text().replace(match.group(0), f"```\n$ sbkb {match['command']}\n{shown}```")
        )
        return
    assert shown == match["output"]


def test_the_readme_is_for_a_newcomer() -> None:
    """At most 250 lines; set-up, then how to run sbkb, then examples (N1, N15)."""
    text = _text()
    assert 150 <= len(text.splitlines()) <= 250
    setup = text.index("python3 -m venv .venv\n.venv/bin/pip install .\n")
    activate = text.index(". .venv/bin/activate")
    assert setup < activate < text.index("pipx install .") < text.index("$ sbkb ask")
    assert "few minutes" in text.split("## Development")[1]  # N24


def test_every_line_of_a_code_block_fits_80_columns() -> None:
    """N3, N14: on GitHub a block does not scroll sideways; on a terminal nothing wraps."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", _text(), re.DOTALL)
    assert blocks
    for block in blocks:
        for line in block.splitlines():
            assert len(line) <= 80, line


def test_the_readme_reads_the_same_on_pypi() -> None:
    """N16: PyPI resolves no relative link and draws no Mermaid."""
    text = _text()
    targets = re.findall(r"\]\(([^)]*)\)", text) + re.findall(r'src="([^"]*)"', text)
    for target in targets:
        assert target.startswith(("https://", "http://", "#")), target
    assert "```mermaid" not in text


def test_the_pages_the_readme_names_exist() -> None:
    named = set(re.findall(r"`((?:docs|data)/[\w./-]+\.md)`", _text()))
    assert {"docs/commands.md", "docs/output.md", "docs/environment.md"} <= named
    for page in named:
        assert (REPO / page).is_file(), page
    written = {f"docs/{path.name}" for path in (REPO / "docs").glob("*.md")}
    assert written <= named, written - named
