"""Hostile arguments: random text at every command's arguments and options (hypothesis).

For any argv, sbkb answers (0), finds nothing (1) or refuses the call (2): never an
exception (run_cli lets one escape, which fails the test), and with --json and exit 0,
stdout is one JSON document. The profiles are in conftest.py: `ci` (the default, 2,000
examples in all) and `long` (HYPOTHESIS_PROFILE=long, 10,000).
"""

from __future__ import annotations

import json

import click
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from softbank_kb.cli import ALL_TYPES, DEAL_KINDS, cli
from softbank_kb.commands import GRAPH_KINDS

from .conftest import COMMANDS as ALL_COMMANDS
from .conftest import FUZZ_PROFILES, FUZZ_TESTS, NOT_FUZZED, RunCli

SPECIAL = [
    "",
    " ",
    "-",
    "--",
    "-1",
    "0",
    "1e308",
    "-1e308",
    "1e309",
    "1e-320",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "9" * 400,
    "2024",
    "2024..2025",
    "2025..2024",
    "0..99999999",
    "2024..",
    "..2024",
    "2024-02-30",
    "2024-13",
    "0000-00-00",
    "--json",
    "--help",
    "\x00",
    "\udcff",  # an undecodable byte in argv, as Python receives it
    "\u202e",
    "\x1b]0;title\x07",
    "\x9b2J",
    "[bold]x[/]",
    "[link=https://evil.example]x[/link]",
    "%s%n{0}",
    "../../etc/passwd",
    "a" * 100_000,
    "é" * 10_000,
    "ampere",
    "Masa",
    "Jensen Huang",
    "grafcore",
    "softbank",
    "ａｍｐｅｒｅ",  # full-width
    "ampère",
]

# Any unicode, controls and surrogates included; the values above; numbers as text.
hostile = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec=None, categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co"])),
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
    st.text(min_size=1000, max_size=5000),
)


def _option(name: str, values: st.SearchStrategy[str] = hostile) -> st.SearchStrategy[list[str]]:
    """The option with a value, or not at all."""
    return st.booleans().flatmap(
        lambda present: values.map(lambda value: [name, value]) if present else st.just([])
    )


@st.composite
def _argv(draw: st.DrawFn, command: str, *parts: st.SearchStrategy[list[str]]) -> list[str]:
    """The command, then its parts in a drawn order, and --json or not."""
    drawn = [draw(part) for part in parts]
    order = draw(st.permutations(range(len(drawn))))
    args = [command] + [item for index in order for item in drawn[index]]
    if draw(st.booleans()):
        args.append("--json")
    return [*args, "--no-pager"]


def _words(values: st.SearchStrategy[str] = hostile, most: int = 3) -> st.SearchStrategy[list[str]]:
    """Zero to `most` positional words."""
    return st.lists(values, max_size=most)


def _or_hostile(*valid: str | st.SearchStrategy[str], weight: int = 1) -> st.SearchStrategy[str]:
    """A value the option accepts, `weight` times as often as anything at all."""
    accepted = st.one_of(*(st.just(v) if isinstance(v, str) else v for v in valid))
    return st.integers(0, weight).flatmap(lambda pick: accepted if pick else hostile)


def _choice(choices: tuple[str, ...] | list[str]) -> st.SearchStrategy[str]:
    """A choice option: click refuses any other value, so those are tried less often."""
    return _or_hostile(st.sampled_from(choices), weight=4)


# Half of each free value is valid, so that answers, not only refusals, are tried.
NAMES = _or_hostile(
    st.sampled_from(["ampere", "Masa", "Jensen Huang", "grafcore", "openai", "nvidia", "arm"])
)
YEARS = _or_hostile(
    st.integers(2015, 2030).map(str),
    st.tuples(st.integers(2015, 2030), st.integers(2015, 2030)).map(lambda r: f"{r[0]}..{r[1]}"),
)
DATES = _or_hostile(
    st.integers(2015, 2030).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()[:7]),
)
WORDS = _or_hostile(st.sampled_from(["ai", "puces", "chips", "robots humanoides", "ampère"]))
QUESTIONS = _or_hostile(
    st.sampled_from(
        [
            "How much did SoftBank pay for Ampere?",
            "Qui est le directeur financier de SoftBank ?",
            "How much did SoftBank pay for Apple?",
            "Who is the CEO of Ampere?",
            "pertes Ampère",
        ]
    )
)

