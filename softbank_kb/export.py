"""The whole knowledge base for other tools: JSON, CSV, SQLite, Markdown, and the graph."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softbank_kb.jsondata import json_data, record_dict, records_json, to_json
from softbank_kb.listing import format_value
from softbank_kb.models import COLLECTIONS, AnyRecord, KnowledgeBase
from softbank_kb.printable import safe

if TYPE_CHECKING:
    from softbank_kb.graph import Edge, Graph
    from softbank_kb.sqlite_export import Progress

# Columns every CSV row starts with; the other fields follow in a stable order.
_LEADING = ("id", "type", "label", "date", "year_inferred")
# A spreadsheet takes a cell starting with one of these for a formula (OWASP, "CSV
# injection"): such a cell is written with a single quote before it.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_json(kb: KnowledgeBase) -> str:
    """An array of every record, each with its `id` and `type`."""
    return records_json(kb.records())


def export_csv(kb: KnowledgeBase, raw: bool = False) -> str:
    """One table of every record: a `type` column, then every field; nested values as JSON.

    `date` is plain ISO, whether its year is inferred a column of its own (`year_inferred`).

    Unless `raw`, a cell a spreadsheet would run as a formula starts with `'`, and control
    and bidi characters are written as visible escapes.
    """
    rows = [_flat(record) for record in kb.records()]
    if not raw:
        rows = [{key: _inert(value) for key, value in row.items()} for row in rows]
    columns = list(_LEADING)
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _inert(value: Any) -> Any:
    """A CSV cell that neither runs as a formula nor sends a control code to a terminal."""
    if not isinstance(value, str):
        return value
    return "'" + safe(value) if value.startswith(_FORMULA_START) else safe(value)


def _flat(record: AnyRecord) -> dict[str, Any]:
    """A record as one row of scalars: nested values become JSON text."""
    data = record_dict(record)
    row: dict[str, Any] = {"label": record.label}
    date = getattr(record, "date", None)
    row["date"] = date.value if date is not None else ""
    row["year_inferred"] = _csv_value(date.year_inferred) if date is not None else ""
    for key, value in data.items():
        if key != "date":
            row[key] = _csv_value(value)
    return row


def _csv_value(value: Any) -> Any:
    """A field as one cell: true or false as JSON writes them, nested values as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value


def export_sqlite(kb: KnowledgeBase, path: Path, progress: Progress | None = None) -> None:
    """A Datasette-grade database: typed columns, foreign keys, link tables, full-text search."""
    from softbank_kb.sqlite_export import export_sqlite as write_database

    write_database(kb, path, progress)


