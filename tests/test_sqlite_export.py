"""The SQLite export, opened by Datasette itself and by the standard library's sqlite3."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import COLLECTIONS, TYPE_NAMES
from softbank_kb.paths import bundled_data_dir
from softbank_kb.render import DelayedProgress
from softbank_kb.sqlite_export import VIEWS

from .conftest import REPO, RunCli


@pytest.fixture
def exported(run_cli: RunCli, tmp_path: Path) -> Path:
    """The bundled KB exported as `sbkb export --format sqlite -o kb.db` writes it."""
    database = tmp_path / "kb.db"
    result = run_cli("export", "--format", "sqlite", "-o", str(database))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    return database


def _query(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(database)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def _datasette_get(database: Path, metadata: dict[str, Any], *paths: str) -> list[Any]:
    """GET each path from Datasette's own in-process client; the responses, in order."""
    from datasette.app import Datasette

    async def get_all() -> list[Any]:
        datasette = Datasette([str(database)], metadata=metadata)
        await datasette.invoke_startup()
        return [await datasette.client.get(path) for path in paths]

    return asyncio.run(get_all())


def test_datasette_serves_facets_search_labels_and_views(exported: Path) -> None:
    metadata = json.loads((exported.parent / "metadata.json").read_text(encoding="utf-8"))
    facets, search, labels, view, page, served_metadata = _datasette_get(
        exported,
        metadata,
        "/kb/deals.json?_shape=objects&_size=max",
        "/kb/quotes.json?_shape=objects&_search=" + "puces",
        "/kb/deals.json?_shape=objects&_labels=on&id=ampere-acquisition",
        "/kb/deals_with_names.json?_shape=objects&target_name=Ampere",
        "/kb/deals?id=ampere-acquisition",
        "/-/metadata.json",
    )
    for response in (facets, search, labels, view, page, served_metadata):
        assert response.status_code == 200, response.text
    # The facets come from metadata.json: none is asked for in the URL.
    facet_results = facets.json()["facet_results"]
    assert {"kind", "status", "year", "currency"} <= set(facet_results)
    kinds = {r["value"]: r["count"] for r in facet_results["kind"]["results"]}
    assert kinds["acquisition"] == sum(
        1 for d in facets.json()["rows"] if d["kind"] == "acquisition"
    )
    assert kinds["acquisition"] >= 2
    # Full-text search over the French text: « puces » (chips) is in what Son said of chips.
    found = search.json()["rows"]
    assert found
    assert all("puce" in (q["text"] + (q["context"] or "")).lower() for q in found)
    # A foreign key shown with its label, on the JSON API and on the HTML page.
    (ampere,) = labels.json()["rows"]
    assert ampere["target"] == {"value": "ampere", "label": "Ampere"}
    assert ampere["investor"] == {"value": "softbank-group", "label": "SoftBank Group"}
    assert '<a href="/kb/organizations/ampere">Ampere</a>' in page.text
    # A view, joined with names.
    rows = view.json()["rows"]
    assert {r["id"] for r in rows} >= {"ampere-acquisition"}
    assert all(r["investor_name"] for r in rows)
    assert served_metadata.json()["title"] == metadata["title"]


def test_a_deal_s_page_in_datasette_links_its_citations(exported: Path) -> None:
    metadata = json.loads((exported.parent / "metadata.json").read_text(encoding="utf-8"))
    page, citations, row, sorted_by_amount = _datasette_get(
        exported,
        metadata,
        "/kb/deals/ampere-acquisition",
        "/kb/deal_citations.json?_shape=objects&_labels=on&deal=ampere-acquisition",
        "/kb/deals/ampere-acquisition.json?_shape=objects",
        "/kb/deals.json?_shape=objects&_sort_desc=amount&currency=USD&amount__notblank=1",
    )
    for response in (page, citations, row, sorted_by_amount):
        assert response.status_code == 200, response.text
    # "Links from other tables": the deal's two citations, a click away.
    assert re.search(
        r'<a href="/kb/deal_citations\?deal=ampere-acquisition">\s*2 rows</a>\s*'
        r"from deal in deal_citations",
        page.text,
    )
    # There, each excerpt with its article's title and the deal's summary as links.
    rows = citations.json()["rows"]
    assert [r["position"] for r in rows] == [1, 2]
    assert rows[0]["source"]["label"] == "L’Ambition de Masayoshi Son en Matière d’IA"
    assert rows[0]["deal"]["value"] == "ampere-acquisition"
    assert "6,5 milliards de dollars" in rows[0]["excerpt"]
    # Amounts are integers, with the amount as the article states it beside them.
    (deal,) = row.json()["rows"]
    assert deal["amount"] == 6500000000
    assert isinstance(deal["amount"], int)
    assert deal["amount_stated"] == "6.5 billion USD (about 47 billion CNY)"
    amounts = [r["amount"] for r in sorted_by_amount.json()["rows"]]
    assert amounts == sorted(amounts, reverse=True)
    assert all(isinstance(amount, int) for amount in amounts)


