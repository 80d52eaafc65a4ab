"""The command line: help, exit codes, and one JSON document from every query command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import Result

from softbank_kb.cli import cli

from .conftest import COMMANDS, LIST_COMMANDS, RunCli

QUERY_COMMANDS = [
    pytest.param(["invest"], list, id="invest"),
    pytest.param(["invest", "--year", "2024"], list, id="invest-year"),
    pytest.param(["quote"], list, id="quote"),
    pytest.param(["people"], list, id="people"),
    pytest.param(["people", "Masayoshi Son"], dict, id="people-profile"),
    pytest.param(["company"], list, id="company"),
    pytest.param(["company", "arm"], dict, id="company-profile"),
    pytest.param(["financials"], list, id="financials"),
    pytest.param(["timeline"], list, id="timeline"),
    pytest.param(["strategy"], list, id="strategy"),
    pytest.param(["show", "article-asi-ambition"], dict, id="show"),
    pytest.param(["stats"], dict, id="stats"),
]


def test_the_list_of_commands_is_the_click_group() -> None:
    assert sorted(cli.commands) == sorted(COMMANDS)
    listed = {args[0] for args in LIST_COMMANDS}
    shows_records = {
        name
        for name, command in cli.commands.items()
        if any(param.name == "output_format" for param in command.params)
    }
    assert listed <= shows_records


def _commands(group: click.Group) -> list[tuple[str, click.Command]]:
    return sorted(group.commands.items())


@pytest.mark.parametrize(("name", "command"), _commands(cli), ids=[n for n, _ in _commands(cli)])
def test_every_command_has_help_starting_with_an_example(run_cli: RunCli, name, command) -> None:
    assert command.help, name
    result = run_cli(name, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout, name
    assert f"sbkb {name}" in result.stdout or "sbkb --data" in result.stdout, name


@pytest.mark.parametrize(("args", "shape"), QUERY_COMMANDS)
def test_json_output_is_one_document(run_cli: RunCli, args: list[str], shape: type) -> None:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert isinstance(document, shape)
    if shape is list:
        assert document, args
        assert all({"id", "type"} <= set(item) for item in document)


# Each command that takes --json, asked for what no record holds: the empty document.
NOTHING_MATCHED = [
    pytest.param(["invest", "--year", "1999"], [], id="invest-year"),
    pytest.param(["invest", "--company", "Zorglub Industries"], [], id="invest-company"),
    pytest.param(["quote", "Zorglub Industries"], [], id="quote-speaker"),
    pytest.param(["quote", "--year", "1999"], [], id="quote-year"),
    pytest.param(["people", "Zorglub"], None, id="people-profile"),
    pytest.param(["company", "Zorglub Industries"], None, id="company-profile"),
    pytest.param(["financials", "--year", "1999"], [], id="financials"),
    pytest.param(["timeline", "--from", "1990", "--to", "1991"], [], id="timeline"),
    pytest.param(["search", "zorglubium"], [], id="search"),
    pytest.param(["show", "no-such-record"], None, id="show"),
]


@pytest.mark.parametrize(("args", "empty"), NOTHING_MATCHED)
def test_json_that_matches_nothing_is_still_one_document(
    run_cli: RunCli, args: list[str], empty: list | None
) -> None:
    result = run_cli(*args, "--json")
    assert result.exit_code == 1, result.stderr
    assert json.loads(result.stdout) == empty
    assert result.stderr.startswith("Error: no "), result.stderr


def test_search_and_stats_json_have_the_shapes_the_docs_give(run_cli: RunCli) -> None:
    hits = json.loads(run_cli("search", "grafcore", "--json").stdout)
    assert hits
    assert all(
        list(hit) == ["score", "tier", "field", "matched", "spans", "record"] for hit in hits
    )
    assert all({"id", "type"} <= set(hit["record"]) for hit in hits)
    stats = json.loads(run_cli("stats", "--json").stdout)
    assert list(stats) == ["by_type", "by_year", "by_source", "total"]


def test_a_usage_error_under_json_prints_no_document(run_cli: RunCli) -> None:
    result = run_cli("invest", "--json", "--year", "20x")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_invest_year_lists_exactly_the_deals_of_that_year(run_cli: RunCli) -> None:
    from softbank_kb.loading import load_knowledge_base
    from softbank_kb.paths import bundled_data_dir

    kb = load_knowledge_base(bundled_data_dir())
    expected = {d.id for d in kb.deals if d.date is not None and d.date.year == 2024}
    result = run_cli("invest", "--year", "2024", "--json")
    assert {item["id"] for item in json.loads(result.stdout)} == expected
    assert expected


def test_year_range_includes_both_ends(run_cli: RunCli) -> None:
    result = run_cli("invest", "--year", "2024..2025", "--json")
    years = {item["date"]["value"][:4] for item in json.loads(result.stdout)}
    assert years == {"2024", "2025"}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["invest", "--year", "twenty"], id="bad-year"),
        pytest.param(["invest", "--year", "2025..2024"], id="backwards-range"),
        pytest.param(["invest", "--kind", "gift"], id="bad-kind"),
        pytest.param(["timeline", "--from", "2024-13"], id="bad-date"),
        pytest.param(["nonsense"], id="unknown-command"),
        pytest.param(["invest", "--colour"], id="unknown-flag"),
    ],
)
def test_usage_errors_exit_2(run_cli: RunCli, args: list[str]) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Error" in result.stderr


def test_a_year_with_nothing_exits_1_and_says_so(run_cli: RunCli) -> None:
    result = run_cli("invest", "--year", "1999")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no deal matched" in result.stderr


def test_unknown_id_suggests_the_closest(run_cli: RunCli) -> None:
    result = run_cli("show", "ampere-acquisitoin")
    assert result.exit_code == 1
    assert "Did you mean" in result.stderr
    assert "ampere" in result.stderr


def test_version_and_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "softbank_kb", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.startswith("sbkb, version ")


def test_schema_is_json_schema_for_data_files(run_cli: RunCli) -> None:
    result = run_cli("schema")
    schema = json.loads(result.stdout)
    assert set(schema["properties"]) == {
        "sources",
        "organizations",
        "people",
        "deals",
        "quotes",
        "figures",
        "events",
        "strategy",
    }
    assert "USD" in json.dumps(schema["$defs"]["Money"])


def test_schema_describes_every_field_for_editors(run_cli: RunCli) -> None:
    definitions = json.loads(run_cli("schema").stdout)["$defs"]
    for name, definition in definitions.items():
        if name == "PartialDate":  # written as a bare string, or as this mapping
            string, definition = definition["anyOf"]
            assert string["pattern"] == "^(\\d{4})(?:-(\\d{2})(?:-(\\d{2}))?)?$"
        assert definition["additionalProperties"] is False, name
        assert definition["description"], name
        for field, rules in definition["properties"].items():
            assert field == "type" or rules.get("description"), f"{name}.{field}"
    deal = definitions["Deal"]["properties"]
    assert deal["id"]["pattern"] == "^[a-z0-9]+(?:-[a-z0-9]+)*$"
    assert deal["summary"]["minLength"] == 1
    assert deal["citations"]["minItems"] == 1
    assert "partnership" in deal["kind"]["enum"]
    assert definitions["Money"]["properties"]["amount"]["minimum"] == 0
    assert definitions["StrategyItem"]["properties"]["order"]["anyOf"][0]["minimum"] == 1
    assert definitions["Figure"]["properties"]["value"]["oneOf"] == [
        {"$ref": "#/$defs/Money"},
        {"$ref": "#/$defs/Quantity"},
    ]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        pytest.param("sbkb quote Mas", r"Masayoshi\\ Son", id="person"),
        pytest.param("sbkb invest --company grap", "Graphcore", id="organisation"),
        pytest.param("sbkb show ampere-acq", "ampere-acquisition", id="record-id"),
    ],
)
def test_shell_completion_offers_names_and_ids(words: str, expected: str) -> None:
    env = {
        **os.environ,
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
        "_SBKB_COMPLETE": "bash_complete",
    }
    result = subprocess.run(
        [sys.executable, "-m", "softbank_kb"], capture_output=True, text=True, env=env
    )
    assert f"plain,{expected}" in result.stdout.splitlines()


def test_search_grafcore_puts_graphcore_first(run_cli: RunCli) -> None:
    hits = json.loads(run_cli("search", "grafcore", "--json").stdout)
    assert hits[0]["record"]["id"] == "graphcore"
    assert {"score", "tier", "field", "record"} <= set(hits[0])


def test_quote_masa_shows_son(run_cli: RunCli) -> None:
    quotes = json.loads(run_cli("quote", "Masa", "--json").stdout)
    assert quotes
    assert {q["speaker"] for q in quotes} == {"masayoshi-son"}


def test_invest_company_open_ai_shows_the_openai_deals(run_cli: RunCli) -> None:
    deals = json.loads(run_cli("invest", "--company", "open ai", "--json").stdout)
    assert deals
    assert all("openai" in {d["target"], d["investor"], *d["partners"]} for d in deals)


@pytest.mark.parametrize(
    "query", [pytest.param("", id="empty"), pytest.param("!!!", id="punctuation")]
)
def test_search_refuses_an_empty_query_as_usage(run_cli: RunCli, query: str) -> None:
    result = run_cli("search", query)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_unknown_speaker_exits_1_with_a_hint(run_cli: RunCli) -> None:
    result = run_cli("quote", "zzzzqqq")
    assert result.exit_code == 1
    assert "no speaker matches 'zzzzqqq'" in result.stderr


def test_no_color_flag_wins_over_force_color(run_cli: RunCli) -> None:
    colour = {"FORCE_COLOR": "1", "NO_COLOR": ""}
    coloured = run_cli("people", "--table", "--no-pager", env=colour)
    plain = run_cli("people", "--table", "--no-pager", "--no-color", env=colour)
    assert "\x1b[" in coloured.stdout
    assert "\x1b[" not in plain.stdout


def test_deal_kinds_of_the_cli_are_the_model_s() -> None:
    from typing import get_args, get_type_hints

    from softbank_kb.cli import ALL_TYPES, DEAL_KINDS
    from softbank_kb.models import TYPE_NAMES, Deal

    assert get_args(get_type_hints(Deal)["kind"]) == DEAL_KINDS
    assert set(ALL_TYPES) == set(TYPE_NAMES.values())


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys; from softbank_kb.cli import main; sys.argv = ['sbkb', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pydantic', 'rich', 'rapidfuzz', 'yaml') if m in sys.modules]\n"
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    "args",
    [
        ["invest", "--year", "2024"],
        ["show", "ampere-acquisition"],
        ["ask", "How much did SoftBank pay for Ampere?"],
    ],
    ids=lambda args: args[0],
)
def test_a_warm_query_imports_no_validation_module(tmp_path: Path, args: list[str]) -> None:
    """Answered from the cache: records are rebuilt without pydantic, YAML or rapidfuzz."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    for name in ("SBKB_NO_CACHE", "SBKB_DATA"):
        env.pop(name, None)
    cold = subprocess.run(
        [sys.executable, "-m", "softbank_kb", *args], capture_output=True, text=True, env=env
    )
    assert cold.returncode == 0, cold.stderr
    assert list((tmp_path / "cache" / "sbkb").glob("kb-*.sqlite"))
    code = (
        f"import sys; from softbank_kb.cli import main; sys.argv = ['sbkb', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pydantic', 'pydantic_core', 'yaml', 'rapidfuzz', 'sqlite_utils')"
        " if m in sys.modules]\n"
        "print(heavy)"
    )
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    *answer, heavy = warm.stdout.splitlines()
    assert heavy == "[]", warm.stderr
    assert "\n".join(answer) + "\n" == cold.stdout


