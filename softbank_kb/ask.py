"""Questions in English or French answered with the records that state the answer."""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from softbank_kb.folding import fold, stems
from softbank_kb.index import About, Entry, Index, about_of, index_of
from softbank_kb.models import (
    AnyRecord,
    Citation,
    Deal,
    Event,
    Figure,
    KnowledgeBase,
    Money,
    Organization,
    PartialDate,
    Person,
    Quantity,
    Quote,
    StrategyItem,
)
from softbank_kb.search import MAX_QUERY_LENGTH, QueryError, Slot, or_package

if TYPE_CHECKING:
    from collections.abc import Iterable

    from softbank_kb.lexicon import Lexicon

Language = Literal["en", "fr"]
Wanted = Literal[
    "amount",
    "date",
    "person",
    "quote",
    "place",
    "organization",
    "record",
    "reason",
    "count",
    "share",
    "target_date",
]

# At most this many answers; answers scoring under this share of the best are left out.
MAX_ANSWERS = 3
_CLOSE_TO_BEST = 0.6
# The longest name, in words, looked for in a question.
_LONGEST_NAME = 4
_YEAR = re.compile(r"\b(?:fy)?((?:19|20)\d\d)\b")
_TOKEN = re.compile(r"[^\s?!.,;:«»“”\"()\[\]]+")
# Within a word: `d'Ampere`, `a-t-il`, `Graviton+Inferential` are several words.
_WORD_PARTS = re.compile(r"[-'’‘+/]")
# Letters only French writes.
_FRENCH_LETTERS = re.compile(r"[éèêàâçùûôîœ]", re.IGNORECASE)

# What the question words of the lexicon that give no `answer` ask for, by concept id.
_ASKED_BY: dict[str, Wanted] = {
    "how-many": "count",
    "how-many-times": "count",
    "how-long": "count",
    "what-share": "share",
    "why": "reason",
    "by-when": "target_date",
    "which-month": "date",
    "which-city": "place",
    "which-ones": "record",
    "list-them": "record",
}
# The verbs of a question that asks what someone does or did with something.
_DO = frozenset(("do", "faire", "fait"))
# Question words that ask only near the start of a question; further on they relate a
# clause (`the co-investors who share`), while `say` or `selon` ask anywhere.
_INTERROGATIVES = frozenset(("who", "where", "when", "why"))
# The words that open `which X`: `which state`, `quelle ville`.
_WHICH = frozenset(("which", "what", "quel", "quelle", "quels", "quelles"))
# The concept whose terms are the unit a question word counts in.
_UNIT_OF = {"how-many-times": "times", "how-long": "years"}
# Answers whose concepts are what they are about, not a slot a record must hold: `what did
# Son say about Nvidia's valuation` is answered by a quote, not by a valuation.
_TOPIC_ONLY = ("quote", "reason")
# An answer of another kind that answers as well: a prediction's date, asked when.
_ALSO = {"date": "target_date"}
# The types of record that can hold each kind of answer, where only some can.
_HOLDERS: dict[str, frozenset[str]] = {
    "amount": frozenset(("deal", "figure")),
    "share": frozenset(("deal", "figure")),
    "person": frozenset(("person", "quote", "deal")),
    "quote": frozenset(("quote",)),
}
# A superlative: the largest amount first.
_LARGEST = "largest"
# The words a refusal says for what no record states.
_SLOT_WORDS: dict[str, str] = {
    "amount": "amount",
    "date": "date",
    "person": "person",
    "quote": "words",
    "place": "place",
    "organization": "company",
    "record": "such fact",
    "reason": "reason",
    "count": "number",
    "share": "share",
    "target_date": "target date",
}


class _Read(str):
    """A value read from a record's words (`eight levels`, `in Hokkaido and Osaka`), not held
    in a field of it: the record says it only if it says what the question is about."""

    __slots__ = ()


# No repr or equality of its own: a question is read once and compared with nothing, and
# the nineteen fields' generated methods are a measurable part of a warm `ask` start.
@dataclass(frozen=True, repr=False, eq=False)
class Question:
    """What a question was read as."""

    text: str
    language: Language
    entities: tuple[AnyRecord, ...]
    unknown: tuple[str, ...]  # names no record knows: what the sources never mention
    years: tuple[int, ...]
    concepts: tuple[Any, ...]  # lexicon concepts, question words aside
    wanted: Wanted
    words: tuple[str, ...]  # the words left once names, concepts and stop words are read
    terms: tuple[str, ...] = ()  # the words and the concepts' words, to rank by text
    ignored: tuple[str, ...] = ()  # ordinary words no record or concept has: left out
    named: tuple[str, ...] = ()  # known words written as names (Hokkaido): an answer has them
    unit: tuple[str, ...] = ()  # for a count, the words of what is counted
    phrases: tuple[str, ...] = ()  # words written together as a record writes them
    month: bool = False  # a date must give the month
    one_of: bool = False  # which one of those named
    city: bool = False  # a place finer than a country
    unknown_as_written: tuple[str, ...] = ()  # the unknown names as the question writes them


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

    @property
    def reason(self) -> str:
        """Why there is no answer, in one sentence; empty when there is one."""
        if self.answers:
            return ""
        question = self.question
        if question.unknown:
            names = question.unknown_as_written or question.unknown
            return f"the articles never mention {_listed(names)}"
        if question.entities:
            labels = [entity.label for entity in question.entities]
            names = _listed(labels, "and")
            them = "it" if len(labels) == 1 else "them"
            return f"the articles mention {names} but state no {_slot_words(question)} for {them}"
        return "no record states what is asked"


def _listed(names: Iterable[str], last: str = "or") -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {last} " + names[-1]


def _slot_words(question: Question) -> str:
    for concept in question.concepts:
        if concept.kind in ("metric", "role"):
            return concept.en[0]
        if concept.kind == "deal_kind" and question.wanted == "amount":
            return "price" if concept.id in ("pay", "buy") else "amount"
    if question.wanted == "date" and question.month:
        return "month"
    if question.wanted == "place" and question.city:
        return "city or region"
    return _SLOT_WORDS[question.wanted]


# Words of English and French: what tells an ordinary word from a name --------------------


@functools.cache
def _simplemma() -> Any:
    # Imported on first use: a question of known words never needs it.
    import simplemma

    return simplemma


# French written without its accents (`annee`, `presentee`) is found by putting them back:
# each vowel (and c) may take the accents French writes on it.
_ACCENTED = {"e": "eéèê", "a": "aàâ", "i": "iîï", "o": "oô", "u": "uùû", "c": "cç"}
_MOST_SPELLINGS = 256


