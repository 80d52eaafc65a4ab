"""Reliability review 3: R1, a file changed and changed back while it is loaded; R2, another
user's symbolic link where the cache goes; R3 and R4, a data lexicon and a data directory
refused by their size before they are parsed, and an invalid directory's problems kept;
syntax errors placed where the broken construct starts; and what held."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
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
    f"problems-{'f' * 64}.sqlite",
    "problems-draft.json",
    f"problems-{'f' * 63}.json",
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


# R3 ---------------------------------------------------------------------------------------


class _Reads:
    """The data files read, hashed or parsed while it is installed, as `kind name`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
        from softbank_kb import strictyaml

        self.data_dir = data_dir
        self.names: list[str] = []
        for owner, name in (
            (loading, "read_data_file"),
            (strictyaml, "read_data_file"),
            (strictyaml, "parse_yaml"),
            (cache, "_file_digest"),
        ):
            monkeypatch.setattr(owner, name, self._spy(getattr(owner, name), name))

    def _spy(self, wrapped: object, kind: str) -> object:
        def spied(path: Path, *args: object) -> object:
            if path.parent == self.data_dir:  # the package's own lexicon.yaml aside
                self.names.append(f"{kind} {path.name}")
            return wrapped(path, *args)  # type: ignore[operator]

        return spied

    def of(self, name: str) -> list[str]:
        return [entry for entry in self.names if entry.endswith(f" {name}")]


def _refused_quickly(
    run_cli: RunCli, data_dir: Path, expected: str, commands: list[list[str]] | None = None
) -> None:
    """validate exits 1 and every query 3, each naming `expected`, in well under a second."""
    for args in [["validate"], *(commands or [["stats"], ["search", "nvidia"]])]:
        started = time.perf_counter()
        result = run_cli("--data", str(data_dir), *args)
        elapsed = time.perf_counter() - started
        assert result.exit_code == (1 if args == ["validate"] else 3), (args, result.stderr)
        assert expected in result.stderr, (args, result.stderr[:1000])
        assert "Traceback" not in result.stderr
        assert elapsed < 1.0, (args, elapsed)


def _review_lexicon(concepts: int) -> str:
    """The review's lexicon: `concepts` valid concepts of one English and one French word."""
    return "concepts:\n" + "".join(
        f"  - id: c{i}\n    kind: thing\n    en: [word{i}]\n    fr: [mot{i}]\n"
        for i in range(concepts)
    )