def _ids(result: Result) -> list[str]:
    return [item["id"] for item in json.loads(result.stdout)]


def test_a_cumulative_deal_counts_for_every_year_it_spans(run_cli: RunCli) -> None:
    # "Depuis septembre 2024 ... un total de 2,2 milliards", in an article of 2025.
    for year in ("2024", "2025"):
        assert "openai-investment-2024-cumulative" in _ids(
            run_cli("invest", "--year", year, "--company", "openai", "--json")
        )
    # It does not count before its start.
    assert run_cli("invest", "--year", "2023", "--company", "openai").exit_code == 1


def test_the_largest_2025_commitment_is_a_2025_deal(run_cli: RunCli) -> None:
    result = run_cli("invest", "--year", "2025", "--min-amount", "6bn USD", "--json")
    assert _ids(result) == ["ampere-acquisition"]


def test_no_deal_holds_the_amount_the_article_leaves_unsettled(run_cli: RunCli) -> None:
    # « Cette fois, SoftBank prévoit d'y investir jusqu'à 30 milliards »: « y » may be
    # Stargate or OpenAI, so the amount is on neither deal but on a figure about SoftBank.
    assert run_cli("invest", "--min-amount", "10bn USD").exit_code == 1
    deal = json.loads(run_cli("show", "stargate-investment", "--json").stdout)
    assert deal["amount"] is None and deal["date"] is None and deal["partners"] == []
    assert "Cette fois" in deal["context"] and "does not settle" in deal["context"]
    figures = json.loads(run_cli("financials", "--company", "softbank", "--json").stdout)
    (planned,) = [
        f for f in figures if f["id"] == "softbank-planned-investment-up-to-30-billion-usd"
    ]
    assert planned["value"] == {
        "amount": 30_000_000_000,
        "currency": "USD",
        "qualifier": "up_to",
        "equivalents": [],
    }
    assert planned["date"] is None