def export_markdown(kb: KnowledgeBase, raw: bool = False) -> str:
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
            lines.append("| " + " | ".join(_md_cell(cell, raw) for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


# Markdown syntax, escaped with a backslash; HTML is escaped as entities before.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]|~"})
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _md_cell(value: str, raw: bool = False) -> str:
    """A table cell that cannot break the table, nor be read as HTML or Markdown syntax."""
    joined = " ".join(value.split())
    if raw:
        return joined.replace("|", "\\|")
    return safe(joined.translate(_HTML).translate(_MARKDOWN))


class OutputRefused(ValueError):
    """`-o` names something an export must not replace."""


def check_target(path: Path, data_files: list[Path]) -> Path:
    """The file an export to `path` replaces or creates, or OutputRefused saying why not."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return path  # a new name (or a link to one): created by the rename
    except RuntimeError as error:  # a symbolic link loop, before Python 3.13
        raise OutputRefused(f"{path} is a symbolic link loop") from error
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OutputRefused(f"{path} is a symbolic link loop") from error
        raise
    if not stat.S_ISREG(info.st_mode):
        raise OutputRefused(f"{path} exists and is not a regular file; it is not replaced")
    for data_file in data_files:
        try:
            same = os.path.samestat(info, data_file.stat())
        except OSError:
            continue
        if same:
            raise OutputRefused(f"{path} is the data file {data_file} (a hard link or a link)")
    # A symbolic link to a regular file: the file is replaced, the link kept.
    return path.resolve() if path.is_symlink() else path


def write_file(path: Path, write: Callable[[Path], None]) -> None:
    """Write a new file at `path` through `write(temporary)`, renamed into place whole."""
    import tempfile

    directory = path.parent
    handle, name = tempfile.mkstemp(dir=directory, prefix=f".{path.name[:100]}.", suffix=".tmp")
    temporary = Path(name)
    try:
        os.close(handle)
        write(temporary)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)  # a replaced file keeps its mode
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        temporary.chmod(mode)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# The relations graph: Mermaid, Graphviz DOT and JSON ----------------------------------------


def edge_label_parts(edge: Edge) -> list[str]:
    """What an edge says, in words: the relation, then its date and amount where stated."""
    parts = [f"{edge.relation}: {edge.title}" if edge.title else edge.relation]
    if edge.date is not None:
        parts.append(str(edge.date))
    if edge.amount is not None:
        parts.append(format_value(edge.amount))
    return parts


# Characters a Mermaid label keeps as they are; any other is written as Mermaid's `#N;`
# entity, so that no quote, bracket, pipe, `%%`, backtick or markup from the data can
# end the label or be read as syntax.
_MERMAID_PLAIN = re.compile(r"[^\W_]|[ .,:'/()+·-]")


def _mermaid_text(value: str) -> str:
    return "".join(
        char if _MERMAID_PLAIN.fullmatch(char) else f"#{ord(char)};"
        for char in " ".join(value.split())
    )


def graph_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart: a node per organisation or person, an edge per relation."""
    names = {node.id: f"n{index}" for index, node in enumerate(graph.nodes, 1)}
    lines = ["flowchart LR"]
    for node in graph.nodes:
        opening, closing = ("([", "])") if node.type == "person" else ("[", "]")
        lines.append(f'  {names[node.id]}{opening}"{_mermaid_text(node.label)}"{closing}')
    for edge in graph.edges:
        label = _mermaid_text(" · ".join(edge_label_parts(edge)))
        lines.append(f"  %% {edge.record}")
        lines.append(f'  {names[edge.source]} -->|"{label}"| {names[edge.target]}')
    return "\n".join(lines) + "\n"


def _dot_string(value: str) -> str:
    """A DOT quoted string of one line of text: nothing in it can end the string."""
    text = safe(" ".join(value.split()))
    # Graphviz reads `\x` as its own escapes and `&...;` as an entity: both kept literal.
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return f'"{text}"'


def _dot_lines(parts: list[str]) -> str:
    """A DOT label of several lines, each escaped, joined by Graphviz's centred newline."""
    return '"' + "\\n".join(_dot_string(part)[1:-1] for part in parts) + '"'


def graph_dot(graph: Graph) -> str:
    """A Graphviz digraph: `dot -Tsvg` draws it; each edge carries its record's id."""
    lines = [
        "digraph sbkb {",
        '  graph [rankdir=LR, charset="UTF-8", fontname="Helvetica"];',
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node in graph.nodes:
        shape = ", shape=ellipse" if node.type == "person" else ""
        lines.append(
            f"  {_dot_string(node.id)} [label={_dot_string(node.label)}{shape},"
            f" tooltip={_dot_string(node.id)}]"
        )
    for edge in graph.edges:
        lines.append(
            f"  {_dot_string(edge.source)} -> {_dot_string(edge.target)}"
            f" [label={_dot_lines(edge_label_parts(edge))}, kind={_dot_string(edge.kind)},"
            f" record={_dot_string(edge.record)}, tooltip={_dot_string(edge.record)}]"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_json(graph: Graph) -> str:
    """One JSON document: the nodes, and the edges with their record ids."""
    return to_json(
        {
            "nodes": [json_data(node) for node in graph.nodes],
            "edges": [
                {**json_data(edge), "label": " · ".join(edge_label_parts(edge))}
                for edge in graph.edges
            ],
        }
    )