# Each canned query with the parameters a reader would give, and a row it must find.
CANNED = [
    pytest.param("citations_of_a_record", "id=ampere-acquisition", ("position", 1), id="citations"),
    pytest.param("deals_in_a_currency", "currency=eur", ("currency", "EUR"), id="currency"),
    pytest.param("quotes_of_a_speaker", "speaker=Huang", ("speaker", "Jensen Huang"), id="quotes"),
    pytest.param("timeline", "from_date=2024-11&to_date=2025", ("type", "event"), id="timeline"),
    pytest.param("timeline", "", ("date", "2017"), id="timeline-all"),
    pytest.param("deals_of_a_company", "company=ampere", ("target", "Ampere"), id="company"),
]


@pytest.mark.parametrize(("name", "query", "expected"), CANNED)
def test_canned_queries_run_in_datasette(exported: Path, name, query, expected) -> None:
    metadata = json.loads((exported.parent / "metadata.json").read_text(encoding="utf-8"))
    assert name in metadata["databases"]["kb"]["queries"]
    page, document = _datasette_get(
        exported, metadata, f"/kb/{name}?{query}", f"/kb/{name}.json?_shape=objects&{query}"
    )
    assert page.status_code == 200, page.text
    assert document.status_code == 200, document.text
    rows = document.json()["rows"]
    column, value = expected
    assert any(row[column] == value for row in rows), rows[:3]


def test_the_canned_queries_answer_what_they_say(exported: Path) -> None:
    metadata = json.loads((exported.parent / "metadata.json").read_text(encoding="utf-8"))
    queries = metadata["databases"]["kb"]["queries"]
    assert len(queries) >= 4
    assert all(query["title"] and query["description"] for query in queries.values())
    citations, euros, timeline = (
        response.json()["rows"]
        for response in _datasette_get(
            exported,
            metadata,
            "/kb/citations_of_a_record.json?_shape=objects&id=masayoshi-son",
            "/kb/deals_in_a_currency.json?_shape=objects&currency=EUR",
            "/kb/timeline.json?_shape=objects",
        )
    )
    kb = load_knowledge_base(bundled_data_dir())
    son = kb.get("masayoshi-son")
    assert [row["excerpt"] for row in citations] == [c.excerpt for c in son.citations]
    # Largest first, in euros: the yen deal counts through the article's own conversion.
    assert [row["amount"] for row in euros] == sorted((r["amount"] for r in euros), reverse=True)
    converted = next(r for r in euros if r["id"] == "softbank-japanese-llm-compute-investment")
    assert converted["counted"] == "by the article's own conversion"
    assert converted["amount"] == 878000000
    # Oldest first, a year before its months.
    dates = [row["date"] for row in timeline]
    assert dates == sorted(dates)
    assert len(timeline) == sum(
        1
        for record in kb.records()
        if record.type in ("deal", "quote", "figure", "event")
        and (getattr(record, "date", None) or getattr(record, "target_date", None))
    )


