"""Questions in English or French answered with the records that state the answer."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from softbank_kb.folding import fold, stems
from softbank_kb.index import About, Index, about_of, index_of
from softbank_kb.models import (
    AnyRecord,
    Citation,
    Deal,
    Event,
    Figure,
    KnowledgeBase,
    Organization,
    PartialDate,
    Person,
    Quote,
    StrategyItem,
)
from softbank_kb.search import MAX_QUERY_LENGTH, QueryError, Slot, or_package

if TYPE_CHECKING:
    from softbank_kb.lexicon import Lexicon

Language = Literal["en", "fr"]
Wanted = Literal["amount", "date", "person", "quote", "place", "organization", "record"]

# At most this many answers; answers scoring under this share of the best are left out.
MAX_ANSWERS = 3
_CLOSE_TO_BEST = 0.6
# The longest name, in words, looked for in a question.
_LONGEST_NAME = 4
_YEAR = re.compile(r"\b(?:fy)?((?:19|20)\d\d)\b")
_TOKEN = re.compile(r"[^\s?!.,;:«»“”\"()\[\]]+")
# Letters only French writes.
_FRENCH_LETTERS = re.compile(r"[éèêàâçùûôîœ]", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    """What a question was read as."""

    text: str
    language: Language
    entities: tuple[AnyRecord, ...]
    unknown: tuple[str, ...]  # words no record knows: what the sources never mention
    years: tuple[int, ...]
    concepts: tuple[Any, ...]  # lexicon concepts, question words aside
    wanted: Wanted
    words: tuple[str, ...]  # the words left once names, concepts and stop words are read
    terms: tuple[str, ...] = ()  # the words and the concepts' words, to rank by text


@dataclass(frozen=True)
class Answer:
    """One record that answers a question, the answer it holds, and why it was chosen."""

    record: AnyRecord
    kind: Wanted
    value: Any  # Money, Quantity, PartialDate, a Person with roles, a Quote, a name, text
    score: float
    entities: tuple[str, ...]
    concepts: tuple[str, ...]
    years: tuple[int, ...]
    citation: Citation | None


@dataclass(frozen=True)
class Reply:
    """The answers to a question; or, when there are none, what is known about its entities."""

    question: Question
    answers: tuple[Answer, ...] = ()
    known: tuple[AnyRecord, ...] = field(default=())

    @property
    def answered(self) -> bool:
        """Whether any record answers the question."""
        return bool(self.answers)


# Reading the question ---------------------------------------------------------------------


def read_question(
    kb: KnowledgeBase, text: str, index: Index | None = None, lexicon: Lexicon | None = None
) -> Question:
    """A question read into its entities, years, concepts and the answer it wants."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"the question is {len(text):,} characters long; the limit is 1,000")
    tokens = _tokens(text)
    if not tokens:
        raise QueryError("the question has no words: ask it in English or French")
    from softbank_kb.search import query_slots

    index = index_of(kb) if index is None else index
    lexicon_ = or_package(lexicon)
    words = [word for word, _ in tokens]
    language = _language(text, words, lexicon_)
    years = tuple(dict.fromkeys(int(m.group(1)) for m in _YEAR.finditer(fold(text))))
    entities, rest = _entities(kb, tokens, index, lexicon_)
    stop = set(lexicon_.stopwords.en) | set(lexicon_.stopwords.fr)
    concepts: list[Any] = []
    wanted: Wanted | None = None
    left: list[str] = []
    terms: list[str] = []
    for slot in query_slots(rest, lexicon_, keep_stopwords=True):
        question_words = [c for c in slot.concepts if c.kind == "question"]
        if question_words and wanted is None:
            wanted = question_words[0].answer
        others = [c for c in slot.concepts if c.kind != "question"]
        concepts += [c for c in others if c not in concepts]
        if others:
            terms.extend(slot.words)
        if not slot.concepts and not _is_stop(slot, stop) and not _YEAR.fullmatch(slot.words[0]):
            left.append(slot.words[0])
            terms.append(slot.words[0])
    unknown = tuple(word for word in left if not _known_word(index, word))
    return Question(
        text=text,
        language=language,
        entities=tuple(entities),
        unknown=unknown,
        years=years,
        concepts=tuple(concepts),
        wanted=wanted or _wanted_by_concepts(concepts, entities),
        words=tuple(left),
        terms=tuple(terms),
    )


def _tokens(text: str) -> list[tuple[str, bool]]:
    """The folded words of a question, each with whether it was written with a capital."""
    found: list[tuple[str, bool]] = []
    for raw in _TOKEN.findall(text):
        capital = raw[:1].isupper()
        for word in fold(raw).split():
            found.append((word, capital))
    return found


