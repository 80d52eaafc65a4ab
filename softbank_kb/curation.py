"""A curator's checks of valid data: what a reader's query would miss or see twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from softbank_kb.models import AnyRecord, Deal, Figure, KnowledgeBase, Quote
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
    and quote text given twice."""
    return [*_undated_but_stated(kb), *_events_repeating(kb), *_quotes_sharing_text(kb)]


def stated_date(excerpt: str) -> str | None:
    """The first date words an excerpt states ("2024", "février", "l'année dernière")."""
    match = _STATED_DATE.search(normalize(excerpt))
    return match.group() if match else None


def _undated_but_stated(kb: KnowledgeBase) -> Iterator[CuratorWarning]:
    dated: tuple[Deal | Quote | Figure, ...] = (*kb.deals, *kb.quotes, *kb.figures)
    for record in dated:
        if record.date is not None:
            continue
        for index, citation in enumerate(record.citations):
            words = stated_date(citation.excerpt)
            if words is not None:
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
