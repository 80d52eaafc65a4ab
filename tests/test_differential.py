"""The cache answers what the data files hold: random edits and chains of edits of a copy of
data/, each followed by commands run with the cache and with SBKB_NO_CACHE=1, compared byte
for byte (stdout, stderr, exit code).

Reliability review 3's scenario 1a, seeded and bounded. Two profiles:

- `short` (the default, in every `pytest`): seed 11, 30 iterations of up to 6 of the
  commands (and those about what was edited), one of them also as processes: 31 edits,
  165 comparisons, 6 s (15 s on a busy 2-core machine).
- `long` (`SBKB_DIFFERENTIAL=long`): seeds 11, 12 and 13, 170, 170 and 120 iterations, as
  the review ran them, of all 19 commands, 48 of them also as processes: 656 edits, 6,750
  comparisons, 7 minutes on a busy 2-core machine. Run it before a release and after a
  change of cache.py, store.py or loading.py.

Each run prints its size (iterations, edits, comparisons) and time (`pytest -s` shows it).

Each edit is of one kind (`EDITS`); the first iterations of a seed make one edit of each kind,
in an order of its own, so that even the short profile meets every kind; later ones draw a
kind at random, and 30 % of the iterations chain two to four edits. 35 % of the iterations run
one to four commands only, so that the derived databases (search, ask) lag several edits
behind. Edits that make the data invalid (a syntax error, an unknown field, a dangling
reference, a broken lexicon) are compared too, then put back by the next iteration.

Commands run in-process (`run_cli`), and in some iterations also as processes of their own,
which share nothing with the test's. The time after which a file's digest is noted by its
status (`cache.SETTLED_NS`, 3 s) is made 0.1 s, still far above the file system's clock
tick, so that digests noted by status are used, as they are between a user's commands.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from softbank_kb import cache

from .conftest import REPO, RunCli

# For each profile: the iterations of each seed; how many of COMMANDS an iteration that runs
# "all" of them runs (drawn at random); how many iterations compare processes too.
PROFILES = {
    "short": {"seeds": {11: 30}, "commands": 6, "processes": 1},
    "long": {"seeds": {11: 170, 12: 170, 13: 120}, "commands": 19, "processes": 48},
}
PROFILE = os.environ.get("SBKB_DIFFERENTIAL", "short")
SEEDS = [pytest.param(s, n, id=f"seed-{s}") for s, n in PROFILES[PROFILE]["seeds"].items()]
NO_CACHE = {"SBKB_NO_CACHE": "1"}

# What every comparison may run; an iteration runs all of them, or one to four.
COMMANDS = [
    ["invest", "--json"],
    ["invest", "--year", "2024"],
    ["invest", "--company", "softbank", "--json"],
    ["show", "ampere-acquisition", "--json"],
    ["company", "ampere"],
    ["people", "--json"],
    ["quote", "--json"],
    ["financials", "--json"],
    ["timeline", "--json"],
    ["strategy", "--json"],
    ["stats", "--json"],
    ["search", "nvidia"],
    ["search", "puces", "--json"],
    ["search", "zorblat"],
    ["ask", "How much did SoftBank pay for Ampere?"],
    ["ask", "who is the CFO"],
    ["ask", "What did SoftBank zorblat?", "--json"],
    ["export", "--format", "csv"],
    ["graph", "--format", "json"],
]
# Names and words the edits write: none of them a word of the data, so that each is seen.
WORDS = ["Zorblat", "Quintor", "Vexaloid", "Plumbix", "Grindelwood", "Maravex", "Tolquin"]
DATA_LEXICON = """\
concepts:
  - id: zorblat-concept
    kind: thing
    en: [zorblat]
    fr: [zorblatte]
  - id: buy
    kind: deal_kind
    en: [snap up]
    fr: [rafler]
