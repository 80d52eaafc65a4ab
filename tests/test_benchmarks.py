"""The benchmark's synthetic knowledge base is valid, and its harness measures truly."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, RunCli

sys.path.insert(0, str(REPO / "benchmarks"))

from bench import PRACTICAL, Timing, edit_comment, fits, per_answer, run_once
from make_kb import make_kb, records_written

ENV = {"PATH": "/usr/bin:/bin"}
# Touches 200 MB page by page, so they are resident, then exits.
HUNGRY = "b = bytearray(200 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1"


def test_synthetic_kb_validates(run_cli: RunCli, tmp_path: Path) -> None:
    written = make_kb(600, tmp_path / "kb")
    assert 600 <= written < 800
    assert written == records_written(600)
    result = run_cli("--data", str(tmp_path / "kb"), "validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"OK: {written} records")


def test_synthetic_copies_point_at_their_own_copy(run_cli: RunCli, tmp_path: Path) -> None:
    make_kb(400, tmp_path / "kb")
    result = run_cli("--data", str(tmp_path / "kb"), "show", "ampere-acquisition-c1", "--json")
    assert '"target": "ampere-c1"' in result.stdout


def test_synthetic_kb_is_shared_out_over_at_most_fifty_files(tmp_path: Path) -> None:
    make_kb(8_500, tmp_path / "kb")  # 51 copies
    parts = sorted((tmp_path / "kb").glob("part-*.yaml"))
    assert len(parts) == 50
    assert all(part.read_text(encoding="utf-8").startswith("# ") for part in parts)


def test_an_edited_comment_keeps_the_records(tmp_path: Path) -> None:
    make_kb(400, tmp_path / "kb")
    path = tmp_path / "kb" / "part-001.yaml"
    before = path.read_bytes()
    edit_comment(path)
    after = path.read_bytes()
    assert after != before
    assert yaml.safe_load(after) == yaml.safe_load(before)
    assert after.count(b"\n# ") + after.startswith(b"# ") == 1  # one comment, not piled up


def test_a_tiny_child_is_not_charged_the_memory_of_others() -> None:
    _, hungry = run_once([sys.executable, "-c", HUNGRY], ENV)
    _, tiny = run_once([sys.executable, "-S", "-c", "pass"], ENV)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert hungry >= 200
    # wait4's ru_maxrss would give the tiny child the harness's own peak, or more.
    assert tiny < own
    assert tiny < hungry / 4


def test_a_terminal_run_has_a_terminal_of_eighty_columns() -> None:
    # run_once stops the benchmark when a command exits other than 0.
    check = "import os, sys; sys.exit(not os.isatty(1) or os.get_terminal_size(1).columns != 80)"
    run_once([sys.executable, "-c", check], ENV, terminal=True)


def test_a_long_answer_on_a_terminal_is_read_as_it_comes() -> None:
    # 1.6 MB, far more than a terminal's buffer: unread, the child would never end.
    long_answer = "for _ in range(20_000): print('x' * 79)"
    seconds, _ = run_once([sys.executable, "-c", long_answer], ENV, terminal=True)
    assert seconds < 30


def test_a_failing_command_stops_the_benchmark_with_its_message() -> None:
    failing = "import sys; print('broken', file=sys.stderr); sys.exit(3)"
    with pytest.raises(SystemExit, match="exited 3: broken"):
        run_once([sys.executable, "-c", failing], ENV)


def test_fits_recover_a_constant_and_a_cost_per_record() -> None:
    records = {1000: 1016, 10000: 10143}
    timings = {
        "1000: show ID (warm)": Timing(0.3 + 1016e-6, 30),
        "10000: show ID (warm)": Timing(0.3 + 10143e-6, 40),
        "bundled: show ID (warm)": Timing(0.2, 20),
        "100000: show ID (warm)": Timing(9.0, 50),  # a size not asked for is left out
    }
    fitted = fits(timings, records)
    assert list(fitted) == ["show ID (warm)"]
    intercept, slope = fitted["show ID (warm)"]
    assert intercept == pytest.approx(0.3)
    assert slope == pytest.approx(1e-6)


def test_the_practical_floor_prints_the_deals_invest_prints(run_cli: RunCli) -> None:
    invest = run_cli("invest", "--year", "2024", "--json")
    (database,) = (Path(os.environ["XDG_CACHE_HOME"]) / "sbkb").glob("kb-*.sqlite")
    floor = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "floor.py"), str(database)],
        capture_output=True,
        text=True,
        check=True,
    )
    deals = json.loads(invest.stdout)
    assert len(deals) >= 8
    assert sorted(deal["id"] for deal in json.loads(floor.stdout)) == sorted(
        deal["id"] for deal in deals
    )


def test_the_cost_per_printed_record_is_beyond_the_bundled_run() -> None:
    timings = {
        "bundled: invest (warm)": Timing(0.050, 20),
        "1000: invest (warm)": Timing(0.070, 20),
        f"bundled: {PRACTICAL}": Timing(0.010, 10),
        f"1000: {PRACTICAL}": Timing(0.011, 10),
        "bundled: quote (warm)": Timing(0.060, 20),
        "1000: quote (warm)": Timing(0.061, 20),
    }
    printed = {
        "bundled: invest (warm)": 8,
        "1000: invest (warm)": 1008,
        f"bundled: {PRACTICAL}": 8,
        f"1000: {PRACTICAL}": 1008,
        "bundled: quote (warm)": 3,
        "1000: quote (warm)": 3,  # no more printed: no cost per record
    }
    costs = per_answer(timings, printed)
    assert list(costs) == ["1000: invest (warm)", f"1000: {PRACTICAL}"]
    assert costs["1000: invest (warm)"] == (1008, pytest.approx(20.0))
    assert costs[f"1000: {PRACTICAL}"] == (1008, pytest.approx(1.0))


@pytest.mark.parametrize("arguments", [["--sizes", "1000,lots"], ["--runs", "0"]])
def test_bad_arguments_get_a_usage_error_not_a_traceback(arguments: list[str]) -> None:
    bench = REPO / "benchmarks" / "bench.py"
    result = subprocess.run(
        [sys.executable, str(bench), *arguments], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "error: argument" in result.stderr
    assert "Traceback" not in result.stderr
