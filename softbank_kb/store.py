"""The SQLite store of one knowledge base: each record's JSON, and what narrows a collection."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import sys
import types
import typing
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, overload
from urllib.parse import quote

from softbank_kb.models import (
    COLLECTIONS,
    TYPE_NAMES,
    AnyRecord,
    Deal,
    KnowledgeBase,
    Organization,
    Quote,
    without_garbage_collection,
)

# 'sbkb' in ASCII: PRAGMA application_id, at offset 68 of the file's header.
APPLICATION_ID = 0x73626B62
# PRAGMA user_version, at offset 60: bumped whenever the cache's tables change.
SCHEMA_VERSION = 3
HEADER = b"SQLite format 3\x00"
HEADER_SIZE = 100
TABLES = ("record_json", "links", "files", "rewritten")
# SQLite's limit on a statement's parameters is 32,766: a longer filter reads it all.
_MAX_PARAMETERS = 30_000
# What a damaged database or row raises when it is read.
DAMAGED = (sqlite3.DatabaseError, ValueError, KeyError, TypeError)

DataFile = tuple[bytes, str]
"""A data file as the database notes it: its name's bytes and the hex sha256 of its bytes."""

DealYears = Callable[[Deal], Iterable[int]]
"""The years a deal counts for (query.deal_years, with the knowledge base it reads)."""


# Building -------------------------------------------------------------------------------


def build_store(
    kb: KnowledgeBase,
    key: str,
    path: Path,
    files: Sequence[DataFile] = (),
    file_of: Mapping[str, int] | None = None,
    code: str = "",
) -> None:
    """Write the database of `kb` under content key `key` into the new file `path`.

    `files` are the data files in order, and `file_of` gives the place in that order of
    the file each record stands in: what lets a later edit of one file update a copy of
    this database (`update_store`) rather than build one anew, by the same `code` (the
    digest of the version and code that made its records) alone. Without them the
    records are of no known file, and the database is never updated.
    """
    from softbank_kb.models import deal_years

    def write(connection: sqlite3.Connection) -> None:
        # A file nobody reads until it is renamed into place: no journal to keep safe.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.executescript(_OWN_TABLES)
        connection.executemany(
            "insert into files values (?, ?, ?)",
            ((at, name, digest) for at, (name, digest) in enumerate(files)),
        )
        _insert_records(connection, _placed(kb, file_of))
        _insert_links(connection, kb.records(), lambda deal: deal_years(kb, deal))
        connection.executescript(_OWN_INDEXES)

    write_database(path, key, SCHEMA_VERSION, write, {"code": code})


# Every table and index is one a query of this module reads (`candidates`, `get`, an edit's
# update); the export's tables are the export's (sqlite_export.py), not kept here.
# links: what `candidates` narrows a collection by (see _links), one b-tree, its own index;
# `value` has no type, so that a year stays a number and an id a string.
_OWN_TABLES = """
    create table record_json (
        position integer primary key, id text not null unique,
        collection text not null, json text not null,
        file integer not null, item integer not null);
    create table links (
        field text not null, value not null, id text not null,
        primary key (field, value, id)) without rowid;
    create table files (file integer primary key, name blob not null, digest text not null);
    create table rewritten (position integer primary key);
"""
# Made once the rows are in: an index built after its rows is built in one pass.
_OWN_INDEXES = """
    create index record_json_collection on record_json (collection, position);
    create index record_json_file on record_json (file);
"""
# Records stand in collection order, then file order, then their order in the file.
_COLLECTION_RANK = "case collection {} end".format(
    " ".join(f"when '{name}' then {rank}" for rank, name in enumerate(COLLECTIONS))
)

_Placed = tuple[str, AnyRecord, int]
"""A record with its collection and the place of its file."""


def _placed(kb: KnowledgeBase, file_of: Mapping[str, int] | None) -> Iterator[_Placed]:
    for collection, record in _with_collections(kb):
        yield collection, record, 0 if file_of is None else file_of[record.id]


def _itemized(placed: Iterable[_Placed]) -> Iterator[tuple[str, AnyRecord, int, int]]:
    """Each record with its place among its file's records of its collection."""
    items: dict[tuple[str, int], int] = {}
    for collection, record, file in placed:
        item = items[collection, file] = items.get((collection, file), -1) + 1
        yield collection, record, file, item


