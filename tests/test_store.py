"""The cache's database: records rebuilt exactly, and every command answers as without it."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import sqlite3
import sys
from pathlib import Path

import pytest

from softbank_kb import cache, store
from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import (
    COLLECTIONS,
    Citation,
    Deal,
    KnowledgeBase,
    Money,
    PartialDate,
    deal_years,
)
from softbank_kb.paths import data_files

from .conftest import LIST_COMMANDS, REPO, RunCli

sys.path.insert(0, str(REPO / "benchmarks"))

from make_kb import make_kb

NO_CACHE = {"SBKB_NO_CACHE": "1"}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic knowledge base of about 300 records: the bundled one copied, renamed."""
    directory = tmp_path_factory.mktemp("synthetic") / "kb"
    assert 250 < make_kb(300, directory) < 450
    return directory


def _stored(kb: KnowledgeBase, tmp_path: Path) -> store.StoredKnowledgeBase:
    path = tmp_path / "kb.sqlite"
    store.build_store(kb, "the-key", path)
    assert store.is_our_header(path.read_bytes()[: store.HEADER_SIZE])
    connection = store.open_store(path, "the-key")
    assert connection is not None
    return store.StoredKnowledgeBase(connection, lambda: kb)


@pytest.mark.parametrize("which", ["bundled", "synthetic"])
def test_every_record_is_rebuilt_equal_to_the_loaded_one(which, synthetic, tmp_path) -> None:
    kb = load_knowledge_base(REPO / "data" if which == "bundled" else synthetic)
    stored = _stored(kb, tmp_path)
    for record in kb.records():  # one at a time, by id, as `show` asks
        rebuilt = stored.get(record.id)
        assert rebuilt == record
        assert type(rebuilt) is type(record)
    (tmp_path / "again").mkdir()
    fresh = _stored(kb, tmp_path / "again")  # nothing built yet: collections read whole
    for name in COLLECTIONS:  # and whole, in file order
        assert getattr(fresh, name) == getattr(kb, name)
    assert len(fresh) == len(kb)
    assert fresh.get("no-such-record") is None


def test_amounts_come_back_as_floats_and_dates_as_dates(tmp_path: Path) -> None:
    kb = load_knowledge_base(REPO / "data")
    deal = _stored(kb, tmp_path).get("ampere-acquisition")
    assert deal is not None
    assert type(deal.amount.amount) is float  # type: ignore[union-attr]
    assert deal.date.year == 2025  # type: ignore[union-attr]


def test_a_collection_is_narrowed_by_the_index_not_read_whole(tmp_path: Path) -> None:
    kb = load_knowledge_base(REPO / "data")
    stored = _stored(kb, tmp_path)
    found = stored.candidates("deals", years=[2024], kinds=None, parties=None)
    assert found
    assert all(2024 in range(d.date.year, 2100) for d in found if d.date)  # type: ignore[union-attr]
    assert len(found) < len(kb.deals)
    assert "deals" not in stored._collections  # built: only the deals of 2024
    speakers = stored.candidates("quotes", speakers=["masayoshi-son"])
    assert speakers and {q.speaker for q in speakers} == {"masayoshi-son"}