COMMANDS = {
    "invest": _argv(
        "invest",
        _option("--year", YEARS),
        _option("--kind", _choice(DEAL_KINDS)),
        _option("--company", NAMES),
        _option("--min-amount", _or_hostile(st.floats(0, 1e12).map(repr))),
    ),
    "quote": _argv(
        "quote",
        _words(NAMES),
        _option("--about", _or_hostile(NAMES, WORDS)),
        _option("--year", YEARS),
        _option("--lang", _choice(["fr", "en", "both"])),
    ),
    "people": _argv("people", _words(NAMES)),
    "company": _argv("company", _words(NAMES)),
    "financials": _argv(
        "financials",
        _option("--company", NAMES),
        _option("--metric", _or_hostile("revenue", "operating_income", "loss")),
        _option("--year", YEARS),
    ),
    "timeline": _argv("timeline", _option("--from", DATES), _option("--to", DATES)),
    "search": _argv(
        "search",
        _words(_or_hostile(NAMES, WORDS)),
        _option("--type", _choice(ALL_TYPES)),
        _option("--limit", _or_hostile(st.integers(-2, 1002).map(str))),
    ),
    "ask": _argv(
        "ask",
        _words(_or_hostile(QUESTIONS, NAMES, WORDS)),
        _option("--limit", _or_hostile(st.integers(-2, 22).map(str))),
    ),
    "show": _argv("show", _words(_or_hostile("ampere-acquisition", "masayoshi-son"), most=2)),
    "export": st.lists(_choice(["json", "csv", "markdown", "sqlite"]), max_size=2).map(
        lambda values: ["export", *[item for v in values for item in ("--format", v)]]
    ),
    "graph": _argv(
        "graph",
        _option("--company", _or_hostile(NAMES, "softbank-group")),
        _option("--kind", _choice(GRAPH_KINDS)),
        _option("--year", YEARS),
        _option("--format", _choice(["mermaid", "dot", "json"])),
    ),
    "strategy": _argv("strategy", _words(most=1)),
    "stats": _argv("stats", _option("--extra")),
}


def _check(run_cli: RunCli, argv: list[str]) -> None:
    result = run_cli(*argv)
    event(f"exit {result.exit_code}")  # pytest --hypothesis-show-statistics
    assert result.exit_code in (0, 1, 2), (argv, result.exit_code, result.stderr[-500:])
    assert "Traceback" not in result.stderr
    if result.exit_code != 0:
        assert result.stderr.strip(), "a refusal says why"
    elif _asked_for_json(argv):
        event("exit 0 with --json")
        json.loads(result.stdout, parse_constant=_no_constants)


def _asked_for_json(argv: list[str]) -> bool:
    """Whether click read --json as the flag: not after `--`, not as an option's value."""
    command = cli.commands[argv[0]]
    try:
        with command.make_context(argv[0], argv[1:]) as ctx:
            return ctx.params.get("output_format") == "json"
    except click.exceptions.Exit:
        return False  # --help, which wins over --json


def _no_constants(name: str) -> float:
    """NaN and Infinity are not JSON, though Python reads them."""
    raise AssertionError(f"{name} in JSON output")


@pytest.mark.parametrize("command", sorted(COMMANDS))
@given(data=st.data())
def test_random_arguments_never_crash(run_cli: RunCli, command: str, data: st.DataObject) -> None:
    _check(run_cli, data.draw(COMMANDS[command], label="argv"))


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**400), 10**400))
def test_any_number_as_min_amount(run_cli: RunCli, number: float) -> None:
    _check(run_cli, ["invest", "--min-amount", repr(number), "--json"])


def test_property_suite_size() -> None:
    # The closing note in tests/README.md, and the profiles' totals, count on this.
    assert set(COMMANDS) == set(ALL_COMMANDS) - set(NOT_FUZZED)
    assert len(COMMANDS) == 13
    assert len(COMMANDS) + 1 == FUZZ_TESTS  # and test_any_number_as_min_amount
    assert settings.default.max_examples * FUZZ_TESTS >= min(FUZZ_PROFILES.values())
