"""An edit of a few data files updates a copy of the cached database: only they are parsed."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from softbank_kb import cache, loading

from .conftest import REPO, RunCli, spy_on_paths

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
            if name == "meta":  # notes of the update's alone (tests below)
                rows = [row for row in rows if row[0] != "derived_base"]
            if name == "rewritten":
                continue
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
    return spy_on_paths(monkeypatch, loading, "_parse_file")


def _edited(run_cli: RunCli, tmp_path: Path, case: dict[str, Any]) -> Path:
    """A copy of the bundled data, cached, then edited as `case` says."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    assert run_cli("--data", str(data), "stats").exit_code == 0
    for edit in case["edits"]:
        _edit(data, edit)
    return data


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES])
def test_an_edit_answers_as_the_data_says(
    run_cli: RunCli, tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch, case
) -> None:
    data = _edited(run_cli, tmp_path, case)
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
    data = _edited(run_cli, tmp_path, case)
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


def _kept(name: str) -> list[str]:
    directory = cache.cache_dir()
    assert directory is not None
    return sorted(path.name for path in directory.glob(f"{name}-*.sqlite"))


@pytest.mark.parametrize(
    ("case_id", "rebuilt"),
    [pytest.param("comment", False, id="comment"), pytest.param("amount", True, id="amount")],
)
def test_what_search_and_ask_derive_is_kept_while_the_records_are_the_same(
    run_cli: RunCli, tmp_path: Path, case_id: str, rebuilt: bool
) -> None:
    (case,) = [c for c in CASES if c["id"] == case_id]
    data = _edited(run_cli, tmp_path, {"edits": []})
    for args in COMMANDS[-2:]:  # search and ask: their databases are kept
        assert run_cli("--data", str(data), *args).exit_code == 0
    before = {name: _kept(name) for name in ("search", "ask")}
    assert all(len(names) == 1 for names in before.values())
    for edit in case["edits"]:
        _edit(data, edit)
    for args in COMMANDS[-2:]:
        result = run_cli("--data", str(data), *args)
        plain = run_cli("--data", str(data), *args, env={"SBKB_NO_CACHE": "1"})
        assert (result.exit_code, result.stdout) == (plain.exit_code, plain.stdout)
    after = {name: _kept(name) for name in ("search", "ask")}
    if rebuilt:
        assert all(len(names) == 2 for names in after.values())
    else:
        assert after == before


