"""Write a synthetic but valid knowledge base of about N records, for benchmarks.

Usage: python benchmarks/make_kb.py N OUT_DIR

Every bundled record except the sources is copied under fresh ids (`<id>-c<k>`), and
every reference inside a copy points at the same copy, so `sbkb --data OUT_DIR
validate` passes. Citations keep pointing at the two real sources.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import yaml

from softbank_kb.models import COLLECTIONS
from softbank_kb.paths import bundled_data_dir

RECORDS_PER_FILE = 2000


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


def make_kb(count: int, out_dir: Path) -> int:
    """Write about `count` records into `out_dir`; return how many were written."""
    bundled = _bundled()
    copied = {name: records for name, records in bundled.items() if name != "sources"}
    ids = {record["id"] for records in copied.values() for record in records}
    copies = max(1, math.ceil((count - len(bundled["sources"])) / len(ids)))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = len(bundled["sources"])
    _dump(out_dir / "sources.yaml", {"sources": bundled["sources"]})
    for name, records in copied.items():
        # Dates and other strings must stay strings: the dumper quotes what needs it.
        copied_records = [
            _renamed(record, ids, f"-c{k}") for k in range(copies) for record in records
        ]
        written += len(copied_records)
        # Files of a few thousand records, as a grown knowledge base would be split.
        for start in range(0, len(copied_records), RECORDS_PER_FILE):
            chunk = copied_records[start : start + RECORDS_PER_FILE]
            _dump(out_dir / f"{name}-{start // RECORDS_PER_FILE:03d}.yaml", {name: chunk})
    return written


def _dump(path: Path, document: dict[str, Any]) -> None:
    text = yaml.dump(document, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        sys.exit("usage: python benchmarks/make_kb.py N OUT_DIR")
    written = make_kb(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {written} records to {sys.argv[2]}")


if __name__ == "__main__":
    main()
