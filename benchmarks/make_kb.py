"""Write a synthetic but valid knowledge base of about N records, for benchmarks.

Usage: python benchmarks/make_kb.py N OUT_DIR

Every bundled record except the sources is copied under fresh ids (`<id>-c<k>`), and
every reference inside a copy points at the same copy, so `sbkb --data OUT_DIR
validate` passes. Citations keep pointing at the two real sources, in `sources.yaml`.
The copies are shared out over at most fifty files (`part-000.yaml` ...), each holding
whole copies of every collection and starting with a comment line: one file of fifty
can be edited alone. Files are written one at a time, so a million records take the
memory of one file's twenty thousand, not of the whole knowledge base.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from softbank_kb.models import COLLECTIONS
from softbank_kb.paths import bundled_data_dir

FILES = 50
# Every copy of a record is renamed with this suffix; copy 0 exists at every size.
SUFFIX = "-c{k}"


def _bundled() -> dict[str, list[dict[str, Any]]]:
    collections: dict[str, list[dict[str, Any]]] = {name: [] for name in COLLECTIONS}
    for path in sorted(bundled_data_dir().glob("*.yaml")):
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for name, records in document.items():
            collections[name].extend(records)
    return collections


def _renamed(value: Any, ids: set[str], suffix: str) -> Any:
    """The value with every record id in it given the copy's suffix."""
    if isinstance(value, dict):
        return {key: _renamed(item, ids, suffix) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, ids, suffix) for item in value]
    if isinstance(value, str) and value in ids:
        return value + suffix
    return value


def _copies_needed(count: int, bundled: dict[str, list[dict[str, Any]]]) -> int:
    """How many copies of the bundled records make about `count` records."""
    per_copy = sum(len(records) for name, records in bundled.items() if name != "sources")
    return max(1, math.ceil((count - len(bundled["sources"])) / per_copy))


def records_written(count: int) -> int:
    """How many records `make_kb(count, ...)` writes: whole copies plus the sources."""
    bundled = _bundled()
    per_copy = sum(len(records) for name, records in bundled.items() if name != "sources")
    return len(bundled["sources"]) + per_copy * _copies_needed(count, bundled)


def _groups(copies: int) -> Iterator[range]:
    """The copies of each file: consecutive, as even as they divide."""
    files = min(FILES, copies)
    for index in range(files):
        yield range(copies * index // files, copies * (index + 1) // files)


def make_kb(count: int, out_dir: Path) -> int:
    """Write about `count` records into `out_dir`; return how many were written."""
    bundled = _bundled()
    copied = {name: records for name, records in bundled.items() if name != "sources"}
    ids = {record["id"] for records in copied.values() for record in records}
    copies = _copies_needed(count, bundled)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = len(bundled["sources"])
    _dump(out_dir / "sources.yaml", {"sources": bundled["sources"]}, "the two articles")
    groups = list(_groups(copies))
    for index, group in enumerate(groups):
        # Dates and other strings must stay strings: the dumper quotes what needs it.
        document = {
            name: [_renamed(record, ids, SUFFIX.format(k=k)) for k in group for record in records]
            for name, records in copied.items()
        }
        written += sum(len(records) for records in document.values())
        _dump(
            out_dir / f"part-{index:03d}.yaml",
            document,
            f"copies {group.start} to {group.stop - 1}, file {index + 1} of {len(groups)}",
        )
    return written


def _dump(path: Path, document: dict[str, Any], comment: str) -> None:
    text = yaml.dump(document, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    path.write_text(f"# Synthetic knowledge base: {comment}.\n{text}", encoding="utf-8")


def main() -> None:
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        sys.exit("usage: python benchmarks/make_kb.py N OUT_DIR")
    written = make_kb(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {written} records to {sys.argv[2]}")


if __name__ == "__main__":
    main()
