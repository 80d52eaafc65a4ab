"""Rendered output: golden files under NO_COLOR, and data never read as markup or control."""

from __future__ import annotations

import ast
import io
import json
import os
import re
from pathlib import Path

import pytest
from rich.console import Console

import softbank_kb.listing as listing_module
from softbank_kb.listing import RecordList, cell, format_number, format_value
from softbank_kb.models import Money, Quantity
from softbank_kb.printable import safe
from softbank_kb.render import emit

from .conftest import LIST_COMMANDS, TESTS, RunCli

GOLDEN = TESTS / "golden"
DISPLAY = TESTS / "display"


@pytest.fixture(autouse=True)
def _drawn_as_for_a_terminal(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read what a person sees: lists drawn as tables though stdout is a pipe.

    After run_cli, which clears SBKB_FORMAT for every other test.
    """
    monkeypatch.setenv("SBKB_FORMAT", "table")


GOLDEN_CASES = [
    pytest.param(["invest", "--year", "2024"], "invest-2024", 120, id="invest-2024"),
    pytest.param(["invest"], "invest", 120, id="invest"),
    pytest.param(["quote", "Jensen Huang"], "quote-jensen-huang", 120, id="quote-jensen-huang"),
    pytest.param(["quote", "Goto", "--lang", "en"], "quote-goto-en", 120, id="quote-goto-en"),
    pytest.param(["people"], "people", 120, id="people"),
    pytest.param(["people", "Masa"], "people-masa", 120, id="people-masa"),
    pytest.param(["company"], "company", 120, id="company"),
    pytest.param(["company", "ampere"], "company-ampere", 120, id="company-ampere"),
    pytest.param(["financials", "--company", "ampere"], "financials-ampere", 120, id="financials"),
    pytest.param(["timeline", "--from", "2024-11"], "timeline-from-2024-11", 120, id="timeline"),
    pytest.param(["strategy"], "strategy", 120, id="strategy"),
    pytest.param(["show", "ampere-acquisition"], "show-ampere-acquisition", 120, id="show"),
    pytest.param(["stats"], "stats", 120, id="stats"),
    pytest.param(["search", "grafcore"], "search-grafcore", 120, id="search"),
]
# One list at every width a layout is chosen for: cards at 60 and 80, a table from 100.
GOLDEN_CASES += [
    pytest.param(["invest", "--year", "2024"], f"invest-2024-{width}", width, id=f"invest-{width}")
    for width in (60, 80, 200)
]


@pytest.mark.parametrize(("args", "name", "width"), GOLDEN_CASES)
def test_human_output_matches_golden_file(
    run_cli: RunCli, args: list[str], name: str, width: int
) -> None:
    result = run_cli(*args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("SBKB_UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}; run with SBKB_UPDATE_GOLDEN=1"
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_golden_output_has_no_escape_sequences() -> None:
    for golden in GOLDEN.glob("*.txt"):
        assert "\x1b" not in golden.read_text(encoding="utf-8"), golden


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["company", "markup-corp"], id="profile"),
        pytest.param(["company"], id="table"),
        pytest.param(["invest"], id="deals"),
        pytest.param(["show", "markup-deal"], id="show"),
    ],
)
def test_markup_and_controls_print_literally_even_in_colour(run_cli: RunCli, args) -> None:
    result = run_cli(
        "--data", str(DISPLAY), *args, "--no-pager", env={"FORCE_COLOR": "1", "NO_COLOR": ""}
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    # Colour is on (FORCE_COLOR), so escape sequences of our own styles are present...
    assert "\x1b[" in out
    # ...but none of the data's: every ESC is followed by an SGR of ours, never 2J, ]0;.
    for forbidden in ("\x1b]0;", "\x1b[2J", "\x1b[H", "\x07", "\x9b", "\u202e", "\x1b[31mred"):
        assert forbidden not in out, repr(forbidden)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    if args == ["company", "markup-corp"]:
        assert "[bold red]Markup[/] Corp [link=https://example.com]click[/link]" in plain
    if args == ["company"]:
        assert "[bold red]Markup[/]" in plain
    if args[0] == "show":
        assert "\\x1b[31mred summary" in out


def test_json_escapes_controls_as_json_does(run_cli: RunCli) -> None:
    result = run_cli("--data", str(DISPLAY), "company", "markup-corp", "--json")
    assert result.exit_code == 0, result.stderr
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in result.stdout
    data = json.loads(result.stdout)
    assert data["aliases"][1] == "bidi \u202eevil\u202c"
    assert data["name"].startswith("[bold red]Markup[/]")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("\x1b[31m", "\\x1b[31m", id="esc"),
        pytest.param("a\u202eb", "a\\u202eb", id="bidi"),
        pytest.param("\x9b", "\\x9b", id="c1"),
        pytest.param("\x85", "\\x85", id="c1-next-line"),
        pytest.param("a\u061cb", "a\\u061cb", id="arabic-letter-mark"),
        pytest.param("\u2066x\u2069", "\\u2066x\\u2069", id="bidi-isolate"),
        pytest.param("\x1b]8;;http://x\x1b\\", "\\x1b]8;;http://x\\x1b\\", id="osc-8"),
        pytest.param("é ’ 5 %", "é ’ 5 %", id="ordinary"),
    ],
)
def test_safe_makes_controls_visible(raw: str, shown: str) -> None:
    assert safe(raw) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(
            Money(
                amount=6_500_000_000,
                currency="USD",
                equivalents=(Money(amount=47_000_000_000, currency="CNY", qualifier="about"),),
            ),
            "6.5 billion USD (about 47 billion CNY)",
            id="conversion",
        ),
        pytest.param(Money(amount=204_600_000, currency="USD"), "204.6 million USD", id="million"),
        pytest.param(
            Money(amount=30e9, currency="USD", qualifier="up_to"),
            "up to 30 billion USD",
            id="up-to",
        ),
        pytest.param(Quantity(amount=5, unit="%", qualifier="nearly"), "nearly 5%", id="percent"),
    ],
)
def test_values_keep_qualifiers_and_conversions(value, shown: str) -> None:
    assert format_value(value) == shown


def test_format_number_scales() -> None:
    assert format_number(1_000_000_000_000) == "1 trillion"
    assert format_number(2_700_000) == "2.7 million"
    assert format_number(99) == "99"


def test_narrow_screen_drops_the_prose_column_but_keeps_ids(run_cli: RunCli) -> None:
    result = run_cli("invest", "--year", "2024", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "Summary" not in result.stdout
    assert "graphcore-acqu" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


# Every human view of the display records, under FORCE_COLOR: the bytes written ---------

COLOUR = {"FORCE_COLOR": "1", "NO_COLOR": "", "COLUMNS": "100"}
# Our own styles are SGR sequences; nothing else may begin with ESC.
_SGR = re.compile(r"\x1b\[[0-9;]*m")
# After our SGR sequences are removed, no C0 (but newline), DEL, C1 or bidi control.
_RAW_CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)

DISPLAY_VIEWS = [
    pytest.param(["company"], id="company-table"),
    pytest.param(["company", "markup-corp"], id="company-profile"),
    pytest.param(["invest"], id="deals-table"),
    pytest.param(["show", "markup-deal"], id="show-deal"),
    pytest.param(["show", "markup-quote"], id="show-quote"),
    pytest.param(["show", "article"], id="show-source"),
    pytest.param(["quote"], id="quote-panel"),
    pytest.param(["quote", "--lang", "fr"], id="quote-panel-fr"),
    pytest.param(["search", "evil"], id="search-hits"),
    pytest.param(["search", "markup"], id="search-hits-markup"),
    pytest.param(["timeline"], id="timeline"),
    pytest.param(["stats"], id="stats"),
]


@pytest.mark.parametrize("args", DISPLAY_VIEWS)
def test_only_our_sgr_sequences_reach_the_terminal(run_cli: RunCli, args: list[str]) -> None:
    result = run_cli("--data", str(DISPLAY), *args, "--no-pager", env=COLOUR)
    assert result.exit_code == 0, result.stderr
    out = result.stdout_bytes.decode("utf-8")
    assert _SGR.search(out), "FORCE_COLOR is on: our own styles are expected"
    plain = _SGR.sub("", out)
    assert not _RAW_CONTROL.search(plain), repr(_RAW_CONTROL.findall(plain))
    # Nothing is a hyperlink: OSC 8 (ESC ] 8) and rich's [link=...] never become one.
    assert "\x1b]" not in out
    assert "\x1b]8;" not in out


def test_quote_panel_shows_links_controls_and_bidi_as_text(run_cli: RunCli) -> None:
    result = run_cli("--data", str(DISPLAY), "quote", "--no-pager", env=COLOUR)
    assert result.exit_code == 0, result.stderr
    plain = _SGR.sub("", result.stdout)
    # The panel wraps at 100 columns: compare the words, not the line breaks.
    flat = " ".join(line.strip("│ ") for line in plain.splitlines())
    for shown in (
        "\\x1b]8;;https://evil.example\\x1b\\clic\\x1b]8;;\\x1b\\",  # OSC 8 ended by ST
        "[italic]x[/italic]",
        "\\x85next \\x9b2J",  # C1: NEL and CSI
        "[link=https://evil.example]here[/link]",
        "\\u2066iso\\u2069 \\u061calm \\u200fRLM \\u202aLRE",  # every kind of bidi control
        "\\x9d0;C1 title\\x9c",  # C1 OSC and ST
        "\\x1b]8;;https://evil.example\\x07a BEL-ended",
    ):
        assert shown in flat, shown


def test_search_hit_shows_the_matched_text_escaped(run_cli: RunCli) -> None:
    result = run_cli("--data", str(DISPLAY), "search", "evil", "--no-pager", env=COLOUR)
    assert result.exit_code == 0, result.stderr
    plain = _SGR.sub("", result.stdout)
    assert "bidi \\u202eevil\\u202c" in plain
    assert "\\u2066iso\\u2069" in plain


def test_quote_panel_exact_bytes_in_colour(run_cli: RunCli) -> None:
    # The whole byte stream, escape sequences included, as a golden file.
    result = run_cli("--data", str(DISPLAY), "quote", "--no-pager", env=COLOUR)
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / "quote-display-colour.ansi"
    if os.environ.get("SBKB_UPDATE_GOLDEN"):
        golden.write_bytes(result.stdout_bytes)
    assert golden.is_file(), f"no golden file {golden}; run with SBKB_UPDATE_GOLDEN=1"
    assert result.stdout_bytes == golden.read_bytes()


QUOTE_TEXTS = ("\x1b]8;;https://evil.example\x1b\\", "\u061calm", "\x85next", "\u2066iso")


@pytest.mark.parametrize(
    ("args", "originals"),
    [
        pytest.param(["quote", "--json"], QUOTE_TEXTS, id="quote"),
        pytest.param(["show", "markup-quote", "--json"], QUOTE_TEXTS, id="show"),
        pytest.param(["search", "evil", "--json"], ("\u202eevil", "\u2066iso"), id="search"),
    ],
)
def test_json_round_trips_every_control_character(
    run_cli: RunCli, args: list[str], originals: tuple[str, ...]
) -> None:
    result = run_cli("--data", str(DISPLAY), *args)
    assert result.exit_code == 0, result.stderr
    # Escaped as JSON escapes, so no raw control is written...
    assert not _RAW_CONTROL.search(result.stdout.replace("\n", ""))
    # ...and a JSON reader gets the data back exactly.
    strings = "\n".join(_strings(json.loads(result.stdout)))
    for original in originals:
        assert original in strings, repr(original)


def _strings(value: object) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


# Every list command, at every width a reader's terminal may have --------------------------


def _listed(document: object) -> list[dict]:
    """The records a --json document lists: the array's, a hit's, a profile's linked ones."""
    if isinstance(document, dict):
        linked = document.get("linked", {})
        return [document, *(record for group in linked.values() for record in group)]
    assert isinstance(document, list)
    return [item.get("record", item) for item in document]


@pytest.mark.parametrize("width", [60, 80, 120, 200])
@pytest.mark.parametrize("args", [*LIST_COMMANDS, ["company", "softbank-group"]], ids=" ".join)
def test_no_id_or_name_is_broken_at_any_width(run_cli: RunCli, args: list[str], width: int):
    document = json.loads(run_cli(*args, "--json").stdout)
    result = run_cli(*args, "--no-pager", env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line.rstrip()) <= width for line in lines), width
    words = set(result.stdout.split())
    for record in _listed(document):
        assert record["id"] in words, (record["id"], width)
        # A name may wrap between its words, never inside one.
        for word in record.get("name", "").split():
            assert word in result.stdout, (record["name"], word, width)


