"""The whole knowledge base for other tools: JSON, CSV, SQLite and Markdown."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from softbank_kb.models import COLLECTIONS, AnyRecord, KnowledgeBase, field_names
from softbank_kb.render import record_dict, to_json

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


def export_sqlite(kb: KnowledgeBase, path: Path) -> None:
    """One table per record type, a column per field, nested values as JSON columns."""
    if path.exists():
        path.unlink()  # a fresh database, not records appended to an old one
    connection = sqlite3.connect(path)
    try:
        with connection:
            for collection, model in COLLECTIONS.items():
                _write_table(
                    connection, collection, list(field_names(model)), getattr(kb, collection)
                )
    finally:
        connection.close()


def _write_table(
    connection: sqlite3.Connection, table: str, fields: list[str], records: tuple[AnyRecord, ...]
) -> None:
    columns = ["id", "type", *[f for f in fields if f not in ("id", "type")]]
    definition = ", ".join(f'"{c}" TEXT PRIMARY KEY' if c == "id" else f'"{c}"' for c in columns)
    connection.execute(f'CREATE TABLE "{table}" ({definition})')
    rows = []
    for record in records:
        data = record_dict(record)
        rows.append([_sql_value(data.get(column)) for column in columns])
    placeholders = ", ".join("?" for _ in columns)
    connection.executemany(f'INSERT INTO "{table}" VALUES ({placeholders})', rows)


def _sql_value(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


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