def test_a_database_made_by_other_code_is_not_updated(
    run_cli: RunCli, tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its records may be another version's, though made from the same files."""
    (case,) = [c for c in CASES if c["id"] == "amount"]
    data = _edited(run_cli, tmp_path, case)
    monkeypatch.setattr(cache, "_code_digest", lambda: "0" * 64)
    parsed.clear()
    assert run_cli("--data", str(data), "stats").exit_code == 0
    assert sorted(set(parsed)) == sorted(p.name for p in loading.data_files(data))


@pytest.mark.parametrize("start", [4096, 65536, 200_000])
def test_a_damaged_database_is_not_updated_but_answered_from_the_data(
    run_cli: RunCli, tmp_path: Path, start: int
) -> None:
    """Its header whole, its pages from `start` on overwritten: no update is made of it."""
    (case,) = [c for c in CASES if c["id"] == "record-added"]
    data = _edited(run_cli, tmp_path, {"edits": []})
    (path,) = [cache.cache_dir() / name for name in _kept("kb")]  # type: ignore[operator]
    damaged = bytearray(path.read_bytes())
    damaged[start:] = bytes(range(256)) * ((len(damaged) - start) // 256) + bytes(
        (len(damaged) - start) % 256
    )
    path.write_bytes(bytes(damaged))
    for edit in case["edits"]:
        _edit(data, edit)
    for args in COMMANDS:
        result = run_cli("--data", str(data), *args)
        plain = run_cli("--data", str(data), *args, env={"SBKB_NO_CACHE": "1"})
        assert (result.exit_code, result.stdout) == (plain.exit_code, plain.stdout), args


# A synthetic knowledge base's files each hold records of every collection: an edit
# moves the positions of several collections at once.
SYNTHETIC_EDITS = {
    "value": [("amount: 6500000000", "amount: 6600000000")],
    "added": [
        (
            "organizations:\n",
            "organizations:\n- id: an-added-company\n  name: An Added Company\n"
            "  kind: company\n  description: Added after the cache was built.\n"
            "  citations:\n  - source: article-ai-spending\n    excerpt: SoftBank\n",
        ),
        (
            "people:\n",
            "people:\n- id: an-added-person\n  name: An Added Person\n"
            "  description: Added too.\n"
            "  citations:\n  - source: article-ai-spending\n    excerpt: SoftBank\n",
        ),
    ],
}


@pytest.mark.parametrize("edit", sorted(SYNTHETIC_EDITS))
def test_an_edit_of_a_file_of_every_collection_is_updated_as_built_anew(
    run_cli: RunCli, tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch, edit
) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from make_kb import make_kb

    data = tmp_path / "kb"
    make_kb(1000, data)
    assert run_cli("--data", str(data), "stats").exit_code == 0
    path = data / "part-002.yaml"
    text = path.read_text("utf-8")
    for find, replace in SYNTHETIC_EDITS[edit]:
        assert find in text
        text = text.replace(find, replace, 1)
    path.write_text(text, "utf-8")
    parsed.clear()
    for args in (["invest", "--json"], ["company", "--json"], ["people", "--json"], ["stats"]):
        result = run_cli("--data", str(data), *args)
        plain = run_cli("--data", str(data), *args, env={"SBKB_NO_CACHE": "1"})
        assert (result.exit_code, result.stdout) == (plain.exit_code, plain.stdout), args
    assert parsed[: parsed.index("part-002.yaml") + 1] == ["part-002.yaml"]  # updated
    key = cache._key_or_none(data)
    updated = cache.cache_dir() / f"kb-{key}.sqlite"  # type: ignore[operator]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh"))
    assert run_cli("--data", str(data), "stats").exit_code == 0
    assert _rows(updated) == _rows(tmp_path / "fresh" / "sbkb" / f"kb-{key}.sqlite")
    _integrity(updated)


@pytest.mark.parametrize("case_id", ["amount", "two-files", "word-replaced", "parent-changed"])
def test_derived_databases_are_built_anew_after_an_edit(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case_id: str
) -> None:
    """The search and ask databases of an edited directory are built once from its records,
    and answer as the data does."""
    from softbank_kb import index

    (case,) = [c for c in CASES if c["id"] == case_id]
    data = _edited(run_cli, tmp_path, {"edits": []})
    for args in COMMANDS[-2:]:  # search, then ask: each database is kept
        assert run_cli("--data", str(data), *args).exit_code == 0
    for edit in case["edits"]:
        _edit(data, edit)
    built: list[str] = []
    monkeypatch.setattr(index, "MemoryIndex", _counted(index.MemoryIndex, "search", built))
    monkeypatch.setattr(index, "MemoryAbout", _counted(index.MemoryAbout, "ask", built))
    results = [run_cli("--data", str(data), *args) for args in COMMANDS[-2:] * 2]
    assert built == ["search", "ask"]  # built after the edit, then kept
    for args, result in zip(COMMANDS[-2:] * 2, results, strict=True):
        plain = run_cli("--data", str(data), *args, env={"SBKB_NO_CACHE": "1"})
        assert (result.exit_code, result.stdout) == (plain.exit_code, plain.stdout), args


def test_six_edits_build_the_search_index_once_each(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No chain of databases grows with edits: the sixth costs what the first does."""
    from softbank_kb import index

    data = _edited(run_cli, tmp_path, {"edits": []})
    built: list[str] = []
    monkeypatch.setattr(index, "MemoryIndex", _counted(index.MemoryIndex, "search", built))
    path = data / "deals.yaml"
    original = path.read_text("utf-8")
    for edit in range(6):
        path.write_text(original.replace("6500000000", f"650000000{edit}"), "utf-8")
        built.clear()
        result = run_cli("--data", str(data), "search", "ampere", "--json")
        assert built == ["search"], edit
        plain = run_cli("--data", str(data), "search", "ampere", "--json", env=NO_CACHE)
        assert result.stdout == plain.stdout, edit
        shown = run_cli("--data", str(data), "show", "ampere-acquisition", "--json").stdout
        assert f"650000000{edit}" in shown


NO_CACHE = {"SBKB_NO_CACHE": "1"}


def _counted(kind: type, name: str, built: list[str]) -> type:
    """`kind`, noting in `built` each time one is built from every record (in memory)."""

    class Counted(kind):  # type: ignore[misc, valid-type]
        def __init__(self, kb: Any) -> None:
            built.append(name)
            super().__init__(kb)

    return Counted
