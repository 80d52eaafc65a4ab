"""Time sbkb as a user runs it: whole processes, median wall time, each one's peak memory.

Usage: python benchmarks/bench.py [--runs N] [--sizes 1000,10000,100000] [--keep DIR]
       python benchmarks/bench.py --runs 1 --sizes 1000000 --keep DIR   (the long run)

After a warm-up round, every case runs in turn N times; it prints the median wall
time, the peak resident memory of the hungriest run (each child's own, as GNU time
reports it), and the ratios to two floors measured in the same rounds: the import floor
(what merely importing our dependencies costs) and the practical floor (floor.py: the
2024 deals printed from a copy of the cache's own database, at the same size). Each size
is timed warm, on its first run (the cache emptied first) and after one data file of the
fifty was edited; then time is fitted as a constant plus a cost per record, each list
command's cost per record it prints is given, and every target is met or missed by an
amount. Sizes up to 10,000 share the bundled cases' rounds; each larger size has rounds
of its own.
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_kb import SUFFIX, make_kb, records_written  # noqa: E402 - beside this script

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
# The practical floor of each size: floor.py on a copy of that size's cache database.
PRACTICAL = "practical floor (floor.py)"
# A deal of the bundled KB; make_kb's copy 0 of it exists at every size.
SHOW_ID = "ampere-acquisition"
INVEST = "invest --year 2024"
INVEST_JSON = "invest --year 2024 --json"
# The commands whose warm time issue 18 bounds at 100,000 and 1,000,000 records.
ANSWER_SIZED = [INVEST_JSON, "show ID", "quote NAME", "search grafcore", "ask"]
# The list commands whose answer grows with the KB: what each costs per record it prints
# is reported. (`quote` by id prints 3 records at every size, `search` its --limit.)
LISTS = [INVEST, INVEST_JSON]
# make_kb writes fifty files of copies (one per copy below fifty copies: 6 at 1,000).
CHANGED = "(one data file edited)"
# The first search or ask after a record's amount changed: what is derived is made anew.
EDITED = "(first after a record edit)"
TERMINAL_COLUMNS = 80
# Drawing a long list on a terminal is timed up to this size: beyond, rich takes minutes.
TERMINAL_UP_TO = 10_000


def queries(id_suffix: str) -> list[tuple[str, list[str]]]:
    """The queries timed, labelled; `show` and `quote` name copy 0 on a synthetic KB."""
    return [
        (INVEST, ["invest", "--year", "2024"]),
        (INVEST_JSON, ["invest", "--year", "2024", "--json"]),
        ("show ID", ["show", SHOW_ID + id_suffix]),
        # Every copy of him is named Jensen Huang: a synthetic KB is asked for copy 0.
        ("quote NAME", ["quote", f"jensen-huang{id_suffix}" if id_suffix else "Jensen Huang"]),
        ("search grafcore", ["search", "grafcore"]),
        ("ask", ["ask", "How much did SoftBank pay for Ampere?"]),
    ]


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
    terminal: bool = False


# GNU time runs the command as its own child and reports that child's peak memory: the
# harness's own memory is not folded into it, as it would be into wait4's ru_maxrss of a
# child the harness forked itself.
TIME = "/usr/bin/time"


def _open_terminal() -> tuple[int, int, threading.Thread]:
    """A pseudo-terminal of TERMINAL_COLUMNS columns, its output drained as it comes."""
    reader, writer = os.openpty()
    size = struct.pack("HHHH", 24, TERMINAL_COLUMNS, 0, 0)
    fcntl.ioctl(writer, termios.TIOCSWINSZ, size)

    def drain() -> None:
        # A terminal's buffer is small: unread, a long answer would block its writer.
        try:
            while os.read(reader, 1 << 16):
                pass
        except OSError:  # EIO: every writer closed its end
            pass

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    return reader, writer, thread


def run_once(
    command: list[str], env: dict[str, str], terminal: bool = False
) -> tuple[float, float]:
    """Wall seconds and the process's own peak resident memory in MB.

    On a terminal, the command's standard output is a pseudo-terminal, as a user's is.
    """
    reader = writer = None
    thread: threading.Thread | None = None
    if terminal:
        reader, writer, thread = _open_terminal()
    with tempfile.TemporaryFile() as errors:
        # A file, not a pipe: the harness waits without reading, so a pipe could fill.
        with tempfile.NamedTemporaryFile("r") as peak_file:
            started = time.perf_counter()
            try:
                process = subprocess.Popen(
                    [TIME, "-f", "%M", "-o", peak_file.name, *command],
                    stdin=subprocess.DEVNULL,
                    stdout=writer if terminal else subprocess.DEVNULL,
                    stderr=errors,
                    env=env,
                )
            except (OSError, subprocess.SubprocessError) as error:
                raise SystemExit(f"cannot start {TIME} {command[0]}: {error}") from None
            if writer is not None:
                os.close(writer)  # the child holds its own copy
            process.wait()
            elapsed = time.perf_counter() - started
            # The last line is the peak in kB; a failed command's status line comes first.
            lines = peak_file.read().split()
            peak = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else 0.0
        if thread is not None and reader is not None:
            thread.join()
            os.close(reader)
        if process.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(command)} exited {process.returncode}: {message}")
    return elapsed, peak


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
            seconds, rss = run_once(case.command, case.env, case.terminal)
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


def edit_comment(path: Path) -> None:
    """Change the comment on a data file's first line: new bytes, the same records."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if lines and lines[0].startswith("#"):
        lines = lines[1:]
    path.write_text(f"# Edited at {time.time_ns()}.\n{''.join(lines)}", encoding="utf-8")


