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
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import weakref
from pathlib import Path
from typing import TypeVar

from softbank_kb import __version__
from softbank_kb.memory import without_garbage_collection
from softbank_kb.models import KnowledgeBase
from softbank_kb.paths import data_files

_MAGIC = b"sbkb-cache-2\n"
# Cache files of other contents are removed beyond this many, newest kept.
_KEEP = 4
# The content key of each knowledge base this process loaded, for what derives from it.
_KEYS: weakref.WeakKeyDictionary[KnowledgeBase, str] = weakref.WeakKeyDictionary()

T = TypeVar("T")


def knowledge_base(data_dir: Path) -> KnowledgeBase:
    """The knowledge base of `data_dir`: from the cache when its files are unchanged."""
    key = _key_or_none(data_dir)
    if key is not None and _within(cache_dir(), data_dir):
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


def _within(directory: Path | None, data_dir: Path) -> bool:
    """Whether `directory` is `data_dir` or inside it."""
    if directory is None:
        return False
    try:
        return directory.resolve().is_relative_to(data_dir.resolve())
    except OSError:
        return True  # cannot tell, so the cache is not written


def _remember(kb: KnowledgeBase, key: str) -> KnowledgeBase:
    _KEYS[kb] = key
    return kb


def _key_of(kb: KnowledgeBase) -> str | None:
    """The content key `kb` was loaded under, or None if it did not come through here."""
    return _KEYS.get(kb)


def _key_or_none(data_dir: Path) -> str | None:
    """The content key, or None when the directory cannot be read: the loader says why."""
    try:
        files = data_files(data_dir)
        named = [p for p in data_dir.iterdir() if p.suffix in (".yaml", ".yml")]
        # A .yaml name that is not a readable file (a broken link) is for the loader
        # to report, so such a directory is never answered from the cache.
        if not files or len(named) != len(files):
            return None
        return content_key(files)
    except OSError:
        return None


def cache_dir() -> Path | None:
    """Where caches live, or None when SBKB_NO_CACHE is set."""
    if os.environ.get("SBKB_NO_CACHE", "") not in ("", "0"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
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
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load(key: str) -> KnowledgeBase | None:
    """The cached knowledge base for this key, or None if there is none usable."""
    return _read(f"kb-{key}.pickle", KnowledgeBase)


def store(key: str, kb: KnowledgeBase) -> None:
    """Write the cache atomically; a cache that cannot be written is not an error."""
    _write(f"kb-{key}.pickle", kb)


def load_derived(kb: KnowledgeBase, name: str, kind: type[T]) -> T | None:
    """What was derived from `kb` and stored under `name`, or None."""
    key = _key_of(kb)
    return None if key is None else _read(f"{name}-{key}.pickle", kind)


def store_derived(kb: KnowledgeBase, name: str, value: object) -> None:
    """Keep something derived from `kb` until its data changes (only for a cached `kb`)."""
    key = _key_of(kb)
    if key is not None:
        _write(f"{name}-{key}.pickle", value)


def read_cached(file_name: str, kind: type[T]) -> T | None:
    """What is cached under `file_name` if it is whole and of `kind`, else None."""
    return _read(file_name, kind)


def write_cached(file_name: str, value: object) -> None:
    """Keep `value` under `file_name`; a cache that cannot be written is not an error."""
    _write(file_name, value)


def _read(file_name: str, kind: type[T]) -> T | None:
    """The object pickled in a cache file if it is whole and of `kind`, else None."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        data = (directory / file_name).read_bytes()
    except OSError:
        return None
    if not data.startswith(_MAGIC):
        return None
    try:
        with without_garbage_collection():
            value = pickle.loads(data[len(_MAGIC) :])
    except Exception:
        return None
    return value if isinstance(value, kind) else None


def _write(file_name: str, value: object) -> None:
    """Pickle `value` into the cache atomically; failing to is not an error."""
    directory = cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
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
    except OSError:
        return


def _prune(directory: Path, prefix: str) -> None:
    """Remove all but the newest few caches: each edit of the data makes a new one."""
    caches = sorted(
        directory.glob(f"{prefix}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in caches[_KEEP:]:
        old.unlink(missing_ok=True)