def _language(text: str, words: list[str], lexicon_: Any) -> Language:
    """French or English, by the stop words and question words of each, and French letters."""
    english = set(lexicon_.stopwords.en)
    french = set(lexicon_.stopwords.fr)
    for concept in lexicon_.concepts:
        english.update(w for term in concept.en for w in fold(term).split())
        french.update(w for term in concept.fr for w in fold(term).split())
    en = sum(word in english and word not in french for word in words)
    fr = sum(word in french and word not in english for word in words)
    fr += 2 * len(_FRENCH_LETTERS.findall(text))
    return "fr" if fr > en else "en"


def _is_stop(slot: Slot, stop: set[str]) -> bool:
    return len(slot.words) == 1 and slot.words[0] in stop


def _entities(
    kb: KnowledgeBase, tokens: list[tuple[str, bool]], index: Index, lexicon_: Lexicon
) -> tuple[list[AnyRecord], list[str]]:
    """The people and organisations a question names, and its other words in order."""
    stop = set(lexicon_.stopwords.en) | set(lexicon_.stopwords.fr)
    words = [word for word, _ in tokens]
    found: list[AnyRecord] = []
    rest: list[str] = []
    at = 0
    while at < len(words):
        record, size = _name_at(index, words, at)
        if record is not None and size == 1 and _is_term(words[at], lexicon_):
            # `CFO` is a role before it is Goto's alias: `the CFO of Nvidia` is no Goto.
            record = None
        if record is None:
            word, capital = tokens[at]
            # A word that is no stop word or term of the lexicon may be a misspelt name.
            if len(word) > 3 and word not in stop and not _is_term(word, lexicon_):
                record = _misspelt_or_partial_name(kb, index, word, capital, lexicon_)
            size = 1
        if record is not None:
            if record not in found:
                found.append(record)
        else:
            rest.append(words[at])
        at += size
    return found, rest


def _misspelt_or_partial_name(
    kb: KnowledgeBase, index: Index, word: str, capital: bool, lexicon_: Lexicon
) -> AnyRecord | None:
    """The person or organisation a word names: a typo of a name, or a part of one.

    A person is named by any word of their name (`Goto`), an organisation by the first
    (`Tempus`), so that `Japan` is not taken for Microsoft Japan.
    """
    from softbank_kb.search import resolve

    if index.has_word(word) and not capital:
        return None
    record = resolve(kb, word, index=index, lexicon=lexicon_).record
    if record is None or not index.has_word(word):
        return record  # a word no record has: a typo of the name resolved, or nothing
    name_words = [fold(name).split() for name in (record.label, *getattr(record, "aliases", ()))]
    if isinstance(record, Person):
        return record if any(word in words for words in name_words) else None
    return record if any(words[:1] == [word] for words in name_words) else None


def _name_at(index: Any, words: list[str], at: int) -> tuple[AnyRecord | None, int]:
    """The person or organisation whose name or alias the words from `at` are, longest first."""
    for size in range(min(_LONGEST_NAME, len(words) - at), 0, -1):
        phrase = " ".join(words[at : at + size])
        for key in (phrase, phrase.replace(" ", "")):
            for e, _, _ in index.name_owners(key):
                if index.types[e] in ("person", "organization"):
                    return index.record(e), size
    return None, 1


def _is_term(word: str, lexicon_: Any) -> bool:
    """Whether a word is one of the lexicon's, or a stop word, or a form of a one-word term."""
    if (word,) in lexicon_.phrases or any(word in words for words in lexicon_.phrases):
        return True
    if len(word) <= 3 or not word.isalpha():
        return False
    return any(stem in lexicon_.stems for stem in stems(word))


def _known_word(index: Index, word: str) -> bool:
    """Whether any record has this word, a form of it, or a word one typo from it.

    Not a longer word it begins: `Intel` is not known for `intelligence`.
    """
    from softbank_kb.scoring import SCORING
    from softbank_kb.search import word_matches

    return any(quality != SCORING.prefix for quality in word_matches(index, word).values())


def _wanted_by_concepts(concepts: list[Any], entities: list[AnyRecord]) -> Wanted:
    """The answer a question without a question word wants, by what it names."""
    kinds = {concept.kind for concept in concepts}
    if "metric" in kinds:
        return "amount"
    if "role" in kinds:
        return "person"
    if "event" in kinds:
        return "date"
    return "record"


# Answering --------------------------------------------------------------------------------


