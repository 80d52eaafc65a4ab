"""Reliability review 3: R1, a file changed and changed back while it is loaded."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from softbank_kb import cache, loading
from softbank_kb.errors import LoadError

from .conftest import REPO, RunCli

NO_CACHE = {"SBKB_NO_CACHE": "1"}
A = b"amount: 6500000000"
B = b"amount: 6500000001"
# Answers that show the amount of the deal A and B differ in, read from the database.
SHOWN = [
    ["show", "ampere-acquisition", "--json"],
    ["invest", "--json"],
    ["invest", "--min-amount", "6500000001USD", "--json"],
    ["export", "--format", "csv"],
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(REPO / "data", copy)
    return copy


def _put(path: Path, data: bytes, how: str) -> None:
    """Write `data` into `path` in place, or as editors do: a new file renamed over it."""
    if how == "in-place":
        path.write_bytes(data)
    else:
        new = path.with_name(f".{path.name}.new")
        new.write_bytes(data)
        new.replace(path)


def _swapped_while_read(monkeypatch: pytest.MonkeyPatch, deals: Path, how: str) -> list[bytes]:
    """Make `deals` B while the loader reads it, and A again at once: what a `git stash &&
    git stash pop` or a save and an undo does to a load. The bytes read, in order."""
    read = loading.read_data_file
    held = deals.read_bytes()
    assert A in held
    seen: list[bytes] = []

    def swapping(path: Path) -> bytes | LoadError:
        if path != deals:
            return read(path)
        _put(deals, held.replace(A, B, 1), how)
        try:
            found = read(path)
        finally:
            _put(deals, held, how)
        seen.append(found if isinstance(found, bytes) else b"")
        return found

    monkeypatch.setattr(loading, "read_data_file", swapping)
    return seen


def _answers(run_cli: RunCli, data_dir: Path, env: dict[str, str] | None = None) -> list[str]:
    found = []
    for args in SHOWN:
        result = run_cli("--data", str(data_dir), *args, env=env)
        assert result.exit_code == 0, result.stderr
        found.append(result.stdout)
    return found


def _databases_of(data_dir: Path) -> list[Path]:
    """The databases kept under the key of what the data files hold now."""
    directory = cache.cache_dir()
    assert directory is not None
    return list(directory.glob(f"kb-{cache._key_or_none(data_dir)}.sqlite"))


def _assert_never_b(run_cli: RunCli, data_dir: Path) -> None:
    """The files hold A; the cache answers A, and holds nothing of B under A's key."""
    assert A in (data_dir / "deals.yaml").read_bytes()
    expected = _answers(run_cli, data_dir, env=NO_CACHE)
    assert any("6500000000" in answer for answer in expected)
    for _ in range(2):  # the first run builds or updates a database, the second reads it
        assert _answers(run_cli, data_dir) == expected
    (database,) = _databases_of(data_dir)
    assert b"6500000001" not in database.read_bytes()


@pytest.mark.parametrize("how", ["in-place", "rename"])
def test_r1_a_file_changed_and_changed_back_during_the_first_build_is_never_answered_as_the_other(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    with monkeypatch.context() as patched:
        seen = _swapped_while_read(patched, data_dir / "deals.yaml", how)
        run_cli("--data", str(data_dir), "invest", "--json")  # an empty cache: a whole load
    assert seen and all(B in data for data in seen)  # the load parsed B, hashed A before
    _assert_never_b(run_cli, data_dir)


@pytest.mark.parametrize("how", ["in-place", "rename"])
def test_r1_a_file_changed_and_changed_back_during_an_update_is_never_answered_as_the_other(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    deals = data_dir / "deals.yaml"
    held = deals.read_bytes()
    _put(deals, held.replace(A, b"amount: 6500000005", 1), how)
    assert run_cli("--data", str(data_dir), "stats").exit_code == 0  # the base of an update
    _put(deals, held, how)
    updates: list[list[Path]] = []
    load_changed_files = loading.load_changed_files

    def counted(paths: list[Path], *args: object) -> object:
        updates.append(paths)
        return load_changed_files(paths, *args)  # type: ignore[arg-type]

    with monkeypatch.context() as patched:
        seen = _swapped_while_read(patched, deals, how)
        patched.setattr(loading, "load_changed_files", counted)
        run_cli("--data", str(data_dir), "invest", "--json")
    assert updates == [[deals]]  # the incremental update was tried, on deals.yaml alone
    assert seen and all(B in data for data in seen)
    _assert_never_b(run_cli, data_dir)
    # Nor does a later edit of another file, applied to the nearest database, carry B on.
    people = data_dir / "people.yaml"
    assert b"name: Masayoshi Son\n" in people.read_bytes()
    people.write_bytes(
        people.read_bytes().replace(b"name: Masayoshi Son\n", b"name: Masayoshi Sonn\n", 1)
    )
    _assert_never_b(run_cli, data_dir)


def test_r1_the_key_and_the_records_come_from_the_same_bytes(tmp_path: Path) -> None:
    """A file read twice that changed between is no file's digest."""
    path = tmp_path / "deals.yaml"
    path.write_bytes(A)
    read, parsed = cache._hashed_reads()
    assert read(path) == A
    assert read(path) == A
    assert parsed == {path: hashlib.sha256(A).digest()}
    path.write_bytes(B)
    assert read(path) == B
    assert parsed == {path: None}