def _spellings(word: str, language: str) -> Iterable[str]:
    """The word, and in French the word with the accents it may have lost."""
    yield word
    if language != "fr" or not word.isascii():
        return
    options = [_ACCENTED.get(letter, letter) for letter in word]
    if math.prod(len(option) for option in options) > _MOST_SPELLINGS:
        return
    for letters in itertools.product(*options):
        yield "".join(letters)


@functools.cache
def dictionary_lemma(word: str, language: str) -> str | None:
    """The word's lemma in the language's dictionary (simplemma's), folded; None if the
    dictionary lacks it. A lemma written with a capital (`Boston`) is a name's."""
    simplemma = _simplemma()
    for spelling in _spellings(word, language):
        if simplemma.is_known(spelling, language):
            lemma = simplemma.lemmatize(spelling, language)
            return lemma if lemma[:1].isupper() else fold(lemma)
    return None


def ordinary_word(word: str, languages: tuple[str, ...]) -> str | None:
    """The folded lemma of a word of English or French that is no name, or None: a word of
    the dictionary, an adverb made of one (`finalement`, `happily`), or two words of it
    written as one (`chipmaker`)."""
    # A language at a time, the question's first: each dictionary costs a tenth of a second
    # to read, and most words are found in the first.
    for language in languages:
        lemma = _lemma_of(word, language)
        if lemma is not None:
            return lemma
        for base in _adverb_bases(word, language):
            if _lemma_of(base, language) is not None:
                return word
    for cut in range(_HEAD, len(word) - _TAIL + 1):
        if _lemma_of(word[:cut], "en") and _lemma_of(word[cut:], "en"):
            return word
    return None


# Two English words written as one, the first of at least four letters and the second of
# five: `chip` and `maker`; not `one` and `web`, nor `cere` and `bras`.
_HEAD, _TAIL = 4, 5


def _lemma_of(word: str, language: str) -> str | None:
    lemma = dictionary_lemma(word, language)
    return lemma if lemma is not None and not lemma[:1].isupper() else None


def _adverb_bases(word: str, language: str) -> tuple[str, ...]:
    """The adjectives an adverb is made of, which the dictionaries list in its stead:
    `finalement` of `finale`, `récemment` of `récent`, `happily` of `happy`."""
    if language == "fr":
        if word.endswith("amment"):
            return (word[:-6] + "ant",)
        if word.endswith("emment"):
            return (word[:-6] + "ent",)
        if word.endswith("ment"):
            return (word[:-4], word[:-5])
        return ()
    if word.endswith("ily"):
        return (word[:-3] + "y",)
    if word.endswith("ly"):
        return (word[:-2], word[:-2] + "e")
    return ()


# Reading the question ---------------------------------------------------------------------


class _Token:
    """A word of a question. A plain class: a dataclass costs more to import than it saves."""

    __slots__ = ("at", "capital", "joined", "word", "written")

    def __init__(
        self, word: str, capital: bool, written: str, at: int = 0, joined: bool = False
    ) -> None:
        self.word = word  # folded
        self.capital = capital  # written with a capital letter (`Ampere`, `xAI`)
        self.written = written  # as the question writes it
        self.at = at  # its place among the question's words
        self.joined = joined  # a part of words joined by a hyphen (`au-delà`)


