"""Rendered output: golden files under NO_COLOR, and data never read as markup or control."""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
import shlex
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

import softbank_kb.listing as listing_module
from softbank_kb.listing import RecordList, cell, format_number, format_value
from softbank_kb.models import Money, Quantity
from softbank_kb.printable import safe
from softbank_kb.render import emit

from .conftest import LIST_COMMANDS, REPO, TESTS, RunCli

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


# Piped: plain lines for programs, whatever the command --------------------------------

OUTPUT_COLUMNS = REPO / "docs" / "output-columns.md"
# Every command that takes --tsv and --csv, as a user would run it.
PIPED = [
    *LIST_COMMANDS,
    ["show", "ampere-acquisition"],
    ["show", "article-asi-ambition"],
    ["people", "masa"],
    ["company", "ampere"],
    ["stats"],
    ["ask", "How much did SoftBank pay for Ampere?"],
    ["ask", "Qui est le directeur financier de SoftBank ?"],
]
_BOX = re.compile("[\u2500-\u257f\u2580-\u259f]")  # box drawing and block elements


@pytest.fixture
def piped(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """run_cli as a pipe sees it: no SBKB_FORMAT, so stdout (not a terminal) gets TSV."""
    monkeypatch.delenv("SBKB_FORMAT")
    return run_cli


@pytest.mark.parametrize("args", PIPED, ids=" ".join)
def test_piped_output_is_plain_lines_under_a_header(piped: RunCli, args: list[str]) -> None:
    result = piped(*args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) >= 2
    assert not [line for line in lines if line.endswith(" ")], "trailing spaces"
    assert not _BOX.search(result.stdout), "box characters"
    assert "\x1b" not in result.stdout
    widths = {len(line.split("\t")) for line in lines}
    assert widths == {len(lines[0].split("\t"))} != {1}
    # --tsv prints the same; --csv the same rows.
    assert piped(*args, "--tsv").stdout == result.stdout
    rows = list(csv.reader(io.StringIO(piped(*args, "--csv").stdout)))
    assert [row[0] for row in rows] == [line.split("\t")[0] for line in lines]


def _documented_columns() -> list[tuple[list[str], list[str]]]:
    """The commands and columns docs/output-columns.md gives, in its table."""
    text = OUTPUT_COLUMNS.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `sbkb ([^`]+)` \| ([a-z_, ]+) \|$", text, re.M)
    return [(shlex.split(command), columns.split(", ")) for command, columns in rows]


def test_the_columns_docs_give_are_the_headers(piped: RunCli) -> None:
    documented = _documented_columns()
    assert {args[0] for args, _ in documented} == {args[0] for args in PIPED}
    for args, columns in documented:
        assert piped(*args, "--tsv").stdout.splitlines()[0].split("\t") == columns, args
        assert next(csv.reader(io.StringIO(piped(*args, "--csv").stdout))) == columns, args


def _tsv(piped: RunCli, *args: str) -> list[dict[str, str]]:
    header, *lines = piped(*args, "--tsv").stdout.splitlines()
    return [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]


_ISO = re.compile(r"^\d{4}(-\d{2}){0,2}$")


def test_a_deal_list_has_one_field_per_column(piped: RunCli) -> None:
    from softbank_kb.choices import DEAL_KINDS

    deals = json.loads(piped("invest", "--json").stdout)
    rows = _tsv(piped, "invest")
    assert [row["id"] for row in rows] == [deal["id"] for deal in deals]
    for row, deal in zip(rows, deals, strict=True):
        date = deal["date"]
        assert row["date"] == (date["value"] if date else "")
        assert row["date"] == "" or _ISO.match(row["date"])
        assert row["year_inferred"] == ("" if not date else str(date["year_inferred"]).lower())
        assert row["kind"] == deal["kind"] in DEAL_KINDS
        assert row["status"] == deal["status"]
        money = deal["amount"]
        assert row["amount"] == (str(money["amount"]) if money else "")
        assert row["currency"] == (money["currency"] if money else "")
        assert row["context"] == (deal["context"] or "")
        assert "Note:" not in row["summary"]
    stated = {row["id"]: row["amount_stated"] for row in rows}
    assert stated["ampere-acquisition"] == "6.5 billion USD (about 47 billion CNY)"
    assert Counter(row["year_inferred"] for row in rows) == Counter(
        str(d["date"]["year_inferred"]).lower() if d["date"] else "" for d in deals
    )


def test_amounts_sort_with_sort_n(piped: RunCli) -> None:
    out = piped("invest").stdout
    header = out.splitlines()[0].split("\t")
    column = header.index("amount") + 1
    sort = subprocess.run(
        ["sort", "-t", "\t", f"-k{column},{column}n"],
        input="".join(out.splitlines(keepends=True)[1:]),
        capture_output=True,
        text=True,
        check=True,
    )
    amounts = [line.split("\t")[column - 1] for line in sort.stdout.splitlines()]
    numbers = [int(amount) for amount in amounts if amount]
    assert numbers == sorted(numbers)
    assert len(numbers) >= 3


@pytest.mark.parametrize(
    "args",
    [["quote"], ["financials"], ["timeline"]],
    ids=" ".join,
)
def test_dates_are_plain_iso_with_the_inference_apart(piped: RunCli, args: list[str]) -> None:
    rows = _tsv(piped, *args)
    assert rows
    for row in rows:
        assert "inferred" not in row.get("date", "") + row.get("period", "")
        assert "target" not in row.get("date", "")
        assert row["year_inferred"] in ("true", "false", "")
        if row.get("date"):
            assert _ISO.match(row["date"]), row
    assert any(row["year_inferred"] == "true" for row in rows)


def test_timeline_marks_the_dates_a_prediction_looks_to(piped: RunCli) -> None:
    events = json.loads(piped("timeline", "--json").stdout)
    rows = _tsv(piped, "timeline")
    looked_to = {e["id"] for e in events if e["date"] is None and e.get("target_date")}
    assert looked_to
    assert {row["id"] for row in rows if row["date_is_target"] == "true"} == looked_to


def test_show_prints_a_record_as_field_and_value_lines(piped: RunCli) -> None:
    lines = [line.split("\t") for line in piped("show", "ampere-acquisition").stdout.splitlines()]
    assert lines[0] == ["field", "value"]
    fields = dict(lines[1:])
    assert fields["id"] == "ampere-acquisition"
    assert fields["date"] == "2025-03"
    assert fields["year_inferred"] == "true"
    assert fields["amount"] == "6500000000"
    assert fields["currency"] == "USD"
    assert fields["amount_stated"] == "6.5 billion USD (about 47 billion CNY)"
    assert fields["investor"] == "softbank-group"
    record = json.loads(piped("show", "ampere-acquisition", "--json").stdout)
    cited = [(c["source"], c["excerpt"]) for c in record["citations"]]
    pairs = [v for f, v in lines if f in ("source", "excerpt")]
    assert list(zip(pairs[::2], pairs[1::2], strict=True)) == cited


def test_a_profile_piped_lists_what_names_it_by_section(piped: RunCli) -> None:
    document = json.loads(piped("company", "ampere", "--json").stdout)
    lines = [line.split("\t") for line in piped("company", "ampere").stdout.splitlines()]
    linked = [(field, value) for field, value in lines if field in document["linked"]]
    assert linked == [
        (section, record["id"])
        for section, records in document["linked"].items()
        for record in records
    ]
    assert ["name", "Ampere"] in lines


def test_stats_tsv_is_counts_by_type_year_and_source(piped: RunCli) -> None:
    counts = json.loads(piped("stats", "--json").stdout)
    rows = _tsv(piped, "stats")
    assert rows[0] == {"by": "total", "key": "records", "count": str(counts["total"])}
    for by in ("type", "year", "source"):
        shown = {row["key"]: int(row["count"]) for row in rows if row["by"] == by}
        assert shown == {str(key): value for key, value in counts[f"by_{by}"].items()}


def test_ask_piped_is_numbered_answers_with_their_source(piped: RunCli) -> None:
    question = "What did Jensen Huang say about Masayoshi Son?"
    answers = json.loads(piped("ask", question, "--json").stdout)
    rows = _tsv(piped, "ask", question)
    assert [row["rank"] for row in rows] == [str(n) for n in range(1, len(answers) + 1)]
    for row, answer in zip(rows, answers, strict=True):
        assert row["id"] == answer["record"]["id"]
        assert row["source"] == answer["excerpt"]["source"]
        assert row["excerpt"] == answer["excerpt"]["excerpt"]
        assert row["answer"]


def test_what_is_known_is_not_given_as_an_answer(piped: RunCli) -> None:
    result = piped("ask", "Who is the CEO of Ampere?")
    assert result.exit_code == 1
    assert "the articles mention Ampere but state no CEO for it" in result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split("\t")[:2] == ["rank", "answer"]
    assert lines
    assert all(line.split("\t")[:2] == ["", ""] for line in lines)
    assert "ampere" in {line.split("\t")[3] for line in lines}
