"""The records of the knowledge base and the value types they are made of."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from decimal import Decimal
from functools import cache, cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from softbank_kb.choices import DEAL_KINDS, ISO_4217
from softbank_kb.constraints import (
    AtLeast,
    Before,
    Chars,
    Checked,
    Described,
    MinItems,
    StrictAmount,
    TaggedBy,
)

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema


def _described_by_docstring(schema: dict[str, Any], cls: type) -> None:
    """In the JSON Schema, a record or value type is described by its docstring."""
    # Older pydantic (2.6, for one) leaves the docstring of a stdlib dataclass out.
    import inspect

    schema["description"] = inspect.cleandoc(cls.__doc__ or "")


# Records are stdlib dataclasses, so that building them from the cache needs no
# pydantic; the loader validates raw data into them with pydantic (constraints.py).
# pydantic reads its configuration from each class: an unknown key is an error, and
# the class's docstring describes it in the JSON Schema.
_PYDANTIC_CONFIG = {"extra": "forbid", "json_schema_extra": _described_by_docstring}

# A dataclass that generates no method: its fields (`__dataclass_fields__`, which pydantic,
# `dataclasses.fields` and `replace` read) without the `exec` of an `__init__`, `__eq__`,
# `__repr__`, `__setattr__` ... for each class, which was 8-17 ms of every command's start.
# _Frozen does what those methods did.
_record = dataclass(kw_only=True, init=False, repr=False, eq=False, match_args=False)


class _Frozen:
    """Made by keyword, compared, hashed and shown by its fields, and frozen: what
    `@dataclass(frozen=True, kw_only=True)` generates, written once for every record type.

    An instance's `__dict__` holds its fields and nothing else (pydantic and the cache's
    builder set it whole), so it is compared as it is.
    """

    def __init__(self, **values: Any) -> None:
        cls = type(self)
        for name in field_names(cls):
            if name in values:
                value = values.pop(name)
            elif (default := cls.__dataclass_fields__[name].default) is not MISSING:
                value = default
            else:
                raise TypeError(f"{cls.__qualname__}() missing keyword argument {name!r}")
            self.__dict__[name] = value
        if values:
            raise TypeError(f"{cls.__qualname__}() got an unexpected keyword {min(values)!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        values = self.__dict__
        return hash(tuple([values[name] for name in field_names(type(self))]))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in field_names(type(self)))
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

RecordId = Annotated[
    str,
    Chars(pattern=_SLUG, max_length=80),
    Described("A stable lowercase slug, unique across the whole knowledge base."),
]
Text = Annotated[str, Chars(min_length=1, max_length=20_000)]
Qualifier = Literal["about", "nearly", "up_to", "more_than", "slightly_more_than", "at_least"]
Amount = Annotated[float, StrictAmount()]


def _described(description: str, default: Any = MISSING) -> Any:
    """A field with its description, which pydantic puts into the JSON Schema."""
    return field(default=default, metadata={"description": description})


# In the JSON Schema's dialect \d is an ASCII digit and $ the end of the text; Python's
# \d takes any digit (٢٠٢٤, ２０２４) and its $ matches before a final newline, so the
# check in Python is spelled with [0-9] and \Z.
_DATE_SCHEMA = r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$"
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?\Z")


@_record
class Citation(_Frozen):
    """Where a record comes from: an article and its own words."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _PYDANTIC_CONFIG

    source: RecordId = _described("The id of the source article.")
    excerpt: Text = _described("Verbatim words of the article (French); '…' marks an elision.")


def _string_or_object(schema: dict[str, Any], cls: type) -> None:
    """In the JSON Schema, a date may be written as a bare string too."""
    _described_by_docstring(schema, cls)
    as_object = dict(schema)
    schema.clear()
    schema["anyOf"] = [{"type": "string", "pattern": _DATE_SCHEMA}, as_object]


def _valid_iso(value: str) -> str:
    """`value` if it is a date of the calendar as YYYY, YYYY-MM or YYYY-MM-DD, else ValueError."""
    match = _DATE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    _, month, day = match.groups()
    if month and not 1 <= int(month) <= 12:
        raise ValueError(f"{value!r} has no month {month}")
    if day:
        import datetime

        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a day of the calendar") from None
    return value


def _from_string(data: Any) -> Any:
    """Curators write the common case as a bare string: `date: "2024-11"`."""
    return {"value": data} if isinstance(data, str) else data