def test_min_amount_does_not_compare_across_currencies(run_cli: RunCli) -> None:
    # 150 bn JPY is 878 M EUR by the article's own conversion: not a deal over 10 bn USD.
    assert "softbank-japanese-llm-compute-investment" not in _ids(
        run_cli("invest", "--min-amount", "1e10USD", "--json")
    )
    assert _ids(run_cli("invest", "--min-amount", "1e11", "--currency", "jpy", "--json")) == [
        "softbank-japanese-llm-compute-investment"
    ]
    assert "softbank-japanese-llm-compute-investment" in _ids(
        run_cli("invest", "--min-amount", "8e8", "--currency", "EUR", "--json")
    )
    assert run_cli("invest", "--min-amount", "1", "--currency", "euro").exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--min-amount", "1e10"], "--min-amount needs a currency", id="no-currency"),
        pytest.param(["--min-amount", "1e9 XYZ"], "'XYZ' is not an ISO 4217", id="unknown"),
        pytest.param(["--min-amount", "1e9USD", "--currency", "EUR"], "in USD but", id="two"),
        pytest.param(["--currency", "EUR"], "--currency goes with --min-amount", id="alone"),
        pytest.param(["--min-amount", "lots"], "is not an amount", id="not-an-amount"),
    ],
)
def test_a_minimum_without_one_currency_is_a_usage_error(run_cli: RunCli, args, message) -> None:
    result = run_cli("invest", *args, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


@pytest.mark.parametrize("spelled", ["8e8EUR", "8e8 eur", "800m EUR", "0.8 billion EUR"])
def test_a_minimum_reached_by_a_stated_conversion_says_so(run_cli: RunCli, spelled) -> None:
    result = run_cli("invest", "--min-amount", spelled, "--json")
    assert "softbank-japanese-llm-compute-investment" in _ids(result)
    assert (
        "softbank-japanese-llm-compute-investment: counted in EUR by the article's own "
        "conversion, 878 million EUR." in result.stderr
    )


def test_company_takes_in_the_companies_of_its_group(run_cli: RunCli) -> None:
    ids = _ids(run_cli("invest", "--company", "softbank", "--json"))
    assert {"microsoft-japan-alliance", "cristal-intelligence-joint-venture-formation"} <= set(ids)


def test_both_spellings_of_cristal_intelligence_find_both_deals(run_cli: RunCli) -> None:
    for name in ("cristal intelligence", "crystal"):
        assert set(_ids(run_cli("invest", "--company", name, "--json"))) == {
            "crystal-intelligence-cooperation",
            "cristal-intelligence-joint-venture-formation",
        }


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param("revenu d'exploitation", id="french"),
        pytest.param("Revenu d’exploitation", id="french-typographic"),
        pytest.param("operating revenue", id="english"),
    ],
)
def test_financials_metric_takes_either_language(run_cli: RunCli, metric: str) -> None:
    entities = {
        item["entity"]
        for item in json.loads(run_cli("financials", "--metric", metric, "--json").stdout)
    }
    assert entities == {"ampere", "softbank-group"}


