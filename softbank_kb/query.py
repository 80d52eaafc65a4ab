"""Pure filters over the knowledge base: deals, quotes, people, figures, the timeline."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from softbank_kb.models import (
    TYPE_NAMES,
    AnyRecord,
    Deal,
    Event,
    Figure,
    KnowledgeBase,
    Money,
    Organization,
    PartialDate,
    Person,
    Quote,
    StrategyItem,
    deal_years,
)

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:\.\.\s*(\d{4})\s*)?$")
_UNDATED = (0, 0, 0)


def parse_years(spec: str) -> range:
    """'2024' or '2024..2025' as a range of years; ValueError says what is wrong."""
    match = _YEARS.match(spec)
    if not match:
        raise ValueError(f"{spec!r} is not a year (2024) or a range of years (2024..2025)")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise ValueError(f"{spec!r} ends before it starts")
    return range(first, last + 1)


_SCALE_WORDS = {
    "": 1,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "t": 1e12,
    "tn": 1e12,
    "trillion": 1e12,
}
_MONEY = re.compile(r"^\s*(?P<number>[0-9]+(?:[.,][0-9]+)?(?:e[0-9]+)?)(?P<rest>[a-z ]*)$", re.I)


def parse_money_filter(spec: str) -> tuple[float, str | None]:
    """'10e9', '10e9USD', '10bn USD' or '8 milliards EUR' as (amount, currency or None).

    ValueError says what is wrong, an unknown currency included.
    """
    from softbank_kb.choices import ISO_4217

    match = _MONEY.match(spec)
    if match is None:
        raise ValueError(f"{spec!r} is not an amount such as 1e9, 10bn USD or 6.5e9JPY")
    rest = "".join(match["rest"].split()).lower()
    scale, currency = rest, None
    if rest not in _SCALE_WORDS and len(rest) >= 3:
        scale, currency = rest[:-3], rest[-3:].upper()
    if scale not in _SCALE_WORDS:
        raise ValueError(f"{spec!r} is not an amount such as 1e9, 10bn USD or 6.5e9JPY")
    if currency is not None and currency not in ISO_4217:
        raise ValueError(f"{currency!r} is not an ISO 4217 code such as USD, EUR or JPY")
    return float(match["number"].replace(",", ".")) * _SCALE_WORDS[scale], currency


def _in_years(date: PartialDate | None, years: Collection[int] | None) -> bool:
    return years is None or (date is not None and date.year in years)


def _newest_first(records: Iterable[AnyRecord]) -> list[AnyRecord]:
    return sorted(
        records, key=lambda r: _date_of(r).sort_key if _date_of(r) else _UNDATED, reverse=True
    )


def _oldest_first(records: Iterable[Any]) -> tuple[Any, ...]:
    """In date order, undated records last, the file order kept among equals."""
    return tuple(
        sorted(records, key=lambda r: (r.date is None, r.date.sort_key if r.date else _UNDATED))
    )


def _date_of(record: AnyRecord) -> PartialDate | None:
    return getattr(record, "date", None)


def deal_parties(deal: Deal) -> set[str]:
    """Every id a deal involves: investor, target, partners and vehicle."""
    parties = {deal.investor, *deal.partners}
    return parties | {i for i in (deal.target, deal.vehicle) if i is not None}


def find_deals(
    kb: KnowledgeBase,
    years: Collection[int] | None = None,
    kinds: Collection[str] | None = None,
    company: str | None = None,
    min_amount: float | None = None,
    currency: str = "USD",
) -> list[Deal]:
    """Deals matching every given filter, newest first; undated deals last.

    `company` matches a deal that involves it or a company of its group (its
    subsidiaries, theirs, ...): SoftBank Group's deals include SoftBank Corporation's.

    `min_amount` is in `currency`: a deal's own amount, or a conversion the article states;
    a deal with no amount in that currency is left out rather than compared across currencies.
    """
    group = _with_subsidiaries(kb, company) if company is not None else set()
    found = [
        deal
        for deal in kb.candidates(
            "deals", years=years, kinds=kinds, parties=group if company is not None else None
        )
        if (years is None or bool(set(deal_years(kb, deal)) & set(years)))
        and (not kinds or deal.kind in kinds)
        and (company is None or bool(group & deal_parties(deal)))
        and (min_amount is None or _at_least(deal.amount, min_amount, currency))
    ]
    return _newest_first(found)  # type: ignore[return-value]


def dated_deal_years(kb: KnowledgeBase) -> list[int]:
    """The years deals are dated in, oldest first: what to tell a user whose filter found none."""
    return sorted({deal.date.year for deal in kb.deals if deal.date is not None})


class FilterError(ValueError):
    """Filters that cannot go together, said as the user gave them."""


def minimum_in_currency(
    min_amount: tuple[float, str | None] | None, currency: str | None
) -> tuple[float | None, str | None]:
    """--min-amount and --currency as one amount in one currency, or FilterError."""
    if min_amount is None:
        if currency:
            raise FilterError("--currency goes with --min-amount.")
        return None, None
    amount, stated = min_amount
    if stated and currency and stated != currency:
        raise FilterError(f"--min-amount is in {stated} but --currency says {currency}.")
    if not (stated or currency):
        raise FilterError(
            "--min-amount needs a currency, as amounts are never compared across"
            " currencies: --min-amount 10e9USD, --min-amount '10bn USD', or add --currency USD."
        )
    return amount, stated or currency


def company_group(kb: KnowledgeBase, company: str) -> set[str]:
    """`company` and every organisation of its group, as `--company` counts them."""
    return _with_subsidiaries(kb, company)


def _with_subsidiaries(kb: KnowledgeBase, company: str) -> set[str]:
    """`company` and every organisation whose parent chain leads to it."""
    found = {company}
    while True:
        more = {o.id for o in kb.candidates("organizations", parents=found) if o.parent in found}
        more -= found
        if not more:
            return found
        found |= more


def through_conversion(deal: Deal, currency: str) -> Money | None:
    """The article's stated conversion a deal's amount reaches `currency` by, if it needs one."""
    if deal.amount is None or deal.amount.currency == currency:
        return None
    return next((m for m in deal.amount.equivalents if m.currency == currency), None)


def _at_least(money: Money | None, minimum: float, currency: str) -> bool:
    """`money`, or one of its stated equivalents, is at least `minimum` in `currency`."""
    if money is None:
        return False
    amounts = [m.amount for m in (money, *money.equivalents) if m.currency == currency]
    return any(amount >= minimum for amount in amounts)


def find_quotes(
    kb: KnowledgeBase,
    speaker: str | None = None,
    about: str | None = None,
    years: Collection[int] | None = None,
    about_ids: Collection[str] = (),
) -> list[Quote]:
    """Quotes by a speaker, in the years given, in date order; with `about`, those that
    contain its words or mention one of `about_ids` (the record it names)."""
    from softbank_kb.folding import fold

    about_ids = set(about_ids)
    words = _WORD.findall(fold(about)) if about else []
    found = []
    speakers = [speaker] if speaker is not None else None
    for quote in kb.candidates("quotes", speakers=speakers):
        if speaker is not None and quote.speaker != speaker:
            continue
        if not _in_years(quote.date, years):
            continue
        if about_ids or words:
            mentions = bool(about_ids & set(quote.mentions))
            text = fold(f"{quote.text} {quote.text_en} {quote.context or ''}")
            if not mentions and not (words and _has_words(text, words)):
                continue
        found.append(quote)
    return list(_oldest_first(found))


_WORD = re.compile(r"[a-z0-9]+")
# Shorter words are matched as they are: a stem of `ai` or `asi` would find other words.
_STEMMED_FROM = 4


def _has_words(text: str, words: list[str]) -> bool:
    """Whether every word stands in the folded text as a whole word or a form of one:
    `ASI` is not in "occasion", `AI` not in "aide"; `robots` is in "robot"."""
    from softbank_kb.folding import stems_of_words

    tokens = set(_WORD.findall(text))
    if all(word in tokens for word in words):
        return True
    listed = sorted(tokens)
    english, french = stems_of_words(listed)
    forms = set(english) | set(french)
    for word in words:
        if word in tokens:
            continue
        if len(word) < _STEMMED_FROM:
            return False
        word_english, word_french = stems_of_words([word])
        if not ({word_english[0], word_french[0]} & forms):
            return False
    return True


def find_figures(
    kb: KnowledgeBase,
    entity: str | None = None,
    metric: str | None = None,
    years: Collection[int] | None = None,
) -> list[Figure]:
    """Figures about an entity or an organisation of its group, of a metric (substring), in
    years; grouped by entity and metric."""
    group = _with_subsidiaries(kb, entity) if entity is not None else set()
    found = [
        figure
        for figure in kb.figures
        if (entity is None or figure.entity in group)
        and (metric is None or _metric_matches(metric, figure))
        and _in_years(figure.date, years)
    ]
    return sorted(
        found,
        key=lambda f: (f.entity, f.metric, f.date.sort_key if f.date else _UNDATED, f.id),
    )


def _metric_matches(asked: str, figure: Figure) -> bool:
    """`asked` is part of the metric's English name or of the article's French term."""
    from softbank_kb.folding import fold

    if asked.lower().replace(" ", "_") in figure.metric:
        return True
    words = fold(asked).split()
    english = fold(figure.metric.replace("_", " "))
    french = fold(figure.metric_fr or "")
    return bool(words) and any(all(w in text for w in words) for text in (english, french))


def metrics_like(kb: KnowledgeBase, asked: str) -> list[str]:
    """Metrics (with their French term) sharing a word with `asked`: 'operating income'
    finds operating revenue, the article's « revenu d'exploitation »."""
    from softbank_kb.folding import fold

    words = set(fold(asked.replace("_", " ")).split())
    found: dict[str, str] = {}
    for figure in kb.figures:
        names = fold(f"{figure.metric.replace('_', ' ')} {figure.metric_fr or ''}").split()
        if words & set(names):
            shown = figure.metric.replace("_", " ")
            found[shown] = f"{shown} ({figure.metric_fr})" if figure.metric_fr else shown
    return sorted(found.values())


@dataclass(frozen=True)
class Series:
    """Figures of one metric of one entity, in one currency or unit, over time."""

    entity: str
    metric: str
    unit: str
    figures: tuple[Figure, ...]


def series_of(figures: Iterable[Figure]) -> list[Series]:
    """The runs of two or more dated figures that share entity, metric and unit.

    Targets are a series of their own: a target set in one year and a later forecast are
    alternatives, not one line (a forecast continues the actuals).
    """
    groups: dict[tuple[str, str, str, bool], list[Figure]] = defaultdict(list)
    for figure in figures:
        if figure.date is None:
            continue
        value = figure.value
        unit = value.currency if isinstance(value, Money) else value.unit
        groups[(figure.entity, figure.metric, unit, figure.status == "target")].append(figure)
    return [
        Series(entity, metric, unit, tuple(sorted(items, key=lambda f: f.date.sort_key)))  # type: ignore[union-attr]
        for (entity, metric, unit, _), items in groups.items()
        if len({f.date.value for f in items}) >= 2  # type: ignore[union-attr]
    ]


def timeline(
    kb: KnowledgeBase,
    start: PartialDate | None = None,
    end: PartialDate | None = None,
    years: Collection[int] | None = None,
) -> list[AnyRecord]:
    """Every dated record from `start` to `end` (inclusive, at their precision) and in
    `years`, oldest first; an undated prediction stands at the date it looks to."""
    dated = [r for r in kb.records() if _when(r) is not None and not isinstance(r, Organization)]
    chosen = [
        r
        for r in dated
        if _within(_when(r), start, end) and _in_years(_when(r), years)  # type: ignore[arg-type]
    ]
    order = {name: index for index, name in enumerate(TYPE_NAMES.values())}
    return sorted(chosen, key=lambda r: (_when(r).sort_key, order[r.type], r.id))  # type: ignore[union-attr]


def _when(record: AnyRecord) -> PartialDate | None:
    """Where the timeline puts a record: its date, or else the date a prediction looks to."""
    return _date_of(record) or getattr(record, "target_date", None)


def _within(date: PartialDate, start: PartialDate | None, end: PartialDate | None) -> bool:
    """Whether a date falls in the range; '--to 2024' keeps all of 2024."""
    key = date.sort_key
    if start is not None and key < start.sort_key:
        return False
    if end is not None:
        # Compare only as precisely as the bound is given: 2024-11-05 is within --to 2024-11.
        depth = end.value.count("-") + 1
        if key[:depth] > end.sort_key[:depth]:
            return False
    return True


def strategy_groups(kb: KnowledgeBase) -> dict[str, list[StrategyItem]]:
    """Strategy items by group, in the article's order within each group."""
    groups: dict[str, list[StrategyItem]] = defaultdict(list)
    for item in kb.strategy:
        groups[item.group].append(item)
    return {
        name: sorted(items, key=lambda i: (i.order is None, i.order or 0, i.id))
        for name, items in groups.items()
    }