def test_sqlite3_finds_typed_columns_references_and_citations(exported: Path) -> None:
    kb = load_knowledge_base(bundled_data_dir())
    # Every reference points at an existing row.
    assert _query(exported, "PRAGMA foreign_key_check") == []
    foreign_keys = {(row[3], row[2]) for row in _query(exported, "PRAGMA foreign_key_list(deals)")}
    assert foreign_keys >= {
        ("investor", "records"),
        ("target", "organizations"),
        ("vehicle", "organizations"),
    }
    # Money and dates as columns of their own types.
    ampere = _query(
        exported,
        "SELECT amount, typeof(amount), currency, date, date_precision, year, typeof(year),"
        " year_inferred FROM deals WHERE id = 'ampere-acquisition'",
    )
    assert ampere == [(6500000000, "integer", "USD", "2025-03", "month", 2025, "integer", 1)]
    assert _query(
        exported,
        "SELECT amount, typeof(amount), currency, qualifier FROM equivalents WHERE record = ?",
        "ampere-acquisition",
    ) == [(47000000000, "integer", "CNY", "about")]
    # Every amount of money is an integer, beside the amount as the article states it.
    for table, column in (("deals", "amount"), ("deals", "co_investment_amount")):
        assert {kind for (kind,) in _query(exported, f"SELECT typeof({column}) FROM {table}")} <= {
            "integer",
            "null",
        }
    assert _query(exported, "SELECT amount_stated FROM deals WHERE id = 'ampere-acquisition'") == [
        ("6.5 billion USD (about 47 billion CNY)",)
    ]
    # Every record type joins to its citations, in the view of all and in a table of its
    # own, linked to the record by a foreign key; every citation of the KB is there.
    for table, model in COLLECTIONS.items():
        cited = sum(len(getattr(r, "citations", ())) for r in getattr(kb, table))
        (joined,) = _query(
            exported,
            f'SELECT count(*) FROM "{table}" JOIN citations ON citations.record = "{table}".id',
        )[0]
        assert joined == cited, (table, model)
        if table != "sources":
            owner = TYPE_NAMES[model]
            links = _query(exported, f"PRAGMA foreign_key_list({owner}_citations)")
            assert {(row[3], row[2]) for row in links} == {(owner, table), ("source", "sources")}
            (own,) = _query(exported, f"SELECT count(*) FROM {owner}_citations")[0]
            assert own == cited, table
    # Many-to-many references in link tables.
    mentions = _query(
        exported, "SELECT record FROM quote_mentions WHERE quote = 'huang-largest-shareholder'"
    )
    assert {m for (m,) in mentions} == {"masayoshi-son", "nvidia"}
    assert _query(
        exported,
        "SELECT organizations.name FROM roles JOIN organizations ON organizations.id ="
        " roles.organization WHERE person = 'jensen-huang'",
    ) == [("Nvidia",)]
    # Full-text search, in English and without the accent.
    hits = _query(
        exported,
        "SELECT organizations.id FROM organizations_fts JOIN organizations"
        " ON organizations.rowid = organizations_fts.rowid WHERE organizations_fts MATCH ?",
        "ampère",
    )
    assert ("ampere",) in hits
    # The views.
    assert _query(
        exported,
        "SELECT speaker_name FROM quotes_with_speakers WHERE id = 'huang-largest-shareholder'",
    ) == [("Jensen Huang",)]
    assert _query(
        exported,
        "SELECT investor_name, target_name FROM deals_with_names WHERE id = 'ampere-acquisition'",
    ) == [("SoftBank Group", "Ampere")]


def test_metadata_describes_every_table_and_column(exported: Path) -> None:
    metadata = json.loads((exported.parent / "metadata.json").read_text(encoding="utf-8"))
    titles = {s.title for s in load_knowledge_base(bundled_data_dir()).sources}
    assert len(titles) == 2
    assert all(title in metadata["source"] for title in titles)
    tables = metadata["databases"]["kb"]["tables"]
    shown = _query(
        exported,
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"
        " AND name NOT LIKE '%_fts%' AND name NOT LIKE 'sqlite_%'",
    )
    assert {name for name, _ in shown} == set(tables)
    for name, _ in shown:
        assert tables[name]["description"], name
        columns = [row[1] for row in _query(exported, f'PRAGMA table_info("{name}")')]
        # Folded away under the description, so that the rows come first on the page.
        html = tables[name]["description_html"]
        assert "<details><summary>What each column holds</summary>" in html, name
        described = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html))
        assert list(described) == columns, name
        assert all(described.values()), name
        assert "columns" not in tables[name], "Datasette 0.65 would list them above the rows"
    assert {"kind", "status", "year", "currency"} <= set(tables["deals"]["facets"])
    assert tables["deals"]["label_column"] == "summary"
    assert tables["organizations"]["label_column"] == "name"
    # Facets on the views; the link and citation tables listed apart, as hidden.
    for view in VIEWS:
        assert tables[view.name]["facets"] == list(view.facets) != [], view.name
    hidden = {name for name, entry in tables.items() if entry.get("hidden")}
    assert hidden == {
        "deal_partners",
        "quote_mentions",
        "event_participants",
        "event_records",
        "strategy_related",
        "equivalents",
    } | {
        f"{TYPE_NAMES[model]}_citations" for name, model in COLLECTIONS.items() if name != "sources"
    }
    database = metadata["databases"]["kb"]
    assert database["title"] and database["description"]