def edit_record(path: Path) -> None:
    """Change one amount of a data file: a record made again, whatever was derived from it."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r"amount: (\d+)\n", text)
    assert found is not None, path
    amount = int(found.group(1))
    changed = str(amount + 1 if amount % 2 == 0 else amount - 1)
    path.write_text(text[: found.start(1)] + changed + text[found.end(1) :], encoding="utf-8")


def _positive(text: str) -> int:
    """A whole number of at least 1, or argparse's usage error."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {text!r}")
    return int(text)


def _sizes(text: str) -> list[int]:
    """Sizes separated by commas, each a whole number of at least 1."""
    return [_positive(size.strip()) for size in text.split(",") if size.strip()]


CacheEnv = Callable[[str], tuple[dict[str, str], Callable[[], None]]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=_positive, default=5, help="Rounds after the warm-up.")
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default="1000,10000,100000",
        help="Records in each synthetic KB, comma-separated.",
    )
    parser.add_argument("--keep", type=Path, help="Keep the synthetic KBs in this directory.")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="sbkb-bench-"))
    # Python as a user runs it: one that may not write bytecode compiles every module of
    # sbkb at each start (20 ms and more), which is no cost a user pays twice.
    base_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("SBKB_NO_CACHE", "SBKB_DATA", "PAGER"):
        base_env.pop(name, None)
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
    cases += [
        Case(f"bundled: {label} (warm)", [*SBKB, *q], bundled_env) for label, q in queries("")
    ]
    # After the warm-up's first invest, which made the cache's database it copies.
    cases.append(practical_floor("bundled", work, bundled_env))
    sizes: list[int] = args.sizes
    records = {size: records_written(size) for size in sizes}
    small = [size for size in sizes if size <= 10_000]
    # Every case up to 10,000 records in one round-robin, so their ratios are fair;
    # each larger size in rounds of its own: one round of 100,000 takes minutes.
    all_size_cases = _size_cases(small, work, cache_env)
    timings = measure(cases + all_size_cases, args.runs)
    for size in sizes:
        if size > 10_000:
            large = _size_cases([size], work, cache_env)
            all_size_cases += large
            timings.update(measure(large, args.runs))

    floor = timings["import floor"]
    print(
        f"{'case':56} {'median s':>9} {'max RSS MB':>11} {'x import floor':>15}"
        f" {'x practical floor':>18}"
    )
    for label, timing in timings.items():
        ratio = timing.seconds / floor.seconds
        practical = timings.get(f"{label.partition(': ')[0]}: {PRACTICAL}")
        beside = f"{timing.seconds / practical.seconds:18.2f}" if practical else ""
        print(f"{label:56} {timing.seconds:9.3f} {timing.max_rss_mb:11.1f} {ratio:15.2f} {beside}")
    python = sys.version.split()[0]
    print(
        f"({args.runs} rounds after a warm-up; each size above 10,000 in rounds of its own; "
        f"max RSS is each process's own VmHWM; Python {python}; {os.cpu_count()} cores)"
    )
    printed = count_printed([*cases, *all_size_cases], timings)
    print_fits(timings, records)
    print_per_answer(timings, printed)
    print_targets(timings, floor, printed)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def practical_floor(prefix: str, work: Path, env: dict[str, str]) -> Case:
    """floor.py on a copy of the newest database in `env`'s cache, copied before its first
    run: the cache may be emptied or rebuilt under another key between rounds."""
    copy = work / f"floor-{prefix}.sqlite"
    cache = Path(env["XDG_CACHE_HOME"]) / "sbkb"

    def copy_database() -> None:
        if not copy.exists():
            newest = max(cache.glob("kb-*.sqlite"), key=lambda path: path.stat().st_mtime)
            shutil.copyfile(newest, copy)

    return Case(
        f"{prefix}: {PRACTICAL}", [PYTHON, str(HERE / "floor.py"), str(copy)], env, copy_database
    )