def read_question(
    kb: KnowledgeBase, text: str, index: Index | None = None, lexicon: Lexicon | None = None
) -> Question:
    """A question read into its entities, years, concepts and the answer it wants."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"the question is {len(text):,} characters long; the limit is 1,000")
    tokens = _tokens(text)
    if not tokens:
        raise QueryError("the question has no words: ask it in English or French")
    index = index_of(kb) if index is None else index
    lexicon_ = or_package(lexicon)
    words = [token.word for token in tokens]
    language = _language(text, words, lexicon_)
    languages: tuple[str, ...] = (language, "en" if language == "fr" else "fr")
    years = tuple(dict.fromkeys(int(m.group(1)) for m in _YEAR.finditer(fold(text))))
    # A capital says a name only where the question is not written in capitals throughout.
    capitals = [token.capital for token in tokens[1:] if token.word.isalpha()]
    titled = bool(capitals) and sum(capitals) * 2 > len(capitals)
    cased = any(capitals) and not titled
    for at, token in enumerate(tokens):
        capital = token.capital and at > 0 and not titled
        tokens[at] = _Token(token.word, capital, token.written, at, token.joined)
    reading = _Reading(kb, index, lexicon_, languages, cased)
    rest = reading.entities(tokens)
    rest = reading.runs_of_names(rest)
    reading.words(rest)
    wanted = reading.wanted
    if wanted == "date" and _future(words):
        wanted = "target_date"  # `when will it open`: what a prediction looks to, no past date
    if wanted is None:
        asks_a_record = _yes_or_no(text, words) or any(w in _DO for w in words[1:])
        wanted = "record" if asks_a_record else _wanted_by_concepts(reading.concepts)
    return Question(
        text=text,
        language=language,
        entities=tuple(reading.found),
        unknown=tuple(fold(name) for name in reading.unknown),
        years=years,
        concepts=tuple(reading.concepts),
        wanted=wanted,
        words=tuple(reading.left),
        terms=tuple(reading.terms),
        ignored=tuple(reading.ignored),
        named=tuple(reading.named),
        unit=tuple(reading.unit),
        phrases=tuple(reading.phrases),
        month=reading.month,
        one_of=reading.one_of,
        city=reading.city,
        unknown_as_written=tuple(reading.unknown),
    )


def _tokens(text: str) -> list[_Token]:
    """The folded words of a question, each with whether it was written with a capital."""
    found: list[_Token] = []
    for raw in _TOKEN.findall(text):
        pieces = _WORD_PARTS.split(raw)
        for piece in pieces:
            capital = any(char.isupper() for char in piece)
            for word in fold(piece).split():
                found.append(_Token(word, capital, piece, len(found), len(pieces) > 1))
    return found


def _language(text: str, words: list[str], lexicon_: Any) -> Language:
    """French or English, by the stop words and question words of each, and French letters."""
    english = set(lexicon_.stopwords.en)
    french = set(lexicon_.stopwords.fr)
    for concept in lexicon_.concepts:
        # Folded a concept at a time: the words are what matter, not the terms.
        english.update(fold(" ".join(concept.en)).split())
        french.update(fold(" ".join(concept.fr)).split())
    en = sum(word in english and word not in french for word in words)
    fr = sum(word in french and word not in english for word in words)
    fr += 2 * len(_FRENCH_LETTERS.findall(text))
    return "fr" if fr > en else "en"


class _Reading:
    """A question being read, word by word: what each word is found to be."""

    def __init__(
        self,
        kb: KnowledgeBase,
        index: Index,
        lexicon: Lexicon,
        languages: tuple[str, ...],
        cased: bool,
    ) -> None:
        self.kb, self.index, self.lexicon = kb, index, lexicon
        self.languages = languages
        self.cased = cased  # whether the question writes names with capitals
        self.stop = set(lexicon.stopwords.en) | set(lexicon.stopwords.fr)
        self.term_words = {word for words in lexicon.phrases for word in words}
        self.found: list[AnyRecord] = []
        self.unknown: list[str] = []
        self.concepts: list[Any] = []
        self.wanted: Wanted | None = None
        self.left: list[str] = []
        self.terms: list[str] = []
        self.ignored: list[str] = []
        self.named: list[str] = []
        self.unit: list[str] = []
        self.phrases: list[str] = []
        self.month = False
        self.city = False
        self.one_of = False

    def _is_term(self, word: str) -> bool:
        """Whether a word is a word of the lexicon's terms, or a form of a one-word term."""
        if word in self.term_words:
            return True
        if len(word) <= 3 or not word.isalpha():
            return False
        return any(stem in self.lexicon.stems for stem in stems(word))

    # Names ---------------------------------------------------------------------------------

    def entities(self, tokens: list[_Token]) -> list[_Token]:
        """Find the people and organisations the question names; the other words, in order."""
        words = [token.word for token in tokens]
        rest: list[_Token] = []
        at = 0
        while at < len(words):
            record, size = _name_at(self.index, words, at)
            if record is not None and size == 1 and not self._may_name(tokens[at]):
                record = None
            if record is None and self._looks_like_a_name(tokens[at]):
                record = self._misspelt_or_partial_name(tokens[at])
            if record is None:
                record = self._initials(tokens[at])
            if record is not None:
                if record not in self.found:
                    self.found.append(record)
                if at + size < len(tokens) and _misspelt_name_word(record, tokens[at + size]):
                    size += 1  # `Masayoshi Sun`: the rest of the name, misspelt
            else:
                rest.extend(tokens[at : at + 1])
                size = 1
            at += size
        return rest

    def _may_name(self, token: _Token) -> bool:
        """Whether a one-word name in the question is the name, not a word (`CFO`, `son`)."""
        if self._is_term(token.word):
            # `CFO` is a role before it is Goto's alias: `the CFO of Nvidia` is no Goto.
            return False
        if token.capital or not self.cased:
            return True
        # Written in lower case where names have capitals: `son`, `arm` are words.
        return token.word not in self.stop and ordinary_word(token.word, self.languages) is None

    def _looks_like_a_name(self, token: _Token) -> bool:
        """Whether a word may be a misspelt or partial name: no stop word, term or short word."""
        word = token.word
        return len(word) > 3 and word not in self.stop and not self._is_term(word)

    def _misspelt_or_partial_name(self, token: _Token) -> AnyRecord | None:
        """The person or organisation a word names: a typo of a name, or a part of one.

        A person is named by any word of their name (`Goto`), an organisation by the first
        (`Tempus`), so that `Japan` is not taken for Microsoft Japan. A word of English or
        French written in lower case is that word, not a typo of a name.
        """
        from softbank_kb.search import resolve

        word, index = token.word, self.index
        if index.has_word(word) and not token.capital:
            return None
        if not token.capital and word.isalpha() and ordinary_word(word, self.languages):
            return None
        record = resolve(self.kb, word, index=index, lexicon=self.lexicon).record
        if record is None or not index.has_word(word):
            return record  # a word no record has: a typo of the name resolved, or nothing
        name_words = [
            fold(name).split() for name in (record.label, *getattr(record, "aliases", ()))
        ]
        if isinstance(record, Person):
            return record if any(word in words for words in name_words) else None
        return record if any(words[:1] == [word] for words in name_words) else None

    def _initials(self, token: _Token) -> AnyRecord | None:
        """The organisation whose name's initials a word in capitals is: `FT`, `AWS`."""
        written = token.written
        if not (2 <= len(written) <= 5 and written.isalpha() and written.isupper()):
            return None
        for e, name in self.index.names_of(("organization",)):
            words = name.split()
            if len(words) == len(written) and "".join(w[0] for w in words) == token.word:
                return self.index.record(e)
        return None

    def runs_of_names(self, rest: list[_Token]) -> list[_Token]:
        """Read words written together with capitals that name no record (`Figure AI`,
        `Sam Altman`) as one name the sources never use, or, where a record has them
        together (`AI Summit`), as words an answer must have."""
        if not self.cased:
            return rest
        kept: list[_Token] = []
        run: list[_Token] = []
        for token in [*rest, None]:
            if (
                token is not None
                and token.capital
                and token.word.isalpha()
                and token.word not in self.stop
                and not self._is_term(token.word)
                and (not run or token.at == run[-1].at + 1)
            ):
                run.append(token)
                continue
            if len(run) >= 2 and not self.index.having(" ".join(t.word for t in run)):
                self.unknown.append(" ".join(dict.fromkeys(t.written for t in run)))
            else:
                kept.extend(run)
            run = []
            if token is not None:
                if token.capital and token.word.isalpha() and token.word not in self.stop:
                    run.append(token)
                else:
                    kept.append(token)
        return kept

    # Other words ---------------------------------------------------------------------------

    def words(self, rest: list[_Token]) -> None:
        """Read the words that name nothing: question words, concepts, topic words."""
        from softbank_kb.search import query_slots

        rest = self._which_with_a_word_between(rest)
        self._phrases(rest)
        by_word = {token.word: token for token in rest}
        slots = query_slots([token.word for token in rest], self.lexicon, keep_stopwords=True)
        counting = False
        for slot in slots:
            concepts = self._same_language(slot)
            if slot.words == ("ou",) and by_word["ou"].written == "ou" and by_word["ou"].at > 0:
                concepts = ()  # `ou` is French for `or`; `où`, or a first `Ou`, asks where
            asked = [c for c in concepts if c.kind == "question"]
            if asked and asked[0].id in _INTERROGATIVES and by_word[slot.words[0]].at > 3:
                asked = []  # `les co-investisseurs qui se partagent`: `qui` relates, not asks
            others = [c for c in concepts if c.kind != "question"]
            if asked:
                counting = self._asks(asked[0]) or counting
            if counting and not asked and not _is_stop(slot, self.stop):
                # `how many levels`: what the count is of.
                self.unit.extend(slot.words)
                for concept in others:
                    self.unit.extend(fold(term) for term in concept.terms)
                counting = False
            self.concepts += [c for c in others if c not in self.concepts]
            if others:
                self.terms.extend(slot.words)
            if concepts or _is_stop(slot, self.stop) or _YEAR.fullmatch(slot.words[0]):
                continue
            self._word(by_word[slot.words[0]])

    def _which_with_a_word_between(self, rest: list[_Token]) -> list[_Token]:
        """`which US state`, `which AI companies`: the question word read with a word between,
        the word put after it."""
        phrases = self.lexicon.phrases
        tokens = list(rest)
        for at in range(len(tokens) - 2):
            if tokens[at].word not in _WHICH or (tokens[at].word, tokens[at + 1].word) in phrases:
                continue
            concepts = phrases.get((tokens[at].word, tokens[at + 2].word), ())
            if any(c.kind == "question" for c in concepts):
                tokens[at + 1], tokens[at + 2] = tokens[at + 2], tokens[at + 1]
        return tokens

    def _phrases(self, rest: list[_Token]) -> None:
        """Note the words the question writes together as a record does (`centres d'appels`,
        `AI data centres`): an answer that has them says what is asked."""
        at = 0
        while at < len(rest):
            for size in range(min(_LONGEST_NAME, len(rest) - at), 1, -1):
                window = rest[at : at + size]
                if any(b.at != a.at + 1 for a, b in itertools.pairwise(window)):
                    continue
                if not (self._content(window[0]) and self._content(window[-1])):
                    continue
                phrase = " ".join(token.word for token in window)
                if self.index.having(phrase):
                    self.phrases.append(phrase)
                    at += size - 1
                    break
            at += 1

    def _content(self, token: _Token) -> bool:
        word = token.word
        return word.isalpha() and len(word) > 2 and word not in self.stop

    def _same_language(self, slot: Slot) -> tuple[Any, ...]:
        """The concepts of a slot; for a word found by its stem, those with a term of the same
        stem in the question's language: French `profitent` is no form of English `profit`."""
        if len(slot.words) != 1 or slot.words in self.lexicon.phrases:
            return slot.concepts
        own = stems(slot.words[0])
        side = 0 if self.languages[0] == "en" else 1
        return tuple(
            concept
            for concept in slot.concepts
            if any(
                stems(fold(term))[side] == own[side]
                for term in (concept.en if side == 0 else concept.fr)
                if " " not in term
            )
        )

    def _asks(self, concept: Any) -> bool:
        """Note what a question word asks for; whether it asks for a count of something."""
        if self.wanted is None:
            self.wanted = concept.answer or _ASKED_BY.get(concept.id)
        if concept.id == "which-month":
            self.month = True
        if concept.id == "which-city":
            self.city = True
        if concept.id == "which-ones":
            self.one_of = True
        unit = _UNIT_OF.get(concept.id)
        if unit is not None and unit in self.lexicon.by_id:
            self.unit.extend(fold(term) for term in self.lexicon.by_id[unit].terms)
        return concept.id == "how-many"

    def _word(self, token: _Token) -> None:
        """A word that is no name, term or stop word: a topic word, ignored, or a name."""
        word = token.word
        known = _known_word(self.index, word, typos=False)
        if not known and not token.capital and _known_word(self.index, word):
            # One typo from a word of the records, and no word of English or French itself
            # (`centers` for `centres`, not `gentiment` for `sentiment`).
            known = not word.isalpha() or ordinary_word(word, self.languages) is None
        if known:
            self.left.append(word)
            self.terms.append(word)
            if token.capital and self.cased and not token.written.isupper() and word.isalpha():
                self.named.append(word)  # `Hokkaido`: the answer is about it
            return
        if not word.isalpha() or (len(word) <= 3 and not token.capital):
            self.ignored.append(word)
            return
        lemma = None if token.capital else ordinary_word(word, self.languages)
        if lemma is None and not token.capital and token.joined:
            self.ignored.append(word)  # `dela` of `au-delà`: a part of a word, no name
            return
        if lemma is None:
            self.unknown.append(token.written)  # a name the sources never use
            return
        if lemma != word and self._lemma(lemma):
            return
        self.ignored.append(word)

    def _lemma(self, lemma: str) -> bool:
        """Read a word by its lemma, where the lexicon or the records know it."""
        from softbank_kb.search import query_slots

        if not lemma.isalpha():
            return False
        concepts = [
            c
            for slot in query_slots([lemma], self.lexicon, keep_stopwords=True)
            for c in slot.concepts
            if c.kind != "question"
        ]
        if concepts:
            self.concepts += [c for c in concepts if c not in self.concepts]
            self.terms.append(lemma)
            return True
        if _known_word(self.index, lemma, typos=False):
            self.left.append(lemma)
            self.terms.append(lemma)
            return True
        return False