def test_a_target_is_not_drawn_in_one_series_with_a_forecast() -> None:
    from softbank_kb.loading import load_knowledge_base
    from softbank_kb.paths import bundled_data_dir
    from softbank_kb.query import find_figures, series_of

    kb = load_knowledge_base(bundled_data_dir())
    series = series_of(find_figures(kb, entity="softbank-group", metric="operating_revenue"))
    assert [[f.status for f in s.figures] for s in series] == [["actual", "forecast"]]


def test_a_budget_is_shown_without_a_counterparty(run_cli: RunCli) -> None:
    (deal,) = json.loads(run_cli("invest", "--kind", "budget", "--json").stdout)
    assert deal["id"] == "softbank-annual-ai-investment-envelope"
    assert deal["target"] is None


def test_quote_about_matches_words_from_their_start(run_cli: RunCli) -> None:
    # "ran" is the RAN of AI-RAN, not the inside of "translation".
    ids = _ids(run_cli("quote", "--about", "AI-RAN", "--json"))
    assert ids == [
        "softbank-management-ai-ran-research",
        "softbank-management-ai-in-ran-shared-capex",
    ]


def test_a_metric_not_found_suggests_the_ones_sharing_a_word(run_cli: RunCli) -> None:
    # The article's « revenu d'exploitation » is one metric, operating revenue.
    result = run_cli("financials", "--metric", "operating income")
    assert result.exit_code == 1
    assert "operating revenue (revenu d'exploitation)" in result.stderr


