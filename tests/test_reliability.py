"""Reliability review 3: R1, a file changed and changed back while it is loaded; R2, another
user's symbolic link where the cache goes."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import time
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
    ["invest", "--min-amount", "6500000000USD", "--json"],
    ["export", "--format", "csv"],
]
# nobody: the other user of the ownership tests in test_cache.py.
OTHER_UID = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="acts as another user: needs root")


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


# R2 ---------------------------------------------------------------------------------------

# A directory of the victim's own, holding files of theirs: some named as the cache names
# its own, none of them the cache's to write or remove.
VICTIMS_FILES = [
    "model.pickle",
    "kb-notes.txt",
    "search-history.txt",
    "ask-log.md",
    "lexicon-draft.yaml",
    "keep.txt",
    "digests.json",
    f"kb-{'0' * 64}.sqlite",
    f"search-{'1' * 64}.sqlite",
    f"lexicon-{'2' * 64}.json",
    ".kb-draft.tmp",
]
COMMANDS = [["invest"], ["search", "nvidia"], ["ask", "who is the CFO"]]


def _victims_directory(path: Path, names: list[str]) -> Path:
    """A directory of the user's with `names` in it, each a day old."""
    path.mkdir(mode=0o700)
    a_day_ago = time.time() - 86400
    for name in names:
        (path / name).write_text(f"the user's own {name}\n", encoding="utf-8")
        os.utime(path / name, (a_day_ago, a_day_ago))
    return path


