"""A curator's checks of valid data: what a reader would miss, see twice, or read short."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from softbank_kb.models import AnyRecord, Deal, Figure, KnowledgeBase, Money, Quantity, Quote
from softbank_kb.numbers import as_decimal, english_numbers, french_numbers, shown
from softbank_kb.verify import ELLIPSIS, normalize

_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
# A year or a month the article states, or a year it implies ("l'année dernière").
# "d'ici 2035" is a deadline a record looks towards, not when it happened.
_STATED_DATE = re.compile(
    r"(?<!d'ici )\b(?:19|20)\d{2}\b"
    r"|\b(?:" + "|".join(_MONTHS) + r")\b"
    r"|l'année dernière|de cette année",
    re.IGNORECASE,
)
# Below this length an excerpt shared by two records says nothing ("Microsoft Azure").
_SHARED_EXCERPT_CHARS = 40


@dataclass(frozen=True)
class CuratorWarning:
    """One thing a curator should look at: a record, the field, and why."""

    record_id: str
    path: tuple[str | int, ...]
    message: str


def curator_warnings(kb: KnowledgeBase) -> list[CuratorWarning]:
    """Every undated record whose citation states a date, event repeating a deal or quote,
    quote text given twice, and record whose English drops what its French states (a
    number, a name, a hedge)."""
    return [
        *_undated_but_stated(kb),
        *_events_repeating(kb),
        *_quotes_sharing_text(kb),
        *_not_rendered(kb),
        *_hedges_dropped(kb),
    ]


def stated_date(excerpt: str) -> str | None:
    """The first date words an excerpt states ("2024", "février", "l'année dernière")."""
    match = _STATED_DATE.search(normalize(excerpt))
    return match.group() if match else None


def _undated_but_stated(kb: KnowledgeBase) -> Iterator[CuratorWarning]:
    dated: tuple[Deal | Quote | Figure, ...] = (*kb.deals, *kb.quotes, *kb.figures)
    for record in dated:
        if record.date is not None:
            continue
        # A prediction's year ("en 2025, ... sera") is what it looks to, not when it was said.
        target = getattr(record, "target_date", None)
        for index, citation in enumerate(record.citations):
            words = stated_date(citation.excerpt)
            if words is not None and not (target is not None and words == target.value):
                yield CuratorWarning(
                    record.id,
                    ("citations", index, "excerpt"),
                    f"undated {record.type}, but its citation states {words!r}: give it a"
                    " date (year_inferred where the article only implies the year)",
                )
                break


def _parts(record: AnyRecord) -> list[str]:
    """A record's excerpts, each elided part on its own, normalised."""
    citations = getattr(record, "citations", ())
    return [
        part.strip()
        for citation in citations
        for part in normalize(citation.excerpt).split(ELLIPSIS)
        if len(part.strip()) >= _SHARED_EXCERPT_CHARS
    ]


def _refers(record: AnyRecord, other_id: str) -> bool:
    return any(target == other_id for _, target, _ in record.references())


def _events_repeating(kb: KnowledgeBase) -> Iterator[CuratorWarning]:
    others: list[Deal | Quote] = [*kb.deals, *kb.quotes]
    other_parts = [(other, _parts(other)) for other in others]
    for event in kb.events:
        for index, citation in enumerate(event.citations):
            mine = [p.strip() for p in normalize(citation.excerpt).split(ELLIPSIS)]
            mine = [p for p in mine if len(p) >= _SHARED_EXCERPT_CHARS]
            repeated = next(
                (
                    other
                    for other, parts in other_parts
                    if any(a in b or b in a for a in mine for b in parts)
                    and not _refers(event, other.id)
                    and not _refers(other, event.id)
                ),
                None,
            )
            if repeated is not None:
                yield CuratorWarning(
                    event.id,
                    ("citations", index, "excerpt"),
                    f"event repeats the excerpt of {repeated.type} {repeated.id}: fold it"
                    f" into {repeated.id}, or name it in the event's records",
                )
                break