def _insert_records(connection: sqlite3.Connection, placed: Iterable[_Placed]) -> None:
    """Each record's JSON, at positions in the order given."""
    connection.executemany(
        "insert into record_json values (?, ?, ?, ?, ?, ?)",
        (
            (position, record.id, collection, _json(record), file, item)
            for position, (collection, record, file, item) in enumerate(_itemized(placed))
        ),
    )


def _json(record: AnyRecord) -> str:
    """A record's JSON as it is stored: compact, its text as it is (UTF-8 in the file)."""
    return json.dumps(plain(record), separators=(",", ":"), ensure_ascii=False)


def _links(record: AnyRecord, years_of: DealYears) -> Iterator[tuple[str, Any]]:
    """The (field, value) pairs `candidates` finds a record by: a deal's years, kind and
    parties (investor, target, vehicle, partners), a quote's speaker, an organisation's parent."""
    if isinstance(record, Deal):
        yield from (("year", year) for year in years_of(record))
        yield "kind", record.kind
        for party in (record.investor, record.target, record.vehicle, *record.partners):
            if party is not None:
                yield "party", party
    elif isinstance(record, Quote):
        yield "speaker", record.speaker
    elif isinstance(record, Organization) and record.parent is not None:
        yield "parent", record.parent


def _insert_links(
    connection: sqlite3.Connection, records: Iterable[AnyRecord], years_of: DealYears
) -> None:
    connection.executemany(
        "insert or ignore into links values (?, ?, ?)",  # a party twice in one deal: once
        (
            (field, value, record.id)
            for record in records
            for field, value in _links(record, years_of)
        ),
    )


def write_database(
    path: Path,
    key: str,
    version: int,
    write: Callable[[sqlite3.Connection], None],
    notes: Mapping[str, str] | None = None,
) -> None:
    """Write a cache database into the new file `path`: its tables by `write`, then the
    content key it is for (and any other `notes` of its meta table), the application id
    and its schema's `version`."""
    connection = sqlite3.connect(path)
    try:
        write(connection)
        connection.execute("create table meta (name text primary key, value text not null)")
        connection.execute("insert into meta values ('content_key', ?)", (key,))
        connection.executemany("insert into meta values (?, ?)", (notes or {}).items())
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {version}")
        connection.commit()
    finally:
        connection.close()


# Updating -------------------------------------------------------------------------------


def meta_value(connection: sqlite3.Connection, name: str) -> str | None:
    """A note of the database's meta table, or None."""
    found = connection.execute("select value from meta where name = ?", (name,)).fetchall()
    return str(found[0][0]) if found else None


def stored_files(connection: sqlite3.Connection) -> list[DataFile]:
    """The data files a database was built from, in order."""
    return [
        (bytes(name), digest)
        for name, digest in connection.execute("select name, digest from files order by file")
    ]


def records_of_files(
    connection: sqlite3.Connection, files: Collection[int]
) -> list[tuple[str, str]]:
    """The (id, collection) of every record the files at these places held."""
    return connection.execute(
        f"select id, collection from record_json where file in ({_in(files)})", tuple(files)
    ).fetchall()


def types_outside(
    connection: sqlite3.Connection, ids: Collection[str], files: Collection[int]
) -> dict[str, str]:
    """The type of each of `ids` that a record of a file not among `files` has."""
    found: dict[str, str] = {}
    wanted = list(ids)
    for start in range(0, len(wanted), 1000):
        batch = wanted[start : start + 1000]
        rows = connection.execute(
            f"select id, collection from record_json where id in ({_in(batch)})"
            f" and file not in ({_in(files)})",
            (*batch, *files),
        )
        found.update((record_id, TYPE_NAMES[COLLECTIONS[name]]) for record_id, name in rows)
    return found


