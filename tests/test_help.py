"""Help where users look: --help, `sbkb help`, its topics, the man page and the errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from softbank_kb import __version__
from softbank_kb.cli import cli
from softbank_kb.commands import ENVIRONMENT, EXIT_CODES, man_page

from .conftest import REPO, RunCli

MAN_PAGE = REPO / "docs" / "sbkb.1"
PACKAGE = REPO / "softbank_kb"


def _commands() -> list[tuple[str, click.Command]]:
    return sorted(cli.commands.items())


# sbkb --help and every command's --help (N7, N8) --------------------------------------------


def test_the_group_help_gives_every_summary_whole_within_80_columns(run_cli: RunCli) -> None:
    shown = run_cli("--help", env={"COLUMNS": "80"}).stdout
    assert all(len(line) <= 80 for line in shown.splitlines()), shown
    listed = shown.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in listed] == sorted(cli.commands)
    for line in listed:
        assert not line.endswith("..."), line
        assert len(line) <= 80, line
    assert "sbkb help environment" in shown
    assert "sbkb help exit-codes" in shown


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_option_is_described_within_80_columns(run_cli: RunCli, name, command) -> None:
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]}"
    shown = run_cli(name, "--help", env={"COLUMNS": "80"}).stdout
    for line in shown.splitlines():
        assert len(line) <= 80, line
    # A metavar, not click's list of choices: `--kind KIND`, never `--kind [a|b|...]`.
    assert not re.search(r"^\s+-.*\[\w+\|", shown, re.M), shown


# sbkb help (N9) --------------------------------------------------------------------------


def test_help_alone_is_the_group_help_and_its_topics(run_cli: RunCli) -> None:
    result = run_cli("help")
    assert result.exit_code == 0
    assert result.stdout.startswith(run_cli("--help").stdout)
    assert result.stdout.rstrip().endswith("Topics: sbkb help environment, sbkb help exit-codes.")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_help_command_is_the_command_s_own_help(run_cli: RunCli, name: str) -> None:
    assert run_cli("help", name).stdout == run_cli(name, "--help").stdout


def test_help_environment_names_every_variable_sbkb_reads(run_cli: RunCli) -> None:
    shown = run_cli("help", "environment").stdout
    named = {name for name, _ in ENVIRONMENT}
    assert all(name in shown for name in named)
    source = "\n".join(path.read_text("utf-8") for path in PACKAGE.glob("*.py"))
    read = set(re.findall(r"environ\.get\(\s*\"([A-Z_]+)\"", source))
    read |= set(re.findall(r"envvar=\"([A-Z_]+)\"", source))
    read -= {"_SBKB_COMPLETE"}  # click's completion protocol, `sbkb completion` writes it
    assert read <= named | {"LESS"}, read - named
    assert "LESS" in dict(ENVIRONMENT)["PAGER"]


def test_help_exit_codes_gives_every_code_the_package_uses(run_cli: RunCli) -> None:
    from softbank_kb import errors

    shown = run_cli("help", "exit-codes").stdout
    codes = {value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    given = [code for code, _ in EXIT_CODES]
    assert set(given) == codes | {2}
    for code in given:
        assert re.search(rf"^  {code} ", shown, re.M), code


def test_help_with_a_typo_suggests_and_exits_2(run_cli: RunCli) -> None:
    result = run_cli("help", "enviroment")
    assert result.exit_code == 2
    assert "Did you mean 'environment'?" in result.stderr


# The man page (N9) -----------------------------------------------------------------------


def test_the_man_page_in_docs_is_the_one_the_commands_make() -> None:
    made = man_page(cli, __version__)
    if os.environ.get("SBKB_UPDATE_GOLDEN"):
        MAN_PAGE.write_text(made, encoding="utf-8")
    assert MAN_PAGE.read_text(encoding="utf-8") == made, "SBKB_UPDATE_GOLDEN=1 pytest remakes it"


def test_the_man_page_s_examples_fit_80_columns() -> None:
    """man indents a paragraph by 7 columns and breaks no line of an example block."""
    kept = re.findall(r"^\.nf\n(.*?)^\.fi$", MAN_PAGE.read_text("utf-8"), re.M | re.S)
    assert kept
    for block in kept:
        for line in block.splitlines():
            shown = re.sub(r"\\\[u[0-9A-F]{4}\]", "x", line)
            shown = shown.replace("\\&", "").replace("\\-", "-").replace("\\e", "\\")
            assert 7 + len(shown) <= 80, shown


def test_help_man_prints_the_man_page(run_cli: RunCli) -> None:
    assert run_cli("help", "--man").stdout == man_page(cli, __version__)


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_the_man_page_renders_without_warnings_and_lists_every_command() -> None:
    rendered = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-P-c", str(MAN_PAGE)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MANWIDTH": "80"},
    )
    assert rendered.stderr == ""
    text = re.sub(r".\x08", "", rendered.stdout)  # overstrike bold, should groff use it
    for name in cli.commands:
        assert re.search(rf"^ +sbkb {name} ", text, re.M), name
    for section in ("NAME", "SYNOPSIS", "COMMANDS", "ENVIRONMENT", "EXIT STATUS"):
        assert re.search(rf"^{section}$", text, re.M), section
    assert MAN_PAGE.read_text("utf-8").isascii()


# Errors that help (N10, N11, N13) ----------------------------------------------------------

CHOICE_TYPOS = [
    pytest.param(["invest", "--kind", "aquisition"], "acquisition", id="kind"),
    pytest.param(["search", "x", "--type", "dael"], "deal", id="type"),
    pytest.param(["invest", "--sort", "amout"], "amount", id="sort"),
    pytest.param(["graph", "--format", "mermiad"], "mermaid", id="graph-format"),
    pytest.param(["export", "--format", "sqlit"], "sqlite", id="export-format"),
    pytest.param(["quote", "--lang", "eng"], "en", id="lang"),
    pytest.param(["graph", "--kind", "work-for"], "works_for", id="graph-kind"),
]


@pytest.mark.parametrize(("args", "meant"), CHOICE_TYPOS)
def test_a_mistyped_choice_gets_did_you_mean(run_cli: RunCli, args, meant) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert f"Did you mean {meant!r}?" in result.stderr


def test_an_unlike_choice_gets_no_suggestion(run_cli: RunCli) -> None:
    result = run_cli("invest", "--kind", "zzz")
    assert result.exit_code == 2
    assert "is not one of investment, funding_round" in result.stderr
    assert "Did you mean" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [["invest", "--data", "data"], ["stats", "--data=data"], ["search", "x", "--version"]],
    ids=["data", "data=", "version"],
)
def test_a_global_option_after_the_command_says_where_it_goes(run_cli: RunCli, args) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert "is an option of sbkb itself: give it before the command" in result.stderr
    assert "Did you mean" not in result.stderr


def test_another_unknown_option_keeps_click_s_suggestion(run_cli: RunCli) -> None:
    result = run_cli("invest", "--yaer", "2024")
    assert result.exit_code == 2
    # Click 8.2 says "Possible options: ... --year", later ones "Did you mean ... '--year'".
    error = result.stderr.split("Error:", 1)[1]
    assert "--year" in error
    assert "Did you mean" in error or "Possible options" in error


def test_an_unknown_id_suggests_only_ids_like_it(run_cli: RunCli) -> None:
    assert "Did you mean" not in run_cli("show", "nope").stderr
    typo = run_cli("show", "ampere-acqusition").stderr
    assert "Did you mean: ampere-acquisition?" in typo
    start = run_cli("show", "nvidia-stake").stderr
    assert "nvidia-stake-purchase-2017, nvidia-stake-sale-2019" in start


def test_a_missing_data_directory_is_said_without_a_pointless_hint(
    run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli("--data", str(tmp_path / "nowhere"), "invest")
    assert result.exit_code == 3
    assert "does not exist" in result.stderr
    assert "validate" not in result.stderr


def test_an_ambiguous_name_lists_one_candidate_a_line(run_cli: RunCli) -> None:
    result = run_cli("company", "joint venture")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: 'joint venture' matches more than one organisation:"
    assert "  cristal-intelligence-joint-venture" in lines
    assert "  softbank-tempus-ai-healthcare-joint-venture" in lines
    assert all(len(line) <= 80 for line in lines)


# -o and --json wherever a command writes an answer (N12) ----------------------------------

# Commands that print no answer of their own: a report, help, a script.
_NO_ANSWER = {"validate", "verify", "help", "completion"}


@pytest.mark.parametrize("name", sorted(set(cli.commands) - _NO_ANSWER))
def test_every_command_that_answers_takes_o_and_json(name: str) -> None:
    options = {opt for param in cli.commands[name].params for opt in param.opts}
    assert {"-o", "--output"} <= options, name
    if name != "schema":  # JSON is its only form
        assert "--json" in options, name


@pytest.mark.parametrize(
    "args",
    [
        ["invest", "--year", "2024", "--json"],
        ["invest", "--year", "2024", "--tsv"],
        ["show", "ampere-acquisition", "--json"],
        ["stats", "--json"],
        ["ask", "How much did SoftBank pay for Ampere?", "--json"],
        ["graph", "--company", "ampere", "--json"],
        ["graph", "--company", "ampere", "--format", "dot"],
        ["schema"],
        ["export", "--format", "csv"],
    ],
    ids=" ".join,
)
def test_o_writes_what_stdout_gets(run_cli: RunCli, tmp_path: Path, args: list[str]) -> None:
    target = tmp_path / "answer"
    printed = run_cli(*args)
    written = run_cli(*args, "-o", str(target))
    assert printed.exit_code == written.exit_code == 0, written.stderr
    assert written.stdout == ""
    assert target.read_text("utf-8") == printed.stdout


def test_o_dash_is_stdout(run_cli: RunCli) -> None:
    assert run_cli("stats", "--json", "-o", "-").stdout == run_cli("stats", "--json").stdout


def test_o_under_json_with_nothing_matched_writes_the_empty_document(
    run_cli: RunCli, tmp_path: Path
) -> None:
    target = tmp_path / "deals.json"
    result = run_cli("invest", "--year", "1999", "--json", "-o", str(target))
    assert result.exit_code == 1
    assert json.loads(target.read_text("utf-8")) == []
    assert result.stdout == ""
    plain = tmp_path / "deals.tsv"
    assert run_cli("invest", "--year", "1999", "-o", str(plain)).exit_code == 1
    assert not plain.exists()


def test_o_never_writes_into_the_data_directory(run_cli: RunCli) -> None:
    result = run_cli("stats", "--json", "-o", str(REPO / "data" / "deals.yaml"))
    assert result.exit_code == 2
    assert "deals.yaml" in result.stderr


def test_graph_json_is_format_json_and_refuses_another_format(run_cli: RunCli) -> None:
    asked = run_cli("graph", "--company", "ampere", "--json")
    assert asked.stdout == run_cli("graph", "--company", "ampere", "--format", "json").stdout
    both = run_cli("graph", "--json", "--format", "dot")
    assert both.exit_code == 2
    assert "--json and --format dot" in both.stderr


def test_export_writes_json_by_default(run_cli: RunCli) -> None:
    default = run_cli("export")
    assert default.exit_code == 0
    assert default.stdout == run_cli("export", "--format", "json").stdout
    assert default.stdout == run_cli("export", "--json").stdout
    assert len(json.loads(default.stdout)) == 169


def test_an_unknown_sbkb_format_is_said_and_ignored(run_cli: RunCli) -> None:
    result = run_cli("invest", "--year", "2024", env={"SBKB_FORMAT": "yaml"})
    assert result.exit_code == 0
    assert "SBKB_FORMAT='yaml' is not one of table, tsv, csv, json; ignored." in result.stderr
    assert result.stdout == run_cli("invest", "--year", "2024").stdout


# The --limit note comes after the answer (N2) ----------------------------------------------


@pytest.mark.parametrize("form", ["--table", "--tsv", "--json"])
def test_the_limit_note_follows_the_answer(tmp_path: Path, form: str) -> None:
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "80"}
    shown = subprocess.run(
        [sys.executable, "-m", "softbank_kb", "search", "grafcore", "--limit", "2", form],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert shown.rstrip().splitlines()[-1].startswith("2 of "), shown
    assert shown.count("shown (--limit 2)") == 1


# Completion (N22) ---------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_shell_s_script(run_cli: RunCli, shell: str) -> None:
    result = run_cli("completion", shell)
    assert result.exit_code == 0
    assert "_SBKB_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout


def _complete(words: str, shell: str = "bash") -> list[str]:
    import sys

    env = {
        **os.environ,
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
        "_SBKB_COMPLETE": f"{shell}_complete",
    }
    return subprocess.run(
        [sys.executable, "-m", "softbank_kb"], capture_output=True, text=True, env=env, check=True
    ).stdout.splitlines()


def test_completion_offers_a_record_once_and_escapes_it_for_bash() -> None:
    assert _complete("sbkb company amp") == ["plain,Ampere"]
    assert _complete("sbkb quote Jens") == ["plain,Jensen\\\\ Huang"]
    # Escaped for the shell, and once more for the `read` of click's bash script.
    assert r"plain,SoftBank\\'s\\ Japanese\\ large\\ language\\ model" in _complete(
        "sbkb company SoftBank"
    )
    assert _complete("sbkb quote Jens", shell="zsh") == ["plain", "Jensen Huang", "jensen-huang"]


def test_show_completes_ids_only() -> None:
    offered = _complete("sbkb show Amp")
    assert "plain,ampere-acquisition" in offered
    assert "plain,Ampere" not in offered
