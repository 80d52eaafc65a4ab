"""The indexes of a knowledge base: search's words and names, and what each record is about."""

from __future__ import annotations

import array
import bisect
import functools
import sqlite3
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from functools import cached_property
from typing import Any, NamedTuple, Protocol

from softbank_kb.errors import CacheDamaged
from softbank_kb.folding import fold, stems_of_words
from softbank_kb.models import AnyRecord, KnowledgeBase, Organization, field_names
from softbank_kb.scoring import SCORING, TYPE_ORDER

# The index database's own version: bumped whenever its tables change.
INDEX_VERSION = 1
# Records and entries read a thousand to a query: well under SQLite's limit on a
# statement's parameters, and few queries for the thousands a common word is in.
_BATCH = 1000


class IndexDamaged(CacheDamaged):
    """The kept index database could not be read."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"the kept search database: {problem}")


class Kept(Protocol):
    """Where the cache keeps what is derived from one knowledge base (cache.Kept)."""

    def database(
        self, name: str, version: int, tables: Collection[str]
    ) -> sqlite3.Connection | None: ...

    def keep_database(
        self, name: str, version: int, write: Callable[[sqlite3.Connection], None]
    ) -> None: ...


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
    """What a search asks of an index, whichever holds it."""

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


def index_of(kb: KnowledgeBase, kept: Kept | None = None) -> Index:
    """The index of `kb`: the one `kept` has for it, else built (and kept there)."""
    if kept is None:
        return _memory_index(kb)
    connection = kept.database("search", INDEX_VERSION, _REQUIRED)
    if connection is not None:
        return StoredIndex(connection, kb)
    index = MemoryIndex(kb)
    kept.keep_database("search", INDEX_VERSION, index.write)
    return index


# Built once per knowledge base a program searches without a cache (the tests, a script).
_MEMORY: weakref.WeakKeyDictionary[KnowledgeBase, MemoryIndex] = weakref.WeakKeyDictionary()


def _memory_index(kb: KnowledgeBase) -> MemoryIndex:
    if kb not in _MEMORY:
        _MEMORY[kb] = MemoryIndex(kb)
    return _MEMORY[kb]


# What each record is about, for ask ------------------------------------------------------------


class _AboutDamaged(CacheDamaged):
    """The kept about database could not be read."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"the kept ask database: {problem}")


# The about database's own version: bumped whenever its tables change.
ABOUT_VERSION = 1
_ABOUT_TABLES = ("about", "about_ids")


class About:
    """What each record is about, by position: for ask, which records concern an entity."""

    def positions(self, rid: str) -> Sequence[int]:
        """The positions of the records about an id, in order."""
        raise NotImplementedError

    def direct(self, at: int) -> frozenset[str]:
        """The ids the record at `at` is about: itself and what it points to."""
        raise NotImplementedError

    def wide(self, at: int) -> frozenset[str]:
        """Those ids and the organisations they belong to."""
        raise NotImplementedError

    def prefetch(self, positions: Collection[int]) -> None:
        """Read what the records at these positions are about, a batch at a time."""

    def count(self, rid: str) -> int:
        """How many records are about an id: `SoftBank` most, `Ampere` a few."""
        return len(self.positions(rid)) or 1


def involved(record: AnyRecord) -> set[str]:
    """The ids a record is about: itself and every record it points to, its sources aside."""
    ids = {record.id}
    for path, target, _ in record.references():
        if path[0] != "citations":
            ids.add(target)
    return ids


def _with_parents(kb: KnowledgeBase, ids: set[str]) -> set[str]:
    """The ids and the organisations they belong to: SoftBank's LLM is SoftBank's too."""
    found = set(ids)
    for rid in ids:
        record = kb.get(rid)
        seen = 0
        while isinstance(record, Organization) and record.parent and seen < 8:
            found.add(record.parent)
            record = kb.get(record.parent)
            seen += 1
    return found


