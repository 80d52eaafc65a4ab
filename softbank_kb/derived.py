"""What is derived from a knowledge base, built once and kept where its loader says.

Search and ask build indexes from a knowledge base; the cache, which loaded it, knows
where such an index may be kept between runs. The cache hands each knowledge base it
loads a `Keeper` here, so that search and ask ask for what they derived without
importing the cache: the imports run one way, from the cache and the commands down.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from softbank_kb.models import KnowledgeBase

if TYPE_CHECKING:
    import sqlite3

F = TypeVar("F", bound=Callable[..., Any])


class Keeper(Protocol):
    """Where what is derived from one knowledge base is kept between runs."""

    def database(
        self, name: str, version: int, tables: Collection[str]
    ) -> sqlite3.Connection | None:
        """A read-only connection to the database kept under `name`, if it is whole,
        of this version, has these tables and is for this knowledge base; else None."""
        ...

    def keep_database(
        self, name: str, version: int, write: Callable[[sqlite3.Connection], None]
    ) -> None:
        """Keep a new database under `name`, its tables written by `write`."""
        ...

    def update_database(
        self,
        name: str,
        version: int,
        tables: Collection[str],
        update: Callable[[sqlite3.Connection, list[int]], None],
        most: int,
    ) -> None:
        """Keep under `name` a copy of the database kept for an earlier knowledge base of
        the same records at the same positions but a few (at most `most`), with
        `update(connection, positions)` made to it for those; nothing where there is
        none, or `update` raises NotUpdatable."""
        ...

    def lose_database(self, name: str) -> None:
        """Remove the database kept under `name`: it was found damaged."""
        ...


# The keeper of each knowledge base that has one; a knowledge base built in memory has none.
_KEEPERS: weakref.WeakKeyDictionary[KnowledgeBase, Keeper] = weakref.WeakKeyDictionary()


def keep_with(kb: KnowledgeBase, keeper: Keeper) -> None:
    """Keep what is derived from `kb` with `keeper` from now on."""
    _KEEPERS[kb] = keeper


def kept_database(
    kb: KnowledgeBase, name: str, version: int, tables: Collection[str]
) -> sqlite3.Connection | None:
    """The database kept for `kb` under `name`, read-only, or None (see `Keeper.database`)."""
    keeper = _KEEPERS.get(kb)
    return None if keeper is None else keeper.database(name, version, tables)


def keep_database(
    kb: KnowledgeBase, name: str, version: int, write: Callable[[sqlite3.Connection], None]
) -> None:
    """Keep a database for `kb` under `name`, where its loader keeps things; else nothing."""
    keeper = _KEEPERS.get(kb)
    if keeper is not None:
        keeper.keep_database(name, version, write)


def update_kept_database(
    kb: KnowledgeBase,
    name: str,
    version: int,
    tables: Collection[str],
    update: Callable[[sqlite3.Connection, list[int]], None],
) -> None:
    """Keep for `kb` under `name` an earlier knowledge base's database, updated (see
    `Keeper.update_database`); then `kept_database` finds it, else nothing was kept."""
    keeper = _KEEPERS.get(kb)
    if keeper is not None:
        # Row by row, an update of a tenth of the records costs about what a build does.
        keeper.update_database(name, version, tables, update, max(100, len(kb) // 10))


class NotUpdatable(Exception):
    """An edit that changes what other records' rows say: the database is built anew."""


def lose_database(kb: KnowledgeBase, name: str) -> None:
    """Remove the database kept for `kb` under `name`, found damaged."""
    keeper = _KEEPERS.get(kb)
    if keeper is not None:
        keeper.lose_database(name)


class DerivedDamaged(Exception):
    """A kept database could not be read: it is replaced by one built from the records."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"the kept {name} database: {problem}")
        self.name = name


# How each kind of kept database is built anew, by its name: registered by its module.
REBUILDERS: dict[str, Callable[[KnowledgeBase], None]] = {}


def recovering(function: F) -> F:
    """`function(kb, ...)`, run again should a kept database be found damaged while it
    runs: the damaged one is replaced by one built from the records, once."""

    @functools.wraps(function)
    def run(kb: KnowledgeBase, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(kb, *args, **kwargs)
        except DerivedDamaged as damaged:
            REBUILDERS[damaged.name](kb)
            return function(kb, *args, **kwargs)

    return run  # type: ignore[return-value]
