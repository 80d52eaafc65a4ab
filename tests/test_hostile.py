"""Hostile data directories too big, too deep or too odd to keep in tests/hostile/.

Each is written at test time and must be refused, by `validate` (exit 1) and by a query
(exit 3), with the file and, where there is one, the line named; no traceback; within
a second. The small static cases live in tests/hostile/ (see test_loading.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from softbank_kb.loading import MAX_DEPTH, MAX_FILE_BYTES
from softbank_kb.paths import bundled_data_dir

from .conftest import HOSTILE, RunCli

SOURCES = (HOSTILE / "empty-file" / "sources.yaml").read_text(encoding="utf-8")
DEEP = 100_000
ORGANIZATION = (
    "organizations:\n  - id: acme\n    name: Acme\n    kind: company\n"
    "    description: {description}\n"
    "    citations:\n      - {{source: article, excerpt: Acme}}\n"
)


def _data_dir(tmp_path: Path, organizations: str | bytes) -> Path:
    """A data directory of the test source and one organizations.yaml."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    target = data / "organizations.yaml"
    if isinstance(organizations, bytes):
        target.write_bytes(organizations)
    else:
        target.write_text(organizations, encoding="utf-8")
    return data


def _refused(run_cli: RunCli, data: Path, expected: str, limit: float = 1.0) -> None:
    """validate exits 1 and a query 3, both naming `expected`, quickly, no traceback."""
    for args, code in ((["validate"], 1), (["timeline", "--no-pager"], 3)):
        started = time.perf_counter()
        result = run_cli("--data", str(data), *args)
        elapsed = time.perf_counter() - started
        assert result.exit_code == code, (args, result.stderr[:500])
        assert result.stdout == ""
        assert expected in result.stderr, result.stderr[:500]
        assert "Traceback" not in result.stderr
        assert elapsed < limit, (args, elapsed)


def _deep_flow_sequences(n: int) -> str:
    return "organizations: " + "[" * n + "]" * n + "\n"


def _deep_flow_mappings(n: int) -> str:
    return "organizations: " + "{a: " * n + "b" + "}" * n + "\n"


def _deep_flow_over_lines(n: int) -> str:
    return "organizations:\n" + " [\n" * n + " ]" * n + "\n"


def _deep_block_sequences(n: int) -> str:
    return "organizations:\n  " + "- " * n + "x\n"


def _deep_block_mappings(n: int) -> str:
    # Each level indented one more column: 2,000 levels is already 2 MB.
    return "organizations:\n" + "".join(" " * i + "a:\n" for i in range(1, n + 1))


def _deep_unclosed(n: int) -> str:
    return "organizations: " + "[" * n + "\n"


DEEP_CASES = [
    pytest.param(_deep_flow_sequences, DEEP, "organizations.yaml:1:", id="flow-sequences"),
    pytest.param(_deep_flow_mappings, DEEP, "organizations.yaml:1:", id="flow-mappings"),
    pytest.param(_deep_flow_over_lines, DEEP, "organizations.yaml:34:", id="flow-over-lines"),
    pytest.param(_deep_block_sequences, DEEP, "organizations.yaml:2:", id="block-sequences"),
    pytest.param(_deep_block_mappings, 2_000, "organizations.yaml:34:", id="block-mappings"),
    pytest.param(_deep_unclosed, DEEP, "organizations.yaml:1:", id="unclosed-flow"),
]


@pytest.mark.parametrize(("make", "levels", "where"), DEEP_CASES)
def test_deep_nesting_is_refused_without_recursion(
    run_cli: RunCli, tmp_path: Path, make: Callable[[int], str], levels: int, where: str
) -> None:
    data = _data_dir(tmp_path, make(levels))
    _refused(run_cli, data, f"{where}")
    _refused(run_cli, data, f"nested more than {MAX_DEPTH} levels deep")


