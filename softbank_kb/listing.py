"""Records as lists of plain cells, for tables, cards, TSV or CSV: no rich, as pipes need none.

`render.py` draws a `RecordList` on a terminal; TSV and CSV print its fields, one a column
(docs/output-columns.md lists them). A command that answers with one record, a profile,
counts or answers prints `Rows` instead: a record as field and value lines.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from softbank_kb.models import (
    AnyRecord,
    Deal,
    Figure,
    KnowledgeBase,
    Money,
    Organization,
    PartialDate,
    Person,
    Quantity,
    Quote,
    Role,
    StrategyItem,
    field_names,
    format_number,
    format_value,
    plain_number,
)
from softbank_kb.printable import safe

if TYPE_CHECKING:
    from softbank_kb.ask import Answer, Reply
    from softbank_kb.query import Profile, Stats
    from softbank_kb.search import Hit

__all__ = ["format_number", "format_value"]  # written in numbers.py; read from here too


# Values ---------------------------------------------------------------------------------


def label_of(kb: KnowledgeBase, record_id: str | None) -> str:
    """The label of the record with this id, or the id itself; '' for none."""
    if record_id is None:
        return ""
    record = kb.get(record_id)
    return record.label if record is not None else record_id


def plain(value: object) -> str:
    """A value as one TSV or CSV field: never a raw control character; true/false; no 6.5e9."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return plain_number(value)
    return safe(str(value))


def _date_fields(date: PartialDate | None) -> tuple[str, str]:
    """A date's two fields: plain ISO, and whether its year is inferred ('' without a date)."""
    if date is None:
        return "", ""
    return date.value, plain(date.year_inferred)


def _unit_of(value: Money | Quantity | None) -> tuple[str, str]:
    """An amount's currency, or the unit of a quantity: one of the two is empty."""
    if isinstance(value, Money):
        return value.currency, ""
    if isinstance(value, Quantity):
        return "", value.unit
    return "", ""


def _amount_of(value: Money | Quantity | None) -> str:
    return plain(value.amount) if value is not None else ""


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
    """Records as rows of cells under their ids, as `render.draw_list` lays them out.

    `fields` are what TSV and CSV print, one field a column, where the drawn cells join
    several (a date and whether it is inferred); without them, the drawn columns.
    """

    def __init__(
        self,
        columns: Sequence[str],
        anchor: str,
        prose: str | None = None,
        *,
        drop_prose: bool = False,
        title: str | None = None,
        fields: Sequence[str] = (),
    ) -> None:
        self.columns = list(columns)
        # The column a record's id is drawn under.
        self.anchor = anchor
        # The column that takes the width left; with drop_prose, left out on a narrow screen.
        self.prose = prose
        self.drop_prose = drop_prose
        self.title = title
        self.fields = list(fields)
        self.rows: list[tuple[str, dict[str, Cell]]] = []
        self.values: list[dict[str, str]] = []

    def add(
        self, record_id: str, cells: dict[str, Cell], values: dict[str, str] | None = None
    ) -> None:
        """One record's row: its drawn cells and, where the list has fields, their values."""
        self.rows.append((record_id, cells))
        self.values.append(values or {})

    def delimited_rows(self) -> Iterator[list[str]]:
        """The header, then a row a record: its fields, or its drawn cells."""
        if self.fields:
            yield ["id", *self.fields]
            for (record_id, _), values in zip(self.rows, self.values, strict=True):
                yield [record_id, *(values[name] for name in self.fields)]
            return
        yield ["id", *(_field_name(column) for column in self.columns)]
        for record_id, cells in self.rows:
            yield [record_id, *(cells[column].plain for column in self.columns)]


class Rows:
    """Lines of plain fields under a header: one record's fields, counts, answers."""

    def __init__(self, *header: str) -> None:
        self.header = list(header)
        self.rows: list[list[str]] = []

    def add(self, *values: object) -> None:
        """One line; each value as `plain` writes it."""
        self.rows.append([plain(value) for value in values])

    def delimited_rows(self) -> Iterator[list[str]]:
        """The header, then the lines."""
        yield self.header
        yield from self.rows


