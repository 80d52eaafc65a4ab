"""The whole knowledge base for other tools: JSON, CSV, SQLite and Markdown."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softbank_kb.models import COLLECTIONS, AnyRecord, KnowledgeBase
from softbank_kb.render import record_dict, to_json

if TYPE_CHECKING:
    from softbank_kb.sqlite_export import Progress

FORMATS = ("json", "csv", "sqlite", "markdown")
# Columns every CSV row starts with; the other fields follow in a stable order.
_LEADING = ("id", "type", "label", "date")


def export_json(kb: KnowledgeBase) -> str:
    """An array of every record, each with its `id` and `type`."""
    return to_json([record_dict(record) for record in kb.records()])


def export_csv(kb: KnowledgeBase) -> str:
    """One table of every record: a `type` column, then every field; nested values as JSON."""
    rows = [_flat(record) for record in kb.records()]
    columns = list(_LEADING)
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _flat(record: AnyRecord) -> dict[str, Any]:
    """A record as one row of scalars: nested values become JSON text."""
    data = record_dict(record)
    row: dict[str, Any] = {"label": record.label}
    date = getattr(record, "date", None)
    row["date"] = date.value if date is not None else ""
    for key, value in data.items():
        if key == "date":
            continue
        row[key] = (
            json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value
        )
    return row


def export_sqlite(kb: KnowledgeBase, path: Path, progress: Progress | None = None) -> None:
    """A Datasette-grade database: typed columns, foreign keys, link tables, full-text search."""
    from softbank_kb.sqlite_export import export_sqlite as write_database

    write_database(kb, path, progress)


def export_markdown(kb: KnowledgeBase) -> str:
    """A document with a section per record type: a table of id, title, date and source."""
    lines = ["# SoftBank AI strategy knowledge base", ""]
    for collection in COLLECTIONS:
        records = getattr(kb, collection)
        if not records:
            continue
        lines += [f"## {collection.capitalize()} ({len(records)})", ""]
        lines += ["| id | what | date | excerpt |", "|---|---|---|---|"]
        for record in records:
            date = getattr(record, "date", None)
            citations = getattr(record, "citations", ())
            excerpt = citations[0].excerpt if citations else ""
            cells = [record.id, record.label, str(date) if date else "", excerpt]
            lines.append("| " + " | ".join(_md_cell(cell) for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _md_cell(value: str) -> str:
    """A table cell that cannot break the table: pipes escaped, lines joined."""
    return " ".join(value.split()).replace("|", "\\|")