def update_store(
    base: Path,
    path: Path,
    key: str,
    changed: dict[int, tuple[str, dict[str, list[AnyRecord]]]],
    years_of: DealYears,
) -> None:
    """Write into the new file `path` a copy of the database `base`, with the records of
    the files at the places `changed` replaced by those given (with each file's new
    digest), under content key `key`. The records' ids and types are those the files
    had before, or new ones (the caller checks this), so no other record's references
    change. Only a record whose JSON or place differs is written again: an edit costs
    what it changed."""
    update_copy(base, path, key, lambda connection: _update_records(connection, changed, years_of))


def update_copy(
    base: Path, path: Path, key: str, update: Callable[[sqlite3.Connection], None]
) -> None:
    """Write into the new file `path` a copy of the cache database `base` with `update`
    made to it (while its content key is still the base's), then under content key `key`."""
    copy_file(base, path)
    connection = sqlite3.connect(path)
    try:
        # A file nobody reads until it is renamed into place: no journal to keep safe.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        update(connection)
        connection.execute("update meta set value = ? where name = 'content_key'", (key,))
        connection.commit()
    finally:
        connection.close()


def _update_records(
    connection: sqlite3.Connection,
    changed: dict[int, tuple[str, dict[str, list[AnyRecord]]]],
    years_of: DealYears,
) -> None:
    """The rows of the edited files' records that changed, written again (update_store)."""
    files = sorted(changed)
    stored = {
        record_id: (stored_json, item, position)
        for record_id, stored_json, item, position in connection.execute(
            f"select id, json, item, position from record_json where file in ({_in(files)})",
            files,
        )
    }
    rewritten, added, moved = [], [], []
    placed = (
        (collection, record, file)
        for collection in COLLECTIONS
        for file in files
        for record in changed[file][1][collection]
    )
    for collection, record, file, item in _itemized(placed):
        text = _json(record)
        old = stored.get(record.id)
        if old is None:
            added.append((collection, record, file, item, text))
        elif old[0] != text:
            rewritten.append((collection, record, file, item, text))
        elif old[1] != item:
            moved.append((record.id, item))
    for start in range(0, len(rewritten), 1000):
        batch = [r.id for _, r, *_ in rewritten[start : start + 1000]]
        connection.execute(f"delete from links where id in ({_in(batch)})", batch)
    _insert_links(connection, (r for _, r, *_ in (*rewritten, *added)), years_of)
    connection.executemany(
        "update record_json set json = ?, item = ? where id = ?",
        ((text, item, record.id) for _, record, _, item, text in rewritten),
    )
    connection.executemany(
        "update record_json set item = ? where id = ?", ((item, i) for i, item in moved)
    )
    connection.executemany(
        "insert into record_json values (?, ?, ?, ?, ?, ?)",
        (
            (-1 - at, record.id, collection, text, file, item)
            for at, (collection, record, file, item, text) in enumerate(added)
        ),
    )
    shifted = added or moved or any(stored[r.id][1] != item for _, r, _, item, _ in rewritten)
    if shifted:
        _number(connection, files, everything=bool(added))
    _note_derived_base(connection, None if shifted else [stored[r.id][2] for _, r, *_ in rewritten])
    connection.executemany(
        "update files set digest = ? where file = ?",
        ((digest, file) for file, (digest, _) in changed.items()),
    )


def _note_derived_base(connection: sqlite3.Connection, rewritten: list[int] | None) -> None:
    """Note, before the content key changes, what is derived from records alone (the
    search index, ask's database) can be made from: the database of the first key whose
    records stood at these very positions, with those at the positions `rewritten` since
    made again (none: it serves as it is). Where positions moved (None), nothing can."""
    if rewritten is None:
        connection.execute("delete from meta where name = 'derived_base'")
        connection.execute("delete from rewritten")
        return
    connection.execute(
        "insert or replace into meta select 'derived_base', coalesce("
        "(select value from meta where name = 'derived_base'),"
        " (select value from meta where name = 'content_key'))"
    )
    connection.executemany(
        "insert or ignore into rewritten values (?)", ((at,) for at in rewritten)
    )


