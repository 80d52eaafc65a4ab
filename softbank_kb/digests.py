"""Each data file's sha256, remembered by its status so that an unchanged file is not read again.

The cache key is a hash of every data file's bytes (cache.py): at a million records
that is 760 MB to read before every command. A file whose device, inode, size,
modification and change times are those it had when its digest was taken has the same
bytes, so its digest is taken from a note the cache keeps (`digests.json`), as git's
index does. The change time (ctime) is what makes this safe: the kernel sets it at
every write and every change of the other times, and no program can set it back. A
digest is noted only for a file whose ctime is some seconds in the past when it is
read, so that a write in the same tick of the clock, after the read, cannot go unseen
(git's "racy" files). The note is data (JSON, no code), read only if this user owns it
and no one else can write it; a note that is damaged or not ours is ignored.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

# A file changed this recently is hashed every time until it is older: its next write
# could fall in the same tick of the clock as its last and leave its times as they were.
SETTLED_NS = 3_000_000_000
_FORMAT = "sbkb-digests-1"
_FILE = "digests.json"
# Noted files beyond this many are dropped, the least recently seen first.
_KEEP = 10_000

Status = tuple[int, int, int, int, int]


def status_of(info: os.stat_result) -> Status:
    """What says a file is unchanged: device, inode, size, mtime and ctime in ns."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class Notes:
    """The digests noted in the cache directory, and those to note once the key is made."""

    def __init__(self, read: Callable[[str], bytes | None]) -> None:
        self._noted = _parsed(read(_FILE))
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
        kept = dict(list(self._noted.items())[-_KEEP:])
        write(_FILE, json.dumps([_FORMAT, kept]).encode())


def _parsed(data: bytes | None) -> dict[str, list[int | str]]:
    """The noted digests, or none when the note is absent, damaged or of another format."""
    if not data:
        return {}
    try:
        form, noted = json.loads(data)
    except (ValueError, TypeError):
        return {}
    if form != _FORMAT or not isinstance(noted, dict):
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
