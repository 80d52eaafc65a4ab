"""The knowledge base as a Datasette-grade SQLite database, and its Datasette metadata."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from softbank_kb.models import (
    COLLECTIONS,
    TYPE_NAMES,
    Citation,
    Figure,
    KnowledgeBase,
    Money,
    Organization,
    Person,
    Quantity,
    format_value,
)

# Rows go in by batches: one statement per batch, not per row.
BATCH_SIZE = 1000
# unicode61 without diacritics: `ampere` finds « Ampère », `societe` finds « société ».
_TOKENIZE = "unicode61 remove_diacritics 2"

Progress = Callable[[int, int], None]
"""Told (rows written so far, rows in all) after every batch."""

Rows = Callable[[KnowledgeBase], Iterable[dict[str, Any]]]
"""A table's rows, made from the whole knowledge base."""


@dataclass(frozen=True)
class Column:
    """One column of a table: its SQL type, what it holds and, in a record table, its value."""

    name: str
    kind: type = str
    # "" in a record table: what the record type says of the field of the same name.
    description: str = ""
    references: str | None = None  # the table this column's ids point to
    # The record's attribute ("" for `name`), an attribute of an optional one
    # ("date.year": None without a date), or a function of the record.
    value: str | Callable[[Any], Any] = ""

    def reader(self) -> Callable[[Any], Any]:
        """The column's value of a record, as one call (attrgetter: rows come by the million)."""
        if callable(self.value):
            return self.value
        first, _, rest = (self.value or self.name).partition(".")
        if not rest:
            return attrgetter(first)
        outer, inner = attrgetter(first), attrgetter(rest)
        return lambda record: None if (part := outer(record)) is None else inner(part)


@dataclass(frozen=True)
class TableSpec:
    """A table of the export: its columns, rows, search and facets."""

    name: str
    description: str
    columns: tuple[Column, ...]
    # None: a row per record of the collection named like the table, its columns' values.
    rows_of: Rows | None = None
    pk: str | None = "id"
    label: str | None = None
    search: tuple[str, ...] = ()
    facets: tuple[str, ...] = ()
    sort_desc: str | None = None
    # Listed last on Datasette's database page: a link table, reached from a record's page.
    hidden: bool = False

    def rows(self, kb: KnowledgeBase) -> Iterable[dict[str, Any]]:
        """The table's rows for the knowledge base `kb`."""
        if self.rows_of is not None:
            return self.rows_of(kb)
        readers = [(column.name, column.reader()) for column in self.columns]
        records = getattr(kb, self.name)
        return ({name: read(record) for name, read in readers} for record in records)

    def descriptions(self) -> dict[str, str]:
        """What each column holds, by name, in the table's order."""
        return {
            c.name: c.description or _field_doc(COLLECTIONS[self.name], c.name)
            for c in self.columns
        }


@dataclass(frozen=True)
class ViewSpec:
    """A view of the export: its SQL and what it shows."""

    name: str
    description: str
    sql: str
    columns: dict[str, str] = field(default_factory=dict)
    facets: tuple[str, ...] = ()
    # The table whose words describe the view's other columns.
    table: str | None = None


@dataclass(frozen=True)
class CannedQuery:
    """A query Datasette offers by name, with a form for its :parameters."""

    name: str
    title: str
    description: str
    sql: str


def _field_doc(model: type, name: str) -> str:
    """The description a record type gives one of its fields."""
    return str(model.__dataclass_fields__[name].metadata.get("description", ""))


# Columns shared by several tables ------------------------------------------------------


def _id(what: str) -> Column:
    return Column("id", str, f"The {what}'s id, a stable slug unique across the whole KB.")


