"""The search index and ask's records: read from their databases, they answer as built in memory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from softbank_kb import index, store
from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import KnowledgeBase

from .conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

from make_kb import make_kb


@pytest.fixture(scope="module", params=["bundled", "synthetic"])
def kb(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    if request.param == "bundled":
        return load_knowledge_base(REPO / "data")
    directory = tmp_path_factory.mktemp("synthetic") / "kb"
    make_kb(300, directory)
    return load_knowledge_base(directory)


def _database(tmp_path: Path, write, tables) -> object:
    path = tmp_path / "derived.sqlite"
    store.write_database(path, "the-key", 1, write)
    connection = store.open_store(path, "the-key", tables)
    assert connection is not None
    return connection


@pytest.fixture
def both(kb: KnowledgeBase, tmp_path: Path) -> tuple[index.MemoryIndex, index.StoredIndex]:
    memory = index.MemoryIndex(kb)
    connection = _database(tmp_path, memory.write, index._REQUIRED)
    return memory, index.StoredIndex(connection, kb)  # type: ignore[arg-type]


def _words(memory: index.MemoryIndex) -> list[str]:
    """Every word, and words no record has (a prefix, a typo, nothing)."""
    words = sorted(memory._postings)
    return [*words, "", "a", "zzzz", "graphcor", "softban", words[0][:2], words[-1] + "z"]


def test_every_word_has_the_same_records(both) -> None:
    memory, stored = both
    for word in _words(memory):
        assert stored.has_word(word) == memory.has_word(word), word
        for names in (False, True):
            assert list(stored.postings(word, names)) == list(memory.postings(word, names)), word
        assert stored.words_after(word, 40) == memory.words_after(word, 40), word


def test_every_stem_name_and_entry_is_the_same(both) -> None:
    memory, stored = both
    assert stored.types == memory.types
    assert stored.typo_vocabulary == memory.typo_vocabulary
    assert stored.single_names == memory.single_names
    for stem in memory._stems:
        assert stored.stem_forms(stem) == memory.stem_forms(stem), stem
    assert stored.stem_forms("en:nothing-stems-so") == ()
    for key in [*memory._names, "no such name"]:
        assert stored.name_owners(key) == memory.name_owners(key), key
    for prefix in ("s", "soft", "ampere", "jensen h", "zz"):
        assert stored.names_starting(prefix) == memory.names_starting(prefix), prefix
    for types in (["person"], ["organization", "person"], ["strategy", "event"], []):
        assert stored.names_of(types) == memory.names_of(types), types
    stored.prefetch(range(len(memory)))
    for e in range(len(memory)):
        mine, theirs = memory.entry(e), stored.entry(e)
        assert theirs[1:5] == (
            tuple(field._replace(text=None) for field in mine.fields),
            mine.haystack,
            mine.names,
            mine.order,
        )
        for at in range(len(mine.fields)):
            assert index.field_text(theirs, at) == mine.fields[at].text


@pytest.mark.parametrize("phrase", ["softbank", "softbank group", "data centres", "ampere", "x y"])
def test_a_phrase_is_had_by_the_same_records(both, phrase: str) -> None:
    memory, stored = both
    found = memory.having(phrase)
    assert stored.having(phrase) == found
    if " " in phrase:
        words = [set(memory.postings(word)) for word in phrase.split()]
        assert found <= set.intersection(*words)
    half = set(range(0, len(memory), 2))
    assert stored.having(phrase, within=half) == found & half


def test_what_records_are_about_is_the_same(kb: KnowledgeBase, tmp_path: Path) -> None:
    memory = index.MemoryAbout(kb)
    connection = _database(tmp_path, memory.write, index._ABOUT_TABLES)
    stored = index.StoredAbout(connection, len(kb))  # type: ignore[arg-type]
    stored.prefetch(range(len(kb)))
    for at in range(len(kb)):
        assert stored.direct(at) == memory.direct(at)
        assert stored.wide(at) == memory.wide(at)
    for rid in [*kb.record_ids(), "no-such-record"]:
        assert list(stored.positions(rid)) == list(memory.positions(rid)), rid
        assert stored.count(rid) == memory.count(rid)


def test_a_phrase_is_not_its_words_anywhere(kb: KnowledgeBase) -> None:
    """Records with both words are not all records with the phrase: the text is read."""
    memory = index.MemoryIndex(kb)
    both = set(memory.postings("softbank")) & set(memory.postings("group"))
    assert memory.having("group softbank") < both
    assert memory.having("softbank group") < both
