"""Faults around a run: output closed early, Ctrl-C, and a data directory never written."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from softbank_kb import cli as cli_module
from softbank_kb.paths import bundled_data_dir

from .conftest import RunCli


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a real `sbkb` process: a cache of its own, no colour, no pager."""
    return {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache")),
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "PAGER": "cat",
        "SBKB_DATA": "",
    }


SBKB = [sys.executable, "-m", "softbank_kb"]


# Output closed early ----------------------------------------------------------------------


def test_timeline_into_head_exits_quietly(env: dict[str, str]) -> None:
    # As a user types it: the shell pipeline, and the exit status of sbkb itself.
    command = f"{' '.join(SBKB)} timeline | head -1; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=env, timeout=30, check=False
    )
    assert result.stderr == ""
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 1


CLOSED_EARLY = [
    pytest.param(["timeline"], id="timeline"),
    pytest.param(["timeline", "--no-pager"], id="timeline-no-pager"),
    pytest.param(["timeline", "--json"], id="timeline-json"),
    pytest.param(["invest"], id="invest"),
    pytest.param(["search", "ai", "--limit", "1000"], id="search"),
    pytest.param(["export", "--format", "json"], id="export-json"),
    pytest.param(["export", "--format", "csv"], id="export-csv"),
    pytest.param(["stats", "--json"], id="stats-json-small"),
    pytest.param(["validate"], id="validate-one-line"),
    pytest.param(["schema"], id="schema"),
    pytest.param(["--help"], id="help"),
]


@pytest.mark.parametrize("args", CLOSED_EARLY)
def test_output_closed_before_the_first_write(env: dict[str, str], args: list[str]) -> None:
    # The reader is gone before sbkb writes anything: every write meets EPIPE, whether
    # it comes from click, rich, or Python's flush at exit.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [*SBKB, *args], stdout=write_end, stderr=subprocess.PIPE, env=env, timeout=30
        )
    finally:
        os.close(write_end)
    assert result.stderr == b""
    assert result.returncode == 0


# Ctrl-C ------------------------------------------------------------------------------------


def test_ctrl_c_while_writing_exits_130_without_traceback(env: dict[str, str]) -> None:
    # The timeline is some 20 kB and the pipe holds 4 kB: once the first byte arrives,
    # sbkb is blocked in a write, which is where SIGINT finds it.
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    process = subprocess.Popen(
        [*SBKB, "timeline", "--no-pager"], stdout=write_end, stderr=subprocess.PIPE, env=env
    )
    os.close(write_end)
    try:
        assert os.read(read_end, 1)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        while os.read(read_end, 65536):
            pass
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert process.wait(timeout=30) == 130
    finally:
        os.close(read_end)
        if process.poll() is None:
            process.kill()
        if process.stderr:
            process.stderr.close()
    assert "Traceback" not in stderr
    assert stderr.strip() == "Aborted."


@pytest.mark.parametrize(
    "interrupt",
    [
        pytest.param(KeyboardInterrupt, id="keyboard-interrupt"),
        pytest.param(click.Abort, id="click-abort"),
    ],
)
def test_ctrl_c_inside_a_command_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], interrupt: type
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise interrupt()

    monkeypatch.setattr(cli_module.timeline_command, "callback", interrupted)
    monkeypatch.setattr(sys, "argv", ["sbkb", "timeline", "--no-pager"])
    with pytest.raises(SystemExit) as done:
        cli_module.main()
    assert done.value.code == 130
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert "Aborted." in captured.err


def test_an_internal_error_is_one_line_and_exit_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("boom \x1b]0;title\x07")

    monkeypatch.delenv("SBKB_DEBUG", raising=False)
    monkeypatch.setattr(cli_module.timeline_command, "callback", broken)
    monkeypatch.setattr(sys, "argv", ["sbkb", "timeline"])
    with pytest.raises(SystemExit) as done:
        cli_module.main()
    assert done.value.code == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "internal error: ValueError: boom \\x1b]0;title\\x07" in err


# The data directory is never written -------------------------------------------------------


