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
    run_cli: RunCli, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), data)
    before = _snapshot(data)
    for args in (["stats"], ["search", "grafcore"], ["quote", "Masa"]):
        result = run_cli("--data", str(data), *args, env={"XDG_CACHE_HOME": str(data / ".cache")})
        assert result.exit_code == 0, result.stderr
    assert _snapshot(data) == before
