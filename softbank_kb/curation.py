"""A curator's checks: validate --strict's warnings, and excerpts proven against the articles."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from softbank_kb.folding import ELLIPSIS, normalize, normalize_keeping_lines
from softbank_kb.models import (
    AnyRecord,
    Deal,
    Figure,
    KnowledgeBase,
    Money,
    Quantity,
    Quote,
    Source,
)

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


# Numbers in French and English text -------------------------------------------------------


# French groups thousands with a space and writes the decimal with a comma ("1 000",
# "6,5"); English groups with a comma and writes a point ("1,000", "6.5"). A scale word
# after the figures multiplies it ("6,5 milliards", "6.5 billion").
_FRENCH = re.compile(
    r"(?<![\w,.])(\d{1,3}(?: \d{3})+|\d+)(?:,(\d+))?(?! ?\d)"
    r"(?: (mille|millions?|milliards?)\b)?",
    re.IGNORECASE,
)
_ENGLISH = re.compile(
    r"(?<![\w,.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d,]\d)"
    r"(?: ?(thousand|million|billion|trillion|bn)\b)?",
    re.IGNORECASE,
)
_FRENCH_SCALES = {"mille": 3, "million": 6, "millions": 6, "milliard": 9, "milliards": 9}
_ENGLISH_SCALES = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12, "bn": 9}


def _value(whole: str, fraction: str | None, exponent: int) -> Decimal:
    digits = re.sub(r"\D", "", whole) + (f".{fraction}" if fraction else "")
    return Decimal(digits).scaleb(exponent)


def french_numbers(text: str) -> set[Decimal]:
    """The values of the numbers French text writes in figures: "1 000 milliards" is 1e12."""
    return {
        _value(m[1], m[2], _FRENCH_SCALES[m[3].lower()] if m[3] else 0)
        for m in _FRENCH.finditer(normalize(text))
    }


def english_numbers(text: str) -> set[Decimal]:
    """The values of the numbers English text writes in figures: "1,000 billion" is 1e12."""
    return {
        _value(m[1], m[2], _ENGLISH_SCALES[m[3].lower()] if m[3] else 0)
        for m in _ENGLISH.finditer(normalize(text))
    }


def as_decimal(amount: float) -> Decimal:
    """A record's amount as the decimal it was written as (6500000000.0 is 6500000000)."""
    return Decimal(repr(amount))


def shown(value: Decimal) -> str:
    """A value as a curator reads it in a warning: 152000000, 6.5, 2024."""
    return format(value.normalize(), "f")


# Excerpts proven against the articles (`sbkb verify`) -------------------------------------


# A sentence ends at . ! ? or … followed by space; a line break always ends one.
_SENTENCE_END = re.compile(r"(?<=[.!?…]) +|\n")
# Below this share of its characters covered by excerpts, a sentence counts as uncited.
CITED_SHARE = 0.5


@dataclass(frozen=True)
class Failure:
    """One thing that did not check out."""

    record_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.record_id}: {self.message}"


@dataclass
class Article:
    """A source's text, normalised once, and which of its characters excerpts cover."""

    source: Source
    path: Path
    lines: str
    text: str = field(init=False, default="")
    covered: bytearray = field(init=False, default_factory=bytearray)

    def __post_init__(self) -> None:
        self.text = self.lines.replace("\n", " ")
        self.covered = bytearray(len(self.text))

    def locate(self, excerpt: str) -> list[tuple[int, int]] | None:
        """Spans of each part of the excerpt, in order, or None if one part is missing."""
        spans: list[tuple[int, int]] = []
        start = 0
        for part in normalize(excerpt).split(ELLIPSIS):
            part = part.strip()
            if not part:
                continue
            found = self.text.find(part, start)
            if found < 0:
                return None
            spans.append((found, found + len(part)))
            start = found + len(part)
        return spans or None

    def cover(self, spans: list[tuple[int, int]]) -> None:
        for begin, end in spans:
            self.covered[begin:end] = b"\x01" * (end - begin)

    def uncited_sentences(self) -> list[str]:
        """Sentences whose characters excerpts mostly leave uncovered."""
        uncited = []
        for begin, end in _sentence_spans(self.lines):
            share = sum(self.covered[begin:end]) / max(1, end - begin)
            if share < CITED_SHARE:
                uncited.append(self.text[begin:end])
        return uncited


@dataclass
class VerifyReport:
    """What was checked and what failed."""

    articles: list[Article] = field(default_factory=list)
    excerpts_checked: int = 0
    quotes_checked: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


# An article is tens of kilobytes; a larger file is not one, and is not read.
_MAX_ARTICLE_BYTES = 16 * 1024 * 1024


def _article_bytes(path: Path) -> bytes | None:
    """The bytes of a regular file of a plausible size, or None (a FIFO, /proc, a device)."""
    import stat

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_ARTICLE_BYTES:
            return None
        with path.open("rb") as stream:
            return stream.read(_MAX_ARTICLE_BYTES + 1)
    except OSError:
        return None


def read_articles(kb: KnowledgeBase, sources_dir: Path) -> tuple[list[Article], list[Failure]]:
    """The article text of each source, matched by sha256, and the sources with no file."""
    by_hash = {source.sha256: source for source in kb.sources}
    articles: dict[str, Article] = {}
    for path in sorted(sources_dir.iterdir()):
        data = _article_bytes(path)
        if data is None:
            continue
        source = by_hash.get(hashlib.sha256(data).hexdigest())
        if source is not None and source.id not in articles:
            text = normalize_keeping_lines(data.decode("utf-8-sig", errors="replace"))
            articles[source.id] = Article(source, path, text)
    missing = [
        Failure(source.id, f"no file in {sources_dir} has sha256 {source.sha256}")
        for source in kb.sources
        if source.id not in articles
    ]
    return list(articles.values()), missing


def verify(kb: KnowledgeBase, sources_dir: Path) -> VerifyReport:
    """Check every citation excerpt and every quote's text against the cited articles."""
    articles, missing = read_articles(kb, sources_dir)
    report = VerifyReport(articles=articles, failures=list(missing))
    by_source = {article.source.id: article for article in articles}
    for record in kb.records():
        for index, citation in enumerate(getattr(record, "citations", ())):
            article = by_source.get(citation.source)
            if article is None:
                continue  # its source is already reported as missing
            report.excerpts_checked += 1
            spans = article.locate(citation.excerpt)
            if spans is None:
                report.failures.append(
                    Failure(
                        record.id,
                        f"citations[{index}].excerpt is not in {citation.source}: "
                        f"{_shorten(citation.excerpt)}",
                    )
                )
            else:
                article.cover(spans)
        if isinstance(record, Quote):
            _verify_quote_text(record, by_source, report)
    return report


def _verify_quote_text(quote: Quote, by_source: dict[str, Article], report: VerifyReport) -> None:
    """A quote's own text must stand in one of the articles it cites."""
    cited = [by_source[c.source] for c in quote.citations if c.source in by_source]
    if not cited:
        return
    report.quotes_checked += 1
    for article in cited:
        spans = article.locate(quote.text)
        if spans is not None:
            article.cover(spans)
            return
    sources = ", ".join(article.source.id for article in cited)
    report.failures.append(Failure(quote.id, f"text is not in {sources}: {_shorten(quote.text)}"))


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Start and end of each sentence of a normalised text."""
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(begin, end) for begin, end in spans if end > begin]


def _shorten(text: str, width: int = 90) -> str:
    flat = normalize(text)
    return repr(flat if len(flat) <= width else flat[: width - 1] + "…")
