"""Records as lists of plain cells, for tables, cards, TSV or CSV: no rich, as pipes need none.

`render.py` draws a `RecordList` on a terminal; amounts and names are written here for both.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from softbank_kb.models import (
    AnyRecord,
    Deal,
    Figure,
    KnowledgeBase,
    Money,
    Organization,
    Person,
    Quantity,
    Quote,
    StrategyItem,
)
from softbank_kb.printable import safe

if TYPE_CHECKING:
    from softbank_kb.search import Hit


_QUALIFIER_WORDS = {
    "about": "about",
    "nearly": "nearly",
    "up_to": "up to",
    "more_than": "more than",
    "slightly_more_than": "slightly more than",
    "at_least": "at least",
}
_SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


# Values ---------------------------------------------------------------------------------


def format_number(amount: float) -> str:
    """6500000000 as '6.5 billion', 581000000 as '581 million', 5 as '5'."""
    for size, word in _SCALES:
        if amount >= size:
            return f"{_trim(amount / size)} {word}"
    return _trim(amount)


def _trim(number: float) -> str:
    return f"{number:,.3f}".rstrip("0").rstrip(".")


def format_value(value: Money | Quantity | None) -> str:
    """An amount with its qualifier and the article's stated conversions."""
    if value is None:
        return ""
    qualifier = _QUALIFIER_WORDS[value.qualifier] + " " if value.qualifier else ""
    if isinstance(value, Quantity):
        number = format_number(value.amount)
        unit = value.unit if value.unit == "%" else f" {value.unit}"
        return f"{qualifier}{number}{unit}"
    shown = f"{qualifier}{format_number(value.amount)} {value.currency}"
    if value.equivalents:
        shown += " (" + "; ".join(format_value(e) for e in value.equivalents) + ")"
    return shown


def label_of(kb: KnowledgeBase, record_id: str | None) -> str:
    """The label of the record with this id, or the id itself; '' for none."""
    if record_id is None:
        return ""
    record = kb.get(record_id)
    return record.label if record is not None else record_id


# Cells and lists --------------------------------------------------------------------------


class Cell(NamedTuple):
    """A cell's text, safe to print, with its style and the styled spans inside it."""

    plain: str
    style: str = ""
    spans: tuple[tuple[int, int, str], ...] = ()


def cell(value: object, style: str = "") -> Cell:
    """Data as a cell: never a raw control character."""
    return Cell(safe(str(value)), style)


class RecordList:
    """Records as rows of cells under their ids, as `render.draw_list` lays them out."""

    def __init__(
        self,
        columns: Sequence[str],
        anchor: str,
        prose: str | None = None,
        *,
        drop_prose: bool = False,
        title: str | None = None,
    ) -> None:
        self.columns = list(columns)
        # The column a record's id is drawn under.
        self.anchor = anchor
        # The column that takes the width left; with drop_prose, left out on a narrow screen.
        self.prose = prose
        self.drop_prose = drop_prose
        self.title = title
        self.rows: list[tuple[str, dict[str, Cell]]] = []

    def add(self, record_id: str, cells: dict[str, Cell]) -> None:
        """One record's row."""
        self.rows.append((record_id, cells))


def delimited(listings: Sequence[RecordList], form: str) -> str:
    """Lists as TSV or CSV: a header (`id`, `group` if titled, the columns), a line a record."""
    grouped = any(listing.title for listing in listings)
    columns = listings[0].columns if listings else []
    header = ["id", *(["group"] if grouped else []), *(_field_name(c) for c in columns)]
    rows = [header]
    for listing in listings:
        for record_id, cells in listing.rows:
            group = [safe(listing.title or "")] if grouped else []
            rows.append([record_id, *group, *(cells[column].plain for column in columns)])
    if form == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue()
    return "".join("\t".join(_TSV_SPACE.sub(" ", value) for value in row) + "\n" for row in rows)


# A tab or line break inside a TSV cell becomes a space: each line keeps its field count.
_TSV_SPACE = re.compile(r"[\t\r\n]+")


def _field_name(column: str) -> str:
    return "number" if column == "#" else column.lower().replace(" ", "_")


# Records --------------------------------------------------------------------------------


def deals_table(deals: Sequence[Deal], kb: KnowledgeBase) -> RecordList:
    """Deals: date, kind, target, amount with conversions, vehicle, summary, id."""
    rows = []
    for deal in deals:
        kind = deal.kind.replace("_", " ")
        if deal.status != "completed":
            kind += f" ({deal.status})"
        target = label_of(kb, deal.target)
        if deal.investor != "softbank-group":
            target = f"{target} ← {label_of(kb, deal.investor)}"
        amount = format_value(deal.amount) + (" (total)" if deal.cumulative else "")
        if deal.co_investment is not None:
            amount += f"\n+ {format_value(deal.co_investment)} (co-investors)"
        cells = {
            "Date": cell(str(deal.date or "")),
            "Kind": cell(kind),
            "Target": cell(target, "bold"),
            "Amount": cell(amount),
            "Via": cell(label_of(kb, deal.vehicle)),
            "Summary": cell(_with_concell(deal.summary, deal.context)),
        }
        rows.append((deal.id, cells))
    return _record_list(rows, prose="Summary", anchor="Target")


def _with_concell(summary: str, context: str | None) -> str:
    """A summary, then what a reader should know about it."""
    return f"{summary}\nNote: {context}" if context else summary


def _record_list(
    rows: Sequence[tuple[str, dict[str, Cell]]],
    prose: str,
    anchor: str,
    title: str | None = None,
) -> RecordList:
    """Records as rows; the prose column is left out on a narrow screen."""
    columns = list(rows[0][1]) if rows else []
    listing = RecordList(columns, anchor, prose, drop_prose=True, title=title)
    for record_id, cells in rows:
        listing.add(record_id, cells)
    return listing