@_record
class PartialDate(_Frozen):
    """An ISO-8601 date of the precision the article gives: a year, a month or a day."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {
        **_PYDANTIC_CONFIG,
        "json_schema_extra": _string_or_object,
    }

    value: Annotated[str, Checked(_valid_iso)] = _described("'2024', '2024-11' or '2025-04-01'.")
    year_inferred: bool = _described(
        "True when the article implies the year rather than stating it.", default=False
    )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """How pydantic validates a date: as the dataclass, or a bare string of its value."""
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(_from_string, handler(source))

    @property
    def year(self) -> int:
        """The year, stated or inferred."""
        return int(self.value[:4])

    @property
    def precision(self) -> Literal["year", "month", "day"]:
        """How much of the date the article gives."""
        return ("year", "month", "day")[self.value.count("-")]

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Orders a year before its months and a month before its days."""
        parts = [int(p) for p in self.value.split("-")]
        return ([*parts, 0, 0])[0], ([*parts, 0, 0])[1], ([*parts, 0, 0, 0])[2]

    def __str__(self) -> str:
        return f"{self.value} (inferred)" if self.year_inferred else self.value


def parse_date(text: str) -> PartialDate:
    """The date that `text` writes as YYYY, YYYY-MM or YYYY-MM-DD, or ValueError saying why."""
    return PartialDate(value=_valid_iso(text))


def _known_currency(code: str) -> str:
    """`code` if it is an ISO 4217 code, else ValueError."""
    if code not in ISO_4217:
        raise ValueError(f"{code!r} is not an ISO 4217 code")
    return code


@_record
class Money(_Frozen):
    """An amount of money in units of its currency, as the article states it."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _PYDANTIC_CONFIG

    amount: Amount = _described("The amount in units of the currency: 6500000000, never 6.5.")
    currency: Annotated[str, Checked(_known_currency, enum=ISO_4217)] = _described(
        "An ISO 4217 code: USD, EUR, JPY, CNY."
    )
    qualifier: Qualifier | None = _described(
        "How the article hedges the amount ('environ' is about).", default=None
    )
    equivalents: tuple[Money, ...] = _described(
        "Conversions the article itself states, in the same shape.", default=()
    )


@_record
class Quantity(_Frozen):
    """A number with a unit that is not money: a percentage, a count of parameters."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _PYDANTIC_CONFIG

    amount: Amount = _described("The number, in units.")
    unit: Annotated[str, Chars(min_length=1, max_length=40)] = _described(
        "'%', 'parameters', 'times', ..."
    )
    qualifier: Qualifier | None = _described("How the article hedges it.", default=None)


@_record
class Role(_Frozen):
    """A position a person holds, as the article gives it."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _PYDANTIC_CONFIG

    title: Text = _described("The title in English.")
    organization: RecordId = _described("The id of the organisation.")
    title_fr: Text | None = _described("The title as the article writes it.", default=None)


@_record
class Source(_Frozen):
    """One source article."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _PYDANTIC_CONFIG

    type: Literal["source"] = "source"
    id: RecordId
    title: Text = _described("The article's headline, verbatim.")
    language: Literal["fr", "en"] = _described("The article's language.")
    sha256: Annotated[str, Chars(pattern=r"^[0-9a-f]{64}$")] = _described(
        "The sha256 of the article text, which `sbkb verify` matches files by."
    )
    file: Text | None = _described("The file name the article came as.", default=None)
    published: PartialDate | None = _described("When it was published.", default=None)
    description: Text = _described("What the article is, in English.")

    def references(self) -> Iterator[Reference]:
        """A source refers to nothing."""
        return iter(())

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.title