def _date_columns(prefix: str, what: str) -> tuple[Column, ...]:
    """A partial date's four columns: as stated, its precision, its year, whether inferred."""
    stem = f"{prefix}_" if prefix != "date" else ""
    return (
        Column(
            prefix,
            str,
            f"{what}, ISO 8601 of the precision stated: 2024, 2024-11, 2024-11-05.",
            value=f"{prefix}.value",
        ),
        Column(
            f"{prefix}_precision",
            str,
            f"How much of {prefix} is stated: year, month or day.",
            value=f"{prefix}.precision",
        ),
        Column(
            f"{stem}year", int, f"The year of {prefix}, stated or inferred.", value=f"{prefix}.year"
        ),
        Column(
            f"{stem}year_inferred",
            bool,
            f"1 when the article implies the year of {prefix} rather than stating it.",
            value=f"{prefix}.year_inferred",
        ),
    )


def _money_columns(prefix: str, what: str, stated: bool = True) -> tuple[Column, ...]:
    """An amount of money's columns: the amount, its currency, its hedge, as stated."""
    stem = f"{prefix}_" if prefix != "amount" else ""
    return (
        Column(
            f"{stem}amount",
            # INTEGER: a whole amount is stored as one (6500000000, not 6500000000.0).
            int,
            f"{what}, in units of the currency: 6500000000, never 6.5.",
            value=f"{prefix}.amount",
        ),
        Column(
            f"{stem}currency",
            str,
            f"The ISO 4217 currency of {prefix}: USD, EUR, JPY, CNY.",
            value=f"{prefix}.currency",
        ),
        Column(
            f"{stem}qualifier",
            str,
            f"How the article hedges {prefix}: about, nearly, up_to, more_than, ...",
            value=f"{prefix}.qualifier",
        ),
        *(
            (
                Column(
                    f"{stem or 'amount_'}stated",
                    str,
                    f"{what}, as the article states it, with its conversions: 6.5 billion USD"
                    " (about 47 billion CNY).",
                    value=_stated(prefix),
                ),
            )
            if stated
            else ()
        ),
    )


def _stated(name: str) -> Callable[[Any], str | None]:
    """The amount in the record's field `name`, written as the article states it."""
    read = attrgetter(name)
    return lambda record: format_value(value) if (value := read(record)) is not None else None


def _reading_order(columns: tuple[Column, ...], *first: str) -> tuple[Column, ...]:
    """The columns a reader looks at first, in this order, then the others as they come:
    Datasette's pages show a wide table's first columns without scrolling."""
    named = {column.name: column for column in columns}
    return (
        *(named[name] for name in first),
        *(column for column in columns if column.name not in first),
    )


def _aliases(record: Organization | Person) -> str:
    """Other names as one JSON array: a column holds one value."""
    return json.dumps(list(record.aliases), ensure_ascii=False)


# A figure's value is money or a quantity: a currency for the one, a unit for the other.
def _figure_currency(figure: Figure) -> str | None:
    return figure.value.currency if isinstance(figure.value, Money) else None


def _figure_unit(figure: Figure) -> str | None:
    return figure.value.unit if isinstance(figure.value, Quantity) else None


# Rows that are not one per record ------------------------------------------------------


def _records_rows(kb: KnowledgeBase) -> Iterator[dict[str, Any]]:
    tables = {model: name for name, model in COLLECTIONS.items()}
    for record in kb.records():
        yield {
            "id": record.id,
            "type": record.type,
            "label": record.label,
            "table_name": tables[type(record)],
        }


def _roles_rows(kb: KnowledgeBase) -> Iterator[dict[str, Any]]:
    for p in kb.people:
        for position, role in enumerate(p.roles, 1):
            yield {
                "person": p.id,
                "organization": role.organization,
                "position": position,
                "title": role.title,
                "title_fr": role.title_fr,
            }