def _is_stop(slot: Slot, stop: set[str]) -> bool:
    return len(slot.words) == 1 and slot.words[0] in stop


def _misspelt_name_word(record: AnyRecord, token: _Token) -> bool:
    """Whether a word written with a capital right after a person's name is a word of it
    one letter off: `Sun` after `Masayoshi`."""
    if not (isinstance(record, Person) and token.capital and len(token.word) > 2):
        return False
    from rapidfuzz.distance import OSA

    words = {w for name in _folded_names(record) for w in name.split()}
    return token.word not in words and any(
        OSA.distance(token.word, word, score_cutoff=1) <= 1 for word in words
    )


def _name_at(index: Any, words: list[str], at: int) -> tuple[AnyRecord | None, int]:
    """The person or organisation whose name or alias the words from `at` are, longest first."""
    for size in range(min(_LONGEST_NAME, len(words) - at), 0, -1):
        phrase = " ".join(words[at : at + size])
        for key in (phrase, phrase.replace(" ", "")):
            for e, _, _ in index.name_owners(key):
                if index.types[e] in ("person", "organization"):
                    return index.record(e), size
    return None, 1


def _known_word(index: Index, word: str, typos: bool = True) -> bool:
    """Whether any record has this word, a form of it, or (with `typos`) a word one typo
    from it. Not a longer word it begins: `Intel` is not known for `intelligence`."""
    from softbank_kb.scoring import SCORING
    from softbank_kb.search import word_matches

    found = word_matches(index, word, typos=typos)
    # `wework` is not `we work` unless a record says that.
    return any(
        quality != SCORING.prefix and (" " not in match or index.having(match))
        for match, quality in found.items()
    )


# A question without a question word that opens with one of these, or puts its subject
# after its verb in French (`Arm peut-il`), asks yes or no: it wants the record that says.
_AUXILIARIES = frozenset(
    ("did", "does", "do", "is", "was", "are", "were", "can", "could", "will", "would")
) | frozenset(("has", "have", "had", "should"))
_FRENCH_INVERSION = re.compile(r"\w-(?:t-)?(?:il|elle|ils|elles|on)\b", re.IGNORECASE)


def _future(words: list[str]) -> bool:
    """Whether a question is put in the future: `will`, `sera`, `sortira`, `seront`."""
    return any(
        word in ("will", "sera", "seront")
        or (len(word) > 4 and word.isalpha() and word.endswith(("era", "ira", "ront")))
        for word in words
    )