def _snapshot(directory: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry under `directory`: content hash, mode and modification time."""
    entries = {}
    for path in sorted(directory.rglob("*")):
        stat = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        entries[str(path.relative_to(directory))] = (digest, stat.st_mode, stat.st_mtime_ns)
    stat = directory.stat()
    entries["."] = ("dir", stat.st_mode, stat.st_mtime_ns)
    return entries


def _every_command(out: Path, articles: Path) -> list[list[str]]:
    """One run of each command, in each output form, writing exports to `out`."""
    queries = [
        ["invest"],
        ["invest", "--year", "2024", "--kind", "acquisition", "--company", "softbank"],
        ["quote"],
        ["quote", "Jensen Huang", "--lang", "en"],
        ["people"],
        ["people", "Masa"],
        ["company"],
        ["company", "ampere"],
        ["financials", "--company", "ampere"],
        ["timeline", "--from", "2024", "--to", "2025"],
        ["strategy"],
        ["search", "grafcore"],
        ["show", "ampere-acquisition"],
        ["stats"],
    ]
    runs = [[*q, "--no-pager"] for q in queries] + [[*q, "--json"] for q in queries]
    runs += [
        ["export", "--format", fmt, "-o", str(out / f"kb.{fmt}")]
        for fmt in ("json", "csv", "sqlite", "markdown")
    ]
    runs += [["export", "--format", "json"], ["validate"], ["schema"]]
    runs += [["graph", "--format", fmt] for fmt in ("mermaid", "dot", "json")]
    runs += [["verify", "--sources", str(articles), "--uncited"]]
    return runs


def test_no_command_writes_into_the_data_directory(run_cli: RunCli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), data)
    out = tmp_path / "out"
    out.mkdir()
    before = _snapshot(data)
    time.sleep(0.01)  # so that a rewrite would show in the modification times
    # No article texts: verify reads the data, reports every source without a file
    # (exit 1), and must not write either.
    articles = tmp_path / "articles"
    articles.mkdir()
    runs = _every_command(out, articles)
    for args in runs:
        result = run_cli("--data", str(data), *args)
        expected = 1 if args[0] == "verify" else 0
        assert result.exit_code == expected, (args, result.stderr)
    # An export aimed into the data directory is refused, not written.
    refused = run_cli("--data", str(data), "export", "--format", "json", "-o", str(data / "x"))
    assert refused.exit_code == 2
    assert _snapshot(data) == before
    assert sorted(p.name for p in out.iterdir()) == [
        "kb.csv",
        "kb.json",
        "kb.markdown",
        "kb.sqlite",
        "metadata.json",
    ]
    assert len(runs) == 39


def test_a_cache_directory_inside_the_data_directory_is_not_written(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from softbank_kb import cache as digests

    monkeypatch.setattr(digests, "SETTLED_NS", 0)  # files just copied would be noted too
    data = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), data)
    before = _snapshot(data)
    for args in (["stats"], ["search", "grafcore"], ["quote", "Masa"]):
        result = run_cli("--data", str(data), *args, env={"XDG_CACHE_HOME": str(data / ".cache")})
        assert result.exit_code == 0, result.stderr
    assert _snapshot(data) == before


# Ordinary failures are not bugs (reliability review 2: L1-L3) ------------------------------


def _closed(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        timeout=30,
        close_fds=True,
        preexec_fn=lambda: os.close(1),
        check=False,
    )


def _full(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    with Path("/dev/full").open("wb") as full:
        return subprocess.run(
            command, stdout=full, stderr=subprocess.PIPE, env=env, timeout=30, check=False
        )


UNWRITABLE = [
    pytest.param(_closed, ["stats"], "standard output is closed", id="L1-closed-stats"),
    pytest.param(_closed, ["invest", "--json"], "standard output is closed", id="L1-closed-json"),
    pytest.param(_full, ["stats"], "No space left on device", id="L1-dev-full-stats"),
    pytest.param(
        _full, ["export", "--format", "csv"], "No space left on device", id="L1-dev-full-export"
    ),
    pytest.param(_full, ["schema"], "No space left on device", id="L1-dev-full-schema"),
]


@pytest.mark.parametrize(("how", "args", "expected"), UNWRITABLE)
def test_output_that_cannot_be_written_is_exit_5(env, how, args, expected) -> None:
    result = how([*SBKB, *args], env)
    stderr = result.stderr.decode()
    assert result.returncode == 5, stderr
    assert stderr == f"sbkb: cannot write the output: {expected}\n"


@pytest.mark.parametrize(
    "finding", [pytest.param("L1-closed-export-to-file", id="L1-closed-export-to-file")]
)
def test_an_export_to_a_file_with_stdout_closed(env, tmp_path, finding) -> None:
    result = _closed([*SBKB, "export", "--format", "json", "-o", str(tmp_path / "kb.json")], env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "kb.json").stat().st_size > 1000


@pytest.mark.parametrize(
    "encoding", [pytest.param(e, id=f"L2-{e}") for e in ("ascii", "latin-1", "cp1252")]
)
def test_an_output_encoding_other_than_utf8(env, encoding) -> None:
    # L2: what the encoding cannot hold is written as a backslash escape.
    for args in (
        ["quote", "Jensen"],
        ["search", "puces", "--limit", "99"],
        ["show", "ampere-acquisition"],
    ):
        result = subprocess.run(
            [*SBKB, *args, "--no-pager"],
            capture_output=True,
            env={**env, "PYTHONIOENCODING": encoding},
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == b""
        result.stdout.decode(encoding)
        if encoding == "ascii":
            assert b"\\u" in result.stdout or b"\\x" in result.stdout


@pytest.mark.parametrize("columns", [pytest.param(c, id=f"L3-columns-{c}") for c in "0123"])
def test_a_tiny_columns_is_taken_as_unknown(run_cli: RunCli, columns: str) -> None:
    # L3: stats failed inside rich's layout, other tables printed nothing.
    for args in (["stats"], ["invest"], ["people"], ["search", "grafcore"], ["timeline"]):
        result = run_cli(*args, "--no-pager", env={"COLUMNS": columns})
        assert result.exit_code == 0, (args, result.stderr)
        assert len(result.stdout.strip()) > 100, (args, result.stdout)


@pytest.mark.parametrize("finding", [pytest.param("L1", id="L1-verify-sources")])
def test_verify_of_a_path_that_is_no_directory(run_cli: RunCli, finding: str) -> None:
    # L1: NotADirectoryError and EINVAL from /proc were internal errors.
    result = run_cli("verify", "--sources", "/dev/zero")
    assert result.exit_code == 2
    assert "'/dev/zero' is not a directory" in result.stderr
    result = run_cli("verify", "--sources", "/proc/self")
    assert result.exit_code == 1
    assert "no file in /proc/self has sha256" in result.stderr