def _section(title: str) -> Any:
    """A field of Profile that is one of its sections, shown under this title."""
    return field(default=(), metadata={"title": title})


@dataclass(frozen=True)
class Profile:
    """A person or organisation and everything the knowledge base links to them.

    Each field after `record` is a section, in the order profiles show them: the text
    view and the JSON's `linked` object both walk `sections()`.
    """

    record: Person | Organization
    people: tuple[Person, ...] = _section("People")
    subsidiaries: tuple[Organization, ...] = _section("Subsidiaries and units")
    deals: tuple[Deal, ...] = _section("Deals")
    figures: tuple[Figure, ...] = _section("Figures")
    quotes_by: tuple[Quote, ...] = _section("Quotes by them")
    quotes_about: tuple[Quote, ...] = _section("Quotes about them")
    events: tuple[Event, ...] = _section("Events")
    strategy: tuple[StrategyItem, ...] = _section("Strategy")

    def sections(self) -> list[tuple[str, str, tuple[AnyRecord, ...]]]:
        """Each section's field name, title and records, in the order they are shown."""
        return [
            (f.name, f.metadata["title"], getattr(self, f.name))
            for f in fields(self)
            if "title" in f.metadata
        ]


def profile(kb: KnowledgeBase, record: Person | Organization) -> Profile:
    """Everything that names this person or organisation."""
    rid = record.id
    return Profile(
        record=record,
        people=tuple(p for p in kb.people if any(role.organization == rid for role in p.roles)),
        deals=tuple(_newest_first(d for d in kb.deals if rid in deal_parties(d))),  # type: ignore[arg-type]
        figures=_oldest_first(f for f in kb.figures if f.entity == rid),
        quotes_by=_oldest_first(q for q in kb.quotes if q.speaker == rid),
        quotes_about=_oldest_first(q for q in kb.quotes if q.speaker != rid and rid in q.mentions),
        events=_oldest_first(e for e in kb.events if rid in e.participants),
        strategy=tuple(s for s in kb.strategy if rid == s.owner or rid in s.related),
        subsidiaries=tuple(o for o in kb.organizations if o.parent == rid),
    )