"""


@dataclass
class Fuzz:
    """A copy of data/, a seeded random source, and what was done to them."""

    data: Path
    rng: random.Random
    kinds: Counter[str] = field(default_factory=Counter)
    touched: list[str] = field(default_factory=list)  # ids and words to ask about next
    invalid: dict[str, bytes | None] | None = None  # the files before an invalid edit

    def files(self) -> list[Path]:
        return sorted(p for p in self.data.glob("*.yaml") if p.name != "lexicon.yaml")

    def record_files(self) -> list[Path]:
        return [p for p in self.files() if p.name != "sources.yaml"]

    def read(self, path: Path) -> str:
        return path.read_text(encoding="utf-8")

    def write(self, path: Path, text: str | bytes) -> None:
        """Write in place, or as editors do: a new file renamed over the old one."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        if self.rng.random() < 0.5:
            path.write_bytes(data)
        else:
            new = path.with_name(f".{path.name}.new")
            new.write_bytes(data)
            new.replace(path)

    def records(self, path: Path) -> tuple[str, list[str]]:
        """A file's text before its first record, and each record's text."""
        head, *records = re.split(r"(?m)^(?=  - id: )", self.read(path))
        return head, [r if r.endswith("\n") else r + "\n" for r in records]

    def ids(self) -> dict[str, Path]:
        return {
            match: path
            for path in self.record_files()
            for match in re.findall(r"(?m)^  - id: (\S+)$", self.read(path))
        }

    def replace_one(self, path: Path, pattern: str, make: Callable[[re.Match[str]], str]) -> bool:
        """Replace one match of `pattern`, drawn at random, by `make(match)`."""
        text = self.read(path)
        matches = list(re.finditer(pattern, text, flags=re.MULTILINE))
        if not matches:
            return False
        match = self.rng.choice(matches)
        self.write(path, text[: match.start()] + make(match) + text[match.end() :])
        self.note_record(text, match.start())
        return True

    def note_record(self, text: str, at: int) -> None:
        """Ask next about the record whose text holds position `at`."""
        found = list(re.finditer(r"(?m)^  - id: (\S+)$", text[:at]))
        if found:
            self.touched.append(found[-1].group(1))

    def word(self) -> str:
        return self.rng.choice(WORDS)


# The edits --------------------------------------------------------------------------------


def _amount(fuzz: Fuzz) -> None:
    path = fuzz.rng.choice([fuzz.data / "deals.yaml", fuzz.data / "figures.yaml"])
    fuzz.replace_one(path, r"amount: \d+", lambda m: f"amount: {fuzz.rng.randint(1, 10**10)}")


def _date(fuzz: Fuzz) -> None:
    path = fuzz.rng.choice([fuzz.data / "deals.yaml", fuzz.data / "quotes.yaml"])
    year = fuzz.rng.randint(2017, 2025)
    fuzz.replace_one(path, r'^    date: "\d{4}', lambda m: f'    date: "{year}')


def _name(fuzz: Fuzz) -> None:
    path = fuzz.rng.choice([fuzz.data / "organizations.yaml", fuzz.data / "people.yaml"])
    word = fuzz.word()
    fuzz.touched.append(word)
    fuzz.replace_one(path, r"^    name: (.+)$", lambda m: f"    name: {m.group(1)} {word}")


def _word(fuzz: Fuzz) -> None:
    path = fuzz.rng.choice(fuzz.record_files())
    word = fuzz.word().lower()
    fuzz.touched.append(word)
    fuzz.replace_one(path, r"(?<=^      )[A-Za-z]+(?= [a-z])", lambda m: word)


def _alias(fuzz: Fuzz) -> None:
    path = fuzz.data / "organizations.yaml"
    if fuzz.rng.random() < 0.5:
        word = fuzz.word()
        fuzz.touched.append(word)
        fuzz.replace_one(
            path, r"^    aliases: \[(.+)\]$", lambda m: f"    aliases: [{m[1]}, {word}]"
        )
    else:
        fuzz.replace_one(
            path,
            r"^    aliases: \[(.+), [^,\]]+\]$",
            lambda m: f"    aliases: [{m[1]}]",
        )