def _citation_table(collection: str) -> TableSpec:
    """The citations of one record type, each row linked to its record: what a record's
    page in Datasette lists under "Links from other tables"."""
    owner = TYPE_NAMES[COLLECTIONS[collection]]

    def rows(kb: KnowledgeBase) -> Iterator[dict[str, Any]]:
        for record in getattr(kb, collection):
            for position, citation in enumerate(record.citations, 1):
                yield {
                    owner: record.id,
                    "position": position,
                    "source": citation.source,
                    "excerpt": citation.excerpt,
                }

    return TableSpec(
        f"{owner}_citations",
        f"Where each {owner} comes from: the article and its verbatim French words.",
        (
            Column(owner, str, f"The id of the {owner} that cites.", collection),
            Column("position", int, "Its place in the record's citations, from 1."),
            Column("source", str, "The id of the source article.", "sources"),
            Column("excerpt", str, _field_doc(Citation, "excerpt")),
        ),
        rows,
        pk=None,
        label="excerpt",
        search=("excerpt",),
        facets=("source",),
        hidden=True,
    )


# Every record type but the sources cites: a citation table for each.
_CITED = tuple(name for name in COLLECTIONS if name != "sources")


def _equivalents_rows(kb: KnowledgeBase) -> Iterator[dict[str, Any]]:
    def flattened(money: Money) -> Iterator[Money]:
        for equivalent in money.equivalents:
            yield equivalent
            yield from flattened(equivalent)

    for record in kb.records():
        for name in ("amount", "co_investment", "value"):
            money = getattr(record, name, None)
            if isinstance(money, Money):
                for position, equivalent in enumerate(flattened(money), 1):
                    yield {
                        "record": record.id,
                        "field": name,
                        "position": position,
                        "amount": equivalent.amount,
                        "currency": equivalent.currency,
                        "qualifier": equivalent.qualifier,
                    }


def _link_table(
    name: str,
    description: str,
    owner: tuple[str, str, str],
    other: tuple[str, str, str],
) -> TableSpec:
    """A many-to-many table: owner (column, table, field holding the ids) to other ids."""
    owner_column, owner_table, attribute = owner
    other_column, other_table, other_doc = other

    def rows(kb: KnowledgeBase) -> Iterator[dict[str, Any]]:
        for record in getattr(kb, owner_table):
            for position, other_id in enumerate(getattr(record, attribute), 1):
                yield {owner_column: record.id, "position": position, other_column: other_id}

    return TableSpec(
        name,
        description,
        (
            Column(owner_column, str, f"The {owner_column}'s id.", owner_table),
            Column("position", int, "Its place in the record's list, from 1."),
            Column(other_column, str, other_doc, other_table),
        ),
        rows,
        pk=None,
        facets=(other_column,),
        hidden=True,
    )


