"""The reference in docs/ says what the commands do: every command, option, variable, code."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from softbank_kb.cli import cli
from softbank_kb.commands import ENVIRONMENT, EXIT_CODES

from .conftest import REPO

DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_link_of_a_page_leads_somewhere(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("https://", "http://")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.*)$", linked.read_text("utf-8"), re.M)
            assert anchor in {_slug(h) for h in headings}, f"{page.name}: {target}"


def test_commands_md_gives_each_command_one_line_and_every_option() -> None:
    text = _read("commands.md")
    (synopsis,) = re.findall(r"```\n(sbkb ask.*?)```", text, re.DOTALL)
    lines = synopsis.splitlines()
    assert sorted(line.split()[1] for line in lines) == sorted(cli.commands)  # once each
    assert all(len(line) <= 80 for line in lines)
    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert any(opt in text for opt in param.opts), f"{name} {param.opts}"


def test_environment_md_is_the_help_topics() -> None:
    text = _read("environment.md")
    variables = re.findall(r"^\| `([A-Z_]+)` \|", text, re.M)
    assert variables == [name for name, _ in ENVIRONMENT]
    codes = re.findall(r"^\| (\d+) \| (.*) \|$", text, re.M)
    assert codes == [(str(code), meaning) for code, meaning in EXIT_CODES]


def test_data_md_states_the_loader_s_limits() -> None:
    from softbank_kb.loading import MAX_DEPTH, MAX_FILE_BYTES

    text = " ".join(_read("data.md").split())
    assert f"a data file is at most {MAX_FILE_BYTES // 2**20} MiB" in text
    assert f"a record nests at most {MAX_DEPTH} levels" in text


def test_the_docs_hold_no_example_that_is_not_tested() -> None:
    """`$ sbkb` examples with their output live in the README, where they are tested."""
    for page in PAGES:
        assert "\n$ sbkb " not in page.read_text("utf-8"), page.name
