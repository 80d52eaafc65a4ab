"""The search index: each record's text folded, each word with the records it is in, and every name.

An index is built in memory from a knowledge base (`MemoryIndex`), or read from a
database the cache keeps beside the knowledge base's own (`StoredIndex`): a warm
search reads the words it is asked for, the records those words are in and the names
it looks up, never the whole index. Both answer the same questions the same way, in
the same order, so a search gives the same hits whichever it runs on (tested).

A word's records (its postings) are the records its folded text has it in; a phrase's
are those that have all its words, kept where the phrase itself stands in one field.
The ranking (`search.py`) scores only the records every query word is in.
"""

from __future__ import annotations

import array
import bisect
import functools
import math
import sqlite3
import weakref
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import cached_property
from typing import Any, NamedTuple

from softbank_kb.derived import (
    REBUILDERS,
    DerivedDamaged,
    keep_database,
    kept_database,
    lose_database,
    recovering,
    update_kept_database,
)
from softbank_kb.folding import fold, stems_of_words
from softbank_kb.models import AnyRecord, KnowledgeBase, field_names
from softbank_kb.scoring import SCORING, TYPE_ORDER

# The index database's own version: bumped whenever its tables change.
INDEX_VERSION = 1
# Records and entries read a thousand to a query: well under SQLite's limit on a
# statement's parameters, and few queries for the thousands a common word is in.
_BATCH = 1000


class IndexDamaged(DerivedDamaged):
    """The kept index database could not be read: it is rebuilt from the records."""

    def __init__(self, problem: str) -> None:
        super().__init__("search", problem)


# Named tuples, not frozen dataclasses: they are built by the ten thousand and a frozen
# dataclass is several times slower to create.
class Field(NamedTuple):
    """One text field of a record, folded once."""

    path: str
    text: str | None  # as written; None read from a database, where the record has it
    padded: str  # folded, with a space at each end so that " word " finds whole words
    length: int  # in words
    is_name: bool
    weight: float


class Entry(NamedTuple):
    """One record's fields, all of its text in one string to scan, and its names."""

    position: int
    fields: tuple[Field, ...]
    haystack: str
    names: str
    order: tuple[int, str]
    records: Sequence[AnyRecord]

    @property
    def record(self) -> AnyRecord:
        """The record itself, built (from a database) only when it is shown."""
        return self.records[self.position]


# A source's title is a headline, not its name: "Son" is not about the article.
NAME_FIELDS = {
    "organization": ("name", "aliases"),
    "person": ("name", "aliases"),
    "strategy": ("title", "title_fr"),
    "event": ("title",),
}


def text_fields(record: AnyRecord) -> Iterator[tuple[str, str]]:
    """Every text field of a record as (dotted path, text), in the order they are read."""
    present = field_names(type(record))
    for name in SCORING.fields:
        if name not in present:
            continue
        value = getattr(record, name)
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    yield f"{name}[{index}]", item
                elif name == "roles":
                    yield f"roles[{index}].title", item.title
                    if item.title_fr:
                        yield f"roles[{index}].title_fr", item.title_fr
                elif name == "citations":
                    yield f"citations[{index}].excerpt", item.excerpt


def _field(path: str, text: str | None, padded: str, record_type: str) -> Field:
    is_name, weight = _field_kind(record_type, path.split("[", 1)[0])
    # Its words: the spaces between them, less the two that pad it.
    return Field(path, text, padded, padded.count(" ") - 1, is_name, weight)


@functools.cache
def _field_kind(record_type: str, base: str) -> tuple[bool, float]:
    """Whether a field of a record type is a name of it, and how much a match in it says."""
    return base in NAME_FIELDS.get(record_type, ()), SCORING.fields[base]


def _entry(
    position: int,
    record_type: str,
    record_id: str,
    fields: list[Field],
    records: Sequence[AnyRecord],
) -> Entry:
    # A line break between fields, so that no phrase is found across two of them.
    haystack = "\n".join(field.padded for field in fields)
    names = "\n".join(field.padded for field in fields if field.is_name)
    ranked = TYPE_ORDER.index(record_type) if record_type in TYPE_ORDER else len(TYPE_ORDER)
    return Entry(position, tuple(fields), haystack, names, (ranked, record_id), records)