def test_a_long_list_keeps_its_cells_spaces() -> None:
    """Rich draws a table of hundreds of rows too: a cell's leading and doubled spaces stay."""
    listing = RecordList(["Target", "Kind"], anchor="Target")
    for n in range(250):
        listing.add(f"deal-{n}", {"Target": cell(" ← SoftBank Group"), "Kind": cell("a  b")})
    out = io.StringIO()
    emit(Console(file=out, width=80, color_system=None), [listing], pager=False)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 + 2 * 250
    assert lines[2:4] == ["  ← SoftBank Group   a  b ", " deal-0                   "]


def test_listing_imports_neither_rich_nor_render() -> None:
    """Plain cells draw nothing: render draws a RecordList, never the other way round."""
    tree = ast.parse(Path(listing_module.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] == "rich"}
    assert "softbank_kb.render" not in imported
    assert not hasattr(RecordList, "__rich_console__")


@pytest.mark.parametrize(
    ("args", "width"),
    [
        (["search", "softbank", "--limit", "40"], 60),
        (["search", "softbank", "--limit", "40"], 80),
        (["invest"], 60),
        (["company"], 60),
        (["timeline"], 60),
    ],
    ids=lambda value: value if isinstance(value, int) else " ".join(value),
)
def test_a_card_wraps_under_its_own_indent(run_cli: RunCli, args: list[str], width: int) -> None:
    """Drawn as cards, a record's facts stand under its id, indented, however long one is
    (a quote's English in a search hit wrapped to the margin)."""
    ids = {record["id"] for record in _listed(json.loads(run_cli(*args, "--json").stdout))}
    lines = run_cli(*args, "--no-pager", env={"COLUMNS": str(width)}).stdout.splitlines()
    at = [n for n, line in enumerate(lines) if line in ids]
    assert len(at) == len(ids), "drawn as cards, one id a line"
    for line in lines[at[0] :]:
        assert line in ids or not line or line.startswith("  "), (line, width)