def ask(
    kb: KnowledgeBase,
    text: str,
    limit: int = MAX_ANSWERS,
    index: Index | None = None,
    about: About | None = None,
    lexicon: Lexicon | None = None,
) -> Reply:
    """The answers to a question, best first (docs/architecture.md says how they are chosen).

    Without `index`, `about` or `lexicon`, each is made from `kb` or the package's read.
    """
    index = index_of(kb) if index is None else index
    lexicon = or_package(lexicon)
    question = read_question(kb, text, index, lexicon)
    if question.unknown or (not question.entities and not question.concepts and not question.words):
        return Reply(question)
    about = about_of(kb) if about is None else about
    candidates = _candidates(question, about, index)
    text_scores = _text_scores(index, question, candidates, lexicon)
    # All of them are read below: a batch at a time, not one by one.
    index.prefetch(candidates)
    index.prefetch_records(candidates)
    about.prefetch(candidates)
    scored: list[tuple[float, int, Answer]] = []
    for at in sorted(candidates):
        record = index.record(at)
        if record.type == "source":
            continue
        answer = _judge(
            kb, question, record, about, at, text_scores.get(at, 0.0), index.entry(at).haystack
        )
        if answer is not None:
            scored.append((-answer.score, at, answer))
    scored.sort(key=lambda item: (item[0], item[1]))
    answers = [answer for _, _, answer in scored]
    if answers:
        return Reply(question, tuple(_best(answers, limit)))
    return Reply(question, (), _known_about(question, about, index))


def _candidates(question: Question, about: About, index: Index) -> set[int]:
    """The positions of the records that may answer: about every entity the question names.

    A record is about an entity when it points to it or names it in its text; the rarest
    entity is looked for everywhere, the others only among the records found for it.
    """
    if not question.entities:
        return set(range(len(index)))
    entities = sorted(question.entities, key=lambda entity: about.count(entity.id))
    candidates: set[int] | None = None
    for entity in entities:
        mine = set(about.positions(entity.id))
        for name in _folded_names(entity):
            mine |= index.having(name, within=candidates)
        candidates = mine if candidates is None else candidates & mine
    return candidates or set()


def _best(answers: list[Answer], limit: int) -> list[Answer]:
    """The answers close to the best, each value once."""
    top = answers[0]
    chosen: list[Answer] = []
    seen: list[Any] = []
    for answer in answers:
        if answer.score < top.score * _CLOSE_TO_BEST or len(chosen) >= max(limit, 0):
            break
        # The same person through their quotes says no more than their own record.
        if answer.kind == "person" and answer.value in seen:
            continue
        seen.append(answer.value)
        chosen.append(answer)
    return chosen


def _text_scores(
    index: Index, question: Question, candidates: set[int], lexicon: Lexicon
) -> dict[int, float]:
    """How well each candidate matches the question's own words, through search.

    With an entity named, its records are few and the concepts are scored on their own:
    only the other words are searched. Without one, the concepts' words are searched too,
    to rank the many records of a kind (`operating profit`) by how they say it.
    """
    terms = list(question.words if question.entities else question.terms)
    if not terms:
        return {}
    from softbank_kb.search import scores_among

    try:
        return scores_among(index, " ".join(terms), candidates, lexicon)
    except QueryError:
        return {}


def _judge(
    kb: KnowledgeBase,
    question: Question,
    record: AnyRecord,
    about: About,
    at: int,
    text_score: float,
    haystack: str,
) -> Answer | None:
    """The record as an answer to the question, with its score, or None if it is not one."""
    direct, involved = about.direct(at), about.wide(at)
    named_ids = {entity.id for entity in question.entities}
    total = len(kb)
    score = 0.0
    entities: list[str] = []
    for entity in question.entities:
        if entity.id in involved or _role_at(record, entity.id):
            # The rarer an entity, the more a record about it says (idf); a record about
            # a part of it (SoftBank Corp for SoftBank Group) says less.
            weight = 1 + math.log(total / about.count(entity.id))
            score += weight if entity.id in direct else weight / 2
            entities.append(entity.id)
        elif any(f" {name} " in haystack for name in _folded_names(entity)):
            # Named in its text only: `the LLM of SoftBank` says SoftBank, points elsewhere.
            score += (1 + math.log(total / about.count(entity.id))) / 3
            entities.append(entity.id)
    if len(entities) < len(question.entities):
        return None  # an answer is about everything the question names
    pointed = [c for c in question.concepts if _points_to(record, c)]
    fitting = [c for c in question.concepts if c in pointed or _fits_concept(record, c, haystack)]
    concepts = [c.id for c in fitting]
    if any(c.kind != "thing" for c in question.concepts) and not any(
        c.kind != "thing" for c in fitting
    ):
        return None
    # A record of the kind a concept names (a loss figure, an acquisition) over one that
    # only has its words.
    score += 3 * len(pointed) + 1.5 * (len(fitting) - len(pointed))
    date = _date(record)
    years = tuple(y for y in question.years if _in_year(record, date, y))
    if question.years and not years:
        return None
    score += 2 * len(years)
    score += text_score / 25
    kind, value = _value(kb, record, question.wanted)
    if value is None:
        return None
    if kind == question.wanted and question.wanted != "record":
        score += 2
    if kind == "place" and isinstance(record, Quote) and record.speaker not in named_ids:
        return None  # where someone spoke is no place of what the question names
    if kind == "person" and isinstance(record, Person):
        score += 1
    named = {entity.id for entity in question.entities}
    if record.id in named and not question.concepts:
        score += 1.5  # the entity's own record says most about it, when nothing else is asked
    if isinstance(record, Quote) and record.speaker in named and question.wanted == "quote":
        score += 2  # `what did X say`: X speaks
    if not entities and not concepts and text_score == 0:
        return None
    return Answer(
        record=record,
        kind=kind,
        value=value,
        score=round(score, 2),
        entities=tuple(entities),
        concepts=tuple(concepts),
        years=years,
        citation=record.citations[0] if getattr(record, "citations", ()) else None,
    )