def _yes_or_no(text: str, words: list[str]) -> bool:
    return (
        words[0] in _AUXILIARIES
        or words[:2] == ["est", "ce"]
        or bool(_FRENCH_INVERSION.search(text))
    )


def _wanted_by_concepts(concepts: list[Any]) -> Wanted:
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
    holders = _HOLDERS.get(question.wanted)
    if holders is not None:
        # Only these types of record can hold what is asked: the others are never built.
        candidates = {at for at in candidates if index.types[at] in holders}
    overlap = _Overlap(index, question, candidates)
    largest = question.wanted in ("amount", "record") and any(
        c.id == _LARGEST for c in question.concepts
    )
    answers = _judged(kb, question, index, about, lexicon, candidates, overlap, limit, largest)
    if largest:
        answers = _largest_first(answers)
    if answers:
        return Reply(question, tuple(_best(answers, limit)))
    return Reply(question, (), _known_about(question, about, index))


# The types of record that hold each kind of answer in a field, where others can answer
# only with words read from their text: a place in a venue, a date, a count in a figure.
_IN_FIELDS: dict[str, frozenset[str]] = {
    "place": frozenset(("quote", "event")),
    "count": frozenset(("figure",)),
    "target_date": frozenset(("quote", "figure", "event")),
    "date": frozenset(("deal", "quote", "figure", "event")),
}
# Candidates are judged this many at a time, best bound first.
_BATCH = 256


def _judged(
    kb: KnowledgeBase,
    question: Question,
    index: Index,
    about: About,
    lexicon: Lexicon,
    candidates: set[int],
    overlap: _Overlap,
    limit: int,
    every: bool,
) -> list[Answer]:
    """The candidates that answer, best first. They are judged a batch at a time in the
    order of the most each could score (`_Bound`), and no further once the next could not
    reach the answers found (or, with `every`, all of them are judged): what it costs
    follows the answers, not how many records are about an entity."""
    bound = _Bound(question, index, about, overlap)
    bounds = {at: bound(at) for at in candidates}
    order = sorted(
        (at for at in candidates if bounds[at] > -math.inf), key=lambda at: (-bounds[at], at)
    )
    judge = _Judge(kb, question, about, lexicon, index)
    scored: list[tuple[float, int, Answer]] = []
    for start in range(0, len(order), _BATCH):
        if not every and scored and bounds[order[start]] < _still_shown(scored, limit):
            break
        batch = order[start : start + _BATCH]
        # All of them are read below: a batch at a time, not one by one.
        index.prefetch(batch)
        index.prefetch_records(batch)
        about.prefetch(batch)
        for at in batch:
            if not every and scored and bounds[at] < _still_shown(scored, limit):
                break
            record = index.record(at)
            if record.type == "source":
                continue
            text = overlap.text.get(at, 0.0), overlap.names.get(at, 0.0)
            answer = judge(record, at, text, index.entry(at))
            if answer is not None:
                scored.append((-answer.score, at, answer))
        scored.sort(key=lambda item: (item[0], item[1]))
    return [answer for _, _, answer in scored]


def _still_shown(scored: list[tuple[float, int, Answer]], limit: int) -> float:
    """The least score an answer not yet judged needs to be shown: the last shown's, once
    the page is full, and never under the share of the best that `_best` keeps."""
    answers = [answer for _, _, answer in scored]
    shown = _best(answers, limit)
    least = answers[0].score * _CLOSE_TO_BEST
    if len(shown) >= max(limit, 0):
        least = max(least, shown[-1].score) if shown else math.inf
    # A tie may still come first (by its place): only a bound below the least is cut.
    return least


class _Bound:
    """The most a candidate could score (`_Judge`'s sums, each part at its most), from what
    is known before its record is read: what it is about, its type, its words."""

    def __init__(
        self,
        question: Question,
        index: Index,
        about: About,
        overlap: _Overlap,
    ) -> None:
        self.question, self.index, self.overlap = question, index, overlap
        total = max(len(index), 1)
        self.entities = [
            (1 + math.log(total / about.count(e.id)), set(about.positions(e.id)))
            for e in question.entities
        ]
        self.named = {at for e in question.entities for at in about.positions(e.id)}
        self.fixed = 2 * len(question.years) + 2  # and the kind answered
        # The records that have the words the question writes together, among those named.
        within = set(overlap.text)
        self.phrases = [index.having(phrase, within=within) for phrase in question.phrases]
        # A record of another type can answer only with words read from its text, and such a
        # record says the words the question writes together (`_Judge`).
        self.fields = _IN_FIELDS.get(question.wanted)
        self.own = (
            set()
            if self.fields is None
            else {
                e
                for entity in question.entities
                for e, f, _ in index.name_owners(entity.id.replace("-", " "))
                if f < 0
            }
        )
        self.fixed += 0.5 if question.wanted == "organization" else 0

    def __call__(self, at: int) -> float:
        question, kind = self.question, self.index.types[at]
        if (
            self.fields is not None
            and kind not in self.fields
            and not (kind == "organization" and at in self.own)
            and not all(at in having for having in self.phrases)
        ):
            return -math.inf
        score = (
            self.fixed + 6 * self.overlap.text.get(at, 0.0) + 2 * self.overlap.names.get(at, 0.0)
        )
        score += sum(weight if at in mine else weight / 3 for weight, mine in self.entities)
        score += sum(3 if _may_point(c, kind) else 1.5 for c in question.concepts)
        score += 1.5 * sum(at in having for having in self.phrases)
        if kind == "person":
            score += 1
        if kind == "quote" and question.wanted == "quote":
            score += 2
        if not question.concepts and at in self.named:
            score += 1.5
        return score


def _may_point(concept: Any, kind: str) -> bool:
    """Whether a concept may point to a record of this type (a metric to a figure)."""
    return (
        (concept.kind == "metric" and kind == "figure")
        or (concept.kind == "deal_kind" and kind == "deal")
        or (concept.kind == "event" and kind == "event")
        or (concept.kind == "role" and kind in ("person", "quote"))
    )


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