@dataclass(frozen=True)
class Stats:
    """Counts of records by type, by year and by source."""

    by_type: dict[str, int] = field(default_factory=dict)
    by_year: dict[int, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    total: int = 0


def stats(kb: KnowledgeBase) -> Stats:
    """How many records there are, of each type, per year and per cited source."""
    records = list(kb.records())
    by_type = Counter(r.type for r in records)
    by_year = Counter(d.year for r in records if (d := _date_of(r)) is not None)
    by_source: Counter[str] = Counter()
    for record in records:
        for source in {c.source for c in getattr(record, "citations", ())}:
            by_source[source] += 1
    return Stats(
        by_type={name: by_type.get(name, 0) for name in TYPE_NAMES.values()},
        by_year=dict(sorted(by_year.items())),
        by_source=dict(sorted(by_source.items())),
        total=len(records),
    )


# Orders a list command can be asked for, beyond its own.
SORT_ORDERS = ("date", "amount", "name")


def ordered(records: Iterable[AnyRecord], by: str | None) -> list[AnyRecord]:
    """Records in the order asked for: `date` newest first, `amount` largest first, `name`
    A to Z; None keeps the command's own order. Undated records, or records without an
    amount, come last, in their own order.

    Amounts are compared only within a currency (or unit): the currencies follow one
    another in alphabetical order, each largest first, since the articles state no rate
    that would put yen beside dollars.
    """
    listed = list(records)
    if by == "date":
        dated = [r for r in listed if _date_of(r) is not None]
        return _newest_first(dated) + [r for r in listed if _date_of(r) is None]
    if by == "amount":
        valued = [r for r in listed if _amount_of(r) is not None]
        valued.sort(key=lambda r: (_unit_of(_amount_of(r)), -_amount_of(r).amount))  # type: ignore[union-attr]
        return valued + [r for r in listed if _amount_of(r) is None]
    if by == "name":
        return sorted(listed, key=lambda r: r.label.casefold())
    return listed


def _amount_of(record: AnyRecord) -> Any:
    """A deal's amount or a figure's value; None for a record without one."""
    if isinstance(record, Deal):
        return record.amount
    if isinstance(record, Figure):
        return record.value
    return None


def _unit_of(value: Any) -> str:
    return value.currency if isinstance(value, Money) else value.unit
