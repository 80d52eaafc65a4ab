"""The records of the knowledge base and the value types they are made of."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from softbank_kb.currencies import ISO_4217

# Records are defined once per process and validated often; building their schemas
# lazily keeps `sbkb --help` and the cache's warm path from paying for all of them.
_FROZEN = ConfigDict(frozen=True, extra="forbid", defer_build=True)

RecordId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80),
    Field(description="A stable lowercase slug, unique across the whole knowledge base."),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
Qualifier = Literal["about", "nearly", "up_to", "more_than", "slightly_more_than", "at_least"]


def _compact_number(value: float) -> int | float:
    """Writes whole amounts without a decimal point: 6500000000, not 6500000000.0."""
    return int(value) if value.is_integer() else value


# Strict, so that "6.5 billion", "012" or `true` is refused rather than coerced.
Amount = Annotated[
    float,
    Field(ge=0, strict=True, allow_inf_nan=False),
    PlainSerializer(_compact_number, return_type=int | float),
]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class Citation(BaseModel):
    """Where a record comes from: an article and its own words."""

    model_config = _FROZEN

    source: RecordId = Field(description="The id of the source article.")
    excerpt: Text = Field(
        description="Verbatim words of the article (French); '…' marks an elision."
    )


def _string_or_object(schema: dict[str, Any]) -> None:
    """In the JSON Schema, a date may be written as a bare string too."""
    as_object = dict(schema)
    schema.clear()
    schema["anyOf"] = [{"type": "string", "pattern": _DATE.pattern}, as_object]


class PartialDate(BaseModel):
    """An ISO-8601 date of the precision the article gives: a year, a month or a day."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", defer_build=True, json_schema_extra=_string_or_object
    )

    value: str = Field(description="'2024', '2024-11' or '2025-04-01'.")
    year_inferred: bool = Field(
        default=False,
        description="True when the article implies the year rather than stating it.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        # Curators write the common case as a bare string: `date: "2024-11"`.
        if isinstance(data, str):
            return {"value": data}
        return data

    @field_validator("value")
    @classmethod
    def _valid_iso(cls, value: str) -> str:
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


class Money(BaseModel):
    """An amount of money in units of its currency, as the article states it."""

    model_config = _FROZEN

    amount: Amount = Field(
        description="The amount in units of the currency: 6500000000, never 6.5."
    )
    currency: str = Field(
        description="An ISO 4217 code: USD, EUR, JPY, CNY.",
        json_schema_extra={"enum": sorted(ISO_4217)},
    )
    qualifier: Qualifier | None = Field(
        default=None, description="How the article hedges the amount ('environ' is about)."
    )
    equivalents: tuple[Money, ...] = Field(
        default=(), description="Conversions the article itself states, in the same shape."
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, code: str) -> str:
        if code not in ISO_4217:
            raise ValueError(f"{code!r} is not an ISO 4217 code")
        return code


class Quantity(BaseModel):
    """A number with a unit that is not money: a percentage, a count of parameters."""

    model_config = _FROZEN

    amount: Amount = Field(description="The number, in units.")
    unit: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="'%', 'parameters', 'times', ..."
    )
    qualifier: Qualifier | None = Field(default=None, description="How the article hedges it.")


class Role(BaseModel):
    """A position a person holds, as the article gives it."""

    model_config = _FROZEN

    title: Text = Field(description="The title in English.")
    organization: RecordId = Field(description="The id of the organisation.")
    title_fr: Text | None = Field(default=None, description="The title as the article writes it.")


class Source(BaseModel):
    """One source article."""

    model_config = _FROZEN
    type: Literal["source"] = "source"

    id: RecordId
    title: Text = Field(description="The article's headline, verbatim.")
    language: Literal["fr", "en"] = Field(description="The article's language.")
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="The sha256 of the article text, which `sbkb verify` matches files by."
    )
    file: Text | None = Field(default=None, description="The file name the article came as.")
    published: PartialDate | None = Field(default=None, description="When it was published.")
    description: Text = Field(description="What the article is, in English.")

    def references(self) -> Iterator[Reference]:
        """A source refers to nothing."""
        return iter(())

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.title


class _Cited(BaseModel):
    """A record that states something an article says."""

    model_config = _FROZEN

    id: RecordId
    citations: Annotated[tuple[Citation, ...], Field(min_length=1)] = Field(
        description="The articles and verbatim excerpts this record rests on."
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


class Organization(_Cited):
    """A company, fund, project, joint venture, media outlet or research firm."""

    type: Literal["organization"] = "organization"
    name: Text = Field(description="The usual name, in English where there is one.")
    aliases: tuple[Text, ...] = Field(default=(), description="Other names the articles use.")
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
    ] = Field(description="What sort of organisation it is.")
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="ISO 3166 alpha-2 code, where the article states it."
    )
    parent: RecordId | None = Field(default=None, description="The id of its parent organisation.")
    description: Text = Field(description="One English sentence of what it is.")

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {"parent": ("organization",)}

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.name


class Person(_Cited):
    """A person the articles name."""

    type: Literal["person"] = "person"
    name: Text = Field(description="The person's name.")
    aliases: tuple[Text, ...] = Field(default=(), description="Other names the articles use.")
    roles: tuple[Role, ...] = Field(default=(), description="Positions held, as stated.")
    description: Text = Field(description="Who they are, in English.")

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {"roles": ("organization",)}

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.name