# Piped output: one line per record, for grep, cut and csv readers -------------------------


@pytest.mark.parametrize("args", LIST_COMMANDS, ids=" ".join)
def test_a_piped_list_is_tab_separated_one_line_per_record(run_cli: RunCli, args) -> None:
    document = json.loads(run_cli(*args, "--json").stdout)
    ids = [item.get("record", item)["id"] for item in document]
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split("\t")[0] == "id"
    assert [line.split("\t")[0] for line in lines] == ids
    assert {len(line.split("\t")) for line in [header, *lines]} == {len(header.split("\t"))}
    assert "\x1b" not in result.stdout


@pytest.mark.parametrize("args", LIST_COMMANDS, ids=" ".join)
def test_csv_has_a_header_and_a_row_per_record(run_cli: RunCli, args) -> None:
    import csv
    import io

    document = json.loads(run_cli(*args, "--json").stdout)
    rows = list(csv.reader(io.StringIO(run_cli(*args, "--csv").stdout)))
    assert rows[0][0] == "id"
    assert [row[0] for row in rows[1:]] == [item.get("record", item)["id"] for item in document]
    assert {len(row) for row in rows} == {len(rows[0])}


def test_grep_finds_every_id_of_a_piped_list(run_cli: RunCli) -> None:
    out = run_cli("invest").stdout
    for deal in json.loads(run_cli("invest", "--json").stdout):
        assert sum(line.split("\t")[0] == deal["id"] for line in out.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "env", "starts"),
    [
        pytest.param(["invest", "--table"], {}, "Date", id="table-flag"),
        pytest.param(["invest"], {"SBKB_FORMAT": "table"}, "Date", id="env-table"),
        pytest.param(["invest"], {"SBKB_FORMAT": "json"}, "[", id="env-json"),
        pytest.param(["invest", "--tsv"], {"SBKB_FORMAT": "table"}, "id\t", id="flag-wins"),
        pytest.param(["show", "ampere"], {}, "field\tvalue", id="one-record-piped"),
        pytest.param(["show", "ampere", "--table"], {}, "organization ampere", id="drawn"),
    ],
)
def test_the_output_form_is_chosen_by_flag_then_environment(run_cli, args, env, starts) -> None:
    result = run_cli(*args, env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.lstrip().startswith(starts), result.stdout[:200]


# The same list options everywhere ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["invest"], ["quote"], ["people"], ["company"], ["financials"], ["timeline"]],
    ids=" ".join,
)
def test_limit_cuts_a_list_and_says_how_long_it_was(run_cli: RunCli, args) -> None:
    everything = json.loads(run_cli(*args, "--json").stdout)
    result = run_cli(*args, "--limit", "2", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == everything[:2]
    assert f"2 of {len(everything)} " in result.stderr


def test_sort_by_amount_is_largest_first_within_each_currency(run_cli: RunCli) -> None:
    deals = json.loads(run_cli("invest", "--sort", "amount", "--json").stdout)
    amounts = [(d["amount"]["currency"], d["amount"]["amount"]) for d in deals if d["amount"]]
    assert amounts == sorted(amounts, key=lambda pair: (pair[0], -pair[1]))
    assert all(d["amount"] is None for d in deals[len(amounts) :])


def test_sort_by_name_and_by_date(run_cli: RunCli) -> None:
    people = json.loads(run_cli("people", "--sort", "name", "--json").stdout)
    names = [p["name"] for p in people]
    assert names == sorted(names, key=str.casefold)
    events = json.loads(run_cli("timeline", "--sort", "date", "--json").stdout)
    dated = [e for e in events if e["date"] is not None]
    keys = [tuple(int(part) for part in e["date"]["value"].split("-")) for e in dated]
    assert keys == sorted(keys, reverse=True)
    # As in every list, --sort date puts what has no date of its own last: here the
    # predictions the timeline shows at the date they look to.
    assert all(e["target_date"] is not None for e in events[len(dated) :])


@pytest.mark.parametrize(
    "spelled", ["funding_round", "funding-round", "funding round", "Funding Round"]
)
def test_a_kind_is_taken_however_it_is_spelled(run_cli: RunCli, spelled: str) -> None:
    deals = json.loads(run_cli("invest", "--kind", spelled, "--json").stdout)
    assert deals
    assert {deal["kind"] for deal in deals} == {"funding_round"}


def test_timeline_takes_year_as_the_other_lists_do(run_cli: RunCli) -> None:
    records = json.loads(run_cli("timeline", "--year", "2019", "--json").stdout)
    assert records
    assert {r["date"]["value"][:4] for r in records} == {"2019"}
    assert run_cli("timeline", "--year", "1999").exit_code == 1


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        pytest.param(["quote", "Arm"], "try without SPEAKER.", id="speaker-only"),
        pytest.param(["quote", "--year", "1999"], "try without --year.", id="year-only"),
        pytest.param(
            ["invest", "--year", "1999", "--kind", "budget"], "--year or --kind", id="two"
        ),
    ],
)
def test_a_hint_names_only_the_filters_given(run_cli: RunCli, args, hint) -> None:
    result = run_cli(*args)
    assert result.exit_code == 1
    assert hint in result.stderr
    assert "--about" not in result.stderr