def make_entry(position: int, record: AnyRecord, records: Sequence[AnyRecord]) -> Entry:
    """A record with its fields folded."""
    fields = [
        _field(path, text, f" {folded} ", record.type)
        for path, text in text_fields(record)
        if (folded := fold(text))
    ]
    return _entry(position, record.type, record.id, fields, records)


def field_text(entry: Entry, at: int) -> str:
    """The text of an entry's field as written, from its record when the index lacks it."""
    field = entry.fields[at]
    if field.text is not None:
        return field.text
    return dict(text_fields(entry.record))[field.path]


def name_keys(entry: Entry) -> Iterator[tuple[str, int, bool]]:
    """The keys an entry is found by exactly, in order: each name and alias, then the id
    (so that a name equal to it is the field shown), each also without its spaces."""
    keys = [(field.padded.strip(), f) for f, field in enumerate(entry.fields) if field.is_name]
    keys.append((entry.order[1].replace("-", " "), -1))
    for key, f in keys:
        yield key, f, False
        spaceless = key.replace(" ", "")
        if spaceless != key:
            yield spaceless, f, True


# A name's owner: (position, field, whether the name is written spaceless); the field is
# -1 for the record's id, written as its words (an id is a folded slug).
Owner = tuple[int, int, bool]


class Index:
    """What a search asks of an index, whichever holds it (see the module doc)."""

    records: Sequence[AnyRecord]

    def __len__(self) -> int:
        return len(self.records)

    @cached_property
    def types(self) -> list[str]:
        """The type of each record, by position."""
        raise NotImplementedError

    def record(self, e: int) -> AnyRecord:
        """The record at position `e`."""
        return self.records[e]

    def entry(self, e: int) -> Entry:
        """The record at position `e` with its fields folded."""
        raise NotImplementedError

    def prefetch(self, positions: Collection[int]) -> None:
        """Read the entries at these positions a batch at a time, where they are read."""

    def prefetch_records(self, positions: Collection[int]) -> None:
        """Build the records at these positions a batch at a time, where they are built."""
        prefetch = getattr(self.records, "prefetch", None)
        if prefetch is not None:
            prefetch(positions)

    def has_word(self, word: str) -> bool:
        """Whether any record's folded text has this word."""
        raise NotImplementedError

    def postings(self, word: str, names: bool = False) -> Sequence[int]:
        """The positions of the records whose text (or names) has this word, in order."""
        raise NotImplementedError

    def stem_forms(self, stem: str) -> tuple[str, ...]:
        """The words of the records whose stem (`en:` or `fr:` and the stem) this is."""
        raise NotImplementedError

    def words_after(self, word: str, limit: int) -> list[str]:
        """The next `limit` words of the records after `word`, in order."""
        raise NotImplementedError

    @cached_property
    def typo_vocabulary(self) -> list[str]:
        """The words a typo may be of, sorted: letters only, so `fy2024` is no typo of `fy2025`."""
        raise NotImplementedError

    def name_owners(self, key: str) -> list[Owner]:
        """The records that have this folded name, alias or id, and where."""
        raise NotImplementedError

    @cached_property
    def single_names(self) -> list[str]:
        """Names written without spaces, to compare whole queries with."""
        raise NotImplementedError

    def names_starting(self, prefix: str) -> list[tuple[int, str]]:
        """(position, name) for each name or alias that starts with `prefix`."""
        raise NotImplementedError

    def names_of(self, types: Collection[str]) -> list[tuple[int, str]]:
        """(position, name) for each name or alias of a record of these types, in order."""
        raise NotImplementedError

    def having(self, phrase: str, names: bool = False, within: set[int] | None = None) -> set[int]:
        """The positions of the records whose text (or names) has this word or phrase,
        among those `within` if given."""
        words = phrase.split()
        if not words:
            return set()
        found = set(self.postings(words[0], names))
        if within is not None:
            found &= within
        if len(words) == 1:
            # Exact: folded text is its words between single spaces, so a record's words
            # are the words " word " is found between.
            return found
        for word in words[1:]:
            if not found:
                break
            found.intersection_update(self.postings(word, names))
        # Only the records that have every word are read, to find the phrase itself.
        self.prefetch(found)
        padded = f" {phrase} "
        if names:
            return {e for e in found if padded in self.entry(e).names}
        return {e for e in found if padded in self.entry(e).haystack}


