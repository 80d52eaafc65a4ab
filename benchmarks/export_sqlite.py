"""Time `sbkb export --format sqlite` on synthetic knowledge bases: whole processes, warm cache.

Usage: python benchmarks/export_sqlite.py [--runs N] [--sizes 1000,10000,100000]

For each size: one warm-up run (which fills the cache), then N runs; it prints the
median wall time, the peak resident memory, the database's size and its row count.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import SBKB, run_once  # noqa: E402 - beside this script
from make_kb import make_kb  # noqa: E402


def _rows(database: Path) -> int:
    connection = sqlite3.connect(database)
    try:
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%_fts%'"
        ).fetchall()
        return sum(
            connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for (t,) in tables
        )
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sbkb-export-"))
    env = {**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(work / "cache")}
    env.pop("SBKB_NO_CACHE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"{'records':>8} {'median s':>9} {'max RSS MB':>11} {'db MB':>7} {'rows':>8}")
    try:
        for size in (int(s) for s in args.sizes.split(",") if s):
            data_dir = work / f"kb-{size}"
            written = make_kb(size, data_dir)
            database = work / f"kb-{size}.db"
            command = [*SBKB, "--data", str(data_dir), "export", "--format", "sqlite"]
            command += ["-o", str(database)]
            run_once(command, env)  # the warm-up: loads, validates and caches the KB
            runs = [run_once(command, env) for _ in range(args.runs)]
            seconds = statistics.median(s for s, _ in runs)
            peak = max(rss for _, rss in runs)
            megabytes = database.stat().st_size / 1e6
            print(f"{written:8} {seconds:9.3f} {peak:11.1f} {megabytes:7.1f} {_rows(database):8}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    python = sys.version.split()[0]
    print(f"({args.runs} runs after a warm-up; Python {python}; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