def test_deep_nesting_does_not_crash_the_c_parser(tmp_path: Path) -> None:
    # libyaml's composer recurses in C: unchecked, 100,000 levels are a segfault
    # (exit -11), which no in-process test could report. Here it is a process of its own.
    data = _data_dir(tmp_path, _deep_flow_sequences(DEEP))
    result = subprocess.run(
        [sys.executable, "-m", "softbank_kb", "--data", str(data), "validate"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"SBKB_NO_CACHE": "1", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1, result
    assert "organizations.yaml:1:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_50_mb_file_is_refused_by_its_size(run_cli: RunCli, tmp_path: Path) -> None:
    record = "  - id: acme-{0}\n    name: Acme {0}\n    kind: company\n    description: x\n"
    chunk = "".join(record.format(i) for i in range(1000))
    text = "organizations:\n" + chunk * (50 * 1024 * 1024 // len(chunk) + 1)
    assert len(text) > 50 * 1024 * 1024 > MAX_FILE_BYTES
    data = _data_dir(tmp_path, text)
    # The query hashes the 50 MB for its cache key before the loader refuses the file.
    _refused(run_cli, data, "organizations.yaml: file is", limit=5.0)
    _refused(run_cli, data, f"the limit is {MAX_FILE_BYTES:,} bytes", limit=5.0)


def test_a_1_mb_line_is_refused_by_the_field_limit(run_cli: RunCli, tmp_path: Path) -> None:
    data = _data_dir(tmp_path, ORGANIZATION.format(description="x" * 1_000_000))
    _refused(run_cli, data, "organizations.yaml:5:18: description: String should have at most")


def test_a_1_mb_line_with_a_syntax_error_names_its_column(run_cli: RunCli, tmp_path: Path) -> None:
    data = _data_dir(tmp_path, ORGANIZATION.format(description="x" * 1_000_000 + " : y"))
    _refused(run_cli, data, "organizations.yaml:5:1000019: invalid YAML")


def test_a_1_mb_comment_line_is_accepted(run_cli: RunCli, tmp_path: Path) -> None:
    text = "#" + "x" * 1_000_000 + "\n" + ORGANIZATION.format(description="A company.")
    result = run_cli("--data", str(_data_dir(tmp_path, text)), "validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "OK: 2 records in 2 files\n"


def test_byte_order_mark_with_crlf_is_accepted(run_cli: RunCli, tmp_path: Path) -> None:
    text = ORGANIZATION.format(description="A company.").replace("\n", "\r\n")
    data = _data_dir(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = run_cli("--data", str(data), "company", "acme", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"name": "Acme"' in result.stdout


def test_mixed_line_endings_load_the_same_records(run_cli: RunCli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    endings = ("\r\n", "\n", "\r")
    for path in sorted(bundled_data_dir().glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").split("\n")
        mixed = "".join(line + endings[i % 3] for i, line in enumerate(lines[:-1])) + lines[-1]
        (data / path.name).write_bytes(mixed.encode("utf-8"))
        assert b"\r\n" in (data / path.name).read_bytes()
    bundled = run_cli("export", "--format", "json")
    mixed = run_cli("--data", str(data), "export", "--format", "json")
    assert mixed.exit_code == 0, mixed.stderr
    assert mixed.stdout == bundled.stdout


def test_missing_data_directory(run_cli: RunCli, tmp_path: Path) -> None:
    _refused(run_cli, tmp_path / "missing", f"{tmp_path / 'missing'}: data directory does not")


def test_a_file_where_a_directory_is_expected(run_cli: RunCli, tmp_path: Path) -> None:
    data = _data_dir(tmp_path, ORGANIZATION.format(description="A company."))
    _refused(run_cli, data / "sources.yaml", f"{data / 'sources.yaml'}: is not a directory")


def test_symlink_loop(run_cli: RunCli, tmp_path: Path) -> None:
    data = _data_dir(tmp_path, ORGANIZATION.format(description="A company."))
    (data / "a.yaml").symlink_to("b.yaml")
    (data / "b.yaml").symlink_to("a.yaml")
    _refused(run_cli, data, f"{data / 'a.yaml'}: cannot be read: symbolic link loop")
    _refused(run_cli, data, f"{data / 'b.yaml'}: cannot be read: symbolic link loop")


def test_dangling_symlink(run_cli: RunCli, tmp_path: Path) -> None:
    data = _data_dir(tmp_path, ORGANIZATION.format(description="A company."))
    (data / "deals.yaml").symlink_to("gone.yaml")
    _refused(run_cli, data, f"{data / 'deals.yaml'}: cannot be read: symbolic link to 'gone.yaml'")


def test_symlinked_data_file_is_followed(run_cli: RunCli, tmp_path: Path) -> None:
    data = _data_dir(tmp_path, ORGANIZATION.format(description="A company."))
    elsewhere = tmp_path / "elsewhere.yaml"
    shutil.move(data / "organizations.yaml", elsewhere)
    (data / "organizations.yaml").symlink_to(elsewhere)
    result = run_cli("--data", str(data), "validate")
    assert result.exit_code == 0, result.stderr


def test_control_characters_in_file_names_and_keys_are_shown_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # Error messages name files and keys of the data: through main(), as the installed
    # command runs, their control characters are shown, never sent to the terminal.
    from softbank_kb.cli import main

    data = _data_dir(
        tmp_path, ORGANIZATION.format(description="A company.") + '    "\\e[2Jkey": 1\n'
    )
    (data / "\x1b]0;pwned\x07.yaml").write_text('deals:\n  - id: "\\e[31mx"\n', encoding="utf-8")
    monkeypatch.setenv("SBKB_NO_CACHE", "1")
    for args, code in ((["validate"], 1), (["invest"], 3)):
        monkeypatch.setattr(sys, "argv", ["sbkb", "--data", str(data), *args])
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code == code
        err = capfd.readouterr().err
        assert "\x1b" not in err
        assert "\x07" not in err
        assert "\\x1b]0;pwned\\x07.yaml:2:" in err
        assert "\\x1b[2Jkey" in err


# Bounded cost for any input (reliability review 2: M1-M3, L7) ------------------------------


def _unknown_keys(tmp_path: Path) -> Path:
    keys = "\n    ".join(f"k{i}: {i}" for i in range(40_000))
    return _data_dir(tmp_path, f"organizations:\n  - {keys}\n")


def _tiny_records(tmp_path: Path) -> Path:
    return _data_dir(tmp_path, "organizations:\n" + "- {}\n" * 1_000_000)


def _flow_records(tmp_path: Path) -> Path:
    text = "organizations: [" + "{}," * 5_500_000 + "]\n"
    assert len(text) < MAX_FILE_BYTES
    return _data_dir(tmp_path, text)


def _many_bad_records(tmp_path: Path) -> Path:
    return _data_dir(tmp_path, "organizations:\n" + "- {id: x}\n" * 50_000)


def _too_many_records(tmp_path: Path) -> Path:
    return _data_dir(tmp_path, "organizations:\n" + "- x\n" * 200_000)


def _sparse_3_gib(tmp_path: Path) -> Path:
    data = _data_dir(tmp_path, ORGANIZATION.format(description="A company."))
    with (data / "big.yaml").open("wb") as out:
        out.truncate(3 * 1024**3)  # no disk used, but 3 GiB to read
    return data


BOUNDED = [
    pytest.param(_unknown_keys, "unknown field", id="M1"),
    pytest.param(_tiny_records, "lists, mappings and items; the limit is", id="M2-tiny-records"),
    pytest.param(_flow_records, "lists, mappings and items; the limit is", id="M2-flow-records"),
    pytest.param(_many_bad_records, "more than ", id="M2-errors"),
    pytest.param(_too_many_records, "records; the limit is 100,000", id="M2-records"),
    pytest.param(_sparse_3_gib, "big.yaml: file is 3,221,225,472 bytes", id="M3"),
]


@pytest.mark.parametrize(("make", "expected"), BOUNDED)
def test_any_input_is_refused_at_a_bounded_cost(run_cli, tmp_path, make, expected) -> None:
    data = make(tmp_path)
    _refused(run_cli, data, expected, limit=2.0)
    result = run_cli("--data", str(data), "validate")
    assert len(result.stderr.splitlines()) <= 1_002  # 1,000 problems, "... and more", a total
    query = run_cli("--data", str(data), "stats")
    assert len(query.stderr.splitlines()) <= 23


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


NOT_FILES = [
    pytest.param(_fifo, "zz.yaml: is a FIFO (named pipe), not a regular file", id="L7-fifo"),
    pytest.param(_directory, "zz.yaml: is a directory, not a regular file", id="L7-directory"),
    pytest.param(_dev_zero, "zz.yaml: is a character device, not a regular", id="L7-dev-zero"),
]


@pytest.mark.parametrize(("make", "expected"), NOT_FILES)
def test_a_yaml_name_that_is_not_a_file_is_reported(run_cli, tmp_path, make, expected) -> None:
    data = _data_dir(tmp_path, ORGANIZATION.format(description="A company."))
    make(data / "zz.yaml")
    _refused(run_cli, data, f"{data}/{expected}")


@pytest.mark.parametrize("finding", [pytest.param("L7-emacs-lock", id="L7-emacs-lock")])
def test_an_editor_lock_link_is_ignored(run_cli: RunCli, tmp_path: Path, finding) -> None:
    # L7: Emacs links `.#deals.yaml` to user@host.pid while a buffer is modified.
    data = _data_dir(tmp_path, ORGANIZATION.format(description="A company."))
    (data / ".#organizations.yaml").symlink_to("root@host.12345:1700000000")
    (data / ".organizations.yaml.swp").write_bytes(b"\x00vim swap")
    assert run_cli("--data", str(data), "validate").stdout == "OK: 2 records in 2 files\n"
    result = run_cli("--data", str(data), "company", "acme", "--json")
    assert result.exit_code == 0, result.stderr


# No raw control sequence in any output (reliability review 2: M4, L12) ----------------------

ESCAPES = (
    "\\e]0;PWNED-TITLE\\e\\\\\\e]52;c;Y3VybCBldmlsfHNo\\a\\e]8;;https://evil.example/\\a\\x9b2J"
)
INVISIBLE = "\u200b\u200d\u2060\ufeff\u00ad\u115f\u3164\u180e\u034f\u2028\u2029\U000e0041"
RAW = ("\x1b", "\x07", "\x9b", *INVISIBLE)


def _strategy_data(tmp_path: Path, name: str) -> Path:
    organization = ORGANIZATION.format(description="A company.").replace(
        "name: Acme", f'name: "Acme{name}"'
    )
    strategy = (
        "strategy:\n  - {id: aim-one, group: aims, title: t, owner: acme, summary: s,"
        " citations: [{source: article, excerpt: Acme}]}\n"
    )
    return _data_dir(tmp_path, organization + strategy)


OUTPUTS = [
    pytest.param(["strategy", "--no-pager"], ESCAPES, id="M4-strategy-title"),
    pytest.param(["export", "--format", "csv"], ESCAPES, id="M4-export-csv"),
    pytest.param(["export", "--format", "markdown"], ESCAPES, id="M4-export-markdown"),
    pytest.param(["strategy", "--no-pager"], INVISIBLE, id="L12-strategy"),
    pytest.param(["company", "--no-pager"], INVISIBLE, id="L12-company"),
    pytest.param(["company", "acme", "--no-pager"], INVISIBLE, id="L12-profile"),
    pytest.param(["company", "--json"], INVISIBLE, id="L12-json"),
    pytest.param(["search", "acme", "--no-pager"], INVISIBLE, id="L12-search"),
]


@pytest.mark.parametrize(("args", "name"), OUTPUTS)
def test_no_raw_control_or_invisible_character_is_printed(run_cli, tmp_path, args, name) -> None:
    data = _strategy_data(tmp_path, name)
    result = run_cli("--data", str(data), *args)
    assert result.exit_code == 0, result.stderr
    assert "Acme" in result.stdout
    for char in RAW:
        assert char not in result.stdout, (char, result.stdout[:500])
    if args[-1] == "--json":
        names = [record["name"] for record in json.loads(result.stdout)]
        assert names == [f"Acme{INVISIBLE}"]  # the escapes read back as the same text


@pytest.mark.parametrize("finding", [pytest.param("M4-completion", id="M4-completion")])
def test_shell_completion_prints_no_raw_control(tmp_path: Path, finding) -> None:
    data = _strategy_data(tmp_path, ESCAPES)
    result = subprocess.run(
        [sys.executable, "-m", "softbank_kb"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "SBKB_NO_CACHE": "1",
            "_SBKB_COMPLETE": "bash_complete",
            "COMP_WORDS": f"sbkb --data {data} company ",
            "COMP_CWORD": "4",
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Acme" in result.stdout  # M4: the candidate is there, escaped
    for char in RAW:
        assert char not in result.stdout


# Messages and dates (reliability review 2: L9, L13, L15) ------------------------------------


@pytest.mark.parametrize("finding", [pytest.param("L9", id="L9")])
def test_the_validate_hint_is_shell_quoted(run_cli: RunCli, tmp_path: Path, finding) -> None:
    # L9: copying the hint must not run the `$(...)` in the directory's name.
    data = tmp_path / "kb$(touch PWNED)"
    data.mkdir()
    (data / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (data / "organizations.yaml").write_text("organizations: 5\n", encoding="utf-8")
    result = run_cli("--data", str(data), "stats")
    assert result.exit_code == 3
    assert f"Run `sbkb --data '{data}' validate`" in result.stderr


@pytest.mark.parametrize(
    "date",
    [
        pytest.param('"２０２４-１１"', id="L13-fullwidth"),
        pytest.param('"٢٠٢٤"', id="L13-arabic-indic"),
        pytest.param('"2024\\n"', id="L13-final-newline"),
    ],
)
def test_dates_take_ascii_digits_only(run_cli: RunCli, tmp_path: Path, date: str) -> None:
    event = (
        f"events:\n  - id: launch\n    date: {date}\n    title: Launch\n"
        "    description: x\n    citations: [{source: article, excerpt: Acme}]\n"
    )
    data = _data_dir(tmp_path, ORGANIZATION.format(description="A company."))
    (data / "events.yaml").write_text(event, encoding="utf-8")
    _refused(run_cli, data, "events.yaml:3:11: date:")
    _refused(run_cli, data, "is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")


@pytest.mark.parametrize(
    ("byte", "expected"),
    [
        pytest.param(
            b"\x00", "organizations.yaml:5:27: invalid YAML: character U+0000", id="L15-nul"
        ),
        pytest.param(
            b"\x1b", "organizations.yaml:5:27: invalid YAML: character U+001B", id="L15-esc"
        ),
    ],
)
def test_a_control_byte_is_reported_with_line_and_column(run_cli, tmp_path, byte, expected):
    text = ORGANIZATION.format(description="A company.").encode()
    data = _data_dir(tmp_path, text.replace(b"A company.", b"A company" + byte))
    _refused(run_cli, data, expected)
    result = run_cli("--data", str(data), "validate")
    assert "position" not in result.stderr
    assert len(result.stderr.splitlines()) == 2  # the problem, and the count