def _role_at(record: AnyRecord, organization: str) -> bool:
    return isinstance(record, Person) and any(r.organization == organization for r in record.roles)


def _fits_concept(record: AnyRecord, concept: Any, haystack: str) -> bool:
    """Whether a record is what a concept points to, or has one of its words."""
    if _points_to(record, concept):
        return True
    return any(f" {term} " in haystack for term in _folded_terms(concept))


def _points_to(record: AnyRecord, concept: Any) -> bool:
    """Whether a record is what a concept points to: a metric, a deal or event kind, a role."""
    if isinstance(record, Figure) and record.metric in concept.metrics:
        return True
    if isinstance(record, Deal) and record.kind in concept.deal_kinds:
        return True
    if isinstance(record, Event) and record.kind in concept.event_kinds:
        return True
    return isinstance(record, Person) and any(r.title in concept.roles for r in record.roles)


@functools.cache
def _folded_names(entity: AnyRecord) -> tuple[str, ...]:
    return tuple(fold(name) for name in (entity.label, *getattr(entity, "aliases", ())))


@functools.cache
def _folded_terms(concept: Any) -> tuple[str, ...]:
    return tuple(fold(term) for term in concept.terms)


def _date(record: AnyRecord) -> PartialDate | None:
    return getattr(record, "date", None)


def _in_year(record: AnyRecord, date: PartialDate | None, year: int) -> bool:
    if date is not None and date.year == year:
        return True
    if isinstance(record, Figure):
        return str(year) in record.period
    if isinstance(record, Deal) and record.cumulative and date is not None:
        return date.year <= year
    return False


def _value(kb: KnowledgeBase, record: AnyRecord, wanted: Wanted) -> tuple[Wanted, Any]:
    """The answer a record holds for what is wanted, or (kind, None) when it holds none."""
    if wanted == "amount":
        if isinstance(record, Deal):
            return ("amount", record.amount) if record.amount else ("amount", None)
        if isinstance(record, Figure):
            return "amount", record.value
        return "amount", None
    if wanted == "date":
        date = _date(record)
        return ("date", date) if date is not None else ("date", None)
    if wanted == "person":
        if isinstance(record, Person):
            return "person", record
        if isinstance(record, Quote) and isinstance(kb.get(record.speaker), Person):
            return "person", kb.get(record.speaker)
        return "person", None
    if wanted == "quote":
        return ("quote", record) if isinstance(record, Quote) else ("quote", None)
    if wanted == "place":
        if isinstance(record, Organization) and record.country:
            return "place", record.country
        if isinstance(record, (Quote, Event)) and getattr(record, "venue", None):
            return "place", record.venue
        return "place", None
    if wanted == "organization":
        if isinstance(record, Deal) and record.target:
            target = kb.get(record.target)
            return "organization", target
        if isinstance(record, Organization):
            return "organization", record
        return "organization", None
    return "record", _plain_value(record)


def _plain_value(record: AnyRecord) -> Any:
    """What a record says, for a question that wants no one kind of answer."""
    if isinstance(record, Figure):
        return record.value
    if isinstance(record, Deal) and record.amount:
        return record.amount
    if isinstance(record, Quote):
        return record
    if isinstance(record, Person):
        return record
    if isinstance(record, Event):
        return record.date
    if isinstance(record, (Organization, StrategyItem)):
        return record.label
    return record.label


def _known_about(question: Question, about: About, index: Index) -> tuple[AnyRecord, ...]:
    """The named entities' own records, then a few records about them: not an answer."""
    known: list[AnyRecord] = list(question.entities)
    ids = {entity.id for entity in question.entities}
    # Those that point to an entity are among those about it or what it belongs to.
    positions = sorted({at for rid in ids for at in about.positions(rid)})
    for at in positions:
        if len(known) >= len(question.entities) + 4:
            break
        record = index.record(at)
        if record.type != "source" and record not in known and about.direct(at) & ids:
            known.append(record)
    return tuple(known[: len(question.entities) + 4])