def test_r3_the_reviews_lexicon_of_200000_concepts_is_refused_unread(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from softbank_kb.lexicon import MAX_LEXICON_BYTES

    lexicon = data_dir / "lexicon.yaml"
    lexicon.write_text(_review_lexicon(200_000), encoding="utf-8")
    size = lexicon.stat().st_size
    assert size == 14_266_680  # repro-3/r3-lexicon.sh's, under the 16 MiB of a data file
    reads = _Reads(monkeypatch, data_dir)
    expected = (
        f"{lexicon}: file is {size:,} bytes; the limit is {MAX_LEXICON_BYTES:,} bytes for a lexicon"
    )
    _refused_quickly(
        run_cli, data_dir, expected, [["stats"], ["search", "nvidia"], ["ask", "who?"]]
    )
    assert reads.of("lexicon.yaml") == []  # neither hashed, read nor parsed


def test_r3_a_lexicon_of_too_many_items_is_refused_before_it_is_parsed(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from softbank_kb.lexicon import MAX_LEXICON_BYTES, MAX_LEXICON_ITEMS

    lexicon = data_dir / "lexicon.yaml"
    lexicon.write_text("concepts:\n" + "  - {}\n" * MAX_LEXICON_ITEMS, encoding="utf-8")
    assert lexicon.stat().st_size < MAX_LEXICON_BYTES
    reads = _Reads(monkeypatch, data_dir)
    expected = (
        f"{lexicon}: holds about {2 * MAX_LEXICON_ITEMS:,} lists, mappings and items; "
        f"the limit is {MAX_LEXICON_ITEMS:,} in a lexicon"
    )
    _refused_quickly(run_cli, data_dir, expected)
    assert "parse_yaml lexicon.yaml" not in reads.names


def _concepts(count: int, terms: int = 1) -> str:
    """A lexicon of `count` concepts of `terms` English words and one French word each."""
    return "concepts:\n" + "".join(
        f"  - id: c{i}\n    kind: thing\n"
        f"    en: [{', '.join(f'w{i}x{j}' for j in range(terms))}]\n    fr: [m{i}]\n"
        for i in range(count)
    )


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        pytest.param(
            _concepts(2_001),
            "8002:5: concepts[2000]",
            "the lexicon holds 2,001 concepts; the limit is 2,000 in a lexicon",
            id="concepts",
        ),
        pytest.param(
            "concepts:\n  - id: many\n    kind: thing\n    en:\n"
            + "".join(f"      - w{i}\n" for i in range(10_001))
            + "    fr: [m]\n",
            "10005:9: concepts[0].en[10000]",
            "the lexicon holds 10,002 terms and stop words; the limit is 10,000 in a lexicon",
            id="terms",
        ),
        pytest.param(
            _concepts(1) + "stopwords:\n  en: [" + ", ".join(f"s{i}" for i in range(9_999)) + "]\n",
            "7:68884: stopwords.en[9998]",
            "the lexicon holds 10,001 terms and stop words; the limit is 10,000 in a lexicon",
            id="stop-words",
        ),
    ],
)
def test_r3_a_lexicon_of_too_many_concepts_or_terms_is_refused_at_the_first_beyond(
    run_cli: RunCli, data_dir: Path, text: str, where: str, expected: str
) -> None:
    lexicon = data_dir / "lexicon.yaml"
    # Each concept is otherwise invalid too: the limit is checked before they are validated.
    lexicon.write_text(text.replace("kind: thing", "kind: nonsense"), encoding="utf-8")
    _refused_quickly(run_cli, data_dir, f"{lexicon}:{where}: {expected}")


