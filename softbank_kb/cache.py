"""The cache: a content key of the data files, the directory it lives in, what is kept there."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from softbank_kb import __version__
from softbank_kb.errors import KnowledgeBaseError, LoadError
from softbank_kb.models import KnowledgeBase, without_garbage_collection
from softbank_kb.paths import (
    DATA_LEXICON,
    MAX_FILE_BYTES,
    data_files,
    maybe_inside,
    too_many_bytes,
    too_many_files,
    yaml_names,
)
from softbank_kb.printable import safe

# Cache files of other contents are removed beyond this many, newest kept: the version
# the data had before its last edit is what an edit updates from.
_KEEP = 2
# A JSON file of what search and ask derive from a million records is some hundreds of
# MiB, and is read whole; a file far beyond that is not one of ours.
MAX_CACHE_BYTES = 2 * 1024 * 1024 * 1024
# The database is never read whole (its header, then pages a query needs): a million
# records make about 3 GB of it.
MAX_DATABASE_BYTES = 64 * 1024 * 1024 * 1024
# The note of file digests (digests.py): 10,000 files of about 150 bytes each.
_NOTES_BYTES = 8 * 1024 * 1024
# The problems of an invalid directory (keep_problems): at most 1,001 lines of text.
_PROBLEMS_BYTES = 64 * 1024 * 1024
# A temporary file this old belongs to a writer that was killed (SIGKILL, power loss).
_STALE_SECONDS = 600
# Directories already warned about in this process: one line each, not one per file.
_WARNED: set[str] = set()
T = TypeVar("T")

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Collection, Iterable

    from softbank_kb.lexicon import Lexicon
    from softbank_kb.loading import Reader
    from softbank_kb.store import DataFile


# Digests noted by file status --------------------------------------------------------------

# A file changed this recently is hashed every time until it is older: its next write
# could fall in the same tick of the clock as its last and leave its times as they were.
SETTLED_NS = 3_000_000_000
_NOTES_FORMAT = "sbkb-digests-1"
_NOTES_FILE = "digests.json"
# Noted files beyond this many are dropped, the least recently seen first.
_NOTES_KEPT = 10_000

Status = tuple[int, int, int, int, int]


def status_of(info: os.stat_result) -> Status:
    """What says a file is unchanged: device, inode, size, mtime and ctime in ns."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class Notes:
    """The digests noted in the cache directory, and those to note once the key is made."""

    def __init__(self, read: Callable[[str], bytes | None]) -> None:
        self._noted = _noted_digests(read(_NOTES_FILE))
        self._changed = False

    def digest(self, path: Path, compute: Callable[[Path], bytes]) -> bytes:
        """The sha256 of a file: from the note if its status is the noted one, else read."""
        name = str(path.resolve())
        info = path.stat()
        status = status_of(info)
        noted = self._noted.get(name)
        if noted is not None and tuple(noted[:5]) == status:
            return bytes.fromhex(noted[5])
        found = compute(path)
        if time.time_ns() - info.st_ctime_ns >= SETTLED_NS and status_of(path.stat()) == status:
            # Unchanged while it was read, and settled: noted (moved to the end, newest).
            self._noted.pop(name, None)
            self._noted[name] = [*status, found.hex()]
            self._changed = True
        return found

    def save(self, write: Callable[[str, bytes], None]) -> None:
        """Write the note if a digest was added; failing to is not an error."""
        if not self._changed:
            return
        kept = dict(list(self._noted.items())[-_NOTES_KEPT:])
        write(_NOTES_FILE, json.dumps([_NOTES_FORMAT, kept]).encode())


def _noted_digests(data: bytes | None) -> dict[str, list[int | str]]:
    """The noted digests, or none when the note is absent, damaged or of another format."""
    if not data:
        return {}
    try:
        form, noted = json.loads(data)
    except (ValueError, TypeError):
        return {}
    if form != _NOTES_FORMAT or not isinstance(noted, dict):
        return {}
    return {
        name: entry
        for name, entry in noted.items()
        if isinstance(entry, list)
        and len(entry) == 6
        and all(type(value) is int for value in entry[:5])
        and isinstance(entry[5], str)
        and len(entry[5]) == 64
        and all(c in "0123456789abcdef" for c in entry[5])
    }