class Deal(_Cited):
    """An investment, acquisition, joint venture, partnership or sale of a stake."""

    type: Literal["deal"] = "deal"
    kind: Literal[
        "investment",
        "funding_round",
        "acquisition",
        "stake_purchase",
        "divestment",
        "joint_venture",
        "partnership",
    ] = Field(description="What sort of deal it is.")
    status: Literal["completed", "announced", "planned"] = Field(
        default="completed", description="Whether it was done, announced, or only planned."
    )
    investor: RecordId = Field(description="The id of who invests, buys or sells.")
    target: RecordId = Field(description="The id of what is invested in, bought or sold.")
    partners: tuple[RecordId, ...] = Field(
        default=(), description="Ids of co-investors or joint-venture partners."
    )
    vehicle: RecordId | None = Field(default=None, description="The fund it went through.")
    date: PartialDate | None = Field(default=None, description="When, as precisely as stated.")
    amount: Money | None = Field(default=None, description="How much, as stated.")
    stake: Quantity | None = Field(default=None, description="The share of the target.")
    cumulative: bool = Field(
        default=False, description="True when the amount is a total over time since `date`."
    )
    summary: Text = Field(description="What happened, in English.")

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


class Quote(_Cited):
    """Words the articles attribute to a person or an organisation."""

    type: Literal["quote"] = "quote"
    speaker: RecordId = Field(description="The id of the person or organisation speaking.")
    text: Text = Field(description="The verbatim French words.")
    text_en: Text = Field(description="An English translation, ours.")
    kind: Literal["direct", "paraphrase"] = Field(
        description="'direct' in quotation marks; 'paraphrase' for a reported claim."
    )
    date: PartialDate | None = Field(default=None, description="When it was said.")
    venue: Text | None = Field(default=None, description="Where or to whom, in English.")
    context: Text | None = Field(default=None, description="What it answers, in English.")
    mentions: tuple[RecordId, ...] = Field(default=(), description="Ids of what it is about.")

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


class Figure(_Cited):
    """A number an article states about an entity: revenue, loss, target, share."""

    type: Literal["figure"] = "figure"
    entity: RecordId = Field(description="The id of what the number is about.")
    metric: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")] = Field(
        description="A snake_case name: revenue, operating_income, net_loss, market_share."
    )
    period: Text = Field(description="What the number covers: '2024', 'FY2025', '2022 to 2024'.")
    date: PartialDate | None = Field(default=None, description="The period's date, for sorting.")
    value: Annotated[
        Annotated[Money, Tag("money")] | Annotated[Quantity, Tag("quantity")],
        Discriminator(_money_or_quantity),
    ] = Field(description="The number, as stated: money, or a quantity with a unit.")
    status: Literal["actual", "target", "forecast", "estimate"] = Field(
        description="Whether it happened, is aimed at, is expected, or is estimated."
    )
    summary: Text = Field(description="What the number says, in English.")

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {"entity": ANY_ENTITY}

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.summary


class Event(_Cited):
    """A dated happening that is not already a deal or a quote."""

    type: Literal["event"] = "event"
    date: PartialDate = Field(description="When it happened or is expected.")
    title: Text = Field(description="A short English title.")
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
    ] = Field(description="What sort of event it is.")
    participants: tuple[RecordId, ...] = Field(default=(), description="Ids of who took part.")
    summary: Text = Field(description="What happened, in English.")

    _reference_fields: ClassVar[dict[str, tuple[str, ...]]] = {"participants": ANY_ENTITY}

    @property
    def label(self) -> str:
        """How the record is named in one line."""
        return self.title


class StrategyItem(_Cited):
    """One element of a stated strategy: a dimension, a layer, an aim."""

    type: Literal["strategy"] = "strategy"
    group: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")] = Field(
        description="Which strategy it belongs to: 'asi-dimensions', 'ai-layers', 'aims'."
    )
    order: int | None = Field(default=None, ge=1, description="Its place in the article's list.")
    title: Text = Field(description="A short English title.")
    title_fr: Text | None = Field(default=None, description="The article's own words for it.")
    owner: RecordId = Field(description="The id of the organisation whose strategy it is.")
    related: tuple[RecordId, ...] = Field(default=(), description="Ids of records it involves.")
    summary: Text = Field(description="What it means, in English.")

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
    model: model.model_fields["type"].default for model in COLLECTIONS.values()
}


@dataclass(frozen=True)
class KnowledgeBase:
    """Every record of a data directory, checked against each other."""

    sources: tuple[Source, ...] = ()
    organizations: tuple[Organization, ...] = ()
    people: tuple[Person, ...] = ()
    deals: tuple[Deal, ...] = ()
    quotes: tuple[Quote, ...] = ()
    figures: tuple[Figure, ...] = ()
    events: tuple[Event, ...] = ()
    strategy: tuple[StrategyItem, ...] = ()

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


def data_file_schema() -> dict[str, Any]:
    """The JSON Schema of one data file: collections mapped to lists of records."""
    from pydantic import create_model

    fields: dict[str, Any] = {
        name: (list[model] | None, Field(default=None, description=model.__doc__))
        for name, model in COLLECTIONS.items()
    }
    data_file = create_model("DataFile", __config__=ConfigDict(extra="forbid"), **fields)
    schema = data_file.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sbkb data file"
    return schema
