"""A cache of the validated knowledge base, keyed by the content of its data files.

The key is a sha256 over the package version, the Python version and every data file's
name and bytes, so an edited file is always seen, whatever its timestamp. The value is
the pickled KnowledgeBase: unpickling frozen pydantic models re-runs no validation and
needs neither PyYAML nor the loader, which is what makes a warm start cheap (see
benchmarks/README.md for the formats measured). Any unreadable, truncated or foreign
cache file is ignored and rebuilt; a cache directory that cannot be written is
survived. Nothing here ever writes into the data directory.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

from softbank_kb import __version__
from softbank_kb.memory import without_garbage_collection
from softbank_kb.models import KnowledgeBase
from softbank_kb.paths import data_files

_MAGIC = b"sbkb-cache-1\n"
# Cache files of other contents are removed beyond this many, newest kept.
_KEEP = 4


def knowledge_base(data_dir: Path) -> KnowledgeBase:
    """The knowledge base of `data_dir`: from the cache when its files are unchanged."""
    key = _key_or_none(data_dir)
    if key is not None:
        cached = load(key)
        if cached is not None:
            return cached
    from softbank_kb.loading import load_knowledge_base

    kb = load_knowledge_base(data_dir)
    # Stored only if the files did not change while they were being loaded.
    if key is not None and _key_or_none(data_dir) == key:
        store(key, kb)
    return kb


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
    """A sha256 over the version, and the name and bytes of every data file, in order."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0".encode())
    for path in files:
        digest.update(path.name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load(key: str) -> KnowledgeBase | None:
    """The cached knowledge base for this key, or None if there is none usable."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        data = (directory / f"kb-{key}.pickle").read_bytes()
    except OSError:
        return None
    if not data.startswith(_MAGIC):
        return None
    try:
        with without_garbage_collection():
            kb = pickle.loads(data[len(_MAGIC) :])
    except Exception:
        return None
    return kb if isinstance(kb, KnowledgeBase) else None


def store(key: str, kb: KnowledgeBase) -> None:
    """Write the cache atomically; a cache that cannot be written is not an error."""
    directory = cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        payload = _MAGIC + pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)
        # Written beside its final name and renamed: a reader sees the old file or the
        # whole new one, and two writers at once each rename a complete file.
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".kb-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            Path(temporary).replace(directory / f"kb-{key}.pickle")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _prune(directory)
    except OSError:
        return


def _prune(directory: Path) -> None:
    """Remove all but the newest few caches: each edit of the data makes a new one."""
    caches = sorted(directory.glob("kb-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in caches[_KEEP:]:
        old.unlink(missing_ok=True)