@_record
class _Cited(_Frozen):
    """A record that states something an article says."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _PYDANTIC_CONFIG

    id: RecordId
    citations: Annotated[tuple[Citation, ...], MinItems(1)] = _described(
        "The articles and verbatim excerpts this record rests on."
    )

    # Fields holding ids, and the record types each may point to.
    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {}

    def references(self) -> Iterator[Reference]:
        """Every id this record points to, with the path of the field that holds it."""
        for index, citation in enumerate(self.citations):
            yield ("citations", index, "source"), citation.source, ("source",)
        for name, allowed in self._reference_fields.items():
            value = getattr(self, name)
            if isinstance(value, str):
                yield (name,), value, allowed
            elif isinstance(value, tuple):
                for index, item in enumerate(value):
                    if isinstance(item, Role):
                        yield (name, index, "organization"), item.organization, allowed
                    else:
                        yield (name, index), item, allowed


ANY_ENTITY = ("organization", "person", "deal", "quote", "figure", "event", "strategy")
Reference = tuple[tuple[str | int, ...], str, tuple[str, ...]]


@_record
class Organization(_Cited):
    """A company, fund, project, joint venture, media outlet or research firm."""

    type: Literal["organization"] = "organization"
    name: Text = _described("The usual name, in English where there is one.")
    aliases: tuple[Text, ...] = _described("Other names the articles use.", default=())
    kind: Literal[
        "company",
        "subsidiary",
        "fund",
        "project",
        "joint_venture",
        "media",
        "research_firm",
        "business_unit",
        "product",
        "platform",
        "other",
    ] = _described("What sort of organisation it is.")
    country: Annotated[str, Chars(pattern=r"^[A-Z]{2}$")] | None = _described(
        "ISO 3166 alpha-2 code, where the article states it.", default=None
    )
    parent: RecordId | None = _described("The id of its parent organisation.", default=None)
    description: Text = _described("One English sentence of what it is.")

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {"parent": ("organization",)}

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.name


@_record
class Person(_Cited):
    """A person the articles name."""

    type: Literal["person"] = "person"
    name: Text = _described("The person's name.")
    aliases: tuple[Text, ...] = _described("Other names the articles use.", default=())
    roles: tuple[Role, ...] = _described("Positions held, as stated.", default=())
    description: Text = _described("Who they are, in English.")

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {"roles": ("organization",)}

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.name


@_record
class Deal(_Cited):
    """An investment, acquisition, joint venture, partnership, sale of a stake, or budget."""

    type: Literal["deal"] = "deal"
    kind: Literal[DEAL_KINDS] = _described(
        "What sort of deal it is; 'budget' is money set aside with no counterparty."
    )
    status: Literal["completed", "announced", "planned"] = _described(
        "Whether it was done, announced, or only planned.", default="completed"
    )
    investor: RecordId = _described("The id of who invests, buys or sells.")
    target: RecordId | None = _described(
        "The id of what is invested in, bought or sold; a budget has none.", default=None
    )
    partners: tuple[RecordId, ...] = _described(
        "Ids of co-investors or joint-venture partners.", default=()
    )
    vehicle: RecordId | None = _described("The fund it went through.", default=None)
    date: PartialDate | None = _described("When, as precisely as stated.", default=None)
    amount: Money | None = _described("How much, as stated.", default=None)
    stake: Quantity | None = _described("The share of the target.", default=None)
    cumulative: bool = _described(
        "True when the amount is a total over time since `date`; it counts for every year"
        " from `date` to `until` (or to its source's publication).",
        default=False,
    )
    until: Annotated[PartialDate, Before(_from_string)] | None = _described(
        "Where a cumulative total stops, when the article says; else its source's date.",
        default=None,
    )
    co_investment: Money | None = _described(
        "Money the article says others put in beside the investor (co-investors).",
        default=None,
    )
    summary: Text = _described("What happened, in English.")
    context: Text | None = _described(
        "What a reader should know: a doubtful reading, an inferred attribution.", default=None
    )

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "investor": ("organization", "person"),
        "target": ("organization",),
        "partners": ("organization", "person"),
        "vehicle": ("organization",),
    }

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.summary


@_record
class Quote(_Cited):
    """Words the articles attribute to a person or an organisation."""

    type: Literal["quote"] = "quote"
    speaker: RecordId = _described("The id of the person or organisation speaking.")
    text: Text = _described("The verbatim French words.")
    text_en: Text = _described("An English translation, ours.")
    kind: Literal["direct", "paraphrase"] = _described(
        "'direct' in quotation marks; 'paraphrase' for a reported claim."
    )
    date: PartialDate | None = _described("When it was said.", default=None)
    target_date: Annotated[PartialDate, Before(_from_string)] | None = _described(
        "For a prediction, the date it looks to ('d'ici 2035' is 2035), not when it was said.",
        default=None,
    )
    venue: Text | None = _described("Where or to whom, in English.", default=None)
    context: Text | None = _described("What it answers, in English.", default=None)
    mentions: tuple[RecordId, ...] = _described("Ids of what it is about.", default=())

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "speaker": ("person", "organization"),
        "mentions": ANY_ENTITY,
    }

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.text_en


def _money_or_quantity(value: Any) -> str:
    """Money has a currency; anything else is validated, and reported, as a quantity."""
    has_currency = "currency" in value if isinstance(value, dict) else isinstance(value, Money)
    return "money" if has_currency else "quantity"


@_record
class Figure(_Cited):
    """A number an article states about an entity: revenue, loss, target, share."""

    type: Literal["figure"] = "figure"
    entity: RecordId = _described("The id of what the number is about.")
    metric: Annotated[str, Chars(pattern=r"^[a-z0-9_]+$")] = _described(
        "A snake_case name: revenue, operating_income, net_loss, market_share."
    )
    metric_fr: Text | None = _described(
        "The article's own French term for the metric: 'revenu d'exploitation'.", default=None
    )
    period: Text = _described("What the number covers: '2024', 'FY2025', '2022 to 2024'.")
    date: PartialDate | None = _described("The period's date, for sorting.", default=None)
    value: Annotated[
        Money | Quantity,
        TaggedBy(_money_or_quantity, {"money": Money, "quantity": Quantity}),
    ] = _described("The number, as stated: money, or a quantity with a unit.")
    status: Literal["actual", "target", "forecast", "estimate"] = _described(
        "Whether it happened, is aimed at, is expected, or is estimated."
    )
    summary: Text = _described("What the number says, in English.")
    context: Text | None = _described(
        "What a reader should know: the article's wording, an inferred attribution.",
        default=None,
    )

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {"entity": ANY_ENTITY}

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.summary


@_record
class Event(_Cited):
    """A dated happening that is not already a deal or a quote."""

    type: Literal["event"] = "event"
    date: PartialDate = _described("When it happened or is expected.")
    title: Text = _described("A short English title.")
    kind: Literal[
        "announcement",
        "summit",
        "conference",
        "interview",
        "agreement",
        "prediction",
        "results",
        "listing",
        "publication",
        "launch",
        "other",
    ] = _described("What sort of event it is.")
    participants: tuple[RecordId, ...] = _described("Ids of who took part.", default=())
    records: tuple[RecordId, ...] = _described(
        "Ids of the deals, quotes and figures made or given at it, which carry their own date.",
        default=(),
    )
    summary: Text = _described("What happened, in English.")

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "participants": ANY_ENTITY,
        "records": ("deal", "quote", "figure"),
    }

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.title


@_record
class StrategyItem(_Cited):
    """One element of a stated strategy: a dimension, a layer, an aim."""

    type: Literal["strategy"] = "strategy"
    group: Annotated[str, Chars(pattern=_SLUG)] = _described(
        "Which strategy it belongs to: 'asi-dimensions', 'ai-layers', 'aims'."
    )
    order: Annotated[int, AtLeast(1)] | None = _described(
        "Its place in the article's list.", default=None
    )
    title: Text = _described("A short English title.")
    title_fr: Text | None = _described("The article's own words for it.", default=None)
    owner: RecordId = _described("The id of the organisation whose strategy it is.")
    related: tuple[RecordId, ...] = _described("Ids of records it involves.", default=())
    summary: Text = _described("What it means, in English.")

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "owner": ("organization",),
        "related": ANY_ENTITY,
    }

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.title


AnyRecord = Source | Organization | Person | Deal | Quote | Figure | Event | StrategyItem

# The top-level keys of a data file, and the record type each list holds.
COLLECTIONS: dict[str, type[AnyRecord]] = {
    "sources": Source,
    "organizations": Organization,
    "people": Person,
    "deals": Deal,
    "quotes": Quote,
    "figures": Figure,
    "events": Event,
    "strategy": StrategyItem,
}
TYPE_NAMES: dict[type[AnyRecord], str] = {
    model: model.__dataclass_fields__["type"].default for model in COLLECTIONS.values()
}


@cache
def field_names(model: type) -> tuple[str, ...]:
    """The names of a record or value type's fields, in order."""
    return tuple(f.name for f in fields(model))