class MemoryIndex(Index):
    """The index of a knowledge base, built from all of its records."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.records = kb.record_sequence()
        self._entries = [make_entry(e, r, self.records) for e, r in enumerate(self.records)]
        self._postings: dict[str, list[int]] = {}
        self._name_postings: dict[str, list[int]] = {}
        self._names: dict[str, list[Owner]] = {}
        for e, entry in enumerate(self._entries):
            for word in set(entry.haystack.split()):
                self._postings.setdefault(word, []).append(e)
            for word in set(entry.names.split()):
                self._name_postings.setdefault(word, []).append(e)
            self._add_names(e, entry)

    def _add_names(self, e: int, entry: Entry) -> None:
        """Register the names, aliases and id of an entry for exact lookup."""
        for key, f, spaceless in name_keys(entry):
            self._names.setdefault(key, []).append((e, f, spaceless))

    @cached_property
    def types(self) -> list[str]:
        return [record.type for record in self.records]

    def entry(self, e: int) -> Entry:
        return self._entries[e]

    def has_word(self, word: str) -> bool:
        return word in self._postings

    def postings(self, word: str, names: bool = False) -> Sequence[int]:
        return (self._name_postings if names else self._postings).get(word, ())

    @cached_property
    def _stems(self) -> dict[str, tuple[str, ...]]:
        return stem_table(self._postings)

    def stem_forms(self, stem: str) -> tuple[str, ...]:
        return self._stems.get(stem, ())

    @cached_property
    def _vocabulary(self) -> list[str]:
        return sorted(self._postings)

    def words_after(self, word: str, limit: int) -> list[str]:
        at = bisect.bisect_right(self._vocabulary, word)
        return self._vocabulary[at : at + limit]

    @cached_property
    def typo_vocabulary(self) -> list[str]:
        return [word for word in self._vocabulary if _typo_candidate(word)]

    def name_owners(self, key: str) -> list[Owner]:
        return self._names.get(key, [])

    @cached_property
    def single_names(self) -> list[str]:
        return [key for key in self._names if " " not in key]

    def _name_fields(self) -> Iterator[tuple[int, str, str]]:
        """(position, type, name) for every name field, in order."""
        for e, entry in enumerate(self._entries):
            kind = self.types[e]
            for field in entry.fields:
                if field.is_name:
                    yield e, kind, field.padded.strip()

    def names_starting(self, prefix: str) -> list[tuple[int, str]]:
        return [(e, name) for e, _, name in self._name_fields() if name.startswith(prefix)]

    def names_of(self, types: Collection[str]) -> list[tuple[int, str]]:
        return [(e, name) for e, kind, name in self._name_fields() if kind in types]

    def write(self, connection: sqlite3.Connection) -> None:
        """Write this index into the tables of a new database (read by `StoredIndex`)."""
        connection.executescript(_SCHEMA)
        blobs = {
            "types": "\n".join(self.types),
            "typo_vocabulary": "\n".join(self.typo_vocabulary),
            "single_names": "\n".join(self.single_names),
        }
        connection.executemany("insert into blobs values (?, ?)", blobs.items())
        connection.executemany(
            "insert into words values (?, ?, ?)",
            (
                (word, _packed(found), _packed(self._name_postings.get(word)))
                for word, found in self._postings.items()
            ),
        )
        connection.executemany(
            "insert into stems values (?, ?)",
            ((stem, form) for stem, forms in self._stems.items() for form in forms),
        )
        connection.executemany(
            "insert into names values (?, ?, ?, ?, ?)",
            (
                (key, e, f, spaceless, self.types[e])
                for key, owners in self._names.items()
                for e, f, spaceless in owners
            ),
        )
        connection.executemany(
            "insert into entries values (?, ?, ?, ?, ?)",
            (
                (
                    e,
                    self.types[e],
                    entry.order[1],
                    "\n".join(field.path for field in entry.fields),
                    entry.haystack,
                )
                for e, entry in enumerate(self._entries)
            ),
        )
        connection.executescript(_INDEXES_SQL)


_SCHEMA = """
create table blobs (name text primary key, value text not null);
create table words (word text primary key, postings blob not null, name_postings blob)
    without rowid;