def knowledge_base(data_dir: Path) -> tuple[KnowledgeBase, Kept | None]:
    """The knowledge base of `data_dir`, from the cache when its files are unchanged, and
    where what search and ask derive from it is kept (None: nowhere)."""
    directory = cache_dir()
    contents = None
    # A cache that would be written into the data directory is not kept, nor read.
    if directory is None or not maybe_inside(directory, data_dir):
        contents = _contents_or_none(data_dir)
    if contents is None:
        return _from_data(data_dir, None, rebuild=False), None
    key = contents.key

    def recover() -> KnowledgeBase:
        return _from_data(data_dir, contents, rebuild=True)

    cached = load(key, recover)
    if cached is None:
        # An invalid directory unchanged since its problems were kept: said as a cold run
        # says them, without a file parsed.
        problems = kept_problems(key, data_dir)
        if problems is not None:
            raise KnowledgeBaseError(problems)
        cached = _updated(data_dir, contents)
    if cached is None:
        kb = _from_data(data_dir, contents, rebuild=False)
        # Read back as every later run reads it, if it could be kept.
        cached = load(key, recover)
        if cached is None:
            return kb, None
    return _remember(cached, key)


@dataclass(frozen=True)
class _Contents:
    """What a data directory's cache is keyed by: its files, the digest of each, the key."""

    key: str
    files: list[Path]
    digests: list[bytes]

    def noted(self) -> list[DataFile]:
        """The files as a database notes them: each name's bytes and digest."""
        return [
            (path.name.encode("utf-8", "surrogateescape"), digest.hex())
            for path, digest in zip(self.files, self.digests, strict=True)
        ]


def _from_data(data_dir: Path, contents: _Contents | None, rebuild: bool) -> KnowledgeBase:
    """The knowledge base loaded from its files, then cached if they did not change."""
    from softbank_kb.loading import load_with_files

    read, parsed = _hashed_reads() if contents is not None else (None, {})
    # Stored only if the bytes parsed are those the key was made of: a file that changed
    # since it was hashed (even back again, A -> B -> A) is not kept under a key its
    # records, or its problems, do not come from; the next run makes a key of what the
    # files hold then.
    hashed = {} if contents is None else dict(zip(contents.files, contents.digests, strict=True))
    try:
        kb, file_of = load_with_files(data_dir, read)
    except KnowledgeBaseError as error:
        if contents is not None and parsed == hashed:
            keep_problems(contents.key, data_dir, error.errors)
        raise
    if contents is not None and parsed == hashed:
        if rebuild:
            _unlink(f"kb-{contents.key}.sqlite")  # found damaged: replaced, not trusted again
        places = {path: at for at, path in enumerate(contents.files)}
        store(contents, kb, {record_id: places[path] for record_id, path in file_of.items()})
    return kb


def _updated(data_dir: Path, contents: _Contents) -> KnowledgeBase | None:
    """The knowledge base from a cached database of the same files with a few edited, its
    copy updated with the records of the edited files alone; None where there is none.

    Only the edited files are parsed and validated, and their records checked against the
    others' ids in the database. An edit that removes a record or changes its type (others
    may point to it), touches the sources (every cumulative deal's years read them) or a
    data lexicon (whose terms are checked against every name), or any problem, is left to
    a whole load, which names every problem as it always does.
    """
    from softbank_kb import store as stored

    noted = contents.noted()
    if any(name == DATA_LEXICON.encode() for name, _ in noted):
        return None
    nearest = _nearest_database(noted)
    if nearest is None:
        return None
    path, connection, changed = nearest
    try:
        from softbank_kb.loading import load_changed_files
        from softbank_kb.models import deal_years

        before = stored.records_of_files(connection, changed)
        read, parsed = _hashed_reads()
        found = load_changed_files(
            [contents.files[at] for at in changed],
            lambda ids: stored.types_outside(connection, ids, changed),
            read,
        )
        # The edited files' records from the very bytes their digests in the key are of
        # (the others' come from the database, made of theirs); else a whole load.
        if found is None or parsed != {contents.files[at]: contents.digests[at] for at in changed}:
            return None
        after = {(r.id, name) for part in found.values() for name, rs in part.items() for r in rs}
        if not set(before) <= after or any(name == "sources" for _, name in after):
            return None
        base = stored.StoredKnowledgeBase(connection, _cannot_recover)
        edits = {at: (noted[at][1], found[contents.files[at]]) for at in changed}

        def write(target: Path) -> None:
            key = contents.key
            stored.update_store(path, target, key, edits, lambda deal: deal_years(base, deal))

        _write(f"kb-{contents.key}.sqlite", write, stored.DAMAGED)
    except (*stored.DAMAGED, RuntimeError):
        return None
    finally:
        connection.close()
    return load(contents.key, recover=lambda: _from_data(data_dir, contents, rebuild=True))