class KnowledgeBase:
    """Every record of a data directory, checked against each other."""

    sources: tuple[Source, ...]
    organizations: tuple[Organization, ...]
    people: tuple[Person, ...]
    deals: tuple[Deal, ...]
    quotes: tuple[Quote, ...]
    figures: tuple[Figure, ...]
    events: tuple[Event, ...]
    strategy: tuple[StrategyItem, ...]

    def __init__(
        self,
        sources: tuple[Source, ...] = (),
        organizations: tuple[Organization, ...] = (),
        people: tuple[Person, ...] = (),
        deals: tuple[Deal, ...] = (),
        quotes: tuple[Quote, ...] = (),
        figures: tuple[Figure, ...] = (),
        events: tuple[Event, ...] = (),
        strategy: tuple[StrategyItem, ...] = (),
    ) -> None:
        # Frozen: the collections are set past __setattr__. A knowledge base is compared
        # and hashed as itself, so that what is derived from it can be kept in a
        # WeakKeyDictionary; its records compare by value.
        self.__dict__.update(
            sources=sources,
            organizations=organizations,
            people=people,
            deals=deals,
            quotes=quotes,
            figures=figures,
            events=events,
            strategy=strategy,
        )

    __setattr__ = _Frozen.__setattr__
    __delattr__ = _Frozen.__delattr__

    def records(self) -> Iterator[AnyRecord]:
        """Every record, sources first, in file order within each type."""
        for name in COLLECTIONS:
            yield from getattr(self, name)

    @cached_property
    def by_id(self) -> dict[str, AnyRecord]:
        """Every record by its id."""
        return {record.id: record for record in self.records()}

    def get(self, record_id: str) -> AnyRecord | None:
        """The record with this id, or None."""
        return self.by_id.get(record_id)

    def __len__(self) -> int:
        return len(self.by_id)

    def record_sequence(self) -> Sequence[AnyRecord]:
        """Every record in the order of `records()`, by position.

        Here a list; the cache's StoredKnowledgeBase builds each record when it is read.
        """
        return list(self.records())

    def record_ids(self) -> list[str]:
        """The id of every record, in the order of `records()`."""
        return [record.id for record in self.records()]

    def record_types(self) -> list[str]:
        """The type of every record, in the order of `records()`."""
        return [record.type for record in self.records()]

    def candidates(self, collection: str, **where: Any) -> tuple[Any, ...]:
        """Records of `collection` among which are all that match `where`, in file order.

        Here every record of it: the filters are the caller's to apply. The cache's
        StoredKnowledgeBase (store.py) narrows them with its database's indexes first.
        """
        found: tuple[Any, ...] = getattr(self, collection)
        return found


