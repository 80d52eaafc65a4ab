"""The content-keyed cache: used when data is unchanged, rebuilt when a byte changes."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from softbank_kb import cache, loading, store
from softbank_kb.loading import load_with_files
from softbank_kb.models import KnowledgeBase
from softbank_kb.paths import data_files

from .conftest import REPO, RunCli


def _foreign_database(path: Path) -> None:
    """A whole SQLite database, but another program's: no application id of ours."""
    path.unlink()
    connection = sqlite3.connect(path)
    connection.execute("create table meta (name text, value text)")
    connection.commit()
    connection.close()


def _other_version(path: Path) -> None:
    """Our database, but of another schema version: the header says so."""
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    connection.commit()
    connection.close()


def _other_key(path: Path) -> None:
    """Our database, but of other data: the meta row's content key is not the file's."""
    connection = sqlite3.connect(path)
    connection.execute("update meta set value = 'another' where name = 'content_key'")
    connection.commit()
    connection.close()


def _missing_table(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("drop table record_json")
    connection.commit()
    connection.close()


def _overwritten_pages(path: Path) -> None:
    """The header intact, every page after the first few overwritten: only a query sees it."""
    data = bytearray(path.read_bytes())
    data[8192:] = bytes(range(256)) * ((len(data) - 8192) // 256) + b"\xff" * (len(data) % 256)
    path.write_bytes(bytes(data))


DAMAGES = [
    pytest.param(lambda p: p.write_bytes(p.read_bytes()[:100]), id="truncated-header"),
    pytest.param(lambda p: p.write_bytes(p.read_bytes()[:9000]), id="truncated"),
    pytest.param(lambda p: p.write_bytes(b""), id="empty"),
    pytest.param(lambda p: p.write_bytes(os.urandom(4096)), id="garbage"),
    pytest.param(_foreign_database, id="foreign"),
    pytest.param(_other_version, id="other-version"),
    pytest.param(_other_key, id="other-key"),
    pytest.param(_missing_table, id="missing-table"),
    pytest.param(_overwritten_pages, id="overwritten-pages"),
]
JSON_DAMAGES = [
    pytest.param(lambda p: p.write_bytes(p.read_bytes()[:100]), id="truncated"),
    pytest.param(lambda p: p.write_bytes(b""), id="empty"),
    pytest.param(lambda p: p.write_bytes(os.urandom(4096)), id="garbage"),
    pytest.param(lambda p: p.write_bytes(b'{"dict": [[1, 2]]}'), id="foreign"),
    pytest.param(
        lambda p: p.write_bytes(p.read_bytes().replace(b'"list"', b'"dict"', 1)), id="other-types"
    ),
    pytest.param(
        lambda p: p.write_bytes(p.read_bytes().replace(b"softbank_kb.", b"softbank_kb.x", 1)),
        id="other-kind",
    ),
    pytest.param(lambda p: p.write_bytes(b'{"os.system": ["touch x"]}'), id="unknown-tag"),
]
NO_CACHE = {"SBKB_NO_CACHE": "1"}

EVERY_COMMAND = [
    pytest.param(["invest", "--year", "2024..2025"], id="invest"),
    pytest.param(["quote", "Jensen Huang"], id="quote"),
    pytest.param(["people", "Masa"], id="people"),
    pytest.param(["company", "ampere", "--json"], id="company"),
    pytest.param(["financials"], id="financials"),
    pytest.param(["timeline", "--json"], id="timeline"),
    pytest.param(["strategy"], id="strategy"),
    pytest.param(["search", "puces"], id="search"),
    pytest.param(["ask", "How much did SoftBank pay for Ampere?", "--json"], id="ask"),
    pytest.param(["show", "ampere-acquisition"], id="show"),
    pytest.param(["stats", "--json"], id="stats"),
    pytest.param(["export", "--format", "csv"], id="export"),
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(REPO / "data", copy)
    return copy


def _caches() -> list[Path]:
    directory = cache.cache_dir()
    assert directory is not None
    return sorted(directory.glob("kb-*.sqlite")) if directory.is_dir() else []


def _cache_files() -> list[Path]:
    """Every file the cache keeps (its temporary files aside)."""
    directory = cache.cache_dir()
    assert directory is not None
    return sorted(path for path in directory.iterdir() if not path.name.startswith("."))


def test_unchanged_data_is_answered_from_the_cache(run_cli, data_dir, monkeypatch) -> None:
    assert run_cli("--data", str(data_dir), "stats").exit_code == 0
    assert len(_caches()) == 1

    def no_loading(_: Path) -> None:
        raise AssertionError("the loader ran although the data did not change")

    monkeypatch.setattr(loading, "load_with_files", no_loading)
    result = run_cli("--data", str(data_dir), "invest", "--year", "2024")
    assert result.exit_code == 0, result.stderr


def test_one_changed_byte_rebuilds_the_cache(run_cli: RunCli, data_dir: Path) -> None:
    run_cli("--data", str(data_dir), "company", "ampere")
    deals = data_dir / "deals.yaml"
    text = deals.read_text(encoding="utf-8")
    # Same length, same timestamp: only the content says it changed.
    stat = deals.stat()
    deals.write_text(text.replace("6500000000", "6500000001", 1), encoding="utf-8")
    os.utime(deals, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = run_cli("--data", str(data_dir), "show", "ampere-acquisition", "--json")
    assert '"amount": 6500000001' in result.stdout
    assert len(_caches()) == 2


@pytest.mark.parametrize("args", EVERY_COMMAND)
def test_results_with_and_without_the_cache_are_identical(run_cli, data_dir, args) -> None:
    without = run_cli("--data", str(data_dir), *args, env={"SBKB_NO_CACHE": "1"})
    assert _caches() == []
    cold = run_cli("--data", str(data_dir), *args)
    warm = run_cli("--data", str(data_dir), *args)
    assert len(_caches()) == 1
    assert without.exit_code == cold.exit_code == warm.exit_code == 0
    assert without.stdout == cold.stdout == warm.stdout


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_cache_is_ignored_and_rebuilt(run_cli, data_dir, damage) -> None:
    first = run_cli("--data", str(data_dir), "timeline", "--json")
    (path,) = _caches()
    damage(path)
    again = run_cli("--data", str(data_dir), "timeline", "--json")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout
    assert cache.load(path.name.removeprefix("kb-").removesuffix(".sqlite")) is not None


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_database_damaged_after_it_was_opened_is_rebuilt(run_cli, data_dir, damage) -> None:
    """The checks at opening passed; a query then finds the damage: the data answers."""
    args = ("--data", str(data_dir), "show", "ampere-acquisition", "--json")
    first = run_cli(*args)
    (path,) = _caches()
    key = path.name.removeprefix("kb-").removesuffix(".sqlite")
    opened = cache.load(key, recover=lambda: loading.load_knowledge_base(data_dir))
    assert opened is not None
    damage(path)
    again = run_cli(*args)
    assert again.stdout == first.stdout
    assert again.exit_code == 0, again.stderr
    # What was opened before the damage still answers whole, from the data if need be.
    assert len(list(opened.records())) == len(loading.load_knowledge_base(data_dir))


@pytest.mark.parametrize(
    "command",
    [
        ["invest", "--year", "2024", "--json"],
        ["show", "ampere-acquisition"],
        ["search", "grafcore"],
        ["ask", "How much did SoftBank pay for Ampere?"],
        ["stats"],
    ],
    ids=lambda command: command[0],
)
def test_a_query_that_finds_damage_answers_from_the_data_and_rebuilds(
    run_cli, data_dir, command, monkeypatch
) -> None:
    """Opened whole, damaged under the reader: the answer is the data's, the file rebuilt."""
    damage = _overwritten_pages
    args = ("--data", str(data_dir), *command)
    expected = run_cli(*args, env=NO_CACHE).stdout
    run_cli(*args)
    (path,) = _caches()
    damage(path)
    loads: list[Path] = []

    def counted(
        directory: Path, *args: loading.Reader | None
    ) -> tuple[KnowledgeBase, dict[str, Path]]:
        loads.append(directory)
        return load_with_files(directory, *args)

    with monkeypatch.context() as patched:
        patched.setattr(store, "is_our_header", lambda *header: True)
        patched.setattr(store, "open_store", _open_without_checks)
        patched.setattr(loading, "load_with_files", counted)
        result = run_cli(*args)
    assert loads == [data_dir]  # the damage was found, and the data read once
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected
    header = path.read_bytes()[: store.HEADER_SIZE]
    assert store.is_our_header(header)  # rebuilt: whole again
    key = path.name.removeprefix("kb-").removesuffix(".sqlite")
    rebuilt = cache.load(key)
    assert rebuilt is not None and len(rebuilt) > 100


def _open_without_checks(path: Path, key: str, *tables: object) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def _missing_entries(path: Path) -> None:
    """The search index or ask's database without the table a query reads first."""
    connection = sqlite3.connect(path)
    for table in ("entries", "about"):
        connection.execute(f"drop table if exists {table}")
    connection.commit()
    connection.close()


INDEX_DAMAGES = [
    *(damage for damage in DAMAGES if damage.id != "missing-table"),
    pytest.param(_missing_entries, id="missing-table"),
]
ASK = ["ask", "Combien SoftBank a-t-il payé pour Ampere ?", "--json"]
# Each kept database, and the commands that read it: search, a name resolved, a question.
INDEX_COMMANDS = [
    pytest.param("search", ["search", "puces", "--json"], id="search"),
    pytest.param("search", ["quote", "Miyakwa", "--json"], id="resolve"),
    pytest.param("search", ASK, id="ask-search"),
    pytest.param("ask", ASK, id="ask"),
    pytest.param("ask", ["ask", "What did Graphcore say in 2019?"], id="ask-unanswered"),
]


def _kept(name: str) -> Path:
    directory = cache.cache_dir()
    assert directory is not None
    (path,) = directory.glob(f"{name}-*.sqlite")
    return path


def _kept_is_whole(path: Path) -> bool:
    """The database is one the cache opens: our header, its version, tables and key."""
    from softbank_kb import index

    name, key = path.name.removesuffix(".sqlite").split("-", 1)
    version, tables = {
        "search": (index.INDEX_VERSION, index._REQUIRED),
        "ask": (index.ABOUT_VERSION, index._ABOUT_TABLES),
    }[name]
    header = path.read_bytes()[: store.HEADER_SIZE]
    return store.is_our_header(header, version) and store.open_store(path, key, tables) is not None


@pytest.mark.parametrize(("name", "command"), INDEX_COMMANDS)
@pytest.mark.parametrize("damage", INDEX_DAMAGES)
def test_a_damaged_search_index_is_ignored_and_rebuilt(
    run_cli, data_dir, damage, name, command
) -> None:
    expected = run_cli("--data", str(data_dir), *command, env=NO_CACHE)
    assert run_cli("--data", str(data_dir), *command).stdout == expected.stdout
    path = _kept(name)
    damage(path)
    again = run_cli("--data", str(data_dir), *command)
    assert again.exit_code == expected.exit_code, again.stderr
    assert again.stdout == expected.stdout
    assert _kept_is_whole(path)


@pytest.mark.parametrize(("name", "command"), INDEX_COMMANDS)
def test_a_search_index_damaged_under_the_reader_is_rebuilt(
    run_cli, data_dir, name, command, monkeypatch
) -> None:
    """Opened as whole, its pages found damaged by a query: answered from the records."""
    from softbank_kb import index

    expected = run_cli("--data", str(data_dir), *command, env=NO_CACHE)
    run_cli("--data", str(data_dir), *command)
    path = _kept(name)
    _overwritten_pages(path)
    rebuilt: list[int] = []
    made = {"search": index.MemoryIndex, "ask": index.MemoryAbout}[name]
    built = made.__init__

    def counted(self: object, kb: KnowledgeBase) -> None:
        rebuilt.append(len(kb))
        built(self, kb)

    with monkeypatch.context() as patched:
        patched.setattr(store, "is_our_header", lambda *header: True)
        patched.setattr(store, "open_store", _open_without_checks)
        patched.setattr(made, "__init__", counted)
        result = run_cli("--data", str(data_dir), *command)
    assert result.exit_code == expected.exit_code, result.stderr
    assert result.stdout == expected.stdout
    assert len(rebuilt) == 1  # the damage was found, and it was built once from the records
    assert _kept_is_whole(path)


@pytest.mark.parametrize("name", ["lexicon"])
@pytest.mark.parametrize("damage", JSON_DAMAGES)
def test_a_damaged_lexicon_is_ignored_and_rebuilt(run_cli, data_dir, damage, name) -> None:
    question = ["ask", "Combien SoftBank a-t-il payé pour Ampere ?", "--json"]
    first = run_cli("--data", str(data_dir), *question)
    directory = cache.cache_dir()
    assert directory is not None
    (path,) = directory.glob(f"{name}-*.json")
    damage(path)
    again = run_cli("--data", str(data_dir), *question)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout
    assert path.read_bytes().startswith(b'["sbkb-state-1", ')
    assert len(path.read_bytes()) > 1000


def test_a_search_index_of_other_records_is_not_used(run_cli, data_dir, tmp_path) -> None:
    """An index that does not fit the records it is bound to is rebuilt, not trusted."""
    other = tmp_path / "other"
    shutil.copytree(data_dir, other)
    # One organisation more: the same kinds of records, but not the same records.
    organizations = other / "organizations.yaml"
    text = organizations.read_text(encoding="utf-8")
    extra = (
        "  - id: extra-org\n    name: Extra Org\n    kind: company\n"
        "    description: A test.\n"
        "    citations: [{source: article-asi-ambition, excerpt: x}]\n"
    )
    organizations.write_text(text.replace("  - id: ", extra + "  - id: ", 1), encoding="utf-8")
    assert run_cli("--data", str(other), "search", "puces").exit_code == 0
    directory = cache.cache_dir()
    assert directory is not None
    (other_index,) = directory.glob("search-*.sqlite")
    key = cache.content_key(data_files(data_dir))
    other_index.replace(directory / f"search-{key}.sqlite")
    expected = run_cli("--data", str(data_dir), "search", "puces", "--json", env=NO_CACHE)
    result = run_cli("--data", str(data_dir), "search", "puces", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout


def test_an_unwritable_cache_directory_is_survived(run_cli, data_dir, tmp_path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    result = run_cli("--data", str(data_dir), "stats", env={"XDG_CACHE_HOME": str(blocker)})
    assert result.exit_code == 0, result.stderr


def test_two_processes_building_the_cache_at_once(data_dir, tmp_path, monkeypatch) -> None:
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.pop("SBKB_NO_CACHE", None)
    command = [sys.executable, "-m", "softbank_kb", "--data", str(data_dir), "stats", "--json"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, env=env) for _ in range(2)]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert outputs[0] == outputs[1]
    caches = list((tmp_path / "cache" / "sbkb").glob("kb-*.sqlite"))
    assert len(caches) == 1
    assert list((tmp_path / "cache" / "sbkb").glob(".kb-*")) == []
    key = caches[0].name.removeprefix("kb-").removesuffix(".sqlite")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cache.load(key) is not None


def test_a_broken_link_is_never_answered_from_the_cache(run_cli: RunCli, data_dir: Path) -> None:
    assert run_cli("--data", str(data_dir), "stats").exit_code == 0
    (data_dir / "gone.yaml").symlink_to(data_dir / "nowhere.yaml")
    result = run_cli("--data", str(data_dir), "stats")
    assert result.exit_code == 3
    assert "gone.yaml" in result.stderr


# Hostile caches (reliability review 2: H1, L4, L5, L6) ---------------------------------------


class _Planted:
    """A pickle that runs a command when it is loaded, as an attacker would plant it.

    The cache reads no pickle at all; a pickle planted under a cache file's name is then
    one more damaged file, and must be no more than that.
    """

    def __init__(self, function: object, argument: object) -> None:
        self.function = function
        self.argument = argument

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (self.function, (self.argument,))


def _payloads(marker: Path) -> dict[str, bytes]:
    import builtins
    import posix
    import subprocess

    touch = f"touch {marker}"
    python = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system": pickle.dumps(_Planted(os.system, touch)),
        "posix.system": pickle.dumps(_Planted(posix.system, touch)),
        "builtins.eval": pickle.dumps(_Planted(builtins.eval, python)),
        "builtins.exec": pickle.dumps(_Planted(builtins.exec, python)),
        "subprocess.call": pickle.dumps(_Planted(subprocess.call, ["touch", str(marker)])),
    }


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("os.system", id="H1-os-system"),
        pytest.param("posix.system", id="H1-posix-system"),
        pytest.param("builtins.eval", id="H1-eval"),
        pytest.param("builtins.exec", id="H1-exec"),
        pytest.param("subprocess.call", id="H1-subprocess"),
    ],
)
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["stats", "--json"], id="stats"),
        pytest.param(["search", "puces", "--json"], id="search"),
    ],
)
def test_a_planted_cache_file_is_never_executed(run_cli, data_dir, tmp_path, payload, args):
    expected = run_cli("--data", str(data_dir), *args, env=NO_CACHE)
    assert run_cli("--data", str(data_dir), *args).exit_code == 0
    directory = cache.cache_dir()
    assert directory is not None
    marker = tmp_path / "PWNED"
    planted = _cache_files()
    assert planted
    for path in planted:  # named exactly as the real entries
        path.write_bytes(_payloads(marker)[payload])
    for path in planted:  # and as pickles of an earlier version would be named
        path.with_suffix(".pickle").write_bytes(b"sbkb-cache-2\n" + _payloads(marker)[payload])
    result = run_cli("--data", str(data_dir), *args)
    assert not marker.exists()
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout


@pytest.mark.parametrize(
    "finding", [pytest.param("H1-private-directory", id="H1-private-directory")]
)
def test_the_cache_directory_is_made_private(run_cli: RunCli, data_dir: Path, finding) -> None:
    assert run_cli("--data", str(data_dir), "stats").exit_code == 0
    directory = cache.cache_dir()
    assert directory is not None
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def _group_writable_dir(directory: Path) -> None:
    directory.chmod(0o775)


def _foreign_dir(directory: Path) -> None:
    os.chown(directory, 65534, 65534)


def _group_writable_file(path: Path) -> None:
    path.chmod(0o664)


def _foreign_file(path: Path) -> None:
    os.chown(path, 65534, 65534)


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _symlink_loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)


def _dev_zero(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def _too_large(path: Path) -> None:
    with path.open("r+b") as out:
        # Sparse: no disk is used. The database may be larger than a JSON file can.
        limit = cache.MAX_DATABASE_BYTES if path.suffix == ".sqlite" else cache.MAX_CACHE_BYTES
        out.truncate(limit + 1)


UNTRUSTED = [
    pytest.param(_group_writable_dir, "directory is writable by other users", id="H1-group-dir"),
    pytest.param(_foreign_dir, "directory is owned by uid 65534", id="H1-foreign-dir"),
    pytest.param(_group_writable_file, "file is writable by other users", id="H1-group-file"),
    pytest.param(_foreign_file, "file is owned by uid 65534", id="H1-foreign-file"),
    pytest.param(_fifo, "not a regular file", id="L5-fifo"),
    pytest.param(_too_large, "more than a cache can be", id="L5-too-large"),
    pytest.param(_symlink_loop, None, id="L4-symlink-loop"),
    pytest.param(_dev_zero, None, id="L5-dev-zero"),
]


@pytest.mark.parametrize(("damage", "warning"), UNTRUSTED)
def test_an_untrusted_cache_is_not_read(run_cli, data_dir, tmp_path, damage, warning) -> None:
    args = ("--data", str(data_dir), "search", "puces", "--limit", "1000", "--json")
    expected = run_cli(*args, env=NO_CACHE)
    assert run_cli(*args).exit_code == 0
    directory = cache.cache_dir()
    assert directory is not None
    marker = tmp_path / "PWNED"
    for path in _cache_files():
        path.write_bytes(_payloads(marker)["os.system"])
        if damage.__name__.endswith("_dir"):
            continue
        damage(path)
    if damage.__name__.endswith("_dir"):
        damage(directory)
    started = time.perf_counter()
    result = run_cli(*args)
    assert time.perf_counter() - started < 2
    assert not marker.exists()
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout
    if warning is None:
        assert result.stderr == ""
    else:
        (line,) = result.stderr.splitlines()[:1]
        assert line.startswith("sbkb: warning: not using the cache ")
        assert warning in line
        assert len(result.stderr.splitlines()) <= 3  # one per file (kb, search, lexicon) refused


@pytest.mark.parametrize(
    "loop",
    [
        pytest.param("cache", id="L4-cache-home-loop"),
        pytest.param("cache/sbkb", id="L4-sbkb-loop"),
    ],
)
def test_a_symlink_loop_where_the_cache_goes(run_cli, data_dir, tmp_path, loop) -> None:
    if loop != "cache":
        (tmp_path / "cache").mkdir()
    link = tmp_path / loop
    link.symlink_to(link.name)
    result = run_cli(
        "--data", str(data_dir), "stats", env={"XDG_CACHE_HOME": str(tmp_path / "cache")}
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("finding", [pytest.param("L6", id="L6")])
def test_leftover_temporary_files_are_removed(run_cli: RunCli, data_dir: Path, finding) -> None:
    directory = cache.cache_dir()
    assert directory is not None
    directory.mkdir(parents=True, mode=0o700)
    old = directory / ".kb-killedwriter.tmp"
    old.write_bytes(b"x" * 4096)
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    live = directory / ".kb-livewriter.tmp"
    live.write_bytes(b"x")
    assert run_cli("--data", str(data_dir), "stats").exit_code == 0
    assert not old.exists()  # L6: what a killed writer left
    assert live.exists()  # a writer at work now is left alone


@pytest.mark.parametrize("finding", [pytest.param("I4", id="I4")])
def test_a_relative_cache_home_is_ignored(
    run_cli, data_dir, tmp_path, monkeypatch, finding
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    result = run_cli("--data", str(data_dir), "stats", env={"XDG_CACHE_HOME": "relcache"})
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "relcache").exists()  # I4: as the XDG specification says
    assert list((tmp_path / "home" / ".cache" / "sbkb").glob("kb-*.sqlite"))


def test_every_file_the_cache_writes_is_one_it_will_read(run_cli: RunCli, monkeypatch) -> None:
    # A kind written but refused on reading would be rebuilt at every start without a word.
    from softbank_kb import cache as digests
    from softbank_kb.lexicon import Lexicon

    monkeypatch.setattr(digests, "SETTLED_NS", 0)  # a fresh clone's files are noted too
    for args in (["stats"], ["search", "puces"], ["ask", "Combien pour Ampere ?"]):
        assert run_cli(*args).exit_code == 0, args
    written = _cache_files()
    kinds = {"lexicon": Lexicon}
    names = sorted(path.name.split("-")[0] for path in written)
    assert names == ["ask", "digests.json", "kb", "lexicon", "search"]
    for path in written:
        name = path.name.split("-")[0]
        if name == "digests.json":
            notes = digests.Notes(lambda _, note=path: note.read_bytes())
            assert len(notes._noted) == len(data_files(REPO / "data"))
        elif name == "kb":
            assert path.suffix == ".sqlite"
            assert cache.load(path.stem.removeprefix("kb-")) is not None
        elif name in ("search", "ask"):
            assert path.suffix == ".sqlite"
            assert _kept_is_whole(path)
        else:
            assert path.suffix == ".json"
            assert cache.read_cached(path.name, kinds[name]) is not None, path.name


def test_the_lexicon_is_rebuilt_equal_from_its_cache(run_cli: RunCli) -> None:
    from softbank_kb.lexicon import LEXICON_FILE, Lexicon, check_lexicon

    assert run_cli("ask", "Combien pour Ampere ?").exit_code == 0
    (path,) = [p for p in _cache_files() if p.name.startswith("lexicon-")]
    assert cache.read_cached(path.name, Lexicon) == check_lexicon(LEXICON_FILE)[0]


def test_an_earlier_versions_pickles_are_left_unread(run_cli, data_dir, tmp_path) -> None:
    directory = cache.cache_dir()
    assert directory is not None
    directory.mkdir(parents=True, mode=0o700)
    marker = tmp_path / "PWNED"
    key = cache.content_key(data_files(data_dir))
    old = directory / f"kb-{key}.pickle"
    old.write_bytes(b"sbkb-cache-2\n" + _payloads(marker)["os.system"])
    assert run_cli("--data", str(data_dir), "stats").exit_code == 0
    assert not marker.exists()
    assert old.exists()  # R2: the cache removes only names it writes, and no pickle


def test_no_module_reads_a_format_that_can_run_code() -> None:
    import ast

    for module in sorted((REPO / "softbank_kb").glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not {"pickle", "marshal", "shelve", "dill"} & set(names), module.name


# The problems of an invalid directory (reliability review 3: R4) ---------------------------


def _invalid_copy(data_dir: Path) -> Path:
    """The data with one figure that has no period: invalid, its problems kept."""
    with (data_dir / "figures.yaml").open("a", encoding="utf-8") as out:
        out.write(
            "\n  - id: big-0\n    entity: arm\n    metric: revenue\n"
            "    value: {amount: 1, currency: USD}\n    status: actual\n"
            "    summary: >-\n      big\n    citations:\n"
            '      - source: article-asi-ambition\n        excerpt: "x"\n'
        )
    return data_dir


def _forged_problems(data_dir: Path) -> Path:
    """The kept problems file of `data_dir`, forged (well formed, of its name) to say FORGED."""
    (kept,) = [p for p in _cache_files() if p.name.startswith("problems-")]
    entries = [[str(data_dir / "figures.yaml"), "FORGED", 1, 1, False]]
    kept.write_text(json.dumps(["sbkb-problems-1", str(data_dir), entries]), encoding="utf-8")
    return kept


def _set(path: Path, document: object) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")


PROBLEMS_DAMAGES = [
    pytest.param(lambda p: p.write_bytes(p.read_bytes()[:40]), id="truncated"),
    pytest.param(lambda p: p.write_bytes(b""), id="empty"),
    pytest.param(lambda p: p.write_bytes(os.urandom(4096)), id="garbage"),
    pytest.param(
        lambda p: p.write_bytes(p.read_bytes().replace(b"sbkb-problems-1", b"sbkb-problems-0")),
        id="other-format",
    ),
    pytest.param(
        lambda p: p.write_bytes(p.read_bytes().replace(b"/data", b"/date", 1)),
        id="other-directory",
    ),
    pytest.param(
        lambda p: p.write_bytes(p.read_bytes().replace(b", 1, 1, false", b', "1", 1, false')),
        id="line-not-a-number",
    ),
    pytest.param(
        lambda p: p.write_bytes(p.read_bytes().replace(b", false]", b", false, 0]")),
        id="extra-field",
    ),
    pytest.param(
        lambda p: _set(p, ["sbkb-problems-1", json.loads(p.read_bytes())[1], []]), id="none"
    ),
    pytest.param(
        lambda p: _set(p, ["sbkb-problems-1", json.loads(p.read_bytes())[1], ["FORGED"]]),
        id="not-a-problem",
    ),
]


@pytest.mark.parametrize("damage", PROBLEMS_DAMAGES)
def test_r4_damaged_kept_problems_are_ignored_and_kept_again(run_cli, data_dir, damage) -> None:
    args = ("--data", str(_invalid_copy(data_dir)), "stats")
    expected = run_cli(*args, env=NO_CACHE)
    assert run_cli(*args).stderr == expected.stderr
    kept = _forged_problems(data_dir)
    assert "FORGED" in run_cli(*args).stderr  # as it is: read, so the damages below matter
    damage(kept)
    for _ in range(2):  # the first run finds it damaged and keeps it again; the second reads it
        result = run_cli(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (3, "", expected.stderr)
    assert "FORGED" not in kept.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize(("damage", "warning"), UNTRUSTED)
def test_r4_kept_problems_are_read_under_the_rules_of_every_cache_file(
    run_cli, data_dir, monkeypatch, damage, warning
) -> None:
    args = ("--data", str(_invalid_copy(data_dir)), "stats")
    expected = run_cli(*args, env=NO_CACHE)
    assert run_cli(*args).stderr == expected.stderr
    kept = _forged_problems(data_dir)
    if damage.__name__.endswith("_dir"):
        damage(kept.parent)
    else:
        damage(kept)
    monkeypatch.setattr(cache, "_WARNED", set())
    started = time.perf_counter()
    result = run_cli(*args)
    assert time.perf_counter() - started < 2
    assert result.exit_code == 3
    assert "FORGED" not in result.stderr
    lines = result.stderr.splitlines()
    warnings = [line for line in lines if line.startswith("sbkb: warning: not using the cache ")]
    assert [line for line in lines if line not in warnings] == expected.stderr.splitlines()
    if warning is None:
        assert warnings == []
    else:
        assert warnings and all(warning in line for line in warnings[:1])