def _new_record(kind: str, number: int, word: str) -> tuple[str, str]:
    """A valid record of `kind`, and the file it goes in."""
    cite = (
        "    citations:\n      - source: article-asi-ambition\n"
        f'        excerpt: "{word} est cité."\n'
    )
    if kind == "organization":
        text = (
            f"  - id: added-{number}\n    name: {word} Systems {number}\n    kind: company\n"
            f"    description: >-\n      A company named {word}.\n{cite}"
        )
        return "organizations.yaml", text
    if kind == "figure":
        text = (
            f"  - id: added-{number}\n    entity: ampere\n    metric: revenue\n"
            f'    period: "2024"\n    date: "2024"\n'
            f"    value: {{amount: {number * 1000 + 7}, currency: USD}}\n    status: actual\n"
            f"    summary: >-\n      {word} revenue of Ampere.\n{cite}"
        )
        return "figures.yaml", text
    if kind == "quote":
        text = (
            f"  - id: added-{number}\n    speaker: masayoshi-son\n    kind: direct\n"
            f'    text: "{word} est cité."\n    text_en: "{word} is quoted."\n'
            f'    date: "2024"\n    mentions: [ampere]\n{cite}'
        )
        return "quotes.yaml", text
    text = (
        f"  - id: added-{number}\n    kind: investment\n    status: completed\n"
        f"    investor: softbank-group\n    target: ampere\n"
        f'    date: "2024"\n    amount: {{amount: {number * 1000 + 9}, currency: USD}}\n'
        f"    summary: >-\n      SoftBank invested in Ampere, said {word}.\n{cite}"
    )
    return "deals.yaml", text


def _add(fuzz: Fuzz) -> None:
    kind = fuzz.rng.choice(["organization", "figure", "quote", "deal"])
    number = fuzz.rng.randint(1, 10**6)
    while f"added-{number}" in fuzz.ids():
        number += 1
    name, text = _new_record(kind, number, fuzz.word())
    path = fuzz.data / name
    head, records = fuzz.records(path)
    records.insert(fuzz.rng.randint(0, len(records)), text + "\n")
    fuzz.write(path, head + "".join(records))
    fuzz.touched.append(f"added-{number}")


def _remove(fuzz: Fuzz) -> None:
    # A record nothing points to, or one whose references are all in lists (removed too).
    every = "".join(fuzz.read(path) for path in fuzz.record_files())
    candidates = [
        (record_id, path)
        for record_id, path in fuzz.ids().items()
        if not re.search(rf"^    \w+: {re.escape(record_id)}$", every, re.MULTILINE)
        and path.name not in ("people.yaml",)
    ]
    record_id, path = fuzz.rng.choice(candidates)
    head, records = fuzz.records(path)
    records = [r for r in records if not r.startswith(f"  - id: {record_id}\n")]
    fuzz.write(path, head + "".join(records))
    for other in fuzz.record_files():
        text = fuzz.read(other)
        cut = re.sub(
            rf"(?<=[\[ ]){re.escape(record_id)}, |, {re.escape(record_id)}(?=\])", "", text
        )
        cut = re.sub(rf"^    \w+: \[{re.escape(record_id)}\]\n", "", cut, flags=re.MULTILINE)
        if cut != text:
            fuzz.write(other, cut)
    fuzz.touched.append(record_id)


def _rename(fuzz: Fuzz) -> None:
    record_id = fuzz.rng.choice(sorted(fuzz.ids()))
    new = f"{record_id}-{fuzz.word().lower()}"
    for path in fuzz.record_files():
        text = fuzz.read(path)
        renamed = re.sub(rf"(?<![\w-]){re.escape(record_id)}(?![\w-])", new, text)
        if renamed != text:
            fuzz.write(path, renamed)
    fuzz.touched += [record_id, new]


def _reorder(fuzz: Fuzz) -> None:
    path = fuzz.rng.choice(fuzz.record_files())
    head, records = fuzz.records(path)
    if len(records) > 1:
        at = fuzz.rng.randrange(len(records) - 1)
        records[at], records[at + 1] = records[at + 1], records[at]
        fuzz.write(path, head + "".join(records))


def _touch(fuzz: Fuzz) -> None:
    os.utime(fuzz.rng.choice(fuzz.files()))


def _edit_and_restore(fuzz: Fuzz) -> None:
    # The same bytes again within the same second: only the times changed.
    path = fuzz.rng.choice(fuzz.record_files())
    held = path.read_bytes()
    _amount(fuzz) if path.name in ("deals.yaml", "figures.yaml") else _word(fuzz)
    fuzz.write(path, held)