def _number(connection: sqlite3.Connection, files: list[int], everything: bool) -> None:
    """Give records their positions again, in collection, file and item order: only those
    of the edited `files` among the positions they held, or, where records were added,
    `everything`. Positions are moved out of the way (negative) first: each is unique."""
    order = f"order by {_COLLECTION_RANK}, file, item"
    where = "" if everything else f"where file in ({_in(files)})"
    parameters = () if everything else tuple(files)
    connection.execute(
        "create temp table ranks as select id, row_number() over"
        f" ({'' if everything else 'partition by collection, file '}{order}) - 1 as rank,"
        f" collection, file from record_json {where}",
        parameters,
    )
    if not everything:
        # Each file's records of a collection take the positions they held, in order.
        connection.execute(
            "create temp table held as select collection, file, row_number() over"
            " (partition by collection, file order by position) - 1 as rank, position"
            f" from record_json {where}",
            parameters,
        )
    connection.execute(
        f"update record_json set position = -1 - position - (select count(*) from record_json)"
        f" where position >= 0 {'' if everything else 'and ' + where.removeprefix('where ')}",
        parameters,
    )
    if everything:
        connection.execute(
            "update record_json set position = (select rank from ranks where ranks.id ="
            " record_json.id)"
        )
    else:
        connection.execute(
            "update record_json set position = (select held.position from ranks join held"
            " using (collection, file, rank) where ranks.id = record_json.id)"
            f" {where}",
            parameters,
        )
        connection.execute("drop table held")
    connection.execute("drop table ranks")


def copy_file(source: Path, target: Path) -> None:
    """Copy a file's bytes into `target`, in the kernel where it can (no pass through Python)."""
    import shutil

    with source.open("rb") as reading, target.open("wb") as writing:
        try:
            size = os.fstat(reading.fileno()).st_size
            copied = 0
            while copied < size:
                step = os.copy_file_range(reading.fileno(), writing.fileno(), size - copied)
                if step == 0:
                    break
                copied += step
            if copied == size:
                return
            reading.seek(0)
            writing.seek(0)
            writing.truncate()
        except (AttributeError, OSError):
            reading.seek(0)
            writing.seek(0)
            writing.truncate()
        shutil.copyfileobj(reading, writing, 1 << 20)


def _with_collections(kb: KnowledgeBase) -> Iterator[tuple[str, AnyRecord]]:
    for collection in COLLECTIONS:
        for record in getattr(kb, collection):
            yield collection, record


# Opening --------------------------------------------------------------------------------


def is_our_header(header: bytes, version: int = SCHEMA_VERSION) -> bool:
    """The first 100 bytes of a file are those of a cache database of this schema version."""
    return (
        len(header) == HEADER_SIZE
        and header.startswith(HEADER)
        and int.from_bytes(header[60:64], "big") == version
        and int.from_bytes(header[68:72], "big") == APPLICATION_ID
    )


def open_store(path: Path, key: str, tables: Collection[str] = TABLES) -> sqlite3.Connection | None:
    """A read-only connection to the database at `path` if it has `tables` and is for `key`."""
    try:
        # immutable: the file is never changed once renamed into place (a rebuild is a
        # new file), so SQLite need take no lock nor look for a journal.
        uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error:
        return None
    try:
        names = {row[0] for row in connection.execute("select name from sqlite_master")}
        found = connection.execute("select value from meta where name = 'content_key'")
        if {"meta", *tables} <= names and found.fetchone() == (key,):
            return connection
    except sqlite3.Error:
        pass
    connection.close()
    return None


# Reading --------------------------------------------------------------------------------


def _collection_property(name: str) -> property:
    def loaded(self: StoredKnowledgeBase) -> tuple[AnyRecord, ...]:
        return self._collection(name)

    loaded.__doc__ = f"Every record of {name}, loaded on first use."
    return property(loaded)