def delimited(parts: Sequence[RecordList | Rows], form: str) -> str:
    """Lists as TSV or CSV: one header, then a line a record (or a field, a count, an answer).

    Every part after the first adds its lines under the first's header (strategy's groups).
    """
    rows: list[list[str]] = []
    for part in parts:
        lines = list(part.delimited_rows())
        rows.extend(lines if not rows else lines[1:])
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

DEAL_FIELDS = (
    "date",
    "year_inferred",
    "kind",
    "status",
    "investor",
    "target",
    "amount",
    "currency",
    "amount_stated",
    "via",
    "summary",
    "context",
)


def deals_table(deals: Sequence[Deal], kb: KnowledgeBase) -> RecordList:
    """Deals: date, kind, target, amount with conversions, vehicle, summary, id."""
    listing = RecordList(
        ["Date", "Kind", "Target", "Amount", "Via", "Summary"],
        anchor="Target",
        prose="Summary",
        drop_prose=True,
        fields=DEAL_FIELDS,
    )
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
            "Summary": cell(_with_context(deal.summary, deal.context)),
        }
        date, inferred = _date_fields(deal.date)
        values = {
            "date": date,
            "year_inferred": inferred,
            "kind": plain(deal.kind),
            "status": plain(deal.status),
            "investor": plain(label_of(kb, deal.investor)),
            "target": plain(label_of(kb, deal.target)),
            "amount": _amount_of(deal.amount),
            "currency": deal.amount.currency if deal.amount else "",
            "amount_stated": plain(amount.replace("\n", "; ")),
            "via": plain(label_of(kb, deal.vehicle)),
            "summary": plain(deal.summary),
            "context": plain(deal.context),
        }
        listing.add(deal.id, cells, values)
    return listing


def _with_context(summary: str, context: str | None) -> str:
    """A summary, then what a reader should know about it (drawn in one cell)."""
    return f"{summary}\nNote: {context}" if context else summary


def quotes_list(quotes: Sequence[Quote], kb: KnowledgeBase) -> RecordList:
    """Quotes as a list for programs: when, who, the French and the English."""
    listing = RecordList(
        ["Date", "Speaker", "Kind", "Text", "English"],
        anchor="Speaker",
        fields=("date", "year_inferred", "speaker", "kind", "text", "english"),
    )
    for quote in quotes:
        date, inferred = _date_fields(quote.date)
        listing.add(
            quote.id,
            {
                "Date": cell(str(quote.date or "")),
                "Speaker": cell(label_of(kb, quote.speaker)),
                "Kind": cell(quote.kind.replace("_", " ")),
                "Text": cell(quote.text),
                "English": cell(quote.text_en),
            },
            {
                "date": date,
                "year_inferred": inferred,
                "speaker": plain(label_of(kb, quote.speaker)),
                "kind": plain(quote.kind),
                "text": plain(quote.text),
                "english": plain(quote.text_en),
            },
        )
    return listing


def people_table(people: Sequence[Person], kb: KnowledgeBase) -> RecordList:
    """People: name, roles, aliases, id."""
    listing = RecordList(["Name", "Roles", "Aliases"], anchor="Name", prose="Roles")
    for person in people:
        roles = "; ".join(_role(role, kb) for role in person.roles)
        listing.add(
            person.id,
            {
                "Name": cell(person.name, "bold"),
                "Roles": cell(roles),
                "Aliases": cell(", ".join(person.aliases)),
            },
        )
    return listing


def _role(role: Role, kb: KnowledgeBase) -> str:
    return f"{role.title}, {label_of(kb, role.organization)}"


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


FIGURE_FIELDS = (
    "entity",
    "metric",
    "metric_fr",
    "period",
    "year_inferred",
    "amount",
    "currency",
    "unit",
    "amount_stated",
    "status",
    "summary",
    "context",
)