def test_metadata_goes_where_asked_and_never_into_the_data(run_cli: RunCli, tmp_path) -> None:
    database, metadata = tmp_path / "out" / "sbkb.db", tmp_path / "meta" / "m.json"
    database.parent.mkdir()
    metadata.parent.mkdir()
    result = run_cli(
        "export", "--format", "sqlite", "-o", str(database), "--metadata", str(metadata)
    )
    assert result.exit_code == 0, result.stderr
    assert "sbkb" in json.loads(metadata.read_text(encoding="utf-8"))["databases"]
    assert not (database.parent / "metadata.json").exists()

    data_dir = tmp_path / "data"
    shutil.copytree(REPO / "data", data_dir)
    before = sorted(p.name for p in data_dir.iterdir())
    result = run_cli(
        "--data",
        str(data_dir),
        "export",
        "--format",
        "sqlite",
        "-o",
        str(tmp_path / "kb.db"),
        "--metadata",
        str(data_dir / "metadata.json"),
    )
    assert result.exit_code == 2
    assert "never writes into a data directory" in result.stderr
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_metadata_goes_with_sqlite_only(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("export", "--format", "json", "--metadata", str(tmp_path / "m.json"))
    assert result.exit_code == 2
    assert "--metadata goes with --format sqlite only" in result.stderr


def test_an_unwritable_place_is_a_message_not_a_traceback(run_cli: RunCli, tmp_path) -> None:
    result = run_cli("export", "--format", "sqlite", "-o", str(tmp_path / "missing" / "kb.db"))
    assert result.exit_code == 5  # the output could not be written
    assert result.stderr.startswith("Error: cannot write")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "missing").exists()


def test_a_second_export_replaces_the_first(exported: Path, run_cli: RunCli) -> None:
    _query(exported, "SELECT 1")
    before = _query(exported, "SELECT count(*) FROM records")
    result = run_cli("export", "--format", "sqlite", "-o", str(exported))
    assert result.exit_code == 0, result.stderr
    assert _query(exported, "SELECT count(*) FROM records") == before
    assert [p.name for p in exported.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_piped_export_shows_no_progress(exported: Path, run_cli: RunCli) -> None:
    result = run_cli("export", "--format", "sqlite", "-o", str(exported))
    assert result.stderr.splitlines() == [
        f"Wrote {len(load_knowledge_base(bundled_data_dir()))} records to {exported},"
        f" Datasette metadata to {exported.parent / 'metadata.json'}"
    ]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("terminal", "elapsed", "shown"),
    [
        pytest.param(True, 0.5, False, id="terminal-fast"),
        pytest.param(True, 1.5, True, id="terminal-slow"),
        pytest.param(False, 5.0, False, id="piped-slow"),
    ],
)
def test_progress_shows_on_a_terminal_after_a_second(terminal, elapsed, shown) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=80, color_system=None)
    clock = _Clock()
    with DelayedProgress(console, "Writing the database", clock=clock) as progress:
        clock.now = elapsed
        progress(500, 1000)
    assert ("Writing the database" in out.getvalue()) is shown
    if not terminal:
        assert out.getvalue() == ""


def test_hostile_text_is_stored_exactly(run_cli: RunCli, tmp_path: Path) -> None:
    display = REPO / "tests" / "display"
    database = tmp_path / "display.db"
    result = run_cli("--data", str(display), "export", "--format", "sqlite", "-o", str(database))
    assert result.exit_code == 0, result.stderr
    kb = load_knowledge_base(display)
    # A database holds the data as it is; Datasette escapes it for the page.
    assert _query(database, "SELECT id, label FROM records ORDER BY id") == sorted(
        (record.id, record.label) for record in kb.records()
    )
    (quote,) = kb.quotes
    assert _query(database, "SELECT text, venue FROM quotes") == [(quote.text, quote.venue)]