class StoredKnowledgeBase(KnowledgeBase):
    """A knowledge base whose records are built from the cache's database as they are read.

    It is what a KnowledgeBase is to every reader (the collections, `get`, `by_id`,
    `records()`); `candidates` narrows a collection with the database's indexes. If the
    database turns out damaged, `recover` gives the knowledge base from its data files
    (and rebuilds the database), and every later question is answered from that.
    """

    def __init__(
        self, connection: sqlite3.Connection, recover: Callable[[], KnowledgeBase]
    ) -> None:
        # Frozen like its parent: attributes are set past its __setattr__.
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_recover", recover)
        object.__setattr__(self, "_built", {})  # by id
        object.__setattr__(self, "_at", {})  # by position
        object.__setattr__(self, "_collections", {})
        object.__setattr__(self, "_fallback", None)

    sources = _collection_property("sources")
    organizations = _collection_property("organizations")
    people = _collection_property("people")
    deals = _collection_property("deals")
    quotes = _collection_property("quotes")
    figures = _collection_property("figures")
    events = _collection_property("events")
    strategy = _collection_property("strategy")

    def get(self, record_id: str) -> AnyRecord | None:
        """The record with this id, or None: one indexed query, or none when already built."""
        if self._fallback is not None:
            return self._fallback.get(record_id)
        if record_id in self._built:
            return self._built[record_id]  # type: ignore[no-any-return]
        try:
            rows = self._rows(
                "select collection, id, json from record_json where id = ?", (record_id,)
            )
            found = self._make(rows)
        except DAMAGED:
            return self._recovered().get(record_id)
        self._built[record_id] = found[0] if found else None
        return self._built[record_id]  # type: ignore[no-any-return]

    def derived_base(self) -> tuple[str, list[int]] | None:
        """The key of an earlier database whose derived databases these records' can be
        made from, with the positions of the records made again since (see update_store)."""
        try:
            key = meta_value(self._connection, "derived_base")
            if key is None:
                return None
            return key, [at for (at,) in self._rows("select position from rewritten")]
        except DAMAGED:
            return None

    def record_sequence(self) -> Sequence[AnyRecord]:
        """Every record by position, each built from the database when it is first read."""
        if self._fallback is not None:
            return self._fallback.record_sequence()
        return _RecordSequence(self)

    def record_ids(self) -> list[str]:
        """The id of every record in order, from the database's rows: no record is built."""
        return [value for value, _ in self._ids_and_collections()]

    def record_types(self) -> list[str]:
        """The type of every record in order, from the database's rows: none is built."""
        return [TYPE_NAMES[COLLECTIONS[name]] for _, name in self._ids_and_collections()]

    def build_positions(self, positions: list[int]) -> None:
        """Build the records at these positions, if not built yet, a batch at a time."""
        if self._fallback is not None:
            return
        step = 1000  # well under SQLite's limit on a statement's parameters
        wanted = [at for at in positions if at not in self._at]
        try:
            for start in range(0, len(wanted), step):
                batch = wanted[start : start + step]
                rows = self._rows(
                    "select position, collection, id, json from record_json"
                    f" where position in ({_in(batch)})",
                    tuple(batch),
                )
                records = self._make([row[1:] for row in rows])
                self._at.update(zip((row[0] for row in rows), records, strict=True))
        except DAMAGED:
            self._recovered()

    def _ids_and_collections(self) -> list[tuple[str, str]]:
        if self._fallback is None:
            try:
                return self._rows("select id, collection from record_json order by position")
            except DAMAGED:
                self._recovered()
        tables = {model: name for name, model in COLLECTIONS.items()}
        return [(record.id, tables[type(record)]) for record in self._fallback.records()]

    def record_at(self, position: int) -> AnyRecord:
        """The record at a position of `records()`; IndexError past the end."""
        if self._fallback is not None:
            return self._fallback.record_sequence()[position]
        if position in self._at:
            return self._at[position]  # type: ignore[no-any-return]
        self.build_positions([position])
        if self._fallback is not None:  # found damaged while it was read
            return self._fallback.record_sequence()[position]
        if position not in self._at:
            raise IndexError(position)
        return self._at[position]  # type: ignore[no-any-return]

    def __len__(self) -> int:
        if self._fallback is not None:
            return len(self._fallback)
        if "_length" not in self.__dict__:
            # Counted once: the file never changes, and ask asks at every record it judges.
            try:
                count = int(self._rows("select max(position) + 1 from record_json")[0][0] or 0)
            except DAMAGED:
                return len(self._recovered())
            object.__setattr__(self, "_length", count)
        return self.__dict__["_length"]  # type: ignore[no-any-return]

    def candidates(self, collection: str, **where: Collection[Any] | None) -> tuple[Any, ...]:
        """The records of `collection` that may match `where`, in file order (see models)."""
        if self._fallback is not None:
            return self._fallback.candidates(collection, **where)
        query = _CANDIDATES.get((collection, tuple(sorted(k for k, v in where.items() if v))))
        if query is None or collection in self._collections:
            return super().candidates(collection, **where)
        sql, parameters = query(where)
        if len(parameters) > _MAX_PARAMETERS:
            return super().candidates(collection, **where)
        try:
            return tuple(self._make(self._rows(sql, parameters)))
        except DAMAGED:
            return self._recovered().candidates(collection, **where)

    def _collection(self, name: str) -> tuple[AnyRecord, ...]:
        """Every record of a collection: a whole-collection pass built only once."""
        if self._fallback is not None:
            return getattr(self._fallback, name)  # type: ignore[no-any-return]
        found = self._collections.get(name)
        if found is None:
            try:
                rows = self._rows(
                    "select collection, id, json from record_json"
                    " where collection = ? order by position",
                    (name,),
                )
                found = self._collections[name] = tuple(self._make(rows))
            except DAMAGED:
                return getattr(self._recovered(), name)  # type: ignore[no-any-return]
        return found

    def _rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql, parameters).fetchall()

    def _make(self, rows: list[tuple[Any, ...]]) -> list[AnyRecord]:
        """The records of (collection, id, json) rows, each built once however often read."""
        built = self._built
        wanted = [row for row in rows if built.get(row[1]) is None]
        if wanted:
            # One JSON document for them all: a decoder call per record cost more than
            # the decoding. No cycle among them, so no collection while they are made.
            with without_garbage_collection():
                datas = json.loads("[" + ",".join(row[2] for row in wanted) + "]")
                for (collection, record_id, _), data in zip(wanted, datas, strict=True):
                    built[record_id] = build(COLLECTIONS[collection], data)
        return [built[row[1]] for row in rows]

    def _recovered(self) -> KnowledgeBase:
        """The knowledge base from the data files, once the database is found damaged."""
        if self._fallback is None:
            object.__setattr__(self, "_fallback", self._recover())
            self._connection.close()
        return self._fallback  # type: ignore[return-value]