# The tables, in the order they are written (referenced first) ---------------------------

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "records",
        "Every record of every type, with its one-line label: what the links between"
        " tables point to when a reference may name records of several types.",
        (
            _id("record"),
            Column("type", str, "source, organization, person, deal, quote, figure, ..."),
            Column("label", str, "The record in one line: a name, a title, a summary."),
            Column("table_name", str, "The table holding the record's fields."),
        ),
        _records_rows,
        label="label",
        search=("label",),
        facets=("type",),
    ),
    TableSpec(
        "sources",
        "The two French articles every record cites.",
        (
            _id("source"),
            Column("title"),
            Column("language"),
            *_date_columns("published", "When it was published"),
            Column("sha256"),
            Column("file"),
            Column("description"),
        ),
        label="title",
        search=("title", "description"),
    ),
    TableSpec(
        "organizations",
        "Companies, funds, projects, joint ventures, media and research firms.",
        (
            _id("organisation"),
            Column("name"),
            Column(
                "aliases", str, "Other names the articles use, as a JSON array.", value=_aliases
            ),
            Column("kind"),
            Column("country"),
            Column("parent", references="organizations"),
            Column("description"),
        ),
        label="name",
        search=("name", "aliases", "description"),
        facets=("kind", "country"),
    ),
    TableSpec(
        "people",
        "People the articles name; their positions are in roles.",
        (
            _id("person"),
            Column("name"),
            Column(
                "aliases", str, "Other names the articles use, as a JSON array.", value=_aliases
            ),
            Column("description"),
        ),
        label="name",
        search=("name", "aliases", "description"),
    ),
    TableSpec(
        "roles",
        "Positions people hold: who works for which organisation, and as what.",
        (
            Column("person", str, "The person's id.", "people"),
            Column("organization", str, "The organisation's id.", "organizations"),
            Column("position", int, "Its place in the person's list of roles, from 1."),
            Column("title", str, "The title in English."),
            Column("title_fr", str, "The title as the article writes it."),
        ),
        _roles_rows,
        pk=None,
        label="title",
        search=("title", "title_fr"),
        facets=("organization",),
    ),
    TableSpec(
        "deals",
        "Investments, funding rounds, acquisitions, joint ventures, partnerships, stake"
        " sales and budgets. Amounts as stated; their stated conversions are in"
        " equivalents.",
        _reading_order(
            (
                _id("deal"),
                Column("kind"),
                Column("status"),
                Column("investor", references="records"),
                Column("target", references="organizations"),
                Column("vehicle", references="organizations"),
                *_date_columns("date", "When"),
                *_money_columns("amount", "How much"),
                Column(
                    "stake_amount",
                    float,
                    "The share of the target, as a number.",
                    value="stake.amount",
                ),
                Column("stake_unit", str, "The unit of the stake: '%'.", value="stake.unit"),
                Column(
                    "stake_qualifier",
                    str,
                    "How the article hedges the stake.",
                    value="stake.qualifier",
                ),
                Column("cumulative", bool, "1 when the amount is a running total since date."),
                Column(
                    "until",
                    str,
                    "Where a cumulative total stops, when the article says.",
                    value="until.value",
                ),
                *_money_columns("co_investment", "What co-investors put in beside the investor"),
                Column("summary"),
                Column("context"),
            ),
            *("id", "date", "kind", "status", "investor", "target", "amount", "currency"),
            *("amount_stated", "summary"),
        ),
        label="summary",
        search=("summary", "context"),
        facets=("kind", "status", "year", "currency"),
        sort_desc="date",
    ),
    _link_table(
        "deal_partners",
        "Co-investors and joint-venture partners of a deal.",
        ("deal", "deals", "partners"),
        ("partner", "records", "The id of the co-investor or partner."),
    ),
    TableSpec(
        "quotes",
        "Words the articles attribute to a person or an organisation: the French"
        " original and our English translation.",
        _reading_order(
            (
                _id("quote"),
                Column("speaker", references="records"),
                Column("kind"),
                *_date_columns("date", "When it was said"),
                Column(
                    "target_date",
                    str,
                    "For a prediction, the date it looks to: 2035 for « d'ici 2035 ».",
                    value="target_date.value",
                ),
                Column("venue"),
                Column("text"),
                Column("text_en"),
                Column("context"),
            ),
            *("id", "date", "speaker", "kind", "text", "text_en", "venue"),
        ),
        label="text_en",
        search=("text", "text_en", "context", "venue"),
        facets=("kind", "year", "speaker"),
        sort_desc="date",
    ),
    _link_table(
        "quote_mentions",
        "What each quote is about.",
        ("quote", "quotes", "mentions"),
        ("record", "records", "The id of the record the quote mentions."),
    ),
    TableSpec(
        "figures",
        "Numbers the articles state: revenue, losses, targets, shares. Money has a"
        " currency, a quantity a unit.",
        _reading_order(
            (
                _id("figure"),
                Column("entity", references="records"),
                Column("metric"),
                Column("metric_fr"),
                Column("period"),
                *_date_columns("date", "The period's date"),
                Column("amount", int, "The number as stated, in units.", value="value.amount"),
                Column(
                    "currency",
                    str,
                    "The ISO 4217 currency, when the number is money.",
                    value=_figure_currency,
                ),
                Column(
                    "unit",
                    str,
                    "The unit, when the number is not money: '%', 'times'.",
                    value=_figure_unit,
                ),
                Column(
                    "qualifier",
                    str,
                    "How the article hedges it: about, nearly, ...",
                    value="value.qualifier",
                ),
                Column(
                    "amount_stated",
                    str,
                    "The number as the article states it: 581 million USD, nearly 5%.",
                    value=_stated("value"),
                ),
                Column("status"),
                Column("summary"),
                Column("context"),
            ),
            *("id", "entity", "metric", "period", "amount", "currency", "unit"),
            *("amount_stated", "status", "summary"),
        ),
        label="summary",
        search=("summary", "metric", "metric_fr", "period", "context"),
        facets=("status", "metric", "year", "currency"),
        sort_desc="date",
    ),
    TableSpec(
        "events",
        "Dated happenings that are not already a deal or a quote.",
        (
            _id("event"),
            Column("kind"),
            *_date_columns("date", "When it happened or is expected"),
            Column("title"),
            Column("summary"),
        ),
        label="title",
        search=("title", "summary"),
        facets=("kind", "year"),
        sort_desc="date",
    ),
    _link_table(
        "event_participants",
        "Who took part in each event.",
        ("event", "events", "participants"),
        ("participant", "records", "The id of who took part."),
    ),
    _link_table(
        "event_records",
        "The deals, quotes and figures made or given at each event.",
        ("event", "events", "records"),
        ("record", "records", "The id of the deal, quote or figure."),
    ),
    TableSpec(
        "strategy",
        "The elements of SoftBank's stated strategy: the ASI dimensions, the AI layers, the aims.",
        (
            _id("strategy item"),
            Column("group"),
            Column("order", int),
            Column("title"),
            Column("title_fr"),
            Column("owner", references="organizations"),
            Column("summary"),
        ),
        label="title",
        search=("title", "title_fr", "summary"),
        facets=("group", "owner"),
    ),
    _link_table(
        "strategy_related",
        "The records each strategy item involves.",
        ("strategy", "strategy", "related"),
        ("record", "records", "The id of a record the item involves."),
    ),
    TableSpec(
        "equivalents",
        "Conversions of an amount that the article itself states: 6.5 billion USD"
        " (about 47 billion CNY).",
        (
            Column("record", str, "The id of the deal or figure.", "records"),
            Column("field", str, "Which amount it converts: amount, co_investment, value."),
            Column("position", int, "Its place among the amount's equivalents, from 1."),
            *_money_columns("amount", "The converted amount", stated=False),
        ),
        _equivalents_rows,
        pk=None,
        facets=("currency",),
        hidden=True,
    ),
    *(_citation_table(collection) for collection in _CITED),
)