def test_the_group_help_gives_every_exit_code_the_docs_do(run_cli: RunCli) -> None:
    from .conftest import REPO

    page = (REPO / "docs" / "environment.md").read_text(encoding="utf-8")
    codes = re.findall(r"^\| (\d+) \| ", page, re.M)
    assert codes == ["0", "1", "2", "3", "4", "5", "130"]
    shown = " ".join(run_cli("--help").stdout.split())
    for code in codes:
        assert f" {code} " in shown.split("Exit codes:")[1], code


# Names: a match is a name, a word of one, its start, or a typo of one; never a substring.

NAME_CASES = [
    pytest.param(["company", "Amp"], 0, '"id": "ampere"', id="start-of-a-name"),
    pytest.param(["company", "Nvidai"], 0, '"id": "nvidia"', id="typo"),
    pytest.param(["company", "open ai"], 0, '"id": "openai"', id="spaced"),
    pytest.param(
        ["company", "Intel"], 1, "no organisation matches 'Intel'.", id="not-inside-a-word"
    ),
    pytest.param(["company", "Apple"], 1, "no organisation matches 'Apple'.", id="unknown"),
    pytest.param(["company", "Grafcor"], 1, "spelled close to it: Graphcore", id="near-names"),
]


@pytest.mark.parametrize(("args", "code", "expected"), NAME_CASES)
def test_a_name_resolves_only_to_what_it_spells(run_cli: RunCli, args, code, expected) -> None:
    result = run_cli(*args, "--json")
    assert result.exit_code == code, result.stderr
    assert expected in (result.stdout if code == 0 else result.stderr)
    assert "more than one" not in result.stderr