def _listing(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Each entry's bytes and modification time, links not followed."""
    return {
        path.name: (
            path.read_bytes() if path.is_file() and not path.is_symlink() else b"",
            path.lstat().st_mtime_ns,
        )
        for path in directory.iterdir()
    }


def _shared(tmp_path: Path, mode: int = 0o1777) -> Path:
    """A directory others can write (the system's temporary directory, a CI workspace)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    return shared


def _warnings_of_each(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, cache_home: Path
) -> list[list[str]]:
    """Each command's warnings, its answer checked against the data's."""
    found = []
    for args in COMMANDS:
        expected = run_cli(*args, env=NO_CACHE)
        monkeypatch.setattr(cache, "_WARNED", set())
        result = run_cli(*args, env={"XDG_CACHE_HOME": str(cache_home)})
        assert result.exit_code == expected.exit_code == 0, result.stderr
        lines = result.stderr.splitlines()
        warnings = [line for line in lines if line.startswith("sbkb: warning: not using")]
        assert result.stdout == expected.stdout
        assert [line for line in lines if line not in warnings] == expected.stderr.splitlines()
        found.append(warnings)
    return found


@as_root
@pytest.mark.parametrize(
    ("owner", "mode", "problem"),
    [
        pytest.param(OTHER_UID, 0o1777, f"symbolic link of uid {OTHER_UID}", id="another-users"),
        pytest.param(0, 0o1777, "symbolic link in", id="yours-where-others-write"),
        pytest.param(
            OTHER_UID, 0o755, f"symbolic link of uid {OTHER_UID}", id="another-users-0755"
        ),
    ],
)
def test_r2_a_link_another_user_could_have_made_is_refused_and_nothing_written_or_deleted(
    run_cli: RunCli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    owner: int,
    mode: int,
    problem: str,
) -> None:
    home = _victims_directory(tmp_path / "victim-home", VICTIMS_FILES)
    shared = _shared(tmp_path, mode)
    link = shared / "sbkb"
    link.symlink_to(home)
    os.lchown(link, owner, owner)  # owned by that user, as if they had run `ln -s`
    before = _listing(home)
    for warnings in _warnings_of_each(run_cli, monkeypatch, shared):
        (line,) = warnings
        assert line.startswith(f"sbkb: warning: not using the cache {link}: ")
        assert problem in line
    assert _listing(home) == before  # nothing written, nothing removed
    assert sorted(p.name for p in shared.iterdir()) == ["sbkb"]
    assert link.is_symlink()


@as_root
def test_r2_your_own_link_in_your_own_directory_is_used(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _victims_directory(tmp_path / "elsewhere", ["keep.txt"])
    home = tmp_path / "cache-home"
    home.mkdir(mode=0o755)
    (home / "sbkb").symlink_to(target)
    for warnings in _warnings_of_each(run_cli, monkeypatch, home):
        assert warnings == []
    assert list(target.glob("kb-*.sqlite"))
    assert (target / "keep.txt").exists()


@as_root
@pytest.mark.parametrize(
    ("mode", "refused"),
    [
        pytest.param(0o777, True, id="writable-by-all"),
        pytest.param(0o1777, False, id="sticky"),
    ],
)
def test_r2_a_cache_directory_others_could_replace_is_refused(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int, refused: bool
) -> None:
    shared = _shared(tmp_path, mode)
    (shared / "sbkb").mkdir(mode=0o700)
    for warnings in _warnings_of_each(run_cli, monkeypatch, shared):
        if refused:
            (line,) = warnings
            assert "other users can replace it" in line
        else:
            assert warnings == []
    assert bool(list((shared / "sbkb").glob("kb-*.sqlite"))) is not refused


@as_root
def test_r2_a_foreign_directory_where_the_cache_goes_is_refused(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = _shared(tmp_path)
    planted = _victims_directory(shared / "sbkb", ["keep.txt"])
    os.chown(planted, OTHER_UID, OTHER_UID)
    before = _listing(planted)
    for warnings in _warnings_of_each(run_cli, monkeypatch, shared):
        (line,) = warnings
        assert f"owned by uid {OTHER_UID}" in line
    assert _listing(planted) == before


# Named as the cache names its files, but not one of them: never removed.
LOOKALIKES = [
    "model.pickle",
    f"kb-{'a' * 64}.pickle",
    "kb-notes.txt",
    f"kb-{'a' * 64}.sqlite.bak",
    f"kb-{'a' * 63}.sqlite",
    f"kb-{'A' * 64}.sqlite",
    f"kb-{'a' * 64}.sqlite-journal",
    f"xkb-{'a' * 64}.sqlite",
    f"search-{'b' * 64}.json",
    "search-history.txt",
    "ask-log.md",
    f"ask-{'c' * 64}",
    "lexicon-draft.yaml",
    f"lexicon-{'d' * 64}.sqlite",
    "digests.json.bak",
    "notes.kb-1.tmp",
]


def test_r2_files_of_other_names_in_the_cache_directory_are_never_deleted(
    run_cli: RunCli, data_dir: Path, tmp_path: Path
) -> None:
    directory = cache.cache_dir()
    assert directory is not None
    _victims_directory(directory, LOOKALIKES)
    elsewhere = _victims_directory(tmp_path / "elsewhere", [f"kb-{'e' * 64}.sqlite"])
    (directory / f"kb-{'e' * 64}.sqlite").symlink_to(elsewhere / f"kb-{'e' * 64}.sqlite")
    outside = _listing(elsewhere)
    before = {name: found for name, found in _listing(directory).items() if name in LOOKALIKES}
    deals = data_dir / "deals.yaml"
    held = deals.read_bytes()
    for amount in range(6):  # more contents than are kept: the oldest are pruned
        deals.write_bytes(held.replace(A, f"amount: 650000000{amount}".encode(), 1))
        for args in (["stats"], ["search", "nvidia"], ["ask", "who is the CFO"]):
            assert run_cli("--data", str(data_dir), *args).exit_code == 0
    for name in ("kb-notes.txt", f"kb-{'a' * 64}.pickle", f"kb-{'A' * 64}.sqlite"):
        cache._unlink(name)  # as a database found damaged is removed
    after = _listing(directory)
    assert {name: after.get(name) for name in LOOKALIKES} == before
    assert _listing(elsewhere) == outside
    ours = [
        path
        for path in directory.iterdir()
        if re.fullmatch(r"kb-[0-9a-f]{64}\.sqlite", path.name) and not path.is_symlink()
    ]
    assert 0 < len(ours) <= cache._KEEP  # pruned all the same
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