def _citations_sql() -> str:
    """Every citation table as one: the record's id and type beside each excerpt."""
    return " union all ".join(
        f"select {owner} as record, '{owner}' as type, position, source, excerpt"
        f" from {owner}_citations"
        for owner in (TYPE_NAMES[COLLECTIONS[name]] for name in _CITED)
    )


VIEWS = (
    ViewSpec(
        "citations",
        "Every citation of every record: the article and its verbatim French words."
        " Join on record = <table>.id; a record's own page links its type's citations.",
        _citations_sql(),
        {
            "record": "The id of the record that cites.",
            "type": "The record's type: organization, person, deal, quote, ...",
            "position": "Its place in the record's citations, from 1.",
            "source": "The id of the source article.",
            "excerpt": _field_doc(Citation, "excerpt"),
        },
        facets=("type", "source"),
    ),
    ViewSpec(
        "deals_with_names",
        "Deals with the names of their investor, target and vehicle beside the ids.",
        """
        select deals.id, deals.date, deals.kind, deals.status,
               investor.label as investor_name, target.name as target_name,
               deals.amount, deals.currency, deals.amount_stated, deals.summary,
               vehicle.name as vehicle_name, deals.year, deals.year_inferred,
               deals.investor, deals.target, deals.vehicle
        from deals
        left join records as investor on investor.id = deals.investor
        left join organizations as target on target.id = deals.target
        left join organizations as vehicle on vehicle.id = deals.vehicle
        order by deals.date desc
        """,
        {
            "investor_name": "The investor's name.",
            "target_name": "The target's name.",
            "vehicle_name": "The fund's name.",
        },
        facets=("kind", "status", "year", "currency", "investor_name"),
        table="deals",
    ),
    ViewSpec(
        "quotes_with_speakers",
        "Quotes with the speaker's name, French original and English translation, and"
        " the article they come from.",
        """
        select quotes.id, quotes.date, quotes.year, speaker.label as speaker_name,
               quotes.kind, quotes.text, quotes.text_en, quotes.venue,
               (select group_concat(title, ' · ') from (
                   select distinct sources.title from quote_citations
                   join sources on sources.id = quote_citations.source
                   where quote_citations.quote = quotes.id)) as source,
               quotes.speaker
        from quotes
        left join records as speaker on speaker.id = quotes.speaker
        order by quotes.date desc
        """,
        {
            "speaker_name": "The speaker's name.",
            "source": "The title of the article the quote comes from.",
        },
        facets=("speaker_name", "kind", "year", "source"),
        table="quotes",
    ),
)