class _Overlap:
    """How much of the question's own words each candidate has, from 0 to 1, in any of its
    texts (`text`) and in its names, a title or a name (`names`): each word weighs by how
    rare it is among all records (a rare word says more), and counts as much as its best
    match (the word itself, a form of it, a typo of it)."""

    def __init__(self, index: Index, question: Question, candidates: set[int]) -> None:
        from softbank_kb.search import word_matches

        self.text: dict[int, float] = {}
        self.names: dict[int, float] = {}
        # Each word's weight and what it matches, with the quality of each match.
        self.words: list[tuple[float, dict[str, float]]] = []
        words = question.words if question.entities else question.terms
        total = max(len(index), 1)
        for word in dict.fromkeys(words):
            matches = word_matches(index, word, typos=len(word) > 5)
            best: dict[int, float] = {}
            in_names: dict[int, float] = {}
            having: set[int] = set()
            for match, quality in matches.items():
                everywhere = index.having(match)
                having |= everywhere
                for at in everywhere & candidates:
                    best[at] = max(best.get(at, 0.0), quality)
                for at in index.having(match, names=True, within=candidates):
                    in_names[at] = max(in_names.get(at, 0.0), quality)
            weight = math.log(1 + total / max(len(having), 1))
            self.words.append((weight, matches))
            for at, quality in best.items():
                self.text[at] = self.text.get(at, 0.0) + weight * quality
            for at, quality in in_names.items():
                self.names[at] = self.names.get(at, 0.0) + weight * quality
        weights = sum(weight for weight, _ in self.words)
        for found in (self.text, self.names):
            for at in found:
                found[at] /= weights


def _best(answers: list[Answer], limit: int) -> list[Answer]:
    """The answers close to the best, each value once."""
    top = answers[0]
    chosen: list[Answer] = []
    seen: list[Any] = []
    for answer in answers:
        if answer.score < top.score * _CLOSE_TO_BEST or len(chosen) >= max(limit, 0):
            break
        # The same person through their quotes says no more than their own record; the
        # same company bought is the same answer.
        if answer.kind in ("person", "organization") and answer.value in seen:
            continue
        seen.append(answer.value)
        chosen.append(answer)
    return chosen


def _largest_first(answers: list[Answer]) -> list[Answer]:
    """The answers with an amount in the best such answer's currency, largest first, then
    the others as they were: `biggest` compares amounts, and only in one currency."""
    money = [a for a in answers if isinstance(a.value, Money)]
    if not money:
        return answers
    currency = money[0].value.currency
    same = [a for a in money if a.value.currency == currency]
    return sorted(same, key=lambda a: -a.value.amount) + [a for a in answers if a not in same]