@pytest.mark.parametrize(
    ("about", "word"),
    [pytest.param("ASI", "asi", id="ASI-not-occasion"), pytest.param("AI", "ai", id="AI-not-aide")],
)
def test_quote_about_matches_whole_words(run_cli: RunCli, about: str, word: str) -> None:
    from softbank_kb.folding import fold

    quotes = json.loads(run_cli("quote", "--about", about, "--json").stdout)
    assert quotes
    for quote in quotes:
        text = fold(" ".join([quote["text"], quote["text_en"], quote["context"] or ""]))
        assert word in re.findall(r"[a-z0-9]+", text) or quote["mentions"], quote["id"]


def test_search_says_how_many_it_found_beyond_its_limit(run_cli: RunCli) -> None:
    everything = json.loads(run_cli("search", "softbank", "--limit", "1000", "--json").stdout)
    result = run_cli("search", "softbank", "--json")
    assert len(json.loads(result.stdout)) == 20 < len(everything)
    assert f"20 of {len(everything)} records shown" in result.stderr
    assert run_cli("search", "softbank", "--limit", "1000").stderr == ""


# What a program reads is written without rich: only a terminal's drawing imports it.
_MACHINE_OUTPUTS = [
    *([*args, form] for args in LIST_COMMANDS for form in ("--json", "--tsv", "--csv")),
    ["people", "Masayoshi Son", "--json"],
    ["company", "arm", "--json"],
    ["show", "ampere-acquisition", "--json"],
    ["stats", "--json"],
    ["ask", "How much did SoftBank pay for Ampere?", "--json"],
    # Records and counts written as plain lines, as lists are (issue 29).
    ["show", "ampere-acquisition", "--tsv"],
    ["company", "ampere", "--csv"],
    ["stats", "--tsv"],
    ["ask", "How much did SoftBank pay for Ampere?", "--tsv"],
    ["invest", "--year", "1990", "--json"],
    *(
        ["graph", "--company", "softbank-group", "--format", form]
        for form in ("json", "dot", "mermaid")
    ),
]


@pytest.mark.parametrize("args", _MACHINE_OUTPUTS, ids=" ".join)
def test_output_for_programs_imports_no_rich(args: list[str], tmp_path: Path) -> None:
    code = (
        f"import sys; from softbank_kb.cli import main; sys.argv = ['sbkb', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('rich' in sys.modules, file=sys.stderr)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.stdout.strip(), result.stderr
    assert result.stderr.strip().splitlines()[-1] == "False", result.stderr


@pytest.mark.parametrize(
    "args", [["search", "grafcore"], ["ask", "How much did SoftBank pay for Ampere?"]]
)
def test_a_warm_search_or_question_imports_no_validation_module(
    args: list[str], tmp_path: Path
) -> None:
    """The lexicon of the bundled data is the package's, from the cache: no loader, no
    pydantic, no YAML (35 ms of a warm start; rapidfuzz is search's own)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "NO_COLOR": "1"}
    for name in ("SBKB_NO_CACHE", "SBKB_DATA"):
        env.pop(name, None)
    code = (
        f"import sys; from softbank_kb.cli import main; sys.argv = ['sbkb', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('pydantic', 'yaml', 'softbank_kb.loading') if m in sys.modules])"
    )
    for _ in range(2):  # the first run fills the cache
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.stdout.splitlines()[-1] == "[]", run.stderr