create table stems (stem text not null, form text not null);
create table names (
    key text not null, position integer not null, field integer not null,
    spaceless integer not null, type text not null);
create table entries (
    position integer primary key, type text not null, id text not null,
    paths text not null, haystack text not null);
"""
# Made once the rows are in: an index built after its rows is built in one pass.
_INDEXES_SQL = """
create index stems_stem on stems (stem);
create index names_key on names (key);
"""
_REQUIRED = ("blobs", "words", "stems", "names", "entries")


def _packed(positions: list[int] | None) -> bytes | None:
    return None if positions is None else array.array("i", positions).tobytes()


def _unpacked(blob: bytes | None) -> array.array[int]:
    found = array.array("i")
    if blob:
        found.frombytes(blob)
    return found


def _typo_candidate(word: str) -> bool:
    return word.isalpha() and len(word) > SCORING.short


def stem_table(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each English and French stem of the words, and the words it is the stem of."""
    stemmable = sorted(word for word in words if _typo_candidate(word))
    english, french = stems_of_words(stemmable)
    table: dict[str, list[str]] = {}
    for word, en, fr in zip(stemmable, english, french, strict=True):
        table.setdefault("en:" + en, []).append(word)
        table.setdefault("fr:" + fr, []).append(word)
    return {stem: tuple(forms) for stem, forms in table.items()}