def _same_size_and_time(fuzz: Fuzz) -> None:
    # A digit changed for another, the modification time put back: only ctime tells.
    path = fuzz.rng.choice([fuzz.data / "deals.yaml", fuzz.data / "figures.yaml"])
    before = path.stat()
    text = fuzz.read(path)
    matches = list(re.finditer(r"(?<=amount: )\d+", text))
    match = fuzz.rng.choice(matches)
    digits = match.group()
    at = fuzz.rng.randrange(len(digits))
    other = str((int(digits[at]) + 1 + fuzz.rng.randrange(8)) % 10)
    if at == 0 and other == "0":
        other = "9"
    digits = digits[:at] + other + digits[at + 1 :]
    path.write_text(text[: match.start()] + digits + text[match.end() :], encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def _two_files(fuzz: Fuzz) -> None:
    _amount(fuzz)
    _name(fuzz)


def _many_files(fuzz: Fuzz) -> None:
    # More than a quarter of the files: a whole load, not an update.
    for edit in fuzz.rng.sample([_amount, _date, _name, _word, _alias, _reorder], 4):
        edit(fuzz)


def _lexicon(fuzz: Fuzz) -> None:
    path = fuzz.data / "lexicon.yaml"
    if not path.exists():
        fuzz.write(path, DATA_LEXICON)
    elif fuzz.rng.random() < 0.5:
        fuzz.write(path, fuzz.read(path).replace("[zorblat]", f"[zorblat, {fuzz.word().lower()}]"))
    else:
        path.unlink()


def _syntax_error(fuzz: Fuzz) -> None:
    path = fuzz.rng.choice(fuzz.files())
    fuzz.write(path, fuzz.read(path) + "broken: [unclosed, list\n")


def _unknown_field(fuzz: Fuzz) -> None:
    fuzz.replace_one(fuzz.data / "deals.yaml", r"^    investor: ", lambda m: "    investr: ")


def _dangling_reference(fuzz: Fuzz) -> None:
    fuzz.replace_one(fuzz.data / "deals.yaml", r"^    target: \S+$", lambda m: "    target: nobody")


def _broken_lexicon(fuzz: Fuzz) -> None:
    fuzz.write(fuzz.data / "lexicon.yaml", DATA_LEXICON.replace("kind: thing", "kind: nonsense"))


EDITS: dict[str, Callable[[Fuzz], None]] = {
    "amount": _amount,
    "date": _date,
    "name": _name,
    "word": _word,
    "alias": _alias,
    "add": _add,
    "remove": _remove,
    "rename": _rename,
    "reorder": _reorder,
    "touch": _touch,
    "edit+restore": _edit_and_restore,
    "same size+mtime": _same_size_and_time,
    "two files": _two_files,
    "many files": _many_files,
    "lexicon": _lexicon,
}
# Edits that make the data invalid: compared, then put back.
INVALID: dict[str, Callable[[Fuzz], None]] = {
    "syntax error": _syntax_error,
    "unknown field": _unknown_field,
    "dangling reference": _dangling_reference,
    "broken lexicon": _broken_lexicon,
}


def _snapshot(data: Path) -> dict[str, bytes | None]:
    return {path.name: path.read_bytes() for path in data.glob("*.yaml")} | (
        {} if (data / "lexicon.yaml").exists() else {"lexicon.yaml": None}
    )


def _restore(fuzz: Fuzz, snapshot: dict[str, bytes | None]) -> None:
    for name, held in snapshot.items():
        path = fuzz.data / name
        if held is None:
            path.unlink(missing_ok=True)
        elif not path.exists() or path.read_bytes() != held:
            fuzz.write(path, held)


# The comparison -----------------------------------------------------------------------------


@dataclass
class Tally:
    iterations: int = 0
    edits: int = 0
    comparisons: int = 0
    processes: int = 0
    invalid_states: int = 0
    kinds: Counter[str] = field(default_factory=Counter)


def _commands(fuzz: Fuzz) -> list[list[str]]:
    """All the commands, or one to four of them; and some about what was just edited."""
    most = PROFILES[PROFILE]["commands"]
    count = most if fuzz.rng.random() >= 0.35 else fuzz.rng.randint(1, 4)
    chosen = fuzz.rng.sample(COMMANDS, count)
    about = []
    for touched in fuzz.touched[-3:]:
        if re.fullmatch(r"[a-z0-9-]+", touched) and "-" in touched:
            about.append(["show", touched, "--json"])
        else:
            about.append(["search", touched])
    fuzz.touched.clear()
    return [*chosen, *about]


def _compare(run_cli: RunCli, fuzz: Fuzz, args: list[str], tally: Tally, what: str) -> None:
    cached = run_cli("--data", str(fuzz.data), *args)
    uncached = run_cli("--data", str(fuzz.data), *args, env=NO_CACHE)
    tally.comparisons += 1
    assert (cached.exit_code, cached.stdout, cached.stderr) == (
        uncached.exit_code,
        uncached.stdout,
        uncached.stderr,
    ), f"{what}: sbkb {' '.join(args)}"
    assert cached.exit_code in (0, 1, 3), (what, args, cached.stderr)


def _compare_processes(fuzz: Fuzz, args: list[str], cache_home: Path, tally: Tally, what: str):
    """The same comparison by processes of their own, which share no state with this one."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("SBKB_NO_CACHE", None)
    command = [sys.executable, "-m", "softbank_kb", "--data", str(fuzz.data), *args]
    runs = [
        subprocess.run(command, capture_output=True, env=extra, timeout=120, check=False)
        for extra in (env, {**env, **NO_CACHE})
    ]
    tally.comparisons += 1
    tally.processes += 1
    cached, uncached = ((run.returncode, run.stdout, run.stderr) for run in runs)
    assert cached == uncached, f"{what}: sbkb {' '.join(args)} (processes)"


def _fuzz(run_cli: RunCli, data: Path, seed: int, iterations: int, processes: int) -> Tally:
    fuzz = Fuzz(data, random.Random(seed))
    tally = Tally()
    cache_home = cache.cache_dir()
    assert cache_home is not None
    # Each kind once, in an order of this seed's, then at random.
    first = list(EDITS) + list(INVALID)
    fuzz.rng.shuffle(first)
    with_processes = set(fuzz.rng.sample(range(iterations), processes))
    for iteration in range(iterations):
        done: list[str] = []
        if fuzz.invalid is not None:
            _restore(fuzz, fuzz.invalid)
            fuzz.invalid = None
            done.append("put back")
        else:
            before = _snapshot(data)
            if first:
                kinds = [first.pop()]
            else:
                chain = fuzz.rng.randint(2, 4) if fuzz.rng.random() < 0.3 else 1
                kinds = [fuzz.rng.choice(list(EDITS)) for _ in range(chain)]
                if fuzz.rng.random() < 0.1:
                    kinds[-1] = fuzz.rng.choice(list(INVALID))
            for kind in kinds:
                (EDITS | INVALID)[kind](fuzz)
                tally.kinds[kind] += 1
                done.append(kind)
            if any(kind in INVALID for kind in kinds):
                fuzz.invalid = before
        tally.edits += len(done)
        tally.iterations += 1
        what = f"seed {seed}, iteration {iteration} ({', '.join(done)})"
        commands = _commands(fuzz)
        for args in commands:
            _compare(run_cli, fuzz, args, tally, what)
        if iteration in with_processes:
            _compare_processes(fuzz, fuzz.rng.choice(commands), cache_home.parent, tally, what)
        state = run_cli("--data", str(data), "stats", env=NO_CACHE).exit_code
        if state == 3:
            tally.invalid_states += 1
            # An edit meant valid that is not (a rename onto a taken name): put back too.
            fuzz.invalid = fuzz.invalid or before
    return tally


@pytest.mark.parametrize(("seed", "iterations"), SEEDS)
def test_the_cache_answers_as_the_data_files_after_random_edits(
    run_cli: RunCli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    seed: int,
    iterations: int,
) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 100_000_000)
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    seeds = len(PROFILES[PROFILE]["seeds"])
    processes = -(-PROFILES[PROFILE]["processes"] // seeds)
    started = time.perf_counter()
    tally = _fuzz(run_cli, data, seed, iterations, processes)
    elapsed = time.perf_counter() - started
    assert set(tally.kinds) == set(EDITS) | set(INVALID)  # every kind met
    assert tally.invalid_states >= len(INVALID)
    with capsys.disabled():
        print(
            f"\n{PROFILE} profile, seed {seed}: {tally.iterations} iterations, {tally.edits} edits,"
            f" {tally.comparisons} comparisons ({tally.processes} by processes),"
            f" {tally.invalid_states} invalid states, {elapsed:.1f} s;"
            f" {dict(sorted(tally.kinds.items()))}"
        )