class _RecordSequence(Sequence[AnyRecord]):
    """The records of a stored knowledge base by position, each built on first access."""

    def __init__(self, kb: StoredKnowledgeBase) -> None:
        self._kb = kb
        self._length = len(kb)

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, at: int) -> AnyRecord: ...

    @overload
    def __getitem__(self, at: slice) -> Sequence[AnyRecord]: ...

    def __getitem__(self, at: int | slice) -> AnyRecord | Sequence[AnyRecord]:
        if isinstance(at, slice):
            return [self[i] for i in range(*at.indices(self._length))]
        if at < 0:
            at += self._length
        if not 0 <= at < self._length:
            raise IndexError(at)
        return self._kb.record_at(at)

    def __iter__(self) -> Iterator[AnyRecord]:
        # Read whole: one query a collection, not one a record.
        return self._kb.records()

    def prefetch(self, positions: Collection[int]) -> None:
        """Build the records at these positions with a query per thousand, not one each."""
        self._kb.build_positions(sorted(positions))


def _in(values: Collection[Any]) -> str:
    return ", ".join("?" * len(values))


_BY_ID = "select collection, id, json from record_json where id in ({}) order by position"


def _linked(field: str, values: Collection[Any]) -> str:
    """SQL for the ids of the records whose `field` is one of as many values (see _links)."""
    return f"select id from links where field = '{field}' and value in ({_in(values)})"