def _size_cases(sizes: list[int], work: Path, cache_env: CacheEnv) -> list[Case]:
    """For each size: the bare parse, validate, each query on its first run and warm,
    invest on a terminal, and invest after one data file was edited."""
    cases = []
    for size in sizes:
        data_dir = work / f"kb-{size}"
        if not data_dir.exists():
            make_kb(size, data_dir)
        data = ["--data", str(data_dir)]
        env, clear = cache_env(str(size))
        cases.append(Case(f"{size}: C loader bare parse", bare_parse_command(data_dir), env))
        cases.append(Case(f"{size}: validate", [*SBKB, *data, "validate"], env))
        sized = dict(queries(SUFFIX.format(k=0)))
        for label, query in sized.items():
            # The first run empties the cache; warm comes next and finds what it stored.
            command = [*SBKB, *data, *query]
            cases.append(Case(f"{size}: {label} (first run)", command, env, clear))
            cases.append(Case(f"{size}: {label} (warm)", command, env))
            if label == INVEST_JSON:  # its cache database is there: the floor's copy
                cases.append(practical_floor(str(size), work, env))
        if size <= TERMINAL_UP_TO:
            terminal = [*SBKB, *data, *sized[INVEST], "--no-pager"]
            terminal_env = {**env, "COLUMNS": str(TERMINAL_COLUMNS)}
            cases.append(Case(f"{size}: {INVEST} (terminal, warm)", terminal, terminal_env))
        files = sorted(data_dir.glob("part-*.yaml"))
        edited = files[len(files) // 2]
        edits = [
            (INVEST_JSON, CHANGED, edit_comment),
            ("search grafcore", EDITED, edit_record),
            ("ask", EDITED, edit_record),
        ]
        for label, what, edit in edits:
            command, before = [*SBKB, *data, *sized[label]], functools.partial(edit, edited)
            cases.append(Case(f"{size}: {label} {what}", command, env, before))
    return cases


def fits(timings: dict[str, Timing], records: dict[int, int]) -> dict[str, tuple[float, float]]:
    """For each case measured at two sizes or more: seconds = constant + slope x records."""
    points: dict[str, list[tuple[int, float]]] = {}
    for label, timing in timings.items():
        size, _, case = label.partition(": ")
        if size.isdigit() and int(size) in records:
            points.setdefault(case, []).append((records[int(size)], timing.seconds))
    fitted = {}
    for case, pairs in points.items():
        if len({count for count, _ in pairs}) >= 2:
            counts, seconds = zip(*pairs, strict=True)
            slope, intercept = statistics.linear_regression(counts, seconds)
            fitted[case] = (intercept, slope)
    return fitted


def print_fits(timings: dict[str, Timing], records: dict[int, int]) -> None:
    """The least-squares line through each case's medians, in ms and µs per record."""
    fitted = fits(timings, records)
    if not fitted:
        return
    counts = ", ".join(f"{count:,}" for count in sorted(records.values()))
    print(f"\ntime = constant + cost per record (least squares on the medians at {counts} records)")
    print(f"{'case':56} {'constant ms':>12} {'µs/record':>10}")
    for case, (intercept, slope) in fitted.items():
        print(f"{case:56} {intercept * 1000:12.1f} {slope * 1e6:10.3f}")


def count_printed(cases: list[Case], timings: dict[str, Timing]) -> dict[str, int]:
    """How many records each warm list command and each practical floor printed: its JSON
    array's length, the command run once more (with --json, which the floor prints)."""
    counted = {f"{label} (warm)" for label in LISTS} | {PRACTICAL}
    printed = {}
    for case in cases:
        label = case.label.partition(": ")[2]
        if case.label not in timings or label not in counted:
            continue
        command = case.command
        if label != PRACTICAL and "--json" not in command:
            command = [*command, "--json"]
        output = subprocess.run(
            command, env=case.env, stdin=subprocess.DEVNULL, capture_output=True, check=True
        ).stdout
        printed[case.label] = len(json.loads(output))
    return printed


def per_answer(timings: dict[str, Timing], printed: dict[str, int]) -> dict[str, tuple[int, float]]:
    """For each list case at each size that prints more than its bundled run: the records
    it printed, and the µs each costs beyond the bundled run (time and records both less
    the bundled run's)."""
    found = {}
    for label, count in printed.items():
        size, _, case = label.partition(": ")
        bundled = f"bundled: {case}"
        if size != "bundled" and bundled in printed and count > printed[bundled]:
            seconds = timings[label].seconds - timings[bundled].seconds
            found[label] = (count, seconds / (count - printed[bundled]) * 1e6)
    return found


def print_per_answer(timings: dict[str, Timing], printed: dict[str, int]) -> None:
    """The list commands' cost per printed record, beside the practical floor's."""
    costs = per_answer(timings, printed)
    if not printed:
        return
    print("\ncost per printed record (beyond the bundled run of the same case)")
    print(f"{'case':56} {'records':>9} {'µs/record':>10}")
    for label, count in printed.items():
        cost = f"{costs[label][1]:10.1f}" if label in costs else ""
        print(f"{label:56} {count:9,} {cost}")


def _verdict(name: str, value: float | None, limit: float, unit: str, digits: int = 2) -> None:
    """One target's line: the figure, the bound, and by how much it is met or missed."""
    if value is None:
        return
    margin = f"{abs(value - limit):.{digits}f}{unit}"
    verdict = f"met, {margin} to spare" if value <= limit else f"MISSED by {margin}"
    print(f"  {name}: {value:.{digits}f}{unit} (target <= {limit:g}{unit}): {verdict}")


def print_targets(
    timings: dict[str, Timing], floor: Timing, printed: dict[str, int] | None = None
) -> None:
    """Each target of issues 6, 18 and 30, with the figure measured in this run."""

    def seconds(label: str) -> float | None:
        timing = timings.get(label)
        return timing.seconds if timing else None

    def ratio(top: float | None, bottom: float | None) -> float | None:
        return top / bottom if top is not None and bottom else None

    print("\ntargets")
    bundled = {label: seconds(f"bundled: {label} (warm)") for label, _ in queries("")}
    for label, value in bundled.items():
        target = 1.0 if label.startswith("ask") else 1.5
        _verdict(f"bundled {label}", ratio(value, floor.seconds), target, "x floor")
    _verdict("--help", ratio(seconds("bundled: --help"), floor.seconds), 0.6, "x floor")
    slowest = max(bundled, key=lambda label: bundled[label] or 0.0)
    _verdict(
        f"bundled, slowest ({slowest})", ratio(bundled[slowest], floor.seconds), 1.0, "x floor"
    )
    for label in (INVEST, "search grafcore", "ask"):
        warm = seconds(f"10000: {label} (warm)")
        _verdict(f"10,000 {label} warm", warm, 0.5, " s")
        _verdict(f"10,000 {label} warm", ratio(warm, bundled[label]), 3, "x bundled")
    terminal = seconds(f"10000: {INVEST} (terminal, warm)")
    _verdict(f"10,000 {INVEST} warm on a terminal, no pager", terminal, 0.5, " s")
    parse = seconds("10000: C loader bare parse")
    _verdict(
        "10,000 validate cold", ratio(seconds("10000: validate"), parse), 1.5, "x bare C parse"
    )
    for label in ANSWER_SIZED:
        warm = seconds(f"100000: {label} (warm)")
        _verdict(f"100,000 {label} warm", ratio(warm, bundled[label]), 2, "x bundled")
    for label in ANSWER_SIZED:
        _verdict(f"1,000,000 {label} warm", seconds(f"1000000: {label} (warm)"), 0.5, " s")
        timing = timings.get(f"1000000: {label} (warm)")
        peak = timing.max_rss_mb if timing else None
        _verdict(f"1,000,000 {label} warm, peak memory", peak, 200, " MB", 0)
    costs = per_answer(timings, printed or {})
    cost = costs.get(f"100000: {INVEST_JSON} (warm)")
    _verdict(
        f"100,000 {INVEST_JSON} per printed deal beyond bundled",
        cost[1] if cost else None,
        25,
        " µs",
        1,
    )
    first = seconds(f"100000: {INVEST_JSON} (first run)")
    parse = seconds("100000: C loader bare parse")
    _verdict(f"100,000 {INVEST_JSON} first run", ratio(first, parse), 1.5, "x bare C parse")
    changed = seconds(f"100000: {INVEST_JSON} {CHANGED}")
    _verdict(f"100,000 {INVEST_JSON} after one file of fifty changed", changed, 1.0, " s")
    peaks = [t.max_rss_mb for label, t in timings.items() if label.startswith("100000:")]
    _verdict("100,000 peak memory", max(peaks) if peaks else None, 1024, " MB", 0)


if __name__ == "__main__":
    main()
