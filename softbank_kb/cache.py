"""A cache of the validated knowledge base, keyed by the content of its data files.

The key is a sha256 over the package version and code, the Python version and every data
file's name and bytes, so an edited file is always seen, whatever its timestamp. The value is
the pickled KnowledgeBase: its records are frozen stdlib dataclasses, so unpickling them
re-runs no validation and needs neither pydantic, PyYAML nor the loader, which is what
makes a warm start cheap (see benchmarks/README.md for the formats measured). What is
derived from a knowledge base and costly to rebuild (the search index) is kept beside it
under the same key. Any unreadable, truncated or foreign cache file is ignored and
rebuilt; a cache directory that cannot be written is survived. Nothing here ever writes
into the data directory.

A cache file is code to pickle, so what is read is trusted no more than it must be: the
directory is made 0700, a directory or file that another user owns or could write is
not read (a warning, and the answer comes from the data), a file that is not a regular
one or is implausibly large is not opened for reading, and the unpickler builds only
the classes a cache holds, never a function such as os.system.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

from softbank_kb import __version__
from softbank_kb.derived import keep_with
from softbank_kb.memory import without_garbage_collection
from softbank_kb.models import COLLECTIONS, KnowledgeBase
from softbank_kb.paths import MAX_FILE_BYTES, data_files, maybe_inside, yaml_names
from softbank_kb.printable import safe

_MAGIC = b"sbkb-cache-2\n"
# Cache files of other contents are removed beyond this many, newest kept.
_KEEP = 4
# A cache of the largest data directory the loader accepts is tens of MiB; a file far
# beyond that is not one of ours.
MAX_CACHE_BYTES = 512 * 1024 * 1024
# A temporary file this old belongs to a writer that was killed (SIGKILL, power loss).
_STALE_SECONDS = 600
# What a cache file may build: the record classes and the search index, nothing else.
_ALLOWED = frozenset(
    {("softbank_kb.models", model.__name__) for model in COLLECTIONS.values()}
    | {
        ("softbank_kb.models", name)
        for name in ("KnowledgeBase", "Citation", "PartialDate", "Money", "Quantity", "Role")
    }
    | {("softbank_kb.search", "_Index"), ("softbank_kb.ask", "_About")}
    | {("softbank_kb.lexicon", name) for name in ("Lexicon", "Concept", "Stopwords")}
    | {("builtins", name) for name in ("frozenset", "set", "tuple", "list", "dict")}
)
# Directories already warned about in this process: one line each, not one per file.
_WARNED: set[str] = set()
T = TypeVar("T")


def knowledge_base(data_dir: Path) -> KnowledgeBase:
    """The knowledge base of `data_dir`: from the cache when its files are unchanged."""
    key = _key_or_none(data_dir)
    directory = cache_dir()
    if key is not None and directory is not None and maybe_inside(directory, data_dir):
        key = None  # a cache that would be written into the data directory is not kept
    if key is not None:
        cached = load(key)
        if cached is not None:
            return _remember(cached, key)
    from softbank_kb.loading import load_knowledge_base

    kb = load_knowledge_base(data_dir)
    # Stored only if the files did not change while they were being loaded.
    if key is not None and _key_or_none(data_dir) == key:
        store(key, kb)
        _remember(kb, key)
    return kb


def _remember(kb: KnowledgeBase, key: str) -> KnowledgeBase:
    """`kb`, with what search and ask derive from it kept under its content key."""
    keep_with(kb, _Derived(key))
    return kb


class _Derived:
    """The keeper of what is derived from the knowledge base cached under one key."""

    def __init__(self, key: str) -> None:
        self.key = key

    def load(self, name: str, kind: type[T]) -> T | None:
        """What was derived and stored under `name`, or None."""
        return _read(f"{name}-{self.key}.pickle", kind)

    def store(self, name: str, value: object) -> None:
        """Keep something derived until the data changes; failing to is not an error."""
        _write(f"{name}-{self.key}.pickle", value)


def _key_or_none(data_dir: Path) -> str | None:
    """The content key, or None when the directory cannot be read: the loader says why."""
    try:
        files = data_files(data_dir)
        # A .yaml name that is not a regular file (a broken link, a FIFO) or a file over
        # the size limit is for the loader to report without reading it, so such a
        # directory is never answered from the cache, nor hashed.
        if not files or len(yaml_names(data_dir)) != len(files):
            return None
        if any(path.stat().st_size > MAX_FILE_BYTES for path in files):
            return None
        return content_key(files)
    except (OSError, RuntimeError):
        return None


def cache_dir() -> Path | None:
    """Where caches live, or None when SBKB_NO_CACHE is set."""
    if os.environ.get("SBKB_NO_CACHE", "") not in ("", "0"):
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG specification: a relative path is to be ignored, not taken from the cwd.
    if not Path(base).is_absolute():
        base = str(Path.home() / ".cache")
    return Path(base) / "sbkb"


def content_key(files: list[Path]) -> str:
    """A sha256 over the version and code, and the name and bytes of every data file."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0".encode())
    # The code too: a checkout changes between releases, and a pickle of records made
    # by other model classes must not be taken for this code's (a fraction of a ms).
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    for path in files:
        digest.update(path.name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(_file_digest(path))
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    """The sha256 of a file, read a block at a time and no further than the size limit."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            if stream.tell() > MAX_FILE_BYTES:
                raise OSError(f"{path} grew past the size limit")
    return digest.digest()


def load(key: str) -> KnowledgeBase | None:
    """The cached knowledge base for this key, or None if there is none usable."""
    return _read(f"kb-{key}.pickle", KnowledgeBase)


def store(key: str, kb: KnowledgeBase) -> None:
    """Write the cache atomically; a cache that cannot be written is not an error."""
    _write(f"kb-{key}.pickle", kb)


class _RecordsOnly(pickle.Unpickler):
    """An unpickler that builds the classes a cache holds and refuses any other global."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache")
        return super().find_class(module, name)


