"""Time sbkb as a user runs it: whole processes, median wall time, peak memory.

Usage: python benchmarks/bench.py [--runs N] [--sizes 1000,10000,100000] [--keep DIR]

Each case runs once to warm up, then N times; it prints the median wall time, the
peak resident memory of the slowest-memory run, and the ratio to the import floor
measured in the same run (what merely importing our dependencies costs).
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
]


@dataclass
class Timing:
    """The median wall time and the peak memory of a case."""

    seconds: float
    max_rss_mb: float


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


def measure(
    command: list[str], runs: int, env: dict[str, str], before_each: object = None
) -> Timing:
    """Warm up once, then the median of `runs` runs; `before_each` resets state."""
    times, peaks = [], []
    for index in range(runs + 1):
        if callable(before_each):
            before_each()
        seconds, rss = run_once(command, env)
        if index:  # the first run is the warm-up
            times.append(seconds)
            peaks.append(rss)
    return Timing(statistics.median(times), max(peaks))


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
    cache_home = work / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("SBKB_NO_CACHE", None)
    env.pop("SBKB_DATA", None)
    rows: list[tuple[str, Timing]] = []

    def clear_cache() -> None:
        shutil.rmtree(cache_home, ignore_errors=True)

    floor = measure(FLOOR, args.runs, env)
    rows.append(("import floor", floor))
    rows.append(("bundled: --help", measure([*SBKB, "--help"], args.runs, env)))
    for label, query in QUERIES:
        rows.append((f"bundled: {label} (warm)", measure([*SBKB, *query], args.runs, env)))

    for size in (int(s) for s in args.sizes.split(",") if s):
        data_dir = work / f"kb-{size}"
        if not data_dir.exists():
            make_kb(size, data_dir)
        runs = max(1, args.runs if size <= 10_000 else 2)
        data = ["--data", str(data_dir)]
        rows.append(
            (f"{size}: C loader bare parse", measure(bare_parse_command(data_dir), runs, env))
        )
        rows.append((f"{size}: validate", measure([*SBKB, *data, "validate"], runs, env)))
        for label, query in QUERIES[::2]:  # invest and search
            cold = measure([*SBKB, *data, *query], runs, env, before_each=clear_cache)
            rows.append((f"{size}: {label} (cold)", cold))
            warm = measure([*SBKB, *data, *query], runs, env)
            rows.append((f"{size}: {label} (warm)", warm))

    print(f"{'case':44} {'median s':>9} {'max RSS MB':>11} {'x floor':>8}")
    for label, timing in rows:
        ratio = timing.seconds / floor.seconds
        print(f"{label:44} {timing.seconds:9.3f} {timing.max_rss_mb:11.1f} {ratio:8.2f}")
    python = sys.version.split()[0]
    print(
        f"({args.runs} runs after a warm-up, 2 at 100,000; Python {python}; {os.cpu_count()} cores)"
    )
    print_targets(dict(rows), floor)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def print_targets(timings: dict[str, Timing], floor: Timing) -> None:
    """Each target of the issue, with the figure measured in this run."""

    def seconds(label: str) -> float | None:
        timing = timings.get(label)
        return timing.seconds if timing else None

    print("\ntargets")
    for label, _ in QUERIES:
        value = seconds(f"bundled: {label} (warm)")
        print(f"  bundled {label}: {value / floor.seconds:.2f}x floor (target <= 1.5)")
    value = seconds("bundled: --help")
    print(f"  --help: {value / floor.seconds:.2f}x floor (target <= 0.6)")
    for label, _ in QUERIES[::2]:
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