# Datasette offers these by name on the database page, with a form for each :parameter.
QUERIES = (
    CannedQuery(
        "citations_of_a_record",
        "The citations of a record",
        "Every excerpt a record rests on, with its article: give the record's id, such as"
        " ampere-acquisition or masayoshi-son.",
        """
        select citations.record, records.type, records.label, citations.position,
               sources.title as source, citations.excerpt
        from citations
        join records on records.id = citations.record
        join sources on sources.id = citations.source
        where citations.record = :id
        order by citations.position
        """,
    ),
    CannedQuery(
        "deals_in_a_currency",
        "Deals in one currency, largest first",
        "Amounts are compared only within a currency: give an ISO 4217 code (USD, EUR,"
        " JPY, CNY). A deal stated in another currency counts through a conversion the"
        " article itself states, and says so.",
        """
        select deals.id, deals.date, deals.kind, deals.status,
               target.name as target,
               case when deals.currency = :currency then deals.amount
                    else converted.amount end as amount,
               upper(:currency) as currency,
               case when deals.currency = :currency then 'as stated'
                    else 'by the article''s own conversion' end as counted,
               deals.amount_stated, deals.summary
        from deals
        left join organizations as target on target.id = deals.target
        left join equivalents as converted on converted.record = deals.id
             and converted.field = 'amount' and converted.currency = upper(:currency)
        where deals.currency = upper(:currency) or converted.record is not null
        order by amount desc
        """,
    ),
    CannedQuery(
        "quotes_of_a_speaker",
        "Quotes of a speaker, with their source",
        "What a person or organisation said, oldest first, the French original, the"
        " English translation and the article: give a name or a part of one (Son, Huang);"
        " empty, every quote.",
        """
        select quotes.id, quotes.date, speaker.label as speaker, quotes.kind,
               quotes.text, quotes.text_en, quotes.venue,
               (select group_concat(title, ' · ') from (
                   select distinct sources.title from quote_citations
                   join sources on sources.id = quote_citations.source
                   where quote_citations.quote = quotes.id)) as source
        from quotes
        join records as speaker on speaker.id = quotes.speaker
        where quotes.speaker = :speaker or speaker.label like '%' || :speaker || '%'
        order by quotes.date is null, quotes.date
        """,
    ),
    CannedQuery(
        "timeline",
        "The timeline",
        "Everything dated, oldest first; a year sorts before its months. A prediction"
        " without a date of its own stands at the date it looks to. Optionally from and"
        " to a date: 2024, 2024-11, 2024-11-05.",
        """
        select date, type, id, what, year_inferred from (
            select date, 'deal' as type, id, summary as what, year_inferred from deals
            union all
            select coalesce(date, target_date), 'quote', quotes.id,
                   speaker.label || ': ' || text_en, year_inferred
            from quotes join records as speaker on speaker.id = quotes.speaker
            union all
            select date, 'figure', id, summary, year_inferred from figures
            union all
            select date, 'event', id, title, year_inferred from events
        )
        where date is not null
          and (coalesce(:from_date, '') = '' or date >= :from_date)
          and (coalesce(:to_date, '') = '' or substr(date, 1, length(:to_date)) <= :to_date)
        order by date, type, id
        """,
    ),
    CannedQuery(
        "deals_of_a_company",
        "The deals of an organisation or person",
        "Every deal an organisation or person invested in, bought, sold, partnered or"
        " funded through, newest first: give its id or a part of its name (ampere, OpenAI).",
        """
        select distinct deals.id, deals.date, deals.kind, deals.status,
               investor.label as investor, target.name as target,
               deals.amount, deals.currency, deals.amount_stated, deals.summary
        from deals
        left join records as investor on investor.id = deals.investor
        left join organizations as target on target.id = deals.target
        left join deal_partners on deal_partners.deal = deals.id
        join records as party on party.id in
             (deals.investor, deals.target, deals.vehicle, deal_partners.partner)
        where party.id = :company or party.label like '%' || :company || '%'
        order by deals.date desc
        """,
    ),
)


