"""Time sbkb as a user runs it: whole processes, median wall time, peak memory.

Usage: python benchmarks/bench.py [--runs N] [--sizes 1000,10000,100000] [--keep DIR]

After a warm-up round, every case runs in turn N times; it prints the median wall
time, the peak resident memory of the hungriest run, and the ratio to the import floor
measured in the same rounds (what merely importing our dependencies costs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_kb import make_kb  # noqa: E402 - the generator lives beside this script

PYTHON = sys.executable
SBKB = (
    [str(Path(PYTHON).with_name("sbkb"))]
    if Path(PYTHON).with_name("sbkb").exists()
    else [
        PYTHON,
        "-m",
        "softbank_kb",
    ]
)
FLOOR = [PYTHON, "-c", "import click, pydantic, yaml, rich.console, rich.table, rapidfuzz"]
QUERIES = [
    ("invest --year 2024", ["invest", "--year", "2024"]),
    ('quote "Jensen Huang"', ["quote", "Jensen Huang"]),
    ("search grafcore", ["search", "grafcore"]),
    (
        'ask "How much did SoftBank pay for Ampere?"',
        ["ask", "How much did SoftBank pay for Ampere?"],
    ),
]
# The queries timed on the synthetic knowledge bases too: invest, search and ask.
SIZED = [QUERIES[0], QUERIES[2], QUERIES[3]]


@dataclass
class Timing:
    """The median wall time and the peak memory of a case."""

    seconds: float
    max_rss_mb: float


@dataclass
class Case:
    """One command to time, with its own cache directory and what to reset before a run."""

    label: str
    command: list[str]
    env: dict[str, str]
    before_each: Callable[[], None] | None = None


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and max RSS in MB of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}: {error}")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def measure(cases: list[Case], runs: int) -> dict[str, Timing]:
    """A warm-up round, then `runs` rounds of every case in turn; the median of each.

    Taking the cases in turn, rather than one case `runs` times and then the next,
    puts a drift in the machine's speed on every case alike, so ratios stay fair.
    """
    times: dict[str, list[float]] = {case.label: [] for case in cases}
    peaks: dict[str, list[float]] = {case.label: [] for case in cases}
    for round_ in range(runs + 1):
        for case in cases:
            if case.before_each:
                case.before_each()
            seconds, rss = run_once(case.command, case.env)
            if round_:  # the first round is the warm-up
                times[case.label].append(seconds)
                peaks[case.label].append(rss)
    return {label: Timing(statistics.median(times[label]), max(peaks[label])) for label in times}


def bare_parse_command(data_dir: Path) -> list[str]:
    """PyYAML's C loader alone, loading every file of the directory: the cold floor."""
    code = (
        "import sys, yaml, pathlib\n"
        "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.yaml')):\n"
        "    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)\n"
    )
    return [PYTHON, "-c", code, str(data_dir)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--keep", type=Path, help="Keep the synthetic KBs in this directory.")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="sbkb-bench-"))
    base_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    base_env.pop("SBKB_NO_CACHE", None)
    base_env.pop("SBKB_DATA", None)
    # An installed package has its bytecode; without it every run compiles our modules
    # again. Allowed here, the warm-up round writes it, as `pip install` would have.
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)

    def cache_env(name: str) -> tuple[dict[str, str], Callable[[], None]]:
        """An environment with a cache directory of its own, and a way to empty it."""
        home = work / f"cache-{name}"
        return {**base_env, "XDG_CACHE_HOME": str(home)}, lambda: shutil.rmtree(
            home, ignore_errors=True
        )

    bundled_env, _ = cache_env("bundled")
    cases = [
        Case("import floor", FLOOR, bundled_env),
        Case("bundled: --help", [*SBKB, "--help"], bundled_env),
    ]
    cases += [Case(f"bundled: {label} (warm)", [*SBKB, *q], bundled_env) for label, q in QUERIES]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    small = [size for size in sizes if size <= 10_000]
    large = [size for size in sizes if size > 10_000]
    # Every case up to 10,000 records in one round-robin, so their ratios are fair;
    # 100,000 records on their own, twice: one round takes minutes.
    timings = measure(cases + _size_cases(small, work, cache_env), args.runs)
    if large:
        timings.update(measure(_size_cases(large, work, cache_env), min(args.runs, 2)))

    floor = timings["import floor"]
    print(f"{'case':44} {'median s':>9} {'max RSS MB':>11} {'x floor':>8}")
    for label, timing in timings.items():
        ratio = timing.seconds / floor.seconds
        print(f"{label:44} {timing.seconds:9.3f} {timing.max_rss_mb:11.1f} {ratio:8.2f}")
    python = sys.version.split()[0]
    print(
        f"({args.runs} rounds after a warm-up, 2 at 100,000; Python {python}; "
        f"{os.cpu_count()} cores)"
    )
    print_targets(timings, floor)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def _size_cases(
    sizes: list[int],
    work: Path,
    cache_env: Callable[[str], tuple[dict[str, str], Callable[[], None]]],
) -> list[Case]:
    """For each size: the bare parse, validate, and invest and search cold and warm."""
    cases = []
    for size in sizes:
        data_dir = work / f"kb-{size}"
        if not data_dir.exists():
            make_kb(size, data_dir)
        data = ["--data", str(data_dir)]
        env, clear = cache_env(str(size))
        cases.append(Case(f"{size}: C loader bare parse", bare_parse_command(data_dir), env))
        cases.append(Case(f"{size}: validate", [*SBKB, *data, "validate"], env))
        for label, query in SIZED:
            # Cold empties the cache first; warm comes next and finds what cold stored.
            cases.append(Case(f"{size}: {label} (cold)", [*SBKB, *data, *query], env, clear))
            cases.append(Case(f"{size}: {label} (warm)", [*SBKB, *data, *query], env))
    return cases


def print_targets(timings: dict[str, Timing], floor: Timing) -> None:
    """Each target of the issue, with the figure measured in this run."""

    def seconds(label: str) -> float | None:
        timing = timings.get(label)
        return timing.seconds if timing else None

    print("\ntargets")
    for label, _ in QUERIES:
        value = seconds(f"bundled: {label} (warm)")
        target = "1.0" if label.startswith("ask") else "1.5"
        print(f"  bundled {label}: {value / floor.seconds:.2f}x floor (target <= {target})")
    value = seconds("bundled: --help")
    print(f"  --help: {value / floor.seconds:.2f}x floor (target <= 0.6)")
    for label, _ in SIZED:
        warm, bundled = seconds(f"10000: {label} (warm)"), seconds(f"bundled: {label} (warm)")
        if warm and bundled:
            print(
                f"  10,000 {label} warm: {warm:.2f} s (target <= 0.5), "
                f"{warm / bundled:.2f}x bundled (target <= 3)"
            )
    validate, parse = seconds("10000: validate"), seconds("10000: C loader bare parse")
    if validate and parse:
        print(f"  10,000 validate cold: {validate / parse:.2f}x bare C parse (target <= 1.5)")
    peaks = [t.max_rss_mb for label, t in timings.items() if label.startswith("100000:")]
    if peaks:
        print(f"  100,000: peak memory {max(peaks):.0f} MB (target <= 1024)")


if __name__ == "__main__":
    main()