class StoredIndex(Index):
    """The index of a knowledge base as the cache keeps it: each part read when asked for."""

    def __init__(self, connection: sqlite3.Connection, kb: KnowledgeBase) -> None:
        self.records = kb.record_sequence()
        self._connection = connection
        self._entries: dict[int, Entry] = {}
        self._postings: dict[tuple[str, bool], array.array[int]] = {}

    def _rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise IndexDamaged(str(error)) from None

    def _blob(self, name: str) -> list[str]:
        rows = self._rows("select value from blobs where name = ?", (name,))
        if len(rows) != 1 or not isinstance(rows[0][0], str):
            raise IndexDamaged(f"no {name}")
        return rows[0][0].split("\n") if rows[0][0] else []

    @cached_property
    def types(self) -> list[str]:
        types = self._blob("types")
        if len(types) != len(self.records):
            raise IndexDamaged("not this knowledge base's index")
        return types

    def entry(self, e: int) -> Entry:
        entry = self._entries.get(e)
        if entry is None:
            self.prefetch([e])
            entry = self._entries.get(e)
            if entry is None:
                raise IndexDamaged(f"no entry {e}")
        return entry

    def prefetch(self, positions: Collection[int]) -> None:
        wanted = sorted(e for e in positions if e not in self._entries)
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            rows = self._rows(
                "select position, type, id, paths, haystack from entries"
                f" where position in ({', '.join('?' * len(batch))})",
                tuple(batch),
            )
            for e, kind, record_id, paths, haystack in rows:
                self._entries[e] = self._read_entry(e, kind, record_id, paths, haystack)

    def _read_entry(self, e: int, kind: str, record_id: str, paths: str, haystack: str) -> Entry:
        # The haystack is its fields' padded texts, a line each, in the order of the paths.
        if not paths:
            return _entry(e, kind, record_id, [], self.records)
        try:
            made = [
                _field(path, None, padded, kind)
                for path, padded in zip(paths.split("\n"), haystack.split("\n"), strict=True)
            ]
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise IndexDamaged(f"entry {e}: {error}") from None
        return _entry(e, kind, record_id, made, self.records)

    def has_word(self, word: str) -> bool:
        return bool(self._rows("select 1 from words where word = ?", (word,)))

    def postings(self, word: str, names: bool = False) -> Sequence[int]:
        found = self._postings.get((word, names))
        if found is None:
            column = "name_postings" if names else "postings"
            rows = self._rows(f"select {column} from words where word = ?", (word,))
            try:
                found = _unpacked(rows[0][0] if rows else None)
            except (ValueError, TypeError) as error:
                raise IndexDamaged(f"postings of {word!r}: {error}") from None
            if found and not 0 <= found[-1] < len(self.records):
                raise IndexDamaged(f"postings of {word!r} past the records")
            self._postings[(word, names)] = found
        return found

    def stem_forms(self, stem: str) -> tuple[str, ...]:
        rows = self._rows("select form from stems where stem = ? order by form", (stem,))
        return tuple(form for (form,) in rows)

    def words_after(self, word: str, limit: int) -> list[str]:
        rows = self._rows(
            "select word from words where word > ? order by word limit ?", (word, limit)
        )
        return [found for (found,) in rows]

    @cached_property
    def typo_vocabulary(self) -> list[str]:
        return self._blob("typo_vocabulary")

    def name_owners(self, key: str) -> list[Owner]:
        rows = self._rows(
            "select position, field, spaceless from names where key = ? order by position, rowid",
            (key,),
        )
        return [(e, f, bool(spaceless)) for e, f, spaceless in rows]

    @cached_property
    def single_names(self) -> list[str]:
        return self._blob("single_names")

    def names_starting(self, prefix: str) -> list[tuple[int, str]]:
        rows = self._rows(
            "select position, key from names where key >= ? and key < ?"
            " and field >= 0 and not spaceless order by position, field",
            (prefix, prefix + "\U0010ffff"),
        )
        return [(e, name) for e, name in rows if name.startswith(prefix)]

    def names_of(self, types: Collection[str]) -> list[tuple[int, str]]:
        kinds = sorted(types)
        rows = self._rows(
            "select position, key from names where field >= 0 and not spaceless"
            f" and type in ({', '.join('?' * len(kinds))}) order by position, field",
            tuple(kinds),
        )
        return [(e, name) for e, name in rows]


# An index per knowledge base, rebuilt only when another knowledge base is searched.
_INDEXES: weakref.WeakKeyDictionary[KnowledgeBase, Index] = weakref.WeakKeyDictionary()


def index_of(kb: KnowledgeBase) -> Index:
    """The index of `kb`: the one the cache keeps for it (or an earlier knowledge base's,
    updated for the records edited since), else built and kept."""
    index = _INDEXES.get(kb)
    if index is None:
        connection = kept_database(kb, "search", INDEX_VERSION, _REQUIRED)
        if connection is None:
            update = functools.partial(_update_rows, kb=kb)
            update_kept_database(kb, "search", INDEX_VERSION, _REQUIRED, update)
            connection = kept_database(kb, "search", INDEX_VERSION, _REQUIRED)
        index = StoredIndex(connection, kb) if connection is not None else _built(kb)
        _INDEXES[kb] = index
    return index