def test_r3_a_lexicon_at_its_limits_is_read_and_kept(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from softbank_kb.lexicon import (
        MAX_LEXICON_BYTES,
        MAX_LEXICON_CONCEPTS,
        MAX_LEXICON_ITEMS,
        MAX_LEXICON_TERMS,
    )
    from softbank_kb.strictyaml import count_items

    text = _concepts(MAX_LEXICON_CONCEPTS, MAX_LEXICON_TERMS // MAX_LEXICON_CONCEPTS - 1)
    assert len(text) < MAX_LEXICON_BYTES and count_items(text) < MAX_LEXICON_ITEMS
    (data_dir / "lexicon.yaml").write_text(text, encoding="utf-8")
    validated = run_cli("--data", str(data_dir), "validate")
    assert validated.exit_code == 0, validated.stderr
    expected = run_cli("--data", str(data_dir), "search", "w1999x3", "ampere", env=NO_CACHE)
    first = run_cli("--data", str(data_dir), "search", "w1999x3", "ampere")
    reads = _Reads(monkeypatch, data_dir)
    started = time.perf_counter()
    warm = run_cli("--data", str(data_dir), "search", "w1999x3", "ampere")
    elapsed = time.perf_counter() - started
    assert (warm.exit_code, warm.stdout, warm.stderr) == (
        first.exit_code,
        first.stdout,
        first.stderr,
    )
    assert (first.stdout, first.stderr) == (expected.stdout, expected.stderr)
    assert "parse_yaml lexicon.yaml" not in reads.names  # the merged lexicon is kept
    assert elapsed < 1.0


# R4 ---------------------------------------------------------------------------------------


def test_r4_a_directory_of_more_files_than_the_limit_is_refused_from_its_listing(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from softbank_kb.paths import MAX_DATA_FILES

    for i in range(MAX_DATA_FILES):
        (data_dir / f"f{i:06d}.yaml").write_text("figures: []\n", encoding="utf-8")
    total = len(list(data_dir.glob("*.yaml")))
    reads = _Reads(monkeypatch, data_dir)
    expected = f"{data_dir}: holds {total:,} .yaml files; the limit is {MAX_DATA_FILES:,}"
    _refused_quickly(run_cli, data_dir, expected)
    assert reads.names == []


def test_r4_a_directory_of_more_bytes_than_the_limit_is_refused_from_its_listing(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from softbank_kb.paths import MAX_DATA_BYTES, MAX_FILE_BYTES

    # Each at the limit of a file, sparse: no disk used, and refused unread.
    for i in range(MAX_DATA_BYTES // MAX_FILE_BYTES + 1):
        with (data_dir / f"big-{i:02d}.yaml").open("wb") as out:
            out.truncate(MAX_FILE_BYTES)
    total = sum(path.stat().st_size for path in data_dir.glob("*.yaml"))
    reads = _Reads(monkeypatch, data_dir)
    expected = (
        f"{data_dir}: its .yaml files hold {total:,} bytes; "
        f"the limit is {MAX_DATA_BYTES:,} bytes in a data directory"
    )
    _refused_quickly(run_cli, data_dir, expected)
    assert reads.names == []


def _invalid(data_dir: Path, count: int = 30) -> None:
    """repro-3's CASE=big, small: figures without a period appended to figures.yaml."""
    with (data_dir / "figures.yaml").open("a", encoding="utf-8") as out:
        for i in range(count):
            out.write(
                f"\n  - id: big-{i}\n    entity: arm\n    metric: revenue\n"
                f"    value: {{amount: {i}, currency: USD}}\n    status: actual\n"
                f"    summary: >-\n      big {i}\n    citations:\n"
                '      - source: article-asi-ambition\n        excerpt: "x"\n'
            )


INVALID_COMMANDS = [
    ["stats"],
    ["invest", "--json"],
    ["search", "nvidia"],
    ["ask", "who is the CFO"],
    ["show", "ampere-acquisition", "--json"],
    ["export", "--format", "csv"],
]


def _outputs(run_cli: RunCli, data_dir: Path, env: dict[str, str] | None = None) -> list[tuple]:
    """What each command printed, and its exit code."""
    found = []
    for args in INVALID_COMMANDS:
        result = run_cli("--data", str(data_dir), *args, env=env)
        found.append((args, result.exit_code, result.stdout, result.stderr))
    return found


def _kept_problems() -> list[Path]:
    """The problems files the cache keeps."""
    directory = cache.cache_dir()
    assert directory is not None
    return sorted(
        path
        for path in directory.iterdir()
        if path.name.startswith("problems-") and re.fullmatch(cache._KEPT_NAME, path.name)
    )


def test_r4_an_unchanged_invalid_directory_is_answered_from_its_kept_problems(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 0)  # digests noted at once: a warm run reads none
    _invalid(data_dir)
    cold = _outputs(run_cli, data_dir, env=NO_CACHE)
    assert all(code == 3 for _, code, _, _ in cold)
    assert "figures.yaml:" in cold[0][3] and "period" in cold[0][3]
    assert _outputs(run_cli, data_dir) == cold  # the first run with a cache keeps them
    (kept,) = _kept_problems()
    assert re.fullmatch(cache._KEPT_NAME, kept.name)
    assert kept.name == f"problems-{cache._key_or_none(data_dir)}.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    reads = _Reads(monkeypatch, data_dir)
    assert _outputs(run_cli, data_dir) == cold  # warm: the same bytes and exit codes
    assert reads.names == []  # nothing read, hashed or parsed
    # An edit is seen: its problems are its own, and kept under its own key.
    _invalid(data_dir, 31)
    assert _outputs(run_cli, data_dir) == _outputs(run_cli, data_dir, env=NO_CACHE)
    assert len(_kept_problems()) == 2


def test_r4_a_warm_run_of_an_invalid_directory_imports_neither_pydantic_nor_yaml(
    data_dir: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    _invalid(data_dir)
    probe = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: sys.stderr.write("
        "'LOADED ' + ' '.join(m for m in ('pydantic', 'yaml') if m in sys.modules) + '\\n'))\n"
        f"sys.argv = ['sbkb', '--data', {str(data_dir)!r}, 'stats']\n"
        "runpy.run_module('softbank_kb', run_name='__main__')\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.pop("SBKB_NO_CACHE", None)
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
        )
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [3, 3]
    cold, warm = (run.stderr.splitlines() for run in runs)
    assert cold[-1] == "LOADED pydantic yaml"
    assert warm[-1] == "LOADED "
    assert cold[:-1] == warm[:-1]


def test_r4_problems_are_kept_for_the_directory_they_name(run_cli: RunCli, tmp_path: Path) -> None:
    # Two directories of the same files share a key; the messages name each its own.
    first, second = tmp_path / "one" / "data", tmp_path / "two" / "data"
    for directory in (first, second):
        shutil.copytree(REPO / "data", directory)
        _invalid(directory)
    expected = {d: _outputs(run_cli, d, env=NO_CACHE) for d in (first, second)}
    assert expected[first] != expected[second]
    for directory in (first, second, first, first, second, second):
        assert _outputs(run_cli, directory) == expected[directory]
    assert cache._key_or_none(first) == cache._key_or_none(second)
    assert len(_kept_problems()) == 1


@pytest.mark.parametrize("how", ["in-place", "rename"])
def test_r4_problems_are_not_kept_for_bytes_that_changed_while_read(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    _invalid(data_dir)
    with monkeypatch.context() as patched:
        seen = _swapped_while_read(patched, data_dir / "deals.yaml", how)
        run_cli("--data", str(data_dir), "stats")
    assert seen and all(B in data for data in seen)
    assert _kept_problems() == []  # the problems found were of B, the key of A
    assert _outputs(run_cli, data_dir) == _outputs(run_cli, data_dir, env=NO_CACHE)
    assert len(_kept_problems()) == 1


def test_r4_kept_problems_are_pruned_and_only_the_caches_own_names_removed(
    run_cli: RunCli, data_dir: Path
) -> None:
    directory = cache.cache_dir()
    assert directory is not None
    _victims_directory(directory, LOOKALIKES)
    before = {name: found for name, found in _listing(directory).items() if name in LOOKALIKES}
    for _ in range(7):
        _invalid(data_dir, 1)  # one more invalid figure each time: a new key
        assert run_cli("--data", str(data_dir), "stats").exit_code == 3
    assert 0 < len(_kept_problems()) <= cache._KEEP
    after = _listing(directory)
    assert {name: after.get(name) for name in LOOKALIKES} == before


# Syntax errors ------------------------------------------------------------------------------


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The YAML parser the loader uses: libyaml's, or PyYAML's own where libyaml is absent."""
    import yaml

    from softbank_kb import strictyaml

    if request.param == "libyaml":
        if not yaml.__with_libyaml__:
            pytest.skip("PyYAML is built without libyaml here")
        assert issubclass(strictyaml.StrictLoader, yaml.CSafeLoader)
    else:

        class PureStrictLoader(yaml.SafeLoader):  # type: ignore[misc]
            resolve = strictyaml.StrictLoader.resolve

        monkeypatch.setattr(strictyaml, "StrictLoader", PureStrictLoader)
        monkeypatch.setattr(loading, "StrictLoader", PureStrictLoader)
    return str(request.param)


def test_syntax_the_reviews_unclosed_list_is_placed_at_its_bracket_and_reported_alone(
    run_cli: RunCli, data_dir: Path, parser: str
) -> None:
    deals = data_dir / "deals.yaml"
    with deals.open("a", encoding="utf-8") as out:
        out.write("broken: [unclosed, list\n")
    line = len(deals.read_text(encoding="utf-8").splitlines())
    expected = [
        f"{deals}:{line}:9: invalid YAML: the list that starts here with '[' is not closed: "
        f"expected ',' or ']' at the end of the file (line {line + 1})",
        f"{data_dir}: not checked: 16 references to ids that may be in deals.yaml, "
        "which could not be read",
    ]
    validated = run_cli("--data", str(data_dir), "validate")
    assert validated.exit_code == 1
    assert validated.stderr.splitlines()[:-1] == expected
    for env in (None, NO_CACHE, None):  # cold, without the cache, warm
        result = run_cli("--data", str(data_dir), "invest", env=env)
        assert result.exit_code == 3
        assert result.stderr.splitlines()[1:-1] == expected


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        pytest.param(
            "description: A company.",
            "description: [unclosed, list",
            "5:18: invalid YAML: the list that starts here with '[' is not closed: "
            "expected ',' or ']' at line 6, column 14",
            id="list",
        ),
        pytest.param(
            "description: A company.",
            "description: {x: [1, 2}",
            "5:22: invalid YAML: the list that starts here with '[' is not closed: "
            "expected ',' or ']' at line 5, column 27",
            id="list-in-a-mapping",
        ),
        pytest.param(
            "- {source: article, excerpt: Acme}",
            "- {source: article, excerpt: Acme",
            "7:9: invalid YAML: the mapping that starts here with '{' is not closed: "
            "expected ',' or '}' at the end of the file (line 8)",
            id="mapping",
        ),
        pytest.param(
            "description: A company.",
            'description: "A company.',
            "5:18: invalid YAML: the quoted string that starts here is not closed before "
            "the end of the file (line 8)",
            id="double-quoted",
        ),
        pytest.param(
            "description: A company.",
            "description: 'A company.",
            "5:18: invalid YAML: the quoted string that starts here is not closed before "
            "the end of the file (line 8)",
            id="single-quoted",
        ),
        pytest.param(
            "description: A company.",
            'description: "A company.\n---\n',
            "5:18: invalid YAML: the quoted string that starts here is not closed before "
            "the '---' at line 6, column 1",
            id="quoted-then-separator",
        ),
    ],
)
def test_syntax_each_broken_construct_is_placed_where_it_starts(
    run_cli: RunCli, tmp_path: Path, parser: str, replace: str, by: str, expected: str
) -> None:
    from .test_hostile import ORGANIZATION, _data_dir

    text = ORGANIZATION.format(description="A company.")
    assert replace in text
    data = _data_dir(tmp_path, text.replace(replace, by, 1))
    result = run_cli("--data", str(data), "validate")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{data}/organizations.yaml:{expected}"


def test_syntax_an_escape_in_a_quoted_string_is_placed_at_the_string(
    run_cli: RunCli, tmp_path: Path, parser: str
) -> None:
    from .test_hostile import ORGANIZATION, _data_dir

    data = _data_dir(tmp_path, ORGANIZATION.format(description='"A \\q company."'))
    result = run_cli("--data", str(data), "validate")
    assert result.exit_code == 1
    # The parsers word the escape their own way, and place it a column apart.
    assert result.stderr.startswith(
        f"{data}/organizations.yaml:5:18: invalid YAML: the quoted string that starts here: "
    )
    assert "escape character" in result.stderr.splitlines()[0]


def _not_utf8(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"Ampere", b"Amp\xe8re", 1))


def _not_a_list(path: Path) -> None:
    path.write_text("deals: none\n", encoding="utf-8")


def _a_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        pytest.param(_not_utf8, "not UTF-8: byte 0xe8 cannot be decoded", id="not-utf8"),
        pytest.param(_not_a_list, "deals must be a list of records", id="not-a-list"),
        pytest.param(_a_fifo, "is a FIFO (named pipe), not a regular file", id="fifo"),
    ],
)
def test_syntax_references_into_a_file_that_cannot_be_read_are_counted_not_reported(
    run_cli: RunCli, data_dir: Path, damage: object, problem: str
) -> None:
    damage(data_dir / "deals.yaml")  # type: ignore[operator]
    result = run_cli("--data", str(data_dir), "validate")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert problem in lines[0] and lines[0].startswith(f"{data_dir}/deals.yaml")
    assert lines[1] == (
        f"{data_dir}: not checked: 16 references to ids that may be in deals.yaml, "
        "which could not be read"
    )
    assert "no record has id" not in result.stderr


def test_syntax_two_files_that_cannot_be_read_are_named_in_one_line(
    run_cli: RunCli, data_dir: Path
) -> None:
    for name in ("deals.yaml", "organizations.yaml"):
        with (data_dir / name).open("a", encoding="utf-8") as out:
            out.write("broken: [unclosed, list\n")
    result = run_cli("--data", str(data_dir), "validate")
    assert result.exit_code == 1
    (line,) = [line for line in result.stderr.splitlines() if "not checked" in line]
    assert line.endswith("may be in deals.yaml and organizations.yaml, which could not be read")
    assert "no record has id" not in result.stderr
    assert len(result.stderr.splitlines()) == 4  # two files, one line, the count


def test_syntax_references_to_a_record_refused_for_its_own_problems_are_not_missing(
    run_cli: RunCli, data_dir: Path
) -> None:
    deals = data_dir / "deals.yaml"
    deals.write_text(
        deals.read_text(encoding="utf-8").replace("currency: USD", "currency: XYZ", 1),
        encoding="utf-8",
    )
    result = run_cli("--data", str(data_dir), "validate")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines  # the currency, and the count
    assert "currency" in lines[0]
    # A reference to an id no record has at all is still one.
    strategy = data_dir / "strategy.yaml"
    text = strategy.read_text(encoding="utf-8")
    assert "ampere-acquisition" in text
    strategy.write_text(text.replace("ampere-acquisition", "ampere-acquisitionx", 1), "utf-8")
    result = run_cli("--data", str(data_dir), "validate")
    assert "no record has id 'ampere-acquisitionx'" in result.stderr


# What held ----------------------------------------------------------------------------------
# The review's list of what held, where no other test keeps it: random and chained edits are
# test_differential.py; cross-file edits are update_cases.yaml (test_update.py) and the
# differential test's renames; cache files damaged or of another user test_cache.py and
# test_digests.py; hostile YAML tests/hostile/ and test_hostile.py; arguments
# test_arguments.py; exports test_export.py.

HELD_COMMANDS = [
    ["invest", "--json"],
    ["search", "nvidia"],
    ["ask", "How much did SoftBank pay for Ampere?"],
    ["show", "ampere-acquisition", "--json"],
]


def _sbkb(data_dir: Path, args: list[str], cache_home: Path | None) -> subprocess.Popen[bytes]:
    """`sbkb --data DIR ARGS` as a process of its own, with this cache (None: none)."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("SBKB_NO_CACHE", None)
    if cache_home is None:
        env["SBKB_NO_CACHE"] = "1"
    else:
        env["XDG_CACHE_HOME"] = str(cache_home)
    command = [sys.executable, "-m", "softbank_kb", "--data", str(data_dir), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _answered(process: subprocess.Popen[bytes]) -> tuple[int, bytes, bytes]:
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout, stderr


def _as_the_data_says(run_cli: RunCli, data_dir: Path) -> None:
    """Every command answers with the cache as without it, twice (built, then read)."""
    for args in HELD_COMMANDS:
        expected = run_cli("--data", str(data_dir), *args, env=NO_CACHE)
        for _ in range(2):
            result = run_cli("--data", str(data_dir), *args)
            assert (result.exit_code, result.stdout, result.stderr) == (
                expected.exit_code,
                expected.stdout,
                expected.stderr,
            ), args


@pytest.mark.parametrize("what", ["first-build", "update"])
def test_held_sigkill_during_a_build_or_an_update_leaves_a_cache_that_answers_right(
    run_cli: RunCli, data_dir: Path, what: str
) -> None:
    import random
    import signal

    home = cache.cache_dir()
    assert home is not None
    deals = data_dir / "deals.yaml"
    held = deals.read_bytes()
    rng = random.Random(3)
    for trial in range(2):
        if what == "update":
            assert run_cli("--data", str(data_dir), "stats").exit_code == 0  # the base
            deals.write_bytes(held.replace(A, f"amount: 650000001{trial}".encode(), 1))
        else:
            shutil.rmtree(home, ignore_errors=True)
        process = _sbkb(data_dir, ["search", "nvidia"], home.parent)
        time.sleep(rng.uniform(0.05, 0.8))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        _as_the_data_says(run_cli, data_dir)
        deals.write_bytes(held.replace(A, f"amount: 650000002{trial}".encode(), 1))  # one more
        _as_the_data_says(run_cli, data_dir)


def _expected(run_cli: RunCli, data_dir: Path, args: list[str]) -> tuple[int, bytes, bytes]:
    """What a process of `sbkb ARGS` prints without the cache (run in this one)."""
    result = run_cli("--data", str(data_dir), *args, env=NO_CACHE)
    return result.exit_code, result.stdout_bytes, result.stderr_bytes


def test_held_many_cold_processes_at_once(run_cli: RunCli, data_dir: Path) -> None:
    home = cache.cache_dir()
    assert home is not None
    expected = {tuple(args): _expected(run_cli, data_dir, args) for args in HELD_COMMANDS}
    runs = [(args, _sbkb(data_dir, args, home.parent)) for args in HELD_COMMANDS * 2]
    for args, process in runs:
        assert _answered(process) == expected[tuple(args)], args
    assert len(list(home.glob("kb-*.sqlite"))) == 1
    _as_the_data_says(run_cli, data_dir)  # and what they kept is read back right


def test_held_two_data_directories_sharing_one_cache(run_cli: RunCli, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(REPO / "data", one)
    shutil.copytree(REPO / "data", two)
    deals = two / "deals.yaml"
    deals.write_bytes(deals.read_bytes().replace(A, B, 1))
    for directory in (one, two, one, two, two, one):
        _as_the_data_says(run_cli, directory)
    home = cache.cache_dir()
    assert home is not None
    expected = {(d, tuple(args)): _expected(run_cli, d, args) for d in (one, two) for args in SHOWN}
    runs = [((d, tuple(args)), _sbkb(d, args, home.parent)) for args in SHOWN for d in (one, two)]
    for key, process in runs:
        assert _answered(process) == expected[key], key


@pytest.mark.parametrize(
    "when", [pytest.param(4070908800, id="2099"), pytest.param(31536000, id="1971")]
)
def test_held_file_times_far_in_the_future_or_the_past(
    run_cli: RunCli, data_dir: Path, when: int
) -> None:
    for path in data_dir.glob("*.yaml"):
        os.utime(path, (when, when))
    _as_the_data_says(run_cli, data_dir)
    deals = data_dir / "deals.yaml"
    deals.write_bytes(deals.read_bytes().replace(A, B, 1))
    os.utime(deals, (when, when))  # the same times as before the edit
    _as_the_data_says(run_cli, data_dir)


def _huge_note(path: Path) -> None:
    with path.open("r+b") as out:
        out.truncate(60 * 1024 * 1024)  # sparse


def _linked_note(path: Path) -> None:
    target = path.with_name("elsewhere.json")
    path.replace(target)
    path.symlink_to(target.name)


@pytest.mark.parametrize(
    ("damage", "warning"),
    [
        pytest.param(_huge_note, "more than a cache can be", id="60-mb"),
        pytest.param(_linked_note, None, id="symlink"),
    ],
)
def test_held_a_digests_note_too_large_or_a_link_is_not_read(
    run_cli: RunCli, data_dir: Path, monkeypatch: pytest.MonkeyPatch, damage, warning
) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 0)
    _as_the_data_says(run_cli, data_dir)
    home = cache.cache_dir()
    assert home is not None
    damage(home / "digests.json")
    deals = data_dir / "deals.yaml"
    deals.write_bytes(deals.read_bytes().replace(A, B, 1))
    monkeypatch.setattr(cache, "_WARNED", set())
    result = run_cli("--data", str(data_dir), "show", "ampere-acquisition", "--json")
    assert result.exit_code == 0
    assert '"amount": 6500000001' in result.stdout
    if warning is None:
        assert result.stderr == ""
    else:
        assert warning in result.stderr


def test_held_exports_never_write_into_the_data_directory_through_a_link(
    run_cli: RunCli, data_dir: Path, tmp_path: Path
) -> None:
    before = _listing(data_dir)
    (tmp_path / "to-a-file.json").symlink_to(data_dir / "deals.yaml")
    (tmp_path / "to-the-directory").symlink_to(data_dir)
    for target in (tmp_path / "to-a-file.json", tmp_path / "to-the-directory" / "x.json"):
        result = run_cli("--data", str(data_dir), "export", "--format", "json", "-o", str(target))
        assert result.exit_code == 2, result.stderr
    assert _listing(data_dir) == before
    # A link to nowhere is replaced by the file, and what it named is not made.
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere" / "x.json")
    result = run_cli("--data", str(data_dir), "export", "--format", "json", "-o", str(dangling))
    assert result.exit_code == 0, result.stderr
    assert not dangling.is_symlink() and dangling.stat().st_size > 0
    assert not (tmp_path / "nowhere").exists()


def test_held_a_data_lexicon_too_deep_or_with_control_characters(
    run_cli: RunCli, data_dir: Path
) -> None:
    lexicon = data_dir / "lexicon.yaml"
    lexicon.write_text("concepts:\n  - " + "[" * 40 + "]" * 40 + "\n", encoding="utf-8")
    result = run_cli("--data", str(data_dir), "validate")
    assert result.exit_code == 1
    assert f"{lexicon}:2:" in result.stderr and "nested more than 32 levels" in result.stderr
    # Terms with ESC, RLO and NUL are words like others, and never printed raw.
    lexicon.write_text(
        "concepts:\n  - id: zorb\n    kind: thing\n"
        '    en: ["zorb\\e[31m", "\\u202ezorbal"]\n    fr: ["zo\\0rb"]\n',
        encoding="utf-8",
    )
    assert run_cli("--data", str(data_dir), "validate").exit_code == 0
    for args in (["search", "zorb"], ["ask", "What is zorb?", "--json"], ["search", "zorbal"]):
        result = run_cli("--data", str(data_dir), *args)
        assert result.exit_code in (0, 1)
        for raw in ("\x1b", "\u202e", "\x00"):
            assert raw not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["search", "nv\x1b[2Jidia"], id="control-characters"),
        pytest.param(["search", "x" * 100_000], id="100k-query"),
        pytest.param(["show", "y" * 100_000], id="100k-id"),
        pytest.param(["search", "nvidia\udcff"], id="surrogate"),
        pytest.param(["invest", "--year", "99999999999999999999"], id="huge-year"),
        pytest.param(["search", "nvidia", "--limit", "99999999999999999999"], id="huge-limit"),
        pytest.param(["invest", "--min-amount", "1e308USD"], id="huge-amount"),
    ],
)
def test_held_odd_arguments_are_answered_or_refused_in_one_message(
    run_cli: RunCli, args: list[str]
) -> None:
    result = run_cli(*args)
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert "\x1b" not in result.stdout + result.stderr