def _quotes_sharing_text(kb: KnowledgeBase) -> Iterator[CuratorWarning]:
    first: dict[str, str] = {}
    for quote in kb.quotes:
        text = normalize(quote.text).casefold()
        if text in first:
            yield CuratorWarning(
                quote.id,
                ("text",),
                f"the same text as quote {first[text]}: merge the two quotes",
            )
        else:
            first[text] = quote.id


# A name, as opposed to a description an alias may hold ("LLM japonais"): every word
# starts with a capital or a figure. Only names are written the same in both languages.
_NAME_WORD = re.compile(r"[A-Z0-9]")


def _is_name(form: str) -> bool:
    return all(_NAME_WORD.match(word) for word in form.split())


def _name_patterns(kb: KnowledgeBase) -> dict[str, list[re.Pattern[str]]]:
    """For each organisation and person, its names as whole words, capitals kept.

    Case matters: the alias "Son" is a name, « son principal défi » is not.
    """
    return {
        record.id: [
            re.compile(r"(?<!\w)" + re.escape(normalize(form)) + r"(?!\w)")
            for form in (record.name, *record.aliases)
            if _is_name(form)
        ]
        for record in (*kb.organizations, *kb.people)
    }


def _named(text: str, patterns: list[re.Pattern[str]]) -> bool:
    folded = normalize(text)
    return any(pattern.search(folded) for pattern in patterns)


def _not_rendered(kb: KnowledgeBase) -> Iterator[CuratorWarning]:
    """Quotes whose English drops a figure or name of the French; deals and figures whose
    summary drops their own amount, or their own counterparty, where an excerpt states it."""
    names = _name_patterns(kb)
    for quote in kb.quotes:
        yield from _quote_not_rendered(quote, names)
    for record in (*kb.deals, *kb.figures):
        yield from _summary_not_rendering(record, names)


def _quote_not_rendered(
    quote: Quote, names: dict[str, list[re.Pattern[str]]]
) -> Iterator[CuratorWarning]:
    # text_en translates text, and only text: whatever text names, text_en names.
    dropped = sorted(french_numbers(quote.text) - english_numbers(quote.text_en))
    if dropped:
        yield CuratorWarning(
            quote.id,
            ("text_en",),
            f"the French states {', '.join(shown(n) for n in dropped)}, which text_en does"
            " not: translate the whole text",
        )
    unnamed = [
        entity
        for entity, patterns in names.items()
        if _named(quote.text, patterns) and not _named(quote.text_en, patterns)
    ]
    if unnamed:
        yield CuratorWarning(
            quote.id,
            ("text_en",),
            f"the French names {', '.join(unnamed)}, which text_en does not: translate the"
            " whole text",
        )


def _own_amounts(record: Deal | Figure) -> set[Decimal]:
    """The numbers a deal or figure holds: amounts, their stated conversions, a stake."""
    held: list[Money | Quantity | None] = (
        [record.amount, record.co_investment, record.stake]
        if isinstance(record, Deal)
        else [record.value]
    )
    amounts: set[Decimal] = set()
    for value in held:
        if value is None:
            continue
        amounts.add(as_decimal(value.amount))
        if isinstance(value, Money):
            amounts |= {as_decimal(other.amount) for other in value.equivalents}
    return amounts


def _own_entities(record: Deal | Figure) -> list[str]:
    """Who a deal is between, or what a figure is about."""
    if isinstance(record, Figure):
        return [record.entity]
    ends = [record.investor, record.target, record.vehicle, *record.partners]
    return list(dict.fromkeys(entity for entity in ends if entity is not None))


def _summary_not_rendering(
    record: Deal | Figure, names: dict[str, list[re.Pattern[str]]]
) -> Iterator[CuratorWarning]:
    # An excerpt may state more than this record (the other figures of its sentence), so
    # only what the record itself holds is asked of its summary: an amount it holds and an
    # excerpt states in figures, an entity it links to and an excerpt names.
    amounts = _own_amounts(record)
    rendered = english_numbers(record.summary)
    for index, citation in enumerate(record.citations):
        dropped = sorted((amounts & french_numbers(citation.excerpt)) - rendered)
        unnamed = [
            entity
            for entity in _own_entities(record)
            if _named(citation.excerpt, names.get(entity, []))
            and not _named(record.summary, names.get(entity, []))
        ]
        missing = [*(shown(n) for n in dropped), *unnamed]
        if missing:
            yield CuratorWarning(
                record.id,
                ("citations", index, "excerpt"),
                f"its citation states {', '.join(missing)}, which the {record.type}'s summary"
                " does not: the summary renders what the record holds",
            )
            break