class MemoryAbout(About):
    """What the records are about, worked out from all of them."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._direct = [frozenset(involved(record)) for record in kb.record_sequence()]
        self._wide = [frozenset(_with_parents(kb, ids)) for ids in self._direct]
        self._positions: dict[str, list[int]] = {}
        for at, ids in enumerate(self._wide):
            for rid in ids:
                self._positions.setdefault(rid, []).append(at)

    def positions(self, rid: str) -> Sequence[int]:
        return self._positions.get(rid, ())

    def direct(self, at: int) -> frozenset[str]:
        return self._direct[at]

    def wide(self, at: int) -> frozenset[str]:
        return self._wide[at]

    def write(self, connection: sqlite3.Connection) -> None:
        """Write these tables into a new database (read by `StoredAbout`)."""
        connection.executescript(
            """
            create table about (position integer primary key, direct text, wide text);
            create table about_ids (id text primary key, positions blob not null) without rowid;
            """
        )
        connection.executemany(
            "insert into about values (?, ?, ?)",
            (
                (at, "\n".join(sorted(direct)), "\n".join(sorted(wide)))
                for at, (direct, wide) in enumerate(zip(self._direct, self._wide, strict=True))
            ),
        )
        connection.executemany(
            "insert into about_ids values (?, ?)",
            ((rid, array.array("i", found).tobytes()) for rid, found in self._positions.items()),
        )


class StoredAbout(About):
    """What the records are about, as the cache keeps it: read for what a question needs."""

    def __init__(self, connection: sqlite3.Connection, size: int) -> None:
        self._connection = connection
        self._size = size
        self._read: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
        self._positions: dict[str, array.array[int]] = {}

    def _rows(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
        try:
            return self._connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise _AboutDamaged(str(error)) from None

    def positions(self, rid: str) -> Sequence[int]:
        found = self._positions.get(rid)
        if found is None:
            rows = self._rows("select positions from about_ids where id = ?", (rid,))
            found = array.array("i")
            try:
                if rows:
                    found.frombytes(rows[0][0])  # type: ignore[arg-type]
            except (TypeError, ValueError) as error:
                raise _AboutDamaged(f"about {rid!r}: {error}") from None
            if found and not 0 <= found[-1] < self._size:
                raise _AboutDamaged(f"about {rid!r}: past the records")
            self._positions[rid] = found
        return found

    def prefetch(self, positions: Collection[int]) -> None:
        wanted = sorted(at for at in positions if at not in self._read)
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            rows = self._rows(
                f"select position, direct, wide from about where position in"
                f" ({', '.join('?' * len(batch))})",
                tuple(batch),
            )
            for at, direct, wide in rows:
                if not isinstance(direct, str) or not isinstance(wide, str):
                    raise _AboutDamaged(f"about {at}")
                self._read[at] = (frozenset(direct.split("\n")), frozenset(wide.split("\n")))  # type: ignore[index]

    def _at(self, at: int) -> tuple[frozenset[str], frozenset[str]]:
        if at not in self._read:
            self.prefetch([at])
            if at not in self._read:
                raise _AboutDamaged(f"no about {at}")
        return self._read[at]

    def direct(self, at: int) -> frozenset[str]:
        return self._at(at)[0]

    def wide(self, at: int) -> frozenset[str]:
        return self._at(at)[1]


_ABOUT: weakref.WeakKeyDictionary[KnowledgeBase, About] = weakref.WeakKeyDictionary()


def about_of(kb: KnowledgeBase, kept: Kept | None = None) -> About:
    """What the records of `kb` are about: as `kept` has it, else worked out (and kept)."""
    if kept is not None:
        connection = kept.database("ask", ABOUT_VERSION, _ABOUT_TABLES)
        if connection is not None:
            return StoredAbout(connection, len(kb))
    found = MemoryAbout(kb)
    if kept is not None:
        kept.keep_database("ask", ABOUT_VERSION, found.write)
    return found