def _nearest_database(
    noted: list[DataFile],
) -> tuple[Path, sqlite3.Connection, list[int]] | None:
    """The cached database of the same data files with the fewest edited (at most a
    quarter of them, at least one), with the places of the edited files."""
    from softbank_kb import store as stored

    directory = _trusted_dir(create=False)
    if directory is None:
        return None
    names = [name for name, _ in noted]
    most = max(1, len(noted) // 4)
    nearest: tuple[Path, sqlite3.Connection, list[int]] | None = None
    for path in _newest_first(directory.glob("kb-*.sqlite"))[:_KEEP]:
        connection = _open_database(path.name, path.stem[3:], stored.SCHEMA_VERSION, stored.TABLES)
        if connection is None:
            continue
        try:
            # Records made by other code may differ though their files are the same.
            same_code = stored.meta_value(connection, "code") == _code_digest()
            files = stored.stored_files(connection) if same_code else []
        except stored.DAMAGED:
            files = []
        same_names = [name for name, _ in files] == names
        changed = (
            [at for at, (old, new) in enumerate(zip(files, noted, strict=True)) if old != new]
            if same_names
            else []
        )
        if not 0 < len(changed) <= most:
            connection.close()
            continue
        if nearest is not None:
            if len(nearest[2]) <= len(changed):
                connection.close()
                continue
            nearest[1].close()
        nearest = path, connection, changed
    return nearest


def _newest_first(paths: Iterable[Path]) -> list[Path]:
    """The files among `paths` that still exist, the last modified first."""
    dated = []
    for path in paths:
        try:
            dated.append((path.stat().st_mtime, path))
        except OSError:
            continue
    return [path for _, path in sorted(dated, reverse=True)]


def _remember(kb: KnowledgeBase, key: str) -> tuple[KnowledgeBase, Kept]:
    """`kb`, and where what search and ask derive from it is kept, under its content key."""
    from softbank_kb.store import StoredKnowledgeBase

    base = kb.derived_base() if isinstance(kb, StoredKnowledgeBase) else None
    # An edit that made no record again (comments, layout) keeps the earlier key's.
    return kb, Kept(key, base[0] if base is not None and not base[1] else None)


@dataclass(frozen=True)
class Kept:
    """What is derived from the knowledge base cached under one key (index.Kept)."""

    key: str
    same_as: str | None = None

    def database(
        self, name: str, version: int, tables: Collection[str]
    ) -> sqlite3.Connection | None:
        """The database derived and kept under `name`, read-only, if it is whole and ours."""
        for key in (self.key, self.same_as):
            found = (
                None
                if key is None
                else _open_database(f"{name}-{key}.sqlite", key, version, tables)
            )
            if found is not None:
                return found
        return None

    def keep_database(
        self, name: str, version: int, write: Callable[[sqlite3.Connection], None]
    ) -> None:
        """Keep a database derived from the knowledge base; failing to is not an error."""
        import sqlite3

        from softbank_kb.store import write_database

        _write(
            f"{name}-{self.key}.sqlite",
            lambda path: write_database(path, self.key, version, write),
            (sqlite3.Error,),
        )


def forget_derived() -> None:
    """Remove every search and ask database kept: one was found damaged, and is rebuilt."""
    path = cache_dir()
    directory = None if path is None else _opened_dir(path, create=False)
    if directory is None:
        return
    try:
        for name in os.listdir(directory):  # noqa: PTH208 - names relative to the descriptor
            if re.fullmatch(r"(?:search|ask)-[0-9a-f]{64}\.sqlite", name):
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=directory)
    finally:
        os.close(directory)


def _key_or_none(data_dir: Path, notes: bool = False) -> str | None:
    """The content key, or None when the directory cannot be read: the loader says why."""
    contents = _contents_or_none(data_dir, notes)
    return None if contents is None else contents.key


