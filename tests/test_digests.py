"""The cache key's file digests, noted by file status: never stale, never trusted blindly."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from softbank_kb import cache
from softbank_kb.paths import data_files

from .conftest import REPO, RunCli, spy_on_paths


@pytest.fixture
def data_dir(tmp_path: Path, run_cli: RunCli) -> Path:
    """A copy of the bundled data, with a cache directory of its own (set by run_cli)."""
    target = tmp_path / "data"
    shutil.copytree(REPO / "data", target)
    assert cache.cache_dir() is not None
    cache.cache_dir().mkdir(parents=True, mode=0o700)  # type: ignore[union-attr]
    return target


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files whose bytes are hashed, in order."""
    return spy_on_paths(monkeypatch, cache, "_file_digest")


def _without_notes(files: list[Path]) -> str:
    """The key as it is made with no note at all: every file read."""
    return cache.content_key(files)


def _key(data_dir: Path) -> str | None:
    """The key as a command makes it, with the notes of the cache directory."""
    return cache._key_or_none(data_dir, notes=True)


def test_a_settled_unchanged_file_is_not_read_again(data_dir, reads, monkeypatch) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 0)
    files = data_files(data_dir)
    first = _key(data_dir)
    assert len(reads) == len(files)
    reads.clear()
    second = _key(data_dir)
    assert reads == []
    assert second == first == _without_notes(files)


def test_a_rewritten_file_is_read_again_though_its_times_are_set_back(
    data_dir, reads, monkeypatch
) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 0)
    files = data_files(data_dir)
    first = _key(data_dir)
    reads.clear()
    deals = data_dir / "deals.yaml"
    before = deals.stat()
    time.sleep(0.05)  # past a tick of the clock that sets its change time
    text = deals.read_text(encoding="utf-8")
    deals.write_text(text.replace("6500000000", "6500000001", 1), encoding="utf-8")
    os.utime(deals, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert deals.stat().st_size == before.st_size
    second = _key(data_dir)
    assert reads == ["deals.yaml"]  # the others are as they were noted
    assert second != first
    assert second == _without_notes(files)


def test_a_file_changed_just_now_is_read_every_time(data_dir, reads) -> None:
    """Within SETTLED_NS of its last change a file could change again unseen: not noted."""
    files = data_files(data_dir)
    _key(data_dir)
    reads.clear()
    _key(data_dir)
    assert len(reads) == len(files)


@pytest.mark.parametrize(
    "note",
    [
        b"",
        b"not json",
        b'["sbkb-digests-1", []]',
        b'["another-format", {}]',
        b'{"os.system": ["touch x"]}',
    ],
    ids=["empty", "garbage", "other-shape", "other-format", "foreign"],
)
def test_a_damaged_note_is_ignored(data_dir, reads, monkeypatch, note: bytes) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 0)
    files = data_files(data_dir)
    expected = _without_notes(files)
    directory = cache.cache_dir()
    assert directory is not None
    (directory / "digests.json").write_bytes(note)
    reads.clear()
    assert _key(data_dir) == expected
    assert len(reads) == len(files)


def test_a_noted_digest_that_is_not_a_digest_is_ignored(data_dir, reads, monkeypatch) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 0)
    files = data_files(data_dir)
    expected = _key(data_dir)
    directory = cache.cache_dir()
    assert directory is not None
    path = directory / "digests.json"
    path.write_bytes(path.read_bytes().replace(b'"]', b'zz"]'))
    reads.clear()
    assert _key(data_dir) == expected
    assert len(reads) == len(files)


def test_a_note_others_can_write_is_not_read(data_dir, reads, monkeypatch, capsys) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 0)
    monkeypatch.setattr(cache, "_WARNED", set())
    files = data_files(data_dir)
    expected = _key(data_dir)
    directory = cache.cache_dir()
    assert directory is not None
    (directory / "digests.json").chmod(0o666)
    reads.clear()
    assert _key(data_dir) == expected
    assert len(reads) == len(files)
    assert "writable by other users" in capsys.readouterr().err