def quotes_list(quotes: Sequence[Quote], kb: KnowledgeBase) -> RecordList:
    """Quotes as a list for programs: when, who, the French and the English."""
    listing = RecordList(["Date", "Speaker", "Kind", "Text", "English"], anchor="Speaker")
    for quote in quotes:
        listing.add(
            quote.id,
            {
                "Date": cell(str(quote.date or "")),
                "Speaker": cell(label_of(kb, quote.speaker)),
                "Kind": cell(quote.kind.replace("_", " ")),
                "Text": cell(quote.text),
                "English": cell(quote.text_en),
            },
        )
    return listing


def people_table(people: Sequence[Person], kb: KnowledgeBase) -> RecordList:
    """People: name, roles, aliases, id."""
    listing = RecordList(["Name", "Roles", "Aliases"], anchor="Name", prose="Roles")
    for person in people:
        roles = "; ".join(f"{r.title}, {label_of(kb, r.organization)}" for r in person.roles)
        listing.add(
            person.id,
            {
                "Name": cell(person.name, "bold"),
                "Roles": cell(roles),
                "Aliases": cell(", ".join(person.aliases)),
            },
        )
    return listing


def organizations_table(organizations: Sequence[Organization], kb: KnowledgeBase) -> RecordList:
    """Organisations: name, kind, country, description, id."""
    listing = RecordList(
        ["Name", "Kind", "Country", "Description"], anchor="Name", prose="Description"
    )
    for org in organizations:
        listing.add(
            org.id,
            {
                "Name": cell(org.name, "bold"),
                "Kind": cell(org.kind.replace("_", " ")),
                "Country": cell(org.country or ""),
                "Description": cell(org.description),
            },
        )
    return listing


def figures_table(figures: Sequence[Figure], kb: KnowledgeBase) -> RecordList:
    """Figures: entity, metric, period, value with conversions, status, summary, id."""
    rows = []
    for figure in figures:
        inferred = figure.date is not None and figure.date.year_inferred
        cells = {
            "Entity": cell(label_of(kb, figure.entity), "bold"),
            "Metric": cell(
                figure.metric.replace("_", " ")
                + (f" ({figure.metric_fr})" if figure.metric_fr else "")
            ),
            "Period": cell(figure.period + (" (year inferred)" if inferred else "")),
            "Value": cell(format_value(figure.value)),
            "Status": cell(figure.status),
            "Summary": cell(_with_concell(figure.summary, figure.context)),
        }
        rows.append((figure.id, cells))
    return _record_list(rows, prose="Summary", anchor="Metric")


def timeline_table(records: Sequence[AnyRecord], kb: KnowledgeBase) -> RecordList:
    """Dated records in order: date, type, what happened, id."""
    return dated_list(records, kb)


def dated_list(
    records: Sequence[AnyRecord], kb: KnowledgeBase, title: str | None = None
) -> RecordList:
    """Records by date, type and what they say: the timeline, a profile's sections."""
    listing = RecordList(["Date", "Type", "What"], anchor="What", prose="What", title=title)
    for record in records:
        listing.add(
            record.id,
            {
                "Date": cell(_date_cell(record)),
                "Type": cell(record.type),
                "What": cell(_what(record, kb)),
            },
        )
    return listing


def _date_cell(record: AnyRecord) -> str:
    """A record's date; for an undated prediction, the date it looks to, marked as such."""
    date = getattr(record, "date", None)
    target = getattr(record, "target_date", None)
    if date is None and target is not None:
        return f"{target} (target)"
    return str(date or "")


def _what(record: AnyRecord, kb: KnowledgeBase) -> str:
    if isinstance(record, Quote):
        return f"{label_of(kb, record.speaker)}: {record.text_en}"
    return record.label


def strategy_tables(groups: dict[str, list[StrategyItem]], kb: KnowledgeBase) -> list[RecordList]:
    """One list per strategy group, in the article's order."""
    listings = []
    for group, items in groups.items():
        owners = ", ".join(dict.fromkeys(label_of(kb, item.owner) for item in items))
        listing = RecordList(
            ["#", "Item", "French", "Summary"],
            anchor="Item",
            prose="Summary",
            title=f"{group} ({owners})",
            drop_prose=True,
        )
        for item in items:
            listing.add(
                item.id,
                {
                    "#": cell(item.order or ""),
                    "Item": cell(item.title, "bold"),
                    "French": cell(item.title_fr or ""),
                    "Summary": cell(item.summary),
                },
            )
        listings.append(listing)
    return listings


def hits_table(hits: Sequence[Hit]) -> RecordList:
    """Search hits: score, type, the record's title and id, the matched field highlighted."""
    listing = RecordList(["Score", "Type", "Record", "Matched"], anchor="Record", prose="Matched")
    for hit in hits:
        listing.add(
            hit.record.id,
            {
                "Score": cell(f"{hit.score:.0f}"),
                "Type": cell(hit.record.type),
                "Record": cell(hit.record.label, "bold"),
                "Matched": _highlighted(hit),
            },
        )
    return listing


def _highlighted(hit: Hit) -> Cell:
    """The matched field's name, then its text with the matches in reverse video."""
    prefix = safe(f"{hit.field}: ")
    shown = safe(hit.text)
    # Escaping a control character lengthens the text; highlight only when it did not.
    spans = (
        tuple((len(prefix) + start, len(prefix) + end, "reverse") for start, end in hit.spans)
        if len(shown) == len(hit.text)
        else ()
    )
    return Cell(prefix + shown, "dim", spans)