# The English fields a record may render its French in, where it has them.
_ENGLISH_FIELDS = ("text_en", "summary", "context", "description", "title", "venue")


@dataclass(frozen=True)
class Hedge:
    """A hedge or modal word of French (softbank_kb/hedges.yaml) and how English says it."""

    id: str
    fr: tuple[str, ...]
    en: tuple[str, ...]
    french: re.Pattern[str]
    english: re.Pattern[str]
    unless: re.Pattern[str] | None  # French phrases with the word that are no hedge


def _whole(form: str) -> str:
    """A pattern of `form` as whole words: no letter, digit or hyphen just before or after."""
    before = r"(?<![\w-])" if form[:1].isalnum() else ""
    after = r"(?![\w-])" if form[-1:].isalnum() else ""
    return before + re.escape(" ".join(form.split())) + after


def _any_of(forms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_whole(form) for form in forms), re.IGNORECASE)


@cache
def hedges() -> tuple[Hedge, ...]:
    """The package's hedge words, read once from hedges.yaml beside this module."""
    from importlib.resources import files

    import yaml

    text = files("softbank_kb").joinpath("hedges.yaml").read_text(encoding="utf-8")
    entries: list[dict[str, Any]] = yaml.safe_load(text)["hedges"]
    found = []
    for entry in entries:
        fr = tuple(normalize(str(word)) for word in entry["fr"])
        en = tuple(normalize(str(word)) for word in entry["en"])
        unless = tuple(normalize(str(phrase)) for phrase in entry.get("unless", ()))
        exceptions = _any_of(unless) if unless else None
        found.append(Hedge(str(entry["id"]), fr, en, _any_of(fr), _any_of(en), exceptions))
    return tuple(found)


def hedges_in(french: str) -> list[tuple[Hedge, str]]:
    """The hedges a French text holds, each with the first of its words found there."""
    text = normalize(french)
    found = []
    for hedge in hedges():
        said = hedge.unless.sub(" ", text) if hedge.unless is not None else text
        if match := hedge.french.search(said):
            found.append((hedge, match.group()))
    return found


def _english(record: AnyRecord) -> str:
    texts = (getattr(record, name, None) for name in _ENGLISH_FIELDS)
    return normalize("\n".join(text for text in texts if isinstance(text, str)))


def _hedges_dropped(kb: KnowledgeBase) -> Iterator[CuratorWarning]:
    """Records whose French holds a hedge or modal word that their English does not: a
    quote's text in its text_en, an excerpt in any English field of the record."""
    for record in kb.records():
        citations = getattr(record, "citations", ())
        warned: set[str] = set()
        if isinstance(record, Quote):
            for hedge, word in hedges_in(record.text):
                if not hedge.english.search(normalize(record.text_en)):
                    warned.add(hedge.id)
                    yield CuratorWarning(record.id, ("text_en",), _dropped(word, hedge, "text_en"))
        english = _english(record)
        for index, citation in enumerate(citations):
            for hedge, word in hedges_in(citation.excerpt):
                if hedge.id not in warned and not hedge.english.search(english):
                    warned.add(hedge.id)
                    yield CuratorWarning(
                        record.id,
                        ("citations", index, "excerpt"),
                        _dropped(word, hedge, f"no English field of the {record.type}"),
                    )


def _dropped(word: str, hedge: Hedge, where: str) -> str:
    """The warning for a hedge `where` does not say: "text_en", or "no English field of …"."""
    said = ", ".join(hedge.en[:4]) + (", ..." if len(hedge.en) > 4 else "")
    verb = "which text_en does not say" if where == "text_en" else f"which {where} says"
    return (
        f"the French says « {word} », {verb} ({said}): keep the hedge, as the English"
        " never says more than the French"
    )