class _Judge:
    """Each candidate as an answer to one question, with its score, or None."""

    def __init__(
        self, kb: KnowledgeBase, question: Question, about: About, lexicon: Lexicon, index: Index
    ) -> None:
        self.kb, self.question, self.about = kb, question, about
        self.named_ids = {entity.id for entity in question.entities}
        self.named_orgs = {e.id for e in question.entities if isinstance(e, Organization)}
        self.index = index
        self.forms: dict[str, tuple[str, ...]] = {}
        # `what will SoftBank do with its profits`: an action is asked, its concepts are
        # what it is about.
        words = fold(question.text).split()
        self.action = question.wanted == "record" and any(w in _DO for w in words[1:])
        # The metrics some concept names: a figure of one answers only a question of it.
        self.claimed = {m for c in lexicon.concepts for m in c.metrics}
        self.asked_metrics = {m for c in question.concepts for m in c.metrics}

    def __call__(
        self, record: AnyRecord, at: int, text: tuple[float, float], entry: Entry
    ) -> Answer | None:
        haystack = entry.haystack
        question, about = self.question, self.about
        overlap, in_names = text
        direct, involved = about.direct(at), about.wide(at)
        total = len(self.kb)
        score = 0.0
        entities: list[str] = []
        for entity in question.entities:
            weight = 1 + math.log(max(total, 1) / about.count(entity.id))
            if entity.id in involved or _role_at(record, entity.id):
                # The rarer an entity, the more a record about it says (idf); a record about
                # a part of it (SoftBank Corp for SoftBank Group) says less.
                score += weight if entity.id in direct else weight / 2
                entities.append(entity.id)
            elif any(f" {name} " in haystack for name in _folded_names(entity)):
                # Named in its text only: `the LLM of SoftBank` says SoftBank, points elsewhere.
                score += weight / 3
                entities.append(entity.id)
        named = len(question.entities)
        least = named if named <= 2 else (named + 1) // 2
        if question.one_of:
            least = min(least, 1)  # `which of Arm, Ampere and Graphcore`: one of them
        if len(entities) < least:
            return None  # an answer is about what the question names: most of them, from three
        if any(f" {word} " not in haystack for word in question.named):
            return None  # `Hokkaido`: an answer says it
        # What the record says, not what a curator notes of it (`without a year`).
        said = "\n".join(f.padded for f in entry.fields if not f.path.startswith("context"))
        fitting, pointed = self._concepts(record, said)
        if fitting is None:
            return None
        # The first deal kind a question says is what it asks of (`sell its stake`).
        first = {c.kind: c for c in reversed(question.concepts)}
        score += sum(3 if first[c.kind] is c else 2 for c in pointed)
        if question.wanted == "organization" and isinstance(record, Deal):
            # `which companies did it buy`: those it bought whole, the concept's first kind.
            score += 0.5 * any(record.kind == c.deal_kinds[0] for c in pointed)
        # `largest` orders the answers by amount; its words in a text say nothing.
        score += 1.5 * sum(c not in pointed and c.id != _LARGEST for c in fitting)
        date = _date(record)
        years = tuple(y for y in question.years if _in_year(record, date, y))
        if question.years and not years:
            return None
        score += 2 * len(years)
        score += 6 * overlap + 2 * in_names
        kind, value = self._value(record, haystack)
        if value is None:
            return None
        together = sum(f" {phrase} " in haystack for phrase in question.phrases)
        read = isinstance(value, _Read)
        if read and together < len(question.phrases):
            return None  # a value read from text, in a record about something else
        score += 1.5 * together
        # A value the record holds in a field over words found in its text.
        if question.wanted != "record" and kind in (question.wanted, _ALSO.get(question.wanted)):
            score += 0.5 if read else 2
        if kind == "place" and value == getattr(record, "venue", None):
            # Where someone spoke is a place of what they said, not of what a question asks
            # about something else (`where will it set up data centres`).
            if isinstance(record, Quote) and record.speaker not in self.named_ids:
                return None
            if any(c not in fitting for c in question.concepts):
                return None
        if kind == "person" and isinstance(record, Person):
            score += 1
        if record.id in self.named_ids and not question.concepts:
            score += 1.5  # the entity's own record says most about it, when nothing else is asked
        if isinstance(record, Figure) and record.status == "actual":
            score += 0.5  # what was, over what is aimed at or expected
        if question.wanted == "quote" and getattr(record, "speaker", None) in self.named_ids:
            score += 2  # `what did X say`: X speaks
        if not entities and not fitting and overlap == 0:
            return None
        return Answer(
            record=record,
            kind=kind,
            value=value,
            score=round(score, 2),
            entities=tuple(entities),
            concepts=tuple(c.id for c in fitting),
            years=years,
            citation=self._citation(record, value),
        )

    def _concepts(self, record: AnyRecord, haystack: str) -> tuple[list[Any] | None, list[Any]]:
        """The question's concepts the record fits, and those it is the very kind of; None
        when it fits none of those that say what is asked (a metric, a deal kind, a role)."""
        question = self.question
        pointed = [c for c in question.concepts if self._points_to(record, c)]
        fitting = [c for c in question.concepts if c in pointed or self._fits(record, c, haystack)]
        if isinstance(record, Figure) and record.metric in self.claimed:
            # A loss figure answers a question about losses, not one about prices, nor one
            # about what it does not fit (a market share, asked what SoftBank owns).
            asked = [c for c in question.concepts if c.kind in ("metric", "deal_kind")]
            if asked and record.metric not in self.asked_metrics:
                return None, []
            if question.concepts and not fitting:
                return None, []
        deciding = [c for c in question.concepts if c.kind != "thing"]
        if (
            deciding
            and question.wanted not in _TOPIC_ONLY
            and not self.action
            and not any(c in fitting for c in deciding)
        ):
            return None, []
        return fitting, pointed

    def _value(self, record: AnyRecord, haystack: str) -> tuple[Wanted, Any]:
        """The answer a record holds for what is wanted, or (kind, None) when it holds none."""
        question = self.question
        wanted = question.wanted
        if wanted == "amount":
            if isinstance(record, Deal) and isinstance(record.amount, Money):
                return "amount", record.amount
            # A quantity is an amount only of a metric asked for: `Arm market share`.
            if (
                isinstance(record, Figure)
                and self._figure_about_named(record)
                and (isinstance(record.value, Money) or record.metric in self.asked_metrics)
            ):
                return "amount", record.value
            return "amount", None
        if wanted == "date":
            date = _date(record)
            if date is None:
                target = getattr(record, "target_date", None)  # `when will ASI arrive`
                return ("target_date", target) if target else ("date", _text_date(record))
            if question.month and len(date.value) < len("2024-01"):
                return "date", None
            return "date", date
        if wanted == "target_date":
            return "target_date", _target(record)
        if wanted == "share":
            share = _share(record)
            if isinstance(record, Figure) and share is not None:
                share = share if self._figure_about_named(record) else None
            return "share", share
        if wanted == "count":
            return "count", _count(record, question.unit, haystack)
        if wanted == "person":
            person = self.kb.get(record.speaker) if isinstance(record, Quote) else record
            if isinstance(person, Person):
                return ("person", person) if self._in_the_role_asked(person) else ("person", None)
            if isinstance(record, Deal) and any(c.kind == "deal_kind" for c in question.concepts):
                return "organization", self.kb.get(record.investor)  # `who invested in X`
            return "person", None
        if wanted == "quote":
            return ("quote", record) if isinstance(record, Quote) else ("quote", None)
        if wanted == "place":
            return "place", self._place(record)
        if wanted == "reason":
            return "reason", _reason(record)
        if wanted == "organization":
            if isinstance(record, Deal) and record.target:
                return "organization", self.kb.get(record.target)
            if isinstance(record, Organization):
                return "organization", record
            return "record", _plain_value(record)
        return "record", _plain_value(record)

    def _citation(self, record: AnyRecord, value: Any) -> Citation | None:
        """The record's excerpt that proves what was asked: the one a value read from text
        comes from, else the one with most of the question's words and of its concepts' in
        either language (`annuelle` for `a year`), not merely the first the record cites."""
        citations = getattr(record, "citations", ())
        if len(citations) < 2:
            return citations[0] if citations else None
        if isinstance(value, _Read):
            for citation in citations:
                if fold(value) in fold(citation.excerpt):
                    return citation
        question = self.question
        own = _stems_of(question.terms)
        other = _stems_of(
            [w for e in question.entities for n in _folded_names(e) for w in n.split()]
            + [w for c in question.concepts for t in _folded_terms(c) for w in t.split()]
        )

        def shared(citation: Citation) -> int:
            said = _stems_of(fold(citation.excerpt).split())
            return 2 * len(said & own) + len(said & other)

        return max(citations, key=shared)  # the first of the best

    def _in_the_role_asked(self, person: Person) -> bool:
        """Whether a person is who is asked for: with a role the lexicon knows, one held; with
        words of another (`le directeur technique de SoftBank Corp`), one whose title has
        them; else anyone the question is about."""
        question = self.question
        if person.id in self.named_ids or any(c.kind == "role" for c in question.concepts):
            return True
        if not self.named_orgs or not question.words:
            return True
        titles = " ".join(f"{role.title} {role.title_fr or ''}" for role in person.roles)
        said = _stems_of(fold(titles).split())
        return bool(said & _stems_of(question.words))

    def _points_to(self, record: AnyRecord, concept: Any) -> bool:
        """Whether a record is what a concept points to; a role, held at an organisation
        the question names, by the person or (asked who) by the quote's speaker."""
        if concept.kind != "role":
            return _points_to(record, concept)
        person = record
        if isinstance(record, Quote) and self.question.wanted == "person":
            person = self.kb.get(record.speaker)
        if not isinstance(person, Person):
            return False
        return any(
            role.title in concept.roles
            and (not self.named_orgs or role.organization in self.named_orgs)
            for role in person.roles
        )

    def _fits(self, record: AnyRecord, concept: Any, haystack: str) -> bool:
        """Whether a record has a concept's words or their forms, where that says it is
        about it: a role is held by a person, a deal of a kind is a deal of that kind."""
        if concept.kind == "role" or (concept.kind == "deal_kind" and isinstance(record, Deal)):
            return False
        if any(f" {term} " in haystack for term in _folded_terms(concept)):
            return True
        forms = self.forms.get(concept.id)
        if forms is None:
            forms = self.forms[concept.id] = _forms(self.index, concept)
        return any(f" {form} " in haystack for form in forms)

    def _figure_about_named(self, record: Figure) -> bool:
        """Whether a figure's number is about an entity the question names, or one of its
        parts: SoftBank's number is not Nvidia's because its text says SoftBank."""
        if not self.named_ids:
            return True
        return bool(self.named_ids & _with_parents(self.kb, record.entity))

    def _place(self, record: AnyRecord) -> str | None:
        """The places a record names; an organisation's own country for itself."""
        places = _places(record, self.index)
        if places:
            return _Read(" and ".join(places))
        if self.question.city:
            return None
        own = record.id in self.named_ids and not self.question.concepts
        if isinstance(record, Organization) and record.country and own:
            return record.country
        venue = getattr(record, "venue", None)
        return venue if isinstance(record, (Quote, Event)) and venue else None


@functools.cache
def _pattern(source: str) -> re.Pattern[str]:
    # Compiled on first use: most questions read no date, place or deadline from text.
    return re.compile(source)