# Writing ------------------------------------------------------------------------------


def work_count(kb: KnowledgeBase) -> int:
    """The steps of an export, for a progress bar: each row written, and again indexed."""
    return sum(sum(1 for _ in spec.rows(kb)) * (2 if spec.search else 1) for spec in TABLES)


def export_sqlite(kb: KnowledgeBase, path: Path, progress: Progress | None = None) -> None:
    """Write the database to `path` whole: built beside it, then renamed over it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        _build(kb, Path(temporary), progress)
        _as_umask_allows(Path(temporary))
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _as_umask_allows(path: Path) -> None:
    """The permissions an ordinary new file gets, not mkstemp's owner-only 0600."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)


def _build(kb: KnowledgeBase, path: Path, progress: Progress | None) -> None:
    connection = sqlite3.connect(path)
    try:
        write_tables(connection, kb, progress)
    finally:
        connection.close()


def write_tables(
    connection: sqlite3.Connection, kb: KnowledgeBase, progress: Progress | None = None
) -> None:
    """Every table, view and index of the export, written into a new, empty database."""
    import sqlite_utils

    total = work_count(kb) if progress else 0
    done = 0
    db = sqlite_utils.Database(connection)
    # A file nobody reads until it is renamed into place: no journal to keep safe.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    for spec in TABLES:
        table = db.table(spec.name)
        table.create(
            {c.name: c.kind for c in spec.columns},
            pk=spec.pk,
            foreign_keys=[(c.name, c.references, "id") for c in spec.columns if c.references],
            not_null=[spec.pk] if spec.pk else [],
        )
        written = 0
        for batch in _batches(spec.rows(kb), BATCH_SIZE):
            table.insert_all(batch, batch_size=BATCH_SIZE)
            written += len(batch)
            if progress:
                progress(done + written, total)
        done += written
        if spec.search:
            table.enable_fts(list(spec.search), tokenize=_TOKENIZE)
            done += written
            if progress:
                progress(done, total)
    for view in VIEWS:
        db.create_view(view.name, _one_line(view.sql))
    # Indexes on every reference, for Datasette's "links from other tables" counts.
    for spec in TABLES:
        for column in spec.columns:
            if column.references:
                db.table(spec.name).create_index([column.name])


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# Datasette metadata -------------------------------------------------------------------