def data_file_schema() -> dict[str, Any]:
    """The JSON Schema of one data file: collections mapped to lists of records."""
    from dataclasses import make_dataclass

    from pydantic import TypeAdapter

    data_file = make_dataclass(
        "DataFile",
        [
            (name, list[model] | None, _described(model.__doc__ or "", default=None))
            for name, model in COLLECTIONS.items()
        ],
        kw_only=True,
        namespace={"__pydantic_config__": {"extra": "forbid"}},
    )
    schema = TypeAdapter(data_file).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sbkb data file"
    return schema


def deal_years(kb: KnowledgeBase, deal: Deal) -> range:
    """The years a deal counts for: its own, or every year a cumulative total spans.

    A running total ("a total of ... since September 2024") runs to `until`, or, when the
    article gives no end, to the publication of the latest article citing it.
    """
    if deal.date is None:
        return range(0)
    end = deal.date.year
    if deal.cumulative:
        if deal.until is not None:
            end = deal.until.year
        else:
            published = [
                source.published.year
                for citation in deal.citations
                if isinstance(source := kb.get(citation.source), Source) and source.published
            ]
            end = max([end, *published])
    return range(deal.date.year, end + 1)


@contextmanager
def without_garbage_collection() -> Iterator[None]:
    """Pause the cycle collector while a large, acyclic object graph is built.

    Parsing and unpickling allocate hundreds of thousands of nodes, dicts and models,
    none of them in a cycle; the collector re-scanning them at every threshold was
    more than half of a cold load of 10,000 records (benchmarks/README.md).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was built lives as long as the process and holds no cycles: frozen, the
        # collector never scans it again. Without this, the first collection after the
        # collector is back walks the whole graph once more (90 ms at 10,000 records).
        gc.freeze()
        if enabled:
            gc.enable()


# Written as English words ---------------------------------------------------------------

_QUALIFIER_WORDS = {
    "about": "about",
    "nearly": "nearly",
    "up_to": "up to",
    "more_than": "more than",
    "slightly_more_than": "slightly more than",
    "at_least": "at least",
}
_SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def format_number(amount: float) -> str:
    """6500000000 as '6.5 billion', 581000000 as '581 million', 5 as '5'."""
    for size, word in _SCALES:
        if amount >= size:
            return f"{_trim(amount / size)} {word}"
    return _trim(amount)


def _trim(number: float) -> str:
    return f"{number:,.3f}".rstrip("0").rstrip(".")


def format_value(value: Money | Quantity | None) -> str:
    """An amount as the article states it: its qualifier, and the conversions it gives."""
    if value is None:
        return ""
    qualifier = _QUALIFIER_WORDS[value.qualifier] + " " if value.qualifier else ""
    if isinstance(value, Quantity):
        unit = value.unit if value.unit == "%" else f" {value.unit}"
        return f"{qualifier}{format_number(value.amount)}{unit}"
    stated = f"{qualifier}{format_number(value.amount)} {value.currency}"
    if value.equivalents:
        stated += " (" + "; ".join(format_value(e) for e in value.equivalents) + ")"
    return stated


def plain_number(amount: float) -> str:
    """A number as `sort -n` and a spreadsheet read it: 6500000000, 4.99; never 6.5e9."""
    return format(Decimal(repr(float(amount))).normalize(), "f")