def _stems_of(words: Iterable[str]) -> set[str]:
    """The stems of the words that say something: of four letters or more."""
    return {stem for word in words if len(word) > 3 for stem in stems(word)}


def _with_parents(kb: KnowledgeBase, rid: str) -> set[str]:
    found = {rid}
    record = kb.get(rid)
    while isinstance(record, Organization) and record.parent and record.parent not in found:
        found.add(record.parent)
        record = kb.get(record.parent)
    return found


def _role_at(record: AnyRecord, organization: str) -> bool:
    return isinstance(record, Person) and any(r.organization == organization for r in record.roles)


def _forms(index: Index, concept: Any) -> tuple[str, ...]:
    """The words of the records that are forms of a concept's one-word terms in the term's
    language (`spending` for `spend`)."""
    forms: dict[str, None] = {}
    for language, terms in (("en", concept.en), ("fr", concept.fr)):
        for term in map(fold, terms):
            if " " not in term and len(term) > 3 and term.isalpha():
                stem = stems(term)[0 if language == "en" else 1]
                forms.update(dict.fromkeys(index.stem_forms(stem)))
    return tuple(forms)


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
    target = getattr(record, "target_date", None)
    if target is not None and target.year == year:
        return True
    if isinstance(record, Figure):
        return str(year) in record.period
    if isinstance(record, Deal) and record.cumulative and date is not None:
        return date.year <= year
    return False


# What a record holds ----------------------------------------------------------------------


def _english(record: AnyRecord) -> list[str]:
    """A record's English texts: its title, summary, translation, context, description."""
    names = ("title", "summary", "text_en", "venue", "context", "description", "period")
    return [value for name in names if isinstance(value := getattr(record, name, None), str)]


def _target(record: AnyRecord) -> PartialDate | str | None:
    """The date a prediction or a target looks to, or the words that say by when."""
    target = getattr(record, "target_date", None)
    if target is not None:
        return target
    if isinstance(record, Figure) and record.status in ("target", "forecast"):
        return record.date
    if isinstance(record, Event) and record.kind == "prediction":
        return record.date
    for text in _english(record):
        found = _pattern(_BY_WHEN).search(text)
        if found:
            return _Read(found.group())
    return None


_BY_WHEN = (
    r"(?i)\b(?:by|within|before) (?:the )?(?:(?:next|coming|end of) )?(?:\d{4}|decades?|years?)\b"
)


_MONTH_NAMES = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre"
)
_TEXT_DATE = (
    rf"\b(?:\d{{1,2}}(?:er)? (?:{_MONTH_NAMES})(?: (?:19|20)\d\d)?"
    rf"|(?:{_MONTH_NAMES}) \d{{1,2}}(?: (?:19|20)\d\d)?|(?:{_MONTH_NAMES}) (?:19|20)\d\d)\b"
)


def _text_date(record: AnyRecord) -> str | None:
    """A date a record without one writes in its text: `Le 21 janvier`, `May 2023`."""
    for text in (*_english(record), *(c.excerpt for c in getattr(record, "citations", ()))):
        found = _pattern(_TEXT_DATE).search(fold(text))
        if found:
            return _Read(found.group())
    return None


def _share(record: AnyRecord) -> Quantity | None:
    """A percentage a record states: a figure's, or a deal's stake."""
    value = getattr(record, "stake", None) if isinstance(record, Deal) else None
    if isinstance(record, Figure):
        value = record.value
    return value if isinstance(value, Quantity) and value.unit == "%" else None


# Numbers written in words, for counts the articles spell out: `dix mille fois`.
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|"
    "hundred|thousand|million|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|"
    "vingt|trente|cinquante|cent|mille"
)
_NUMBER = rf"(?:\d[\d,. ]*|(?:{_NUMBER_WORDS})(?:[ -](?:{_NUMBER_WORDS}))*)"


def _count(record: AnyRecord, unit: tuple[str, ...], haystack: str) -> Any:
    """How many of what is counted a record states: a number of units, never a percentage
    or an amount of money; or the words that count them (`ten thousand times`)."""
    value = getattr(record, "value", None) if isinstance(record, Figure) else None
    counted = isinstance(value, Quantity) and value.unit != "%"
    if counted and (not unit or _unit_matches(value.unit, unit, haystack)):
        return value
    if unit:
        pattern = re.compile(
            rf"\b{_NUMBER}(?: \w+){{0,2}} (?:{'|'.join(map(re.escape, unit))})\b", re.IGNORECASE
        )
        for text in (*_english(record), haystack):
            found = pattern.search(fold(text) if text is not haystack else text)
            if found:
                return _Read(found.group().strip())
    return None


def _unit_matches(unit: str, words: tuple[str, ...], haystack: str) -> bool:
    """Whether a quantity's unit is what the question counts: the same word or a form of it,
    or the word the record's own text says after a number (`8 niveaux` for levels)."""
    own = set(stems(fold(unit)))
    if any(own & set(stems(word)) for word in words if word.isalpha()):
        return True
    pattern = rf"\b{_NUMBER}(?: \w+){{0,2}} (?:{'|'.join(map(re.escape, words))})\b"
    return re.search(pattern, haystack) is not None


def _reason(record: AnyRecord) -> str | None:
    """What a record says of why: its context, else what it says."""
    for name in ("context", "summary", "text_en", "description"):
        value = getattr(record, name, None)
        if isinstance(value, str) and value:
            return value
    return None


_MONTHS = {
    *("January", "February", "March", "April", "May", "June", "July", "August"),
    *("September", "October", "November", "December"),
}
_PLACE = (
    r"\b(?:in|at|from|near) (?:the )?([A-Z][a-z]+\b(?:[ -][A-Z][a-z]+\b)*"
    r"(?:,? and (?:the )?[A-Z][a-z]+\b(?:[ -][A-Z][a-z]+\b)*)*)"
)


def _places(record: AnyRecord, index: Index) -> list[str]:
    """The places a record's English text names: `in Hokkaido and Osaka`, `in Japan`; not
    a month, nor the name of a record (`in OpenAI`)."""
    found: list[str] = []
    for text in _english(record):
        for match in _pattern(_PLACE).finditer(text):
            for place in re.split(r",? and (?:the )?", match.group(1)):
                if place in _MONTHS or place in found or _is_a_name(index, place):
                    continue
                found.append(place)
    return found


def _is_a_name(index: Index, text: str) -> bool:
    """Whether a record has this name, or a word of it as a whole name (`Stargate`)."""
    folded = fold(text)
    return any(
        index.types[e] in ("person", "organization")
        for key in (folded, *folded.split())
        for e, _, _ in index.name_owners(key)
    )


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
