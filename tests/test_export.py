"""`sbkb export`: every format holds every record, and nothing is written into the data."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import COLLECTIONS
from softbank_kb.paths import bundled_data_dir

from .conftest import REPO, RunCli


@pytest.fixture(scope="module")
def record_count() -> int:
    return len(load_knowledge_base(bundled_data_dir()))


def test_json_is_one_array_of_every_record(run_cli: RunCli, record_count: int) -> None:
    result = run_cli("export", "--format", "json")
    records = json.loads(result.stdout)
    assert len(records) == record_count
    assert {r["type"] for r in records} == {
        "source",
        "organization",
        "person",
        "deal",
        "quote",
        "figure",
        "event",
        "strategy",
    }


def test_csv_is_one_table_with_a_type_column(run_cli: RunCli, record_count: int) -> None:
    result = run_cli("export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == record_count
    ampere = next(row for row in rows if row["id"] == "ampere-acquisition")
    assert ampere["type"] == "deal"
    assert json.loads(ampere["amount"])["amount"] == 6500000000


def test_sqlite_has_a_table_per_type(run_cli, tmp_path, record_count) -> None:
    database = tmp_path / "kb.db"
    result = run_cli("export", "--format", "sqlite", "-o", str(database))
    assert result.exit_code == 0, result.stderr
    connection = sqlite3.connect(database)
    try:
        total = sum(
            connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in COLLECTIONS
        )
        amount = connection.execute(
            "SELECT amount, currency FROM deals WHERE id = 'ampere-acquisition'"
        ).fetchone()
    finally:
        connection.close()
    assert total == record_count
    assert amount == (6500000000, "USD")


def test_sqlite_needs_an_output_file(run_cli: RunCli) -> None:
    result = run_cli("export", "--format", "sqlite")
    assert result.exit_code == 2
    assert "needs -o PATH" in result.stderr


def test_markdown_has_a_section_per_type(run_cli: RunCli) -> None:
    result = run_cli("export", "--format", "markdown")
    assert "## Deals (" in result.stdout
    assert "| ampere-acquisition |" in result.stdout


def test_export_refuses_to_write_into_the_data_directory(run_cli: RunCli, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(REPO / "data", data_dir)
    before = sorted(p.name for p in data_dir.iterdir())
    result = run_cli(
        "--data", str(data_dir), "export", "--format", "json", "-o", str(data_dir / "x.json")
    )
    assert result.exit_code == 2
    assert "never writes into a data directory" in result.stderr
    assert sorted(p.name for p in data_dir.iterdir()) == before