def _update_rows(connection: sqlite3.Connection, positions: list[int], kb: KnowledgeBase) -> None:
    """The rows of an index database for the records at `positions` made again from them,
    their ids and types as they were: their entries, names, and words' postings, and the
    vocabulary's stems and lists where words came or went (each as a build makes it)."""
    records = kb.record_sequence()
    getattr(records, "prefetch", lambda _: None)(positions)
    came: set[str] = set()
    went: set[str] = set()
    for e in sorted(positions):
        found = connection.execute(
            "select type, paths, haystack from entries where position = ?", (e,)
        ).fetchone()
        kind, paths, haystack = found
        old = (
            [
                _field(path, None, padded, kind)
                for path, padded in zip(paths.split("\n"), haystack.split("\n"), strict=True)
            ]
            if paths
            else []
        )
        old_names = {w for field in old if field.is_name for w in field.padded.split()}
        entry = make_entry(e, records[e], records)
        words, names = set(entry.haystack.split()), set(entry.names.split())
        for word in words - set(haystack.split()):
            came.update(_move(connection, word, e, "postings", add=True))
        for word in set(haystack.split()) - words:
            went.update(_move(connection, word, e, "postings", add=False))
        for word in names - old_names:
            _move(connection, word, e, "name_postings", add=True)
        for word in old_names - names:
            _move(connection, word, e, "name_postings", add=False)
        connection.execute(
            "update entries set paths = ?, haystack = ? where position = ?",
            ("\n".join(field.path for field in entry.fields), entry.haystack, e),
        )
        connection.execute("delete from names where position = ?", (e,))
        connection.executemany(
            "insert into names values (?, ?, ?, ?, ?)",
            ((key, e, f, spaceless, kind) for key, f, spaceless in name_keys(entry)),
        )
    _update_vocabulary(connection, came - went, went - came)
    connection.execute(
        "update blobs set value = ? where name = 'single_names'",
        ("\n".join(_single_names(connection)),),
    )


def _move(connection: sqlite3.Connection, word: str, e: int, column: str, add: bool) -> list[str]:
    """Add `e` to a word's postings (or name postings), or take it out; the word if it
    came into the vocabulary or went out of it."""
    row = connection.execute(f"select {column} from words where word = ?", (word,)).fetchone()
    if row is None:
        if not add or column != "postings":
            return []
        connection.execute("insert into words values (?, ?, null)", (word, _packed([e])))
        return [word]
    found = list(_unpacked(row[0]))
    if add:
        bisect.insort(found, e)
    elif e in found:
        found.remove(e)
    if not found and column == "postings":
        connection.execute("delete from words where word = ?", (word,))
        return [word]
    connection.execute(
        f"update words set {column} = ? where word = ?", (_packed(found or None), word)
    )
    return []


def _update_vocabulary(connection: sqlite3.Connection, came: set[str], went: set[str]) -> None:
    """The stems and the typo vocabulary, once words came into the vocabulary or went."""
    if not came and not went:
        return
    for word in went:
        connection.execute("delete from stems where form = ?", (word,))
    connection.executemany(
        "insert into stems values (?, ?)",
        ((stem, form) for stem, forms in stem_table(came).items() for form in forms),
    )
    vocabulary = [word for (word,) in connection.execute("select word from words order by word")]
    connection.execute(
        "update blobs set value = ? where name = 'typo_vocabulary'",
        ("\n".join(word for word in vocabulary if _typo_candidate(word)),),
    )


def _single_names(connection: sqlite3.Connection) -> list[str]:
    """The keys of one word, in the order a build first meets them: by position, then as
    `name_keys` gives an entry's (its names in field order, the id last)."""
    first: dict[str, tuple[int, float, int]] = {}
    rows = connection.execute(
        "select key, position, field, spaceless from names where instr(key, ' ') = 0"
    )
    for key, e, f, spaceless in rows:
        met = (e, f if f >= 0 else math.inf, spaceless)
        if key not in first or met < first[key]:
            first[key] = met
    return sorted(first, key=first.__getitem__)


def _built(kb: KnowledgeBase) -> MemoryIndex:
    index = MemoryIndex(kb)
    keep_database(kb, "search", INDEX_VERSION, index.write)
    return index


def _rebuild(kb: KnowledgeBase) -> None:
    """Replace the kept index of `kb`, found damaged, by one built from its records."""
    lose_database(kb, "search")
    _INDEXES[kb] = _built(kb)


REBUILDERS["search"] = _rebuild
__all__ = ["Entry", "Field", "Index", "field_text", "index_of", "recovering"]