def _deals_where(where: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """Deals of any of `years`, of `kinds`, involving any of `parties`."""
    conditions, parameters = [], []
    for name, field in (("years", "year"), ("kinds", "kind"), ("parties", "party")):
        if where.get(name):
            values = list(where[name])
            conditions.append(f"id in ({_linked(field, values)})")
            parameters += values
    sql = (
        # Only a deal has links of these fields: the ids are looked up, not every deal read.
        "select collection, id, json from record_json where "
        + " and ".join(conditions)
        + " order by position"
    )
    return sql, tuple(parameters)


def _quotes_where(where: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    speakers = list(where["speakers"])
    return _BY_ID.format(_linked("speaker", speakers)), tuple(speakers)


def _organizations_where(where: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    parents = list(where["parents"])
    return _BY_ID.format(_linked("parent", parents)), tuple(parents)


# Which filters of which collection the database answers with an index.
_CANDIDATES: dict[tuple[str, tuple[str, ...]], Callable[[dict[str, Any]], Any]] = {
    ("deals", filters): _deals_where
    for filters in (
        ("years",),
        ("kinds",),
        ("parties",),
        ("kinds", "years"),
        ("parties", "years"),
        ("kinds", "parties"),
        ("kinds", "parties", "years"),
    )
}
_CANDIDATES[("quotes", ("speakers",))] = _quotes_where
_CANDIDATES[("organizations", ("parents",))] = _organizations_where


# Records as JSON data, and back ------------------------------------------------------------

T = TypeVar("T")
Convert = Callable[[Any], Any]


def plain(value: Any) -> Any:
    """A dataclass or value as JSON data: fields by name, tuples as lists, floats kept."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return {name: plain(getattr(value, name)) for name in _field_names(type(value))}


def build(cls: type[T], data: dict[str, Any]) -> T:
    """The `cls` whose JSON data `plain` made, made of `data` itself (which it takes over);
    KeyError or TypeError for data of another shape."""
    made: T = _builder(cls)(data)
    return made


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _builder(cls: type) -> Convert:
    """A function from `cls`'s JSON data to an instance, its converters worked out once.

    The data's own dict becomes the instance's, once the few fields JSON does not hold as
    they are (tuples, floats, nested values) are converted in it: no loop over every
    field at every record, and no code generated.
    """
    names = frozenset(_field_names(cls))
    converters: list[tuple[str, Convert]] = []
    new, set_fields = object.__new__, object.__setattr__

    def make(data: Any) -> Any:
        if type(data) is not dict or data.keys() != names:
            raise TypeError(f"not the data of a {cls.__name__}")
        for name, convert in converters:
            data[name] = convert(data[name])
        made = new(cls)
        set_fields(made, "__dict__", data)  # frozen: as its own __init__ would, past __setattr__
        return made

    for name in _field_names(cls):
        convert = _converter(_annotation(cls, name), cls, make)
        if convert is not None:
            converters.append((name, convert))
    return make


def _annotation(cls: type, name: str) -> Any:
    """The annotation of a field, evaluated in the module of the class that declares it.

    What typing.get_type_hints gives, Annotated kept, for a fifth of its cost: the
    annotations are our own code's (never data read), and nothing else is checked here.
    """
    import inspect

    for base in cls.__mro__:
        annotation = inspect.get_annotations(base).get(name)
        if annotation is not None:
            if isinstance(annotation, str):
                return eval(annotation, vars(sys.modules[base.__module__]))
            return annotation
    raise TypeError(f"{cls.__name__}.{name} has no annotation")


def _converter(hint: Any, cls: type, make: Convert) -> Convert | None:
    """What turns JSON data back into a value of `hint` (`make` for `cls` itself), or None
    for data that is the value already: a string, a whole number, a boolean."""
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]  # the rules on a value: the value's own type
    if hint is float:
        return float  # 6500000000 in JSON is the float 6.5e9 written
    if dataclasses.is_dataclass(hint):
        return make if hint is cls else _builder(hint)  # Money's equivalents are Money
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        item = _converter(args[0], cls, make)
        return tuple if item is None else lambda value: tuple(map(item, value))
    if origin is typing.Union or origin is types.UnionType:
        options = [arg for arg in args if arg is not type(None)]
        if len(options) == 1:
            inner = _converter(options[0], cls, make)
            if inner is None:
                return None
            return lambda value: None if value is None else inner(value)
        if all(dataclasses.is_dataclass(option) for option in options):
            return _one_of(options)
    return None


def _one_of(options: list[Any]) -> Convert:
    """A builder for one of several dataclasses, told apart by their fields' names."""
    by_fields = {frozenset(_field_names(option)): option for option in options}

    def one_of(value: Any) -> Any:
        return None if value is None else _builder(by_fields[frozenset(value)])(value)

    return one_of