def _contents_or_none(data_dir: Path, notes: bool = True) -> _Contents | None:
    """The files, digests and key of `data_dir`, or None when it cannot be read."""
    try:
        # A .yaml name that is not a regular file (a broken link, a FIFO), a file over the
        # size limit, or a directory over its limits of files and bytes is for the loader
        # to report without reading it, so such a directory is never answered from the
        # cache, nor hashed.
        if too_many_files(data_dir):
            return None
        names = yaml_names(data_dir)
        files = data_files(data_dir, names)
        if not files or len(names) != len(files):
            return None
        if any(path.stat().st_size > MAX_FILE_BYTES for path in files):
            return None
        if too_many_bytes(files) or _lexicon_too_large(files):
            return None
        return _contents(files, _digest_notes() if notes else None)
    except (OSError, RuntimeError):
        return None


def _lexicon_too_large(files: list[Path]) -> bool:
    """Whether the data lexicon among `files` is one the loader refuses by its size, unread."""
    words = [path for path in files if path.name == DATA_LEXICON]
    if not words:
        return False
    from softbank_kb.lexicon import data_lexicon_too_large

    return data_lexicon_too_large(words[0]) is not None


def cache_dir() -> Path | None:
    """Where caches live, or None when SBKB_NO_CACHE is set."""
    if os.environ.get("SBKB_NO_CACHE", "") not in ("", "0"):
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG specification: a relative path is to be ignored, not taken from the cwd.
    if not Path(base).is_absolute():
        base = str(Path.home() / ".cache")
    return Path(base) / "sbkb"


def content_key(files: list[Path], notes: Notes | None = None) -> str:
    """A sha256 over the version and code, and the name and bytes of every data file.

    With `notes`, a file whose status is the one noted with its digest is not read again.
    """
    return _contents(files, notes).key