def figures_table(figures: Sequence[Figure], kb: KnowledgeBase) -> RecordList:
    """Figures: entity, metric, period, value with conversions, status, summary, id."""
    listing = RecordList(
        ["Entity", "Metric", "Period", "Value", "Status", "Summary"],
        anchor="Metric",
        prose="Summary",
        drop_prose=True,
        fields=FIGURE_FIELDS,
    )
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
            "Summary": cell(_with_context(figure.summary, figure.context)),
        }
        currency, unit = _unit_of(figure.value)
        values = {
            "entity": plain(label_of(kb, figure.entity)),
            "metric": plain(figure.metric),
            "metric_fr": plain(figure.metric_fr),
            "period": plain(figure.period),
            "year_inferred": _date_fields(figure.date)[1],
            "amount": _amount_of(figure.value),
            "currency": currency,
            "unit": plain(unit),
            "amount_stated": plain(format_value(figure.value)),
            "status": plain(figure.status),
            "summary": plain(figure.summary),
            "context": plain(figure.context),
        }
        listing.add(figure.id, cells, values)
    return listing


def timeline_table(records: Sequence[AnyRecord], kb: KnowledgeBase) -> RecordList:
    """Dated records in order: date, type, what happened, id."""
    return dated_list(records, kb)


def dated_list(
    records: Sequence[AnyRecord], kb: KnowledgeBase, title: str | None = None
) -> RecordList:
    """Records by date, type and what they say: the timeline, a profile's sections."""
    listing = RecordList(
        ["Date", "Type", "What"],
        anchor="What",
        prose="What",
        title=title,
        fields=("date", "year_inferred", "date_is_target", "type", "what"),
    )
    for record in records:
        date = getattr(record, "date", None)
        target = getattr(record, "target_date", None)
        shown = target if date is None and target is not None else date
        value, inferred = _date_fields(shown)
        listing.add(
            record.id,
            {
                "Date": cell(_date_cell(record)),
                "Type": cell(record.type),
                "What": cell(_what(record, kb)),
            },
            {
                "date": value,
                "year_inferred": inferred,
                "date_is_target": plain(shown is target) if shown is not None else "",
                "type": record.type,
                "what": plain(_what(record, kb)),
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
            fields=("group", "owner", "number", "item", "french", "summary"),
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
                {
                    "group": plain(item.group),
                    "owner": plain(label_of(kb, item.owner)),
                    "number": plain(item.order),
                    "item": plain(item.title),
                    "french": plain(item.title_fr),
                    "summary": plain(item.summary),
                },
            )
        listings.append(listing)
    return listings


def hits_table(hits: Sequence[Hit]) -> RecordList:
    """Search hits: score, type, the record's title and id, the matched field highlighted."""
    listing = RecordList(
        ["Score", "Type", "Record", "Matched"],
        anchor="Record",
        prose="Matched",
        fields=("score", "type", "record", "field", "matched"),
    )
    for hit in hits:
        listing.add(
            hit.record.id,
            {
                "Score": cell(f"{hit.score:.0f}"),
                "Type": cell(hit.record.type),
                "Record": cell(hit.record.label, "bold"),
                "Matched": _highlighted(hit),
            },
            {
                "score": f"{hit.score:.0f}",
                "type": hit.record.type,
                "record": plain(hit.record.label),
                "field": plain(hit.field),
                "matched": plain(hit.text),
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


# One record, a profile, counts, answers: field and value lines ---------------------------


def record_fields(record: AnyRecord, kb: KnowledgeBase) -> Rows:
    """One record as `field value` lines: every field, one value a line, then its citations.

    A date is two lines (its ISO value, whether its year is inferred), an amount four (the
    number, its currency or unit, its qualifier, the amount as stated), a list a line an
    item; references are ids.
    """
    rows = Rows("field", "value")
    rows.add("id", record.id)
    rows.add("type", record.type)
    for name in field_names(type(record)):
        if name in ("id", "type", "citations"):
            continue
        for field, value in _field_lines(name, getattr(record, name), kb):
            rows.add(field, value)
    for citation in getattr(record, "citations", ()):
        rows.add("source", citation.source)
        rows.add("excerpt", citation.excerpt)
    return rows


def _field_lines(name: str, value: Any, kb: KnowledgeBase) -> Iterator[tuple[str, Any]]:
    if value is None or value == () or value == "":
        return
    if isinstance(value, PartialDate):
        yield name, value.value
        yield ("year_inferred" if name == "date" else f"{name}_year_inferred"), value.year_inferred
    elif isinstance(value, (Money, Quantity)):
        stem = "" if name in ("amount", "value") else f"{name}_"
        currency, unit = _unit_of(value)
        yield f"{stem}amount", value.amount
        yield (f"{stem}currency", currency) if currency else (f"{stem}unit", unit)
        if value.qualifier:
            yield f"{stem}qualifier", value.qualifier
        yield f"{stem or 'amount_'}stated", format_value(value)
    elif isinstance(value, tuple):
        for item in value:
            yield name, _role(item, kb) if isinstance(item, Role) else item
    else:
        yield name, value


def profile_rows(found: Profile, kb: KnowledgeBase) -> Rows:
    """A profile as `field value` lines: the record's, then a line for each linked record,
    its section (deals, quotes_by, ...) and its id."""
    rows = record_fields(found.record, kb)
    for key, _, records in found.sections():
        for record in records:
            rows.add(key, record.id)
    return rows


def stats_rows(counts: Stats) -> Rows:
    """Counts as `by key count` lines: by type, by year, by source; the total first."""
    rows = Rows("by", "key", "count")
    rows.add("total", "records", counts.total)
    for by, table in (
        ("type", counts.by_type),
        ("year", counts.by_year),
        ("source", counts.by_source),
    ):
        for key, count in table.items():
            rows.add(by, key, count)
    return rows


ANSWER_FIELDS = ("rank", "answer", "type", "id", "what", "source", "excerpt")


def answer_rows(reply: Reply, kb: KnowledgeBase) -> Rows:
    """Numbered answers, each with its record and the excerpt and source that prove it."""
    rows = Rows(*ANSWER_FIELDS)
    for rank, answer in enumerate(reply.answers, 1):
        citation = answer.citation
        rows.add(
            rank,
            answer_text(answer, kb),
            answer.record.type,
            answer.record.id,
            answer_about(answer),
            citation.source if citation else "",
            citation.excerpt if citation else "",
        )
    return rows


def known_rows(reply: Reply) -> Rows:
    """What is known about a question's entities: the answers' columns, no rank, no answer."""
    rows = Rows(*ANSWER_FIELDS)
    for record in reply.known:
        rows.add("", "", record.type, record.id, record.label, "", "")
    return rows


def answer_about(answer: Answer) -> str:
    """The record an answer comes from in one line; a person or organisation answering as
    itself is described, not named twice."""
    record = answer.record
    itself = answer.value is record and isinstance(record, (Person, Organization))
    return record.description if itself else record.label  # type: ignore[union-attr]


def answer_text(answer: Answer, kb: KnowledgeBase) -> str:
    """The answer itself in one line: an amount, a date, a person and role, a quote."""
    value = answer.value
    if isinstance(value, (Money, Quantity)):
        shown = format_value(value)
        if isinstance(answer.record, Figure):
            status = "" if answer.record.status == "actual" else f", {answer.record.status}"
            shown += f" ({answer.record.period}{status})"
        return shown
    if isinstance(value, PartialDate):
        return str(value)
    if isinstance(value, Person):
        roles = "; ".join(_role(role, kb) for role in value.roles)
        return f"{value.name} ({roles})" if roles else value.name
    if isinstance(value, Quote):
        return f"{label_of(kb, value.speaker)}: {quoted(value)}"
    if isinstance(value, Organization):
        return value.name
    return str(value)


def quoted(quote: Quote) -> str:
    """A quote's French words, in « » when they are the speaker's own."""
    return f"« {quote.text} »" if quote.kind == "direct" else quote.text
