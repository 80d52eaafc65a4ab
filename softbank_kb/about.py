"""What each record is about, for `ask`: the ids it points to, and those with their parents.

Worked out once per knowledge base (`MemoryAbout`) and kept by the cache as a database
beside the knowledge base's own (`StoredAbout`), which a question reads only for the
entities it names and the records it judges. Both answer alike (tested).
"""

from __future__ import annotations

import array
import bisect
import functools
import sqlite3
import weakref
from collections.abc import Collection, Sequence

from softbank_kb.derived import (
    REBUILDERS,
    DerivedDamaged,
    NotUpdatable,
    keep_database,
    kept_database,
    lose_database,
    update_kept_database,
)
from softbank_kb.models import AnyRecord, KnowledgeBase, Organization


class _Damaged(DerivedDamaged):
    """The kept about database could not be read: it is worked out again."""

    def __init__(self, problem: str) -> None:
        super().__init__("ask", problem)


# The about database's own version: bumped whenever its tables change.
ABOUT_VERSION = 1
_TABLES = ("about", "about_ids")
_BATCH = 1000


class About:
    """What each record is about, by position (see the module doc)."""

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
            raise _Damaged(str(error)) from None

    def positions(self, rid: str) -> Sequence[int]:
        found = self._positions.get(rid)
        if found is None:
            rows = self._rows("select positions from about_ids where id = ?", (rid,))
            found = array.array("i")
            try:
                if rows:
                    found.frombytes(rows[0][0])  # type: ignore[arg-type]
            except (TypeError, ValueError) as error:
                raise _Damaged(f"about {rid!r}: {error}") from None
            if found and not 0 <= found[-1] < self._size:
                raise _Damaged(f"about {rid!r}: past the records")
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
                    raise _Damaged(f"about {at}")
                self._read[at] = (frozenset(direct.split("\n")), frozenset(wide.split("\n")))  # type: ignore[index]

    def _at(self, at: int) -> tuple[frozenset[str], frozenset[str]]:
        if at not in self._read:
            self.prefetch([at])
            if at not in self._read:
                raise _Damaged(f"no about {at}")
        return self._read[at]

    def direct(self, at: int) -> frozenset[str]:
        return self._at(at)[0]

    def wide(self, at: int) -> frozenset[str]:
        return self._at(at)[1]


_ABOUT: weakref.WeakKeyDictionary[KnowledgeBase, About] = weakref.WeakKeyDictionary()


def about_of(kb: KnowledgeBase) -> About:
    """What the records of `kb` are about: kept by the cache (or an earlier knowledge
    base's, updated for the records edited since), else worked out and kept."""
    found = _ABOUT.get(kb)
    if found is None:
        connection = kept_database(kb, "ask", ABOUT_VERSION, _TABLES)
        if connection is None:
            update = functools.partial(_update_rows, kb=kb)
            update_kept_database(kb, "ask", ABOUT_VERSION, _TABLES, update)
            connection = kept_database(kb, "ask", ABOUT_VERSION, _TABLES)
        found = StoredAbout(connection, len(kb)) if connection is not None else _worked_out(kb)
        _ABOUT[kb] = found
    return found


def _update_rows(connection: sqlite3.Connection, positions: list[int], kb: KnowledgeBase) -> None:
    """The rows of the records at `positions` worked out again, their ids and types as
    they were. An organisation whose ids changed may have another parent, which other
    records' rows name: NotUpdatable, and the whole is worked out again."""
    records = kb.record_sequence()
    getattr(records, "prefetch", lambda _: None)(positions)
    for at in sorted(positions):
        old_direct, old_wide = connection.execute(
            "select direct, wide from about where position = ?", (at,)
        ).fetchone()
        record = records[at]
        direct = involved(record)
        if isinstance(record, Organization) and direct != set(old_direct.split("\n")):
            raise NotUpdatable(record.id)
        wide = _with_parents(kb, direct)
        connection.execute(
            "update about set direct = ?, wide = ? where position = ?",
            ("\n".join(sorted(direct)), "\n".join(sorted(wide)), at),
        )
        before = set(old_wide.split("\n"))
        for rid in before ^ wide:
            row = connection.execute(
                "select positions from about_ids where id = ?", (rid,)
            ).fetchone()
            packed = array.array("i")
            if row:
                packed.frombytes(row[0])
            found = list(packed)
            if rid in wide:
                bisect.insort(found, at)
            else:
                found.remove(at)
            connection.execute("delete from about_ids where id = ?", (rid,))
            if found:
                connection.execute(
                    "insert into about_ids values (?, ?)", (rid, array.array("i", found).tobytes())
                )


def _worked_out(kb: KnowledgeBase) -> MemoryAbout:
    found = MemoryAbout(kb)
    keep_database(kb, "ask", ABOUT_VERSION, found.write)
    return found


def _rebuild(kb: KnowledgeBase) -> None:
    """Replace what is kept of `kb`, found damaged, by what its records say."""
    lose_database(kb, "ask")
    _ABOUT[kb] = _worked_out(kb)


REBUILDERS["ask"] = _rebuild