def metadata(kb: KnowledgeBase, database: str) -> dict[str, Any]:
    """Datasette's metadata for the database named `database` (its file name's stem)."""
    sources = " · ".join(f"« {s.title} » ({s.language})" for s in kb.sources)
    tables: dict[str, Any] = {}
    cited = {TYPE_NAMES[COLLECTIONS[name]]: name for name in _CITED}
    for spec in TABLES:
        description = spec.description
        if spec.name in cited.values():
            owner = next(o for o, table in cited.items() if table == spec.name)
            description += f" A row's page links its citations ({owner}_citations)."
        entry: dict[str, Any] = {
            "description": description,
            "description_html": _described(description, spec.descriptions()),
        }
        if spec.label:
            entry["label_column"] = spec.label
        if spec.facets:
            entry["facets"] = list(spec.facets)
        if spec.sort_desc:
            entry["sort_desc"] = spec.sort_desc
        if spec.hidden:
            entry["hidden"] = True
        tables[spec.name] = entry
    for view in VIEWS:
        tables[view.name] = {
            "description": view.description,
            "description_html": _described(view.description, _view_columns(view)),
        }
        if view.facets:
            tables[view.name]["facets"] = list(view.facets)
    description = (
        "Every investment, acquisition, person, quote, figure, event and strategy item"
        " that two French news articles state, each citing its article with the"
        " article's own words. English fields are the project's own words."
    )
    return {
        "title": "SoftBank's AI strategy, sourced",
        "description": description + " Sources: " + sources + ".",
        "source": sources,
        "databases": {
            database: {
                "title": "SoftBank's AI strategy, sourced",
                "description": description
                + " A record's page links its citations (Links from other tables); the"
                " queries below answer the usual questions. Amounts are compared only"
                " within a currency.",
                "tables": tables,
                "queries": {
                    query.name: {
                        "title": query.title,
                        "description": query.description,
                        "sql": _one_line(query.sql),
                    }
                    for query in QUERIES
                },
            }
        },
    }


def _described(description: str, columns: dict[str, str]) -> str:
    """A table's description, then what each column holds, folded away: on Datasette's
    page the rows come first, not a screen of column descriptions."""
    from html import escape

    listed = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(text)}</dd>" for name, text in columns.items()
    )
    return (
        f"<p>{escape(description)}</p>"
        f"<details><summary>What each column holds</summary><dl>{listed}</dl></details>"
    )


def _view_columns(view: ViewSpec) -> dict[str, str]:
    """What each of a view's columns holds: its own words, else its table's."""
    own = next((spec.descriptions() for spec in TABLES if spec.name == view.table), {})
    return {
        name: view.columns.get(name) or own.get(name, "") for name in _columns_of_views()[view.name]
    }


@functools.cache
def _columns_of_views() -> dict[str, list[str]]:
    """Each view's columns, as SQLite reads them from an empty database of the export."""
    connection = sqlite3.connect(":memory:")
    try:
        write_tables(connection, KnowledgeBase())
        return {
            view.name: [row[1] for row in connection.execute(f"PRAGMA table_info([{view.name}])")]
            for view in VIEWS
        }
    finally:
        connection.close()


def _one_line(sql: str) -> str:
    """SQL as one line, as Datasette shows it in its editor and its links."""
    return " ".join(sql.split())


def write_metadata(kb: KnowledgeBase, database_path: Path, metadata_path: Path) -> None:
    """Write Datasette's metadata for the database at `database_path`, whole."""
    document = json.dumps(metadata(kb, database_path.stem), ensure_ascii=False, indent=2) + "\n"
    handle, temporary = tempfile.mkstemp(
        dir=metadata_path.parent, prefix=f".{metadata_path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(document)
        _as_umask_allows(Path(temporary))
        Path(temporary).replace(metadata_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