def test_records_behave_as_frozen_dataclasses(tmp_path: Path) -> None:
    kb = load_knowledge_base(REPO / "data")  # made by pydantic
    loaded = kb.get("ampere-acquisition")
    rebuilt = _stored(kb, tmp_path).get("ampere-acquisition")  # made from stored JSON
    assert isinstance(loaded, Deal)
    assert rebuilt == loaded and hash(rebuilt) == hash(loaded) and rebuilt is not loaded
    by_keyword = Deal(**{name: getattr(loaded, name) for name in store._field_names(Deal)})
    assert by_keyword == loaded and hash(by_keyword) == hash(loaded)
    assert len({loaded, rebuilt, by_keyword}) == 1
    changed = dataclasses.replace(loaded, summary="Another summary.")
    assert changed != loaded and changed.summary == "Another summary."
    assert changed.citations is loaded.citations
    assert pickle.loads(pickle.dumps(loaded)) == copy.deepcopy(loaded) == loaded
    assert dataclasses.is_dataclass(loaded)
    assert dataclasses.asdict(loaded)["amount"]["currency"] == "USD"
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.summary = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del loaded.summary
    with pytest.raises(dataclasses.FrozenInstanceError):
        kb.deals = ()  # type: ignore[misc]
    assert Money(amount=1.0, currency="USD") != PartialDate(value="2024")
    assert repr(Citation(source="s", excerpt="e")) == "Citation(source='s', excerpt='e')"
    assert PartialDate(value="2024").year_inferred is False  # a field's default
    with pytest.raises(TypeError, match="missing keyword argument 'currency'"):
        Money(amount=1.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword 'price'"):
        Money(amount=1.0, currency="USD", price=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Money(1.0, "USD")  # type: ignore[misc]


def test_the_database_holds_only_what_its_queries_read(tmp_path: Path) -> None:
    kb = load_knowledge_base(REPO / "data")
    _stored(kb, tmp_path)
    connection = sqlite3.connect(tmp_path / "kb.sqlite")
    schema = set(connection.execute("select type, name from sqlite_master"))
    assert schema == {
        *(("table", name) for name in (*store.TABLES, "meta")),
        ("index", "sqlite_autoindex_record_json_1"),  # id: `get`
        ("index", "sqlite_autoindex_meta_1"),
        ("index", "record_json_collection"),  # a whole collection, in order
        ("index", "record_json_file"),  # an edit's update: the records of a file
    }
    for (text,) in connection.execute("select json from record_json"):
        assert text == json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    connection.close()


@pytest.mark.parametrize(
    ("collection", "where", "matches"),
    [
        ("deals", {"years": [2024, 2025]}, lambda d, kb: {2024, 2025} & set(deal_years(kb, d))),
        ("deals", {"kinds": ["acquisition"]}, lambda d, kb: d.kind == "acquisition"),
        (
            "deals",
            {"parties": ["vision-fund-2", "openai"]},  # a vehicle; a target and partner
            lambda d, kb: (
                {"vision-fund-2", "openai"} & {d.investor, d.target, d.vehicle, *d.partners}
            ),
        ),
        ("quotes", {"speakers": ["masayoshi-son"]}, lambda q, kb: q.speaker == "masayoshi-son"),
        (
            "organizations",
            {"parents": ["softbank-group"]},
            lambda o, kb: o.parent == "softbank-group",
        ),
    ],
    ids=["years", "kinds", "parties", "speakers", "parents"],
)
def test_candidates_are_every_record_that_matches(tmp_path, collection, where, matches) -> None:
    kb = load_knowledge_base(REPO / "data")
    found = _stored(kb, tmp_path).candidates(collection, **where)
    expected = [record for record in getattr(kb, collection) if matches(record, kb)]
    assert expected and list(found) == expected


# Every command, with the cache and without ------------------------------------------------

COMMANDS = [
    *LIST_COMMANDS,
    ["invest", "--year", "2024"],
    ["invest", "--year", "2024..2025", "--json"],
    ["invest", "--company", "softbank-group"],
    ["invest", "--company", "SoftBank", "--kind", "acquisition", "--json"],
    ["invest", "--kind", "investment", "--year", "2025"],
    ["invest", "--min-amount", "1e9USD"],
    ["quote", "Masayoshi Son"],
    ["quote", "Jensen Huang", "--json"],
    ["people", "Masa"],
    ["people", "--json"],
    ["company", "ampere", "--json"],
    ["company", "SoftBank Group"],
    ["financials", "--json"],
    ["timeline", "--json"],
    ["strategy", "--json"],
    ["search", "grafcore"],
    ["search", "puces", "--json"],
    ["ask", "How much did SoftBank pay for Ampere?"],
    ["ask", "Combien SoftBank a-t-il payé pour Ampere ?", "--json"],
    ["show", "ampere-acquisition"],
    ["show", "masayoshi-son", "--json"],
    ["stats"],
    ["stats", "--json"],
    ["export", "--format", "csv"],
    ["export", "--format", "json"],
    ["graph"],
    ["show", "no-such-record"],  # an answer that is an error is the same error
]


def _synthetic_args(args: list[str]) -> list[str]:
    """The same command for the synthetic copy, whose ids end in -c1, -c2, ..."""
    ids = {"ampere-acquisition", "masayoshi-son", "softbank-group", "ampere"}
    names = {"Masayoshi Son": "masayoshi-son-c0", "SoftBank Group": "softbank-group-c0"}
    return [f"{arg}-c1" if arg in ids else names.get(arg, arg) for arg in args]


@pytest.mark.parametrize("which", ["bundled", "synthetic"])
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_command_answers_the_same_with_the_cache(run_cli: RunCli, synthetic, which, args):
    data = REPO / "data" if which == "bundled" else synthetic
    if which == "synthetic":
        args = _synthetic_args(args)
    without = run_cli("--data", str(data), *args, env=NO_CACHE)
    cold = run_cli("--data", str(data), *args)
    warm = run_cli("--data", str(data), *args)
    assert isinstance(cache.load(cache.content_key(data_files(data))), store.StoredKnowledgeBase)
    assert without.exit_code == cold.exit_code == warm.exit_code
    if which == "bundled":  # in the synthetic copy, a name is many records': ambiguous
        assert without.exit_code == (args[-1] == "no-such-record")
    assert without.stdout == cold.stdout == warm.stdout
    assert without.stderr == cold.stderr == warm.stderr