def _contents(files: list[Path], notes: Notes | None) -> _Contents:
    """The digest of every file, and the content key made of them."""
    digest = hashlib.sha256(_code_digest().encode())
    digests = []
    for path in files:
        found = _file_digest(path) if notes is None else notes.digest(path, _file_digest)
        digest.update(path.name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(found)
        digests.append(found)
    if notes is not None:
        notes.save(lambda name, data: _write(name, lambda path: path.write_bytes(data), ()))
    return _Contents(digest.hexdigest(), files, digests)


@functools.cache
def _code_digest() -> str:
    """A sha256 over the version, the Python and the code that make and read records."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0".encode())
    # The code too: a checkout changes between releases, and a database of records made
    # by other model classes must not be taken for this code's (a fraction of a ms). The
    # package's lexicon as well: a data lexicon is checked against it (its terms, the
    # kinds of its concepts), so it decides whether a data directory is valid.
    package = Path(__file__).parent
    for path in [*sorted(package.glob("*.py")), package / "lexicon.yaml"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _digest_notes() -> Notes | None:
    """The digests of unchanged files, noted in the cache directory; None without a cache."""
    # Made now if need be: the first run notes the digests it took, for the next.
    directory = _trusted_dir(create=True)
    if directory is None:
        return None
    return Notes(lambda name: _read_own_file(directory / name, _NOTES_BYTES, _NOTES_BYTES))


def _hashed_reads() -> tuple[Reader, dict[Path, bytes | None]]:
    """A reader of data files for the loader, and the sha256 of the bytes it gave of each
    file (None for a file read twice that changed between): the digests of what was parsed."""
    from softbank_kb import loading

    parsed: dict[Path, bytes | None] = {}

    def read(path: Path) -> bytes | LoadError:
        data = loading.read_data_file(path)
        if isinstance(data, bytes):
            digest = hashlib.sha256(data).digest()
            parsed[path] = digest if parsed.setdefault(path, digest) == digest else None
        return data

    return read, parsed


def _file_digest(path: Path) -> bytes:
    """The sha256 of a file, read a block at a time and no further than the size limit."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            if stream.tell() > MAX_FILE_BYTES:
                raise OSError(f"{path} grew past the size limit")
    return digest.digest()


def load(key: str, recover: Any = None) -> KnowledgeBase | None:
    """The cached knowledge base for this key, or None if there is none usable.

    `recover` gives the knowledge base from its data files should a query find the
    database damaged after it was opened (without one, such a query raises).
    """
    from softbank_kb import store

    connection = _open_database(f"kb-{key}.sqlite", key, store.SCHEMA_VERSION, store.TABLES)
    if connection is None:
        return None
    return store.StoredKnowledgeBase(connection, recover or _cannot_recover)


def _open_database(
    file_name: str, key: str, version: int, tables: Collection[str]
) -> sqlite3.Connection | None:
    """A read-only connection to a cache database of ours, of `version`, for `key`."""
    from softbank_kb import store

    directory = _trusted_dir(create=False)
    if directory is None:
        return None
    path = directory / file_name
    header = _read_own_file(path, store.HEADER_SIZE, MAX_DATABASE_BYTES)
    if header is None or not store.is_our_header(header, version):
        return None
    return store.open_store(path, key, tables)


def _cannot_recover() -> KnowledgeBase:
    raise RuntimeError("the cache's database is damaged")


def store(contents: _Contents, kb: KnowledgeBase, file_of: dict[str, int]) -> None:
    """Write the cache's database atomically; a cache that cannot be written is not an error.

    `file_of` gives the place among `contents.files` of the file each record stands in.
    """
    import sqlite3

    from softbank_kb.store import build_store

    key, noted = contents.key, contents.noted()
    _write(
        f"kb-{key}.sqlite",
        lambda path: build_store(kb, key, path, noted, file_of, _code_digest()),
        (sqlite3.Error,),
    )


def lexicon_for(data_dir: Path) -> Lexicon:
    """The lexicon `data_dir` is read with, the package's and its own merged: from the
    cache when neither file changed; KnowledgeBaseError where either is broken."""
    from softbank_kb import lexicon

    path = data_dir / DATA_LEXICON
    data = None
    if os.path.lexists(path):
        # Only here: the loader brings pydantic and PyYAML, 35 ms a warm start does without.
        from softbank_kb.strictyaml import read_data_file

        read = lexicon.data_lexicon_too_large(path) or read_data_file(path)
        if isinstance(read, LoadError):
            raise KnowledgeBaseError([read])
        data = read
    directory = cache_dir()
    if directory is not None and maybe_inside(directory, data_dir):
        return lexicon.lexicon_for(data_dir, data)
    digest = hashlib.sha256(_code_digest().encode())
    for part in (lexicon.LEXICON_FILE.read_bytes(), data):
        if part is not None:
            # Each file's length first, so that no two lists of files hash alike.
            digest.update(f"{len(part)}\0".encode() + part)
    name = f"lexicon-{digest.hexdigest()}.json"
    found = read_cached(name, lexicon.Lexicon)
    if found is None:
        found = lexicon.lexicon_for(data_dir, data)
        write_cached(name, found)
    return found


# The problems of an invalid data directory --------------------------------------------------

_PROBLEMS_FORMAT = "sbkb-problems-1"


def kept_problems(key: str, data_dir: Path) -> list[LoadError] | None:
    """The problems kept for the data files of this content key, as `data_dir` names them,
    or None: none kept, kept for a directory of another name, or not whole and ours.

    Read as every cache file is (this user's own file in this user's own directory, no
    link followed): JSON of strings, integers and booleans, checked field by field.
    """
    directory = _trusted_dir(create=False)
    if directory is None:
        return None
    data = _read_own_file(directory / f"problems-{key}.json", _PROBLEMS_BYTES, _PROBLEMS_BYTES)
    if not data:
        return None
    try:
        form, named, entries = json.loads(data)
    except (ValueError, TypeError):
        return None
    # The messages name the files as the directory was named: kept for that name alone.
    if form != _PROBLEMS_FORMAT or named != str(data_dir) or type(entries) is not list:
        return None
    problems = [_problem(entry) for entry in entries]
    if not problems or any(problem is None for problem in problems):
        return None
    return [problem for problem in problems if problem is not None]


def _problem(entry: Any) -> LoadError | None:
    """One kept problem, or None if it is not one."""
    if type(entry) is not list or len(entry) != 5:
        return None
    path, message, line, column, cut_short = entry
    if type(path) is not str or type(message) is not str or type(cut_short) is not bool:
        return None
    if not all(place is None or type(place) is int for place in (line, column)):
        return None
    return LoadError(path, message, line, column, cut_short)


def keep_problems(key: str, data_dir: Path, problems: list[LoadError]) -> None:
    """Keep the problems of the data files of this content key, found by loading
    `data_dir`; failing to is not an error."""
    entries = [[p.path, p.message, p.line, p.column, p.cut_short] for p in problems]
    payload = json.dumps([_PROBLEMS_FORMAT, str(data_dir), entries]).encode()
    if problems and len(payload) <= _PROBLEMS_BYTES:
        _write(f"problems-{key}.json", lambda path: path.write_bytes(payload), ())


# The first item of every JSON file the cache writes: a file without it is not ours.
_JSON_FORMAT = "sbkb-state-1"


def read_cached(file_name: str, kind: type[T]) -> T | None:
    """What is kept as JSON under `file_name` if it is whole and of `kind`, else None.

    A dataclass is rebuilt from its fields (builder.py); any other kind from the state
    its __getstate__ gave, made of builtin containers only, each attribute of the type
    it was written with: JSON names no class to make, and a file of another kind (or of
    another shape) is refused before anything is made of it.
    """
    import dataclasses

    directory = _trusted_dir(create=False)
    if directory is None:
        return None
    data = _read_own_file(directory / file_name, MAX_CACHE_BYTES, MAX_CACHE_BYTES)
    if not data:
        return None
    try:
        with without_garbage_collection():
            form, kind_name, types, state = json.loads(data, object_hook=_untagged)
            if form != _JSON_FORMAT or kind_name != _name_of(kind):
                return None
            if dataclasses.is_dataclass(kind):
                from softbank_kb.store import build

                return build(kind, state)
            if sorted(state) != sorted(types):
                return None
            if any(type(state[name]).__name__ != types[name] for name in types):
                return None
            made = kind.__new__(kind)
            if hasattr(made, "__setstate__"):
                made.__setstate__(state)
            else:
                made.__dict__.update(state)
            return made
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def write_cached(file_name: str, value: object) -> None:
    """Keep `value` as JSON under `file_name`; a cache that cannot be written is not an error."""
    import dataclasses

    if dataclasses.is_dataclass(value):
        from softbank_kb.store import plain

        state, types = plain(value), {}
    else:
        # object.__getstate__ is Python 3.11's: on 3.10 a class without its own has none.
        getstate = getattr(value, "__getstate__", None)
        state = getstate() if getstate is not None else dict(vars(value))
        types = {name: type(item).__name__ for name, item in state.items()}
    try:
        document = [_JSON_FORMAT, _name_of(type(value)), _tagged(types), _tagged(state)]
        payload = json.dumps(document).encode()
    except (TypeError, ValueError, RecursionError):
        return  # not data JSON can hold: not kept, rebuilt when needed
    _write(file_name, lambda path: path.write_bytes(payload), ())


def _name_of(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


# JSON has lists and string-keyed objects only: the other builtin containers are written
# as one-key objects naming them, and every JSON object read is one of these.
_CONTAINERS: dict[str, Any] = {"tuple": tuple, "set": set, "frozenset": frozenset}


# A list of such containers of plain values alone (the search index's name owners, ask's
# sets of ids) is written as one object for the whole list: a decoder's call per item was
# most of the time these files took to read.
_LISTS: dict[str, Any] = {f"{tag}s": container for tag, container in _CONTAINERS.items()}
_PLAIN = (str, bool, int, float, type(None))


def _tagged(value: Any) -> Any:
    """`value` with its tuples, sets and dicts written as tagged JSON objects."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, list):
        return _tagged_list(value)
    if isinstance(value, dict):
        if value and all(type(k) is str and _tuples_only(v) for k, v in value.items()):
            # The search index's names: 200,000 keys at 100,000 records, one object here.
            return {"tuple lists": [list(value), [[list(t) for t in v] for v in value.values()]]}
        return {"dict": [[_tagged(k), _tagged(v)] for k, v in value.items()]}
    for tag, container in _CONTAINERS.items():
        if type(value) is container:
            return {tag: [_tagged(item) for item in value]}
    raise TypeError(f"{type(value).__name__} is not kept in the cache")


def _tuples_only(value: Any) -> bool:
    """`value` is a list of tuples of plain values."""
    return type(value) is list and all(
        type(item) is tuple and all(type(v) in _PLAIN for v in item) for item in value
    )


def _tagged_list(values: list[Any]) -> Any:
    """A list as JSON: one tagged object when all its items are one container of plain values."""
    for tag, container in _LISTS.items():
        if values and all(
            type(item) is container and all(type(v) in _PLAIN for v in item) for item in values
        ):
            return {tag: [list(item) for item in values]}
    return [_tagged(item) for item in values]


def _untagged(tagged: dict[str, Any]) -> Any:
    """A tagged JSON object back as the container it names; ValueError for any other."""
    if len(tagged) != 1:
        raise ValueError("not a tagged container")
    ((tag, items),) = tagged.items()
    if tag == "dict":
        return {_hashable(k): v for k, v in items}
    if tag == "tuple":
        return tuple(items)
    if tag == "tuple lists":
        # Each tuple is read back as a list: its readers unpack it (`for e, f, _ in`), and
        # making 200,000 tuples again was most of a warm search at 100,000 records.
        keys, values = items
        return dict(zip(keys, values, strict=True))
    if tag in _LISTS:
        # A list among a set's members is unhashable: TypeError, and the file is refused.
        container = _LISTS[tag]
        return [container(item) for item in items]
    return _CONTAINERS[tag](_hashable(item) for item in items)


def _hashable(value: Any) -> Any:
    """A key or set member: a list read back where a tuple was written is not one."""
    if isinstance(value, list):
        raise ValueError("a list cannot be a key")
    return value


def _read_own_file(path: Path, limit: int, largest: int) -> bytes | None:
    """Up to `limit` bytes of a regular file this user owns and alone can write, else None.

    A file of more than `largest` bytes is no cache of ours: it is not read at all.
    """
    directory = _opened_dir(path.parent, create=False)
    if directory is None:
        return None
    try:
        # Named in the directory checked, not following a link, and not waiting for a
        # FIFO's writer: what is opened is checked before a byte is read from it.
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        handle = os.open(path.name, flags, dir_fd=directory)
    except OSError:
        return None
    finally:
        os.close(directory)
    try:
        info = os.fstat(handle)
        problem = _untrusted(info, "file") or (
            None if stat.S_ISREG(info.st_mode) else "it is not a regular file"
        )
        if problem is None and info.st_size > largest:
            problem = f"it is {info.st_size:,} bytes, more than a cache can be"
        if problem is not None:
            _warn(path, problem)
            return None
        with os.fdopen(handle, "rb", closefd=False) as stream:
            return stream.read(limit)
    except OSError:
        return None
    finally:
        os.close(handle)


def _untrusted(info: os.stat_result, what: str) -> str | None:
    """Why a file or directory with this status cannot be trusted, or None."""
    if info.st_uid != os.getuid():
        return f"the {what} is owned by uid {info.st_uid}, not by you (uid {os.getuid()})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"the {what} is writable by other users (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def _trusted_dir(create: bool) -> Path | None:
    """The cache directory if it is this user's alone (made 0700 if `create`), else None."""
    directory = cache_dir()
    handle = None if directory is None else _opened_dir(directory, create)
    if handle is None:
        return None
    os.close(handle)
    return directory


def _opened_dir(directory: Path, create: bool) -> int | None:
    """A descriptor of `directory` (made 0700 if `create`) if it is this user's alone and
    no other user could have put it, or a link to it, where it is; else None."""
    try:
        if create:
            directory.parent.mkdir(parents=True, exist_ok=True)
        parent = os.open(directory.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (OSError, RuntimeError):
        return None  # absent, a loop, or not a directory: nothing to read, nowhere to write
    handle = None
    try:
        if create:
            with contextlib.suppress(OSError):  # there already, or for the checks to refuse
                os.mkdir(directory.name, 0o700, dir_fd=parent)
        # The entry itself, not what a link in it points to: another user's link to a
        # directory of yours must not make the cache write and prune there.
        entry = os.stat(directory.name, dir_fd=parent, follow_symlinks=False)
        problem = _replaceable(entry, os.fstat(parent), directory.parent)
        if problem is None:
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
            if not stat.S_ISLNK(entry.st_mode):
                flags |= os.O_NOFOLLOW  # what was checked is what is opened
            handle = os.open(directory.name, flags, dir_fd=parent)
            problem = _untrusted(os.fstat(handle), "directory")
    except OSError:
        if handle is not None:
            os.close(handle)
        return None
    finally:
        os.close(parent)
    if problem is not None:
        if handle is not None:
            os.close(handle)
        _warn(directory, problem)
        return None
    return handle


def _replaceable(entry: os.stat_result, parent: os.stat_result, where: Path) -> str | None:
    """Why another user may have put the cache directory `entry` in `where`, or None."""
    mode = stat.S_IMODE(parent.st_mode)
    if stat.S_ISLNK(entry.st_mode):
        if entry.st_uid != os.getuid():
            return f"it is a symbolic link of uid {entry.st_uid}, not yours (uid {os.getuid()})"
        # Yours, but in a directory others can write, sticky or not, it may be another's
        # hard link to it: a link is followed only where no one else can put one.
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            return f"it is a symbolic link in {where}, which other users can write (mode {mode:o})"
        return None
    # Where anyone can write, only the sticky bit (of a directory of yours or root's)
    # keeps others from renaming the cache directory and putting their own in its place.
    sticky = mode & stat.S_ISVTX and parent.st_uid in (0, os.getuid())
    if mode & stat.S_IWOTH and not sticky:
        return f"other users can replace it: {where} is writable by all (mode {mode:o})"
    return None


def _warn(path: Path, problem: str) -> None:
    """One line on stderr, once per path, saying why a cache is not used."""
    if str(path) in _WARNED:
        return
    _WARNED.add(str(path))
    sys.stderr.write(safe(f"sbkb: warning: not using the cache {path}: {problem}") + "\n")


# The names of the files the cache writes, and the only ones it ever removes: each kind
# (the name before the dash) under a 64-hex content key, and its temporary files.
_KEPT_NAME = r"(?:kb|search|ask)-[0-9a-f]{64}\.sqlite|(?:lexicon|problems)-[0-9a-f]{64}\.json"
_TEMPORARY_NAME = r"\.kb-.+\.tmp"


def _write(file_name: str, writer: Any, errors: tuple[type[Exception], ...]) -> None:
    """Have `writer` fill a new file that is then renamed to `file_name`; failing is no error."""
    path = cache_dir()
    directory = None if path is None else _opened_dir(path, create=True)
    if path is None or directory is None:
        return
    try:
        # Written beside its final name and renamed: a reader sees the old file or the
        # whole new one, and two writers at once each rename a complete file. Made anew
        # (O_EXCL), never through a link, and readable by the user alone.
        temporary = f".kb-{os.urandom(8).hex()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        os.close(os.open(temporary, flags, 0o600, dir_fd=directory))
        try:
            writer(path / temporary)
            os.replace(temporary, file_name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=directory)
            raise
        _prune(directory, file_name)
    except (OSError, RuntimeError, *errors):
        return
    finally:
        os.close(directory)


def _unlink(file_name: str) -> None:
    """Remove a cache file found damaged, if the directory is ours and the name one it writes."""
    path = cache_dir()
    if path is None or not re.fullmatch(_KEPT_NAME, file_name):
        return
    directory = _opened_dir(path, create=False)
    if directory is None:
        return
    try:
        os.unlink(file_name, dir_fd=directory)
    except OSError:
        return  # gone already, or not to be removed: it is checked again when read
    finally:
        os.close(directory)


def _prune(directory: int, written: str) -> None:
    """Remove all but the newest few caches of the kind written (each edit of the data makes
    one), and what killed writers left: only names the cache writes itself, never others."""
    kind = written.split("-", 1)[0] + "-" if re.fullmatch(_KEPT_NAME, written) else None
    stale = time.time() - _STALE_SECONDS
    caches = []
    for name in os.listdir(directory):
        try:
            info = os.stat(name, dir_fd=directory, follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if re.fullmatch(_TEMPORARY_NAME, name):
            # What a killed writer left; a live writer's file is younger than this.
            if info.st_mtime < stale:
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=directory)
        elif kind and name.startswith(kind) and re.fullmatch(_KEPT_NAME, name):
            caches.append((info.st_mtime, name))
    for _, name in sorted(caches, reverse=True)[_KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=directory)
