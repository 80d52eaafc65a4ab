"""An edit of a few data files updates a copy of the cached database: only they are parsed."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from softbank_kb import cache, loading

from .conftest import REPO, RunCli

CASES = yaml.safe_load((Path(__file__).parent / "update_cases.yaml").read_text("utf-8"))
COMMANDS = [
    ["invest", "--json"],
    ["invest", "--year", "2025"],
    ["company", "--json"],
    ["show", "ampere-acquisition"],
    ["stats"],
    ["search", "ampere"],
    ["ask", "How much did SoftBank pay for Ampere?"],
]


def _edit(data: Path, edit: dict[str, str]) -> None:
    path = data / edit["file"]
    text = path.read_text("utf-8")
    find = edit.get("find")
    if find is None:
        text += edit["replace"]
    elif find == "^":
        text = edit["replace"] + text
    else:
        assert find in text, edit
        text = text.replace(find, edit["replace"], 1)
    path.write_text(text, "utf-8")


def _rows(path: Path) -> dict[str, Any]:
    """Every table's rows (record_json in its order, the others as sets), and what each
    full-text index finds for a few words: what two databases must agree on."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found: dict[str, Any] = {}
        tables = [
            name
            for (name,) in connection.execute("select name from sqlite_master where type='table'")
            if "_fts" not in name
        ]
        for name in tables:
            rows = connection.execute(f"select * from [{name}]").fetchall()
            found[name] = rows if name == "record_json" else sorted(map(repr, rows))
        found["record_json"] = connection.execute(
            "select * from record_json order by position"
        ).fetchall()
        for (name,) in connection.execute(
            "select name from sqlite_master where type='table' and name like '%\\_fts' escape '\\'"
        ).fetchall():
            table = name.removesuffix("_fts")
            found[name] = sorted(
                map(
                    repr,
                    connection.execute(
                        f"select * from [{table}] where rowid in"
                        f" (select rowid from [{name}] where [{name}] match ?)",
                        ("softbank OR ampere OR added OR puces",),
                    ),
                )
            )
        return found
    finally:
        connection.close()


def _integrity(path: Path) -> None:
    """FTS5's own check that each full-text index holds exactly its table's rows."""
    connection = sqlite3.connect(path)
    try:
        for (name,) in connection.execute(
            "select name from sqlite_master where type='table' and name like '%\\_fts' escape '\\'"
        ).fetchall():
            connection.execute(f"insert into [{name}] ([{name}]) values ('integrity-check')")
    finally:
        connection.close()


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the data files parsed, in order."""
    names: list[str] = []
    parse = loading._parse_file

    def spied(path: Path) -> Any:
        names.append(path.name)
        return parse(path)

    monkeypatch.setattr(loading, "_parse_file", spied)
    return names


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES])
def test_an_edit_answers_as_the_data_says(
    run_cli: RunCli, tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch, case
) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    assert run_cli("--data", str(data), "stats").exit_code == 0
    for edit in case["edits"]:
        _edit(data, edit)
    parsed.clear()
    first = run_cli("--data", str(data), *COMMANDS[0])
    edited = sorted({edit["file"] for edit in case["edits"]})
    if case["expect"] == "updated":
        assert sorted(parsed) == edited
    else:
        assert sorted(set(parsed)) == sorted(p.name for p in loading.data_files(data))
    for args in COMMANDS:
        result = first if args == COMMANDS[0] else run_cli("--data", str(data), *args)
        plain = run_cli("--data", str(data), *args, env={"SBKB_NO_CACHE": "1"})
        assert (result.exit_code, result.stdout, result.stderr) == (
            plain.exit_code,
            plain.stdout,
            plain.stderr,
        ), args


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c["id"]) for c in CASES if c["expect"] == "updated"]
)
def test_an_updated_database_is_the_one_built_anew(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case
) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    assert run_cli("--data", str(data), "stats").exit_code == 0
    for edit in case["edits"]:
        _edit(data, edit)
    assert run_cli("--data", str(data), "stats").exit_code == 0
    key = cache._key_or_none(data)
    directory = cache.cache_dir()
    assert directory is not None
    updated = directory / f"kb-{key}.sqlite"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh"))
    assert run_cli("--data", str(data), "stats").exit_code == 0
    fresh = tmp_path / "fresh" / "sbkb" / f"kb-{key}.sqlite"
    assert _rows(updated) == _rows(fresh)
    _integrity(updated)