def read_cached(file_name: str, kind: type[T]) -> T | None:
    """What is cached under `file_name` if it is whole and of `kind`, else None."""
    return _read(file_name, kind)


def write_cached(file_name: str, value: object) -> None:
    """Keep `value` under `file_name`; a cache that cannot be written is not an error."""
    _write(file_name, value)


def _read(file_name: str, kind: type[T]) -> T | None:
    """The object pickled in a cache file if it is whole, ours and of `kind`, else None."""
    directory = _trusted_dir(create=False)
    if directory is None:
        return None
    data = _read_own_file(directory / file_name)
    if data is None or not data.startswith(_MAGIC):
        return None
    try:
        with without_garbage_collection():
            stream = io.BytesIO(data)
            stream.seek(len(_MAGIC))
            value = _RecordsOnly(stream).load()
    except Exception:
        return None
    return value if isinstance(value, kind) else None


def _read_own_file(path: Path) -> bytes | None:
    """The bytes of a regular file this user owns and only this user can write, else None."""
    try:
        # Not following a link, and not waiting for a FIFO's writer: what is opened is
        # checked before a byte is read from it.
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        problem = _untrusted(info, "file") or (
            None if stat.S_ISREG(info.st_mode) else "it is not a regular file"
        )
        if problem is None and info.st_size > MAX_CACHE_BYTES:
            problem = f"it is {info.st_size:,} bytes, more than a cache can be"
        if problem is not None:
            _warn(path, problem)
            return None
        with os.fdopen(handle, "rb", closefd=False) as stream:
            return stream.read(MAX_CACHE_BYTES + 1)
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
    if directory is None:
        return None
    try:
        if create:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except (OSError, RuntimeError):
        return None  # absent, a loop, or not a directory: nothing to read, nowhere to write
    if not stat.S_ISDIR(info.st_mode):
        return None
    problem = _untrusted(info, "directory")
    if problem is not None:
        _warn(directory, problem)
        return None
    return directory


def _warn(path: Path, problem: str) -> None:
    """One line on stderr, once per path, saying why a cache is not used."""
    if str(path) in _WARNED:
        return
    _WARNED.add(str(path))
    sys.stderr.write(safe(f"sbkb: warning: not using the cache {path}: {problem}") + "\n")


def _write(file_name: str, value: object) -> None:
    """Pickle `value` into the cache atomically; failing to is not an error."""
    directory = _trusted_dir(create=True)
    if directory is None:
        return
    try:
        payload = _MAGIC + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        import tempfile  # only a cold start writes; a warm one need not import it

        # Written beside its final name and renamed: a reader sees the old file or the
        # whole new one, and two writers at once each rename a complete file.
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".kb-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            Path(temporary).replace(directory / file_name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _prune(directory, file_name.split("-", 1)[0])
    except (OSError, RuntimeError):
        return


def _prune(directory: Path, prefix: str) -> None:
    """Remove all but the newest few caches: each edit of the data makes a new one."""
    caches = sorted(
        directory.glob(f"{prefix}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in caches[_KEEP:]:
        old.unlink(missing_ok=True)
    # What a killed writer left; a live writer's file is younger than this.
    stale = time.time() - _STALE_SECONDS
    for leftover in directory.glob(".kb-*.tmp"):
        try:
            if leftover.lstat().st_mtime < stale:
                leftover.unlink()
        except OSError:
            continue
