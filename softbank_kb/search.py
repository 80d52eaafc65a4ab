"""Text folding, name resolution and ranked search over every text field of the knowledge base.

Text is compared folded (`fold`): case, accents, typographic marks, hyphens and other
punctuation do not matter, so `Ampère` = `ampere` and `AI-RAN` = `ai ran`.

A query word matches a word of a record

- exactly;
- as a word form, when the query word has 4 or more letters: the same Snowball stem, in
  English or in French (`robot` ~ `robots`, `pertes` ~ `perte`), the start of a longer word
  (`nvid` ~ `nvidia`), or the record's word plus an ending of one or two letters
  (`humanoides` ~ `humanoid`);
- fuzzily, when the query word has 5 or more letters: one typo (a letter added, dropped,
  changed, or two letters swapped: `centers` ~ `centres`), two from 8 letters on
  (`grafcore` ~ `graphcore`).

Words of 3 characters or fewer (`5G`, `LLM`, `AI`, `RAN`) only ever match exactly, as
whole words, so they are not drowned in fuzzy noise. Two adjacent words also match
their concatenation, either way round (`soft bank` ~ `SoftBank`, `healthcare` ~
`health care`).

Through the concept lexicon (`lexicon.yaml`), a query word or phrase that is a term of a
concept also matches the concept's other terms and the metrics, kinds and roles it points
to, a little below the word itself: `takeover` ~ `acquisition`, `chiffre d'affaires` ~
`sales`, `IPO` ~ `listing`. Stop words and question words are left out of a query that
has other words. A word found for a phrase (`profits` for `operating profit`) says what
a record is about, never that it is the record's name.

Every word of a query must match somewhere in a record (any of its fields) for the
record to be a hit; from three words on, a record that matches at least two thirds of
them is a hit too, in a fifth tier below all the others. Each record gives at most one
hit, in the best of these tiers:

1. `exact`     -- the whole query is a name, an alias or the id of the record, with or
                  without its spaces (score 97-100);
2. `name_word` -- every word matches, exactly or as a word form, in its name or aliases,
                  or in the title of a strategy item or event (score 70-89);
3. `text_word` -- every word matches, exactly or as a word form, somewhere in the record:
                  descriptions, summaries, titles, roles, English translations, the French
                  quotes, titles and excerpts, metric, period, id (score 40-69);
4. `fuzzy`     -- every word matches, at least one only fuzzily; or the whole query is
                  close to a name (score 10-39);
5. `partial`   -- two thirds of the words or more match, scored by how many (score 0-9).

Within a tier the score says how well: how much of the name the query covers; whether
the words are exact or word forms; whether they all stand in one field, in order; how
important and how short that field is. Ties go by record type (organisations and
people first), then id, so the order is stable.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
import weakref
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from softbank_kb.cache import load_derived, store_derived
from softbank_kb.models import AnyRecord, KnowledgeBase, field_names

MAX_QUERY_LENGTH = 1000

# Words this short match only exactly: a fuzzy `5G` or `AI` would match half the KB.
_SHORT = 3
_FUZZY_MIN = 5
# A shorter word is no compound: `goto` is not `go to`.
_COMPOUND_MIN = 6
# Quality of a word match: 1 is exact; anything below _WORD_MIN is a typo match.
_EXACT, _STEM, _SUFFIXED, _PREFIX = 1.0, 0.9, 0.85, 0.8
# A word the lexicon gives for the query's: `takeover` ~ `acquisition`, `ventes` ~ `sales`.
_CONCEPT = 0.88
_WORD_MIN = 0.75

_TIERS = ("exact", "name_word", "text_word", "fuzzy", "partial")
# From this many words on, a record that misses a third of them is still found.
_PARTIAL_MIN_WORDS = 3
# Organisations and people are what most searches are for; sources are rarely wanted.
_TYPE_ORDER = ("organization", "person", "strategy", "deal", "event", "figure", "quote", "source")

# Letters NFKD does not take apart.
_LIGATURES = {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "þ": "th"}


class QueryError(ValueError):
    """A query that cannot be searched: empty, only punctuation, too long."""


@dataclass(frozen=True)
class Resolution:
    """What a name means: one record when it is clearly best; or the records it could
    mean, several of them matching it equally; or, when it names none, the few whose
    names are spelled close to it."""

    record: AnyRecord | None
    candidates: tuple[AnyRecord, ...] = ()
    nearest: tuple[AnyRecord, ...] = ()


@dataclass(frozen=True)
class Hit:
    """One record found by a search, with the field that matched best."""

    record: AnyRecord
    score: float
    tier: str
    field: str
    text: str
    spans: tuple[tuple[int, int], ...]


# Folding ----------------------------------------------------------------------------------


def _fold_char(char: str) -> str:
    """One character folded: lowercase letters and digits, a space, or nothing."""
    if char.isspace():
        return " "
    if unicodedata.category(char)[0] == "C":
        return ""  # control and format characters, surrogates, unassigned code points
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    out = []
    for part in decomposed:
        if unicodedata.category(part)[0] == "M":
            continue  # the accent of a decomposed letter, or a lone combining mark
        part = _LIGATURES.get(part, part)
        out.append(part if part.isalnum() else " ")
    return "".join(out)


class _FoldTable(dict[int, str]):
    """A `str.translate` table that folds each character the first time it is seen."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def _ascii_table() -> tuple[bytes, bytes]:
    """What `_fold_char` does to each ASCII byte, as a `bytes.translate` table and deletions."""
    table = bytes(ord(_fold_char(chr(b)) or " ") if b < 128 else b for b in range(256))
    deleted = bytes(b for b in range(128) if not _fold_char(chr(b)))
    return table, deleted


_ASCII_TABLE, _ASCII_DELETED = _ascii_table()
# The accents of decomposed Latin letters: the bulk of what folding removes from French.
_ACCENTS = re.compile(r"[\u0300-\u036f]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _fold_match(match: re.Match[str]) -> str:
    """One non-ASCII character folded, for `re.sub`."""
    return _FOLD[ord(match.group())]


def fold(text: str) -> str:
    """Text as search compares it: casefolded, unaccented, punctuation as single spaces."""
    # `_fold_char` applied to every character, made fast: it is local to each character,
    # so the string can first be decomposed and stripped of its accents in one pass, and
    # what is left of ASCII goes through a byte table rather than a dict per character.
    if not text.isascii():
        text = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
        text = _NON_ASCII.sub(_fold_match, text)
        if not text.isascii():
            return " ".join(text.translate(_FOLD).split())
    return " ".join(text.encode().translate(_ASCII_TABLE, _ASCII_DELETED).decode().split())


def _fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)`, and for each of its characters the index it came from in `text`."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        for part in _FOLD[ord(char)]:
            if part == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(part)
            offsets.append(index)
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return "".join(chars), offsets


# The index --------------------------------------------------------------------------------


# Named tuples, not frozen dataclasses: they are built by the ten thousand and a frozen
# dataclass is several times slower to create.
class _Field(NamedTuple):
    """One text field of a record, folded once."""

    path: str
    text: str
    padded: str  # folded, with a space at each end so that " word " finds whole words
    length: int  # in words
    is_name: bool
    weight: float


class _Entry(NamedTuple):
    """One record, its text fields, and all of its text in one string to scan."""

    record: AnyRecord
    fields: tuple[_Field, ...]
    haystack: str
    names: str
    order: tuple[int, str]


# Every text field, and how much a match in it says about the record.
_WEIGHTS = {
    "name": 1.0,
    "aliases": 1.0,
    "title": 1.0,
    "title_fr": 1.0,
    "description": 0.9,
    "summary": 0.9,
    "text_en": 0.9,
    "text": 0.85,
    "roles": 0.8,
    "metric": 0.8,
    "metric_fr": 0.8,
    "venue": 0.75,
    "context": 0.75,
    "citations": 0.7,
    "period": 0.6,
    "id": 0.6,  # our English slug: `nvidia-stake-sale-2019` says "sale" where the text says "sold"
}
# A source's title is a headline, not its name: "Son" is not about the article.
_NAME_FIELDS = {
    "organization": ("name", "aliases"),
    "person": ("name", "aliases"),
    "strategy": ("title", "title_fr"),
    "event": ("title",),
}


def _text_fields(record: AnyRecord) -> Iterator[tuple[str, str]]:
    """Every text field of a record as (dotted path, text)."""
    present = field_names(type(record))
    for name in _WEIGHTS:
        if name not in present:
            continue
        value = getattr(record, name)
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    yield f"{name}[{index}]", item
                elif name == "roles":
                    yield f"roles[{index}].title", item.title
                    if item.title_fr:
                        yield f"roles[{index}].title_fr", item.title_fr
                elif name == "citations":
                    yield f"citations[{index}].excerpt", item.excerpt


def _make_entry(record: AnyRecord) -> _Entry:
    """A record with its fields folded."""
    name_fields = _NAME_FIELDS.get(record.type, ())
    fields = []
    for path, text in _text_fields(record):
        folded = fold(text)
        if folded:
            base = path.split("[", 1)[0]
            is_name = base in name_fields
            length = folded.count(" ") + 1
            fields.append(_Field(path, text, f" {folded} ", length, is_name, _WEIGHTS[base]))
    # A line break between fields, so that no phrase is found across two of them.
    haystack = "\n".join(field.padded for field in fields)
    names = "\n".join(field.padded for field in fields if field.is_name)
    order = _TYPE_ORDER.index(record.type) if record.type in _TYPE_ORDER else len(_TYPE_ORDER)
    return _Entry(record, tuple(fields), haystack, names, (order, record.id))


class _Index:
    """Every record's text folded, and every word of the knowledge base.

    A search scans one string per record, its haystack, and looks field by field only
    at the few records every query word is found in; their fields are folded again when
    the index came from the cache, which keeps strings only (cheap to unpickle).
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.records = list(kb.records())
        self._entries = dict(enumerate(_make_entry(record) for record in self.records))
        self.haystacks = [entry.haystack for entry in self._entries.values()]
        self.name_texts = [entry.names for entry in self._entries.values()]
        self.words: set[str] = set()
        # folded name, alias or id (and its spaceless form) -> (entry, field, spaceless)
        self.names: dict[str, list[tuple[int, int, bool]]] = {}
        for e, entry in self._entries.items():
            self.words.update(entry.haystack.split())
            self._add_names(e, entry)

    def entry(self, e: int) -> _Entry:
        """The record at position `e` with its fields folded."""
        entry = self._entries.get(e)
        if entry is None:
            entry = self._entries[e] = _make_entry(self.records[e])
        return entry

    def _add_names(self, e: int, entry: _Entry) -> None:
        """Register the names, aliases and id of an entry for exact lookup."""
        # The id last, so that a name equal to it is the field shown.
        keys = [(field.padded.strip(), f) for f, field in enumerate(entry.fields) if field.is_name]
        keys.append((entry.record.id.replace("-", " "), -1))  # an id is a folded slug
        for key, f in keys:
            self.names.setdefault(key, []).append((e, f, False))
            spaceless = key.replace(" ", "")
            if spaceless != key:
                self.names.setdefault(spaceless, []).append((e, f, True))

    _STORED = ("haystacks", "name_texts", "words", "names")

    def __getstate__(self) -> dict[str, object]:
        # The records belong to the knowledge base, which is cached on its own: the
        # stored index keeps their ids only, and is bound to the records on load.
        state = {name: getattr(self, name) for name in self._STORED}
        state["ids"] = [record.id for record in self.records]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._ids: list[str] = state.pop("ids")
        self.__dict__.update(state)
        self.records = []
        self._entries = {}

    def bound_to(self, kb: KnowledgeBase) -> _Index | None:
        """This unpickled index given `kb`'s records, or None if it is not theirs."""
        records = list(kb.records())
        if [record.id for record in records] != self._ids:
            return None
        self.records = records
        return self

    @cached_property
    def stems(self) -> dict[str, tuple[str, ...]]:
        """Each English and French stem, and the words it stems; quicker made than unpickled."""
        return _stem_table(self.words)

    @cached_property
    def vocabulary(self) -> list[str]:
        """Every word, sorted, to find the words a prefix begins."""
        return sorted(self.words)

    @cached_property
    def typo_vocabulary(self) -> list[str]:
        """The words a typo may be of: letters only, so `fy2024` is no typo of `fy2025`."""
        return [word for word in self.vocabulary if word.isalpha() and len(word) > _SHORT]

    @cached_property
    def single_names(self) -> tuple[list[str], list[list[tuple[int, int, bool]]]]:
        """Names written without spaces, and whose they are, to compare whole queries with."""
        keys = [key for key in self.names if " " not in key]
        return keys, [self.names[key] for key in keys]


def _stem_table(words: set[str]) -> dict[str, tuple[str, ...]]:
    """Each English and French stem of the words, and the words it is the stem of."""
    from softbank_kb.stemming import stems_of_words

    stemmable = sorted(word for word in words if word.isalpha() and len(word) > _SHORT)
    english, french = stems_of_words(stemmable)
    table: dict[str, list[str]] = {}
    for word, en, fr in zip(stemmable, english, french, strict=True):
        table.setdefault("en:" + en, []).append(word)
        table.setdefault("fr:" + fr, []).append(word)
    return {stem: tuple(forms) for stem, forms in table.items()}


# An index per knowledge base, rebuilt only when another knowledge base is searched.
_INDEXES: weakref.WeakKeyDictionary[KnowledgeBase, _Index] = weakref.WeakKeyDictionary()


def _index(kb: KnowledgeBase) -> _Index:
    """The index of `kb`, built on first use."""
    index = _INDEXES.get(kb)
    if index is None:
        index = _stored_index(kb)
        if index is None:
            index = _Index(kb)
            store_derived(kb, "search", index)
        _INDEXES[kb] = index
    return index


def _stored_index(kb: KnowledgeBase) -> _Index | None:
    """The index kept in the cache beside `kb`, when `kb` came from the cache too."""
    stored = load_derived(kb, "search", _Index)
    return stored.bound_to(kb) if stored is not None else None


# Matching words ---------------------------------------------------------------------------

# A short prefix such as `inte` begins hundreds of words; the closest few are enough.
_MAX_COMPLETIONS = 40


def _word_matches(index: _Index, word: str, typos: bool = True) -> dict[str, float]:
    """What a query word matches (words, or two-word phrases), with the quality of each."""
    words = index.words
    matches: dict[str, float] = {}
    if word in words:
        matches[word] = _EXACT
    for cut in range(2, len(word) - 1) if len(word) >= _COMPOUND_MIN else ():
        # `healthcare` is also found as `health care`.
        if word[:cut] in words and word[cut:] in words:
            matches.setdefault(f"{word[:cut]} {word[cut:]}", _EXACT)
    if len(word) <= _SHORT:
        return matches
    if word.isalpha():
        from softbank_kb.stemming import stems

        # A form in the same language's stem: `robot` ~ `robots`, `pertes` ~ `perte`.
        for stem in stems(word):
            for form in index.stems.get(stem, ()):
                matches.setdefault(form, _STEM)
    for end in range(max(_SHORT + 1, len(word) - 2), len(word)):
        if word[:end] in words:
            matches.setdefault(word[:end], _SUFFIXED)
    vocabulary = index.vocabulary
    at = bisect.bisect_right(vocabulary, word)
    for other in itertools.islice(vocabulary, at, at + _MAX_COMPLETIONS):
        if not other.startswith(word):
            break
        matches.setdefault(other, _PREFIX)
    if typos and word.isalpha() and len(word) >= _FUZZY_MIN:
        # Even a word found as typed may be a misspelling of another: `centers`, `centres`.
        for other, quality in _typo_matches(index, word).items():
            matches.setdefault(other, quality)
    return matches


def _typo_matches(index: _Index, word: str) -> dict[str, float]:
    """Words one typo away from `word`, or two from 8 letters on; a swap is one typo."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    edits = 1 if len(word) < 8 else 2
    found = process.extract(
        word, index.typo_vocabulary, scorer=OSA.distance, score_cutoff=edits, limit=None
    )
    return {other: 0.7 - 0.1 * distance for other, distance, _ in found}


def _query_matches(index: _Index, words: list[str]) -> list[dict[str, float]]:
    """For each slot of the query, what it matches, through the lexicon and neighbours."""
    slots = query_slots(words)
    matches = [_slot_matches(index, slot) for slot in slots]
    for at, (first, second) in enumerate(itertools.pairwise(slots)):
        if len(first.words) != 1 or len(second.words) != 1:
            continue
        # `soft bank` is also found as `softbank`.
        joined = first.words[0] + second.words[0]
        for other, quality in _word_matches(index, joined, typos=False).items():
            for side in (at, at + 1):
                if matches[side].get(other, 0.0) < quality:
                    matches[side][other] = quality
    return matches


class Slot(NamedTuple):
    """A word of a query, or a phrase of the lexicon, and the concepts it is a term of."""

    words: tuple[str, ...]
    concepts: tuple[Any, ...]


# The longest phrase of the lexicon, in words, that a query is read for.
_LONGEST_TERM = 4


def query_slots(words: list[str], keep_stopwords: bool = False) -> list[Slot]:
    """The folded words of a query as slots: lexicon phrases grouped, stop words left out.

    A stop word or question word is left out only when something else is left.
    """
    from softbank_kb.lexicon import current_lexicon

    found = current_lexicon()
    phrases, stemmed = found.phrases, found.stems
    slots: list[Slot] = []
    at = 0
    while at < len(words):
        for size in range(min(_LONGEST_TERM, len(words) - at), 0, -1):
            concepts = phrases.get(tuple(words[at : at + size]))
            if concepts:
                break
        else:
            size, concepts = 1, _stemmed_concepts(words[at], phrases, stemmed)
        slots.append(Slot(tuple(words[at : at + size]), concepts))
        at += size
    if keep_stopwords:
        return slots
    stop = set(found.stopwords.en) | set(found.stopwords.fr)
    meaningful = [
        slot
        for slot in slots
        if not (len(slot.words) == 1 and slot.words[0] in stop and not slot.concepts)
        and not any(concept.kind == "question" for concept in slot.concepts)
    ]
    return meaningful or slots


def _stemmed_concepts(
    word: str,
    phrases: dict[tuple[str, ...], tuple[Any, ...]],
    stemmed: dict[str, tuple[tuple[str, ...], ...]],
) -> tuple[Any, ...]:
    """The concepts a word is a form of a one-word term of: `acquires` ~ `acquire`."""
    if len(word) <= _SHORT or not word.isalpha():
        return ()
    from softbank_kb.stemming import stems

    concepts: list[Any] = []
    for stem in stems(word):
        for term in stemmed.get(stem, ()):
            for concept in phrases[term]:
                if concept not in concepts:
                    concepts.append(concept)
    return tuple(concepts)


def _slot_matches(index: _Index, slot: Slot) -> dict[str, float]:
    """What one slot matches: its own word or phrase, and every term of its concepts."""
    if len(slot.words) == 1:
        matches = _word_matches(index, slot.words[0])
    else:
        matches = {" ".join(slot.words): _EXACT}
    for concept in slot.concepts:
        for expansion in _expansions(concept):
            # A term of the slot's own length may name a record (`data centres` for
            # `data centers`); a word for a phrase only says what it is about.
            kind = float if expansion.count(" ") + 1 == len(slot.words) else _Lexical
            if " " in expansion:
                matches.setdefault(expansion, kind(_CONCEPT))
                continue
            for other, quality in _word_matches(index, expansion, typos=False).items():
                if matches.get(other, 0.0) < min(quality, _CONCEPT):
                    matches[other] = kind(min(quality, _CONCEPT))
    return matches


class _Lexical(float):
    """The quality of a match the lexicon gave: it says what a record is about, not its name."""


@functools.cache
def _expansions(concept: Any) -> tuple[str, ...]:
    """A concept's terms and the kinds, metrics and roles it points to, folded."""
    texts = [*concept.terms, *concept.metrics, *concept.deal_kinds, *concept.event_kinds]
    texts += concept.roles
    return tuple(dict.fromkeys(folded for folded in map(fold, texts) if folded))


# Ranking ----------------------------------------------------------------------------------


@dataclass
class _Found:
    """A record being ranked: its tier, score and the field to show."""

    entry: _Entry
    tier: int
    score: float
    field: int  # -1 is the record's id
    whole: bool  # highlight the whole field, not words


def _validated(query: str) -> str:
    """The folded query, or QueryError saying why it cannot be searched."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"the query is {len(query):,} characters long; the limit is {MAX_QUERY_LENGTH:,}"
        )
    if not query.strip():
        raise QueryError("the query is empty: give a name or some words to search for")
    folded = fold(query)
    if not folded:
        raise QueryError("the query has no letters or digits to search for")
    return folded


def _rank(
    index: _Index,
    folded: str,
    types: Collection[str] | None,
    names_only: bool,
    among: Collection[int] | None = None,
) -> tuple[list[_Found], list[dict[str, float]]]:
    """Every record the folded query finds, best first, and what each query word matched."""
    if among is not None:
        candidates = sorted(among)
    else:
        candidates = [
            e for e, record in enumerate(index.records) if types is None or record.type in types
        ]
    allowed = set(candidates)
    found = _exact_names(index, folded, allowed)
    words = list(dict.fromkeys(folded.split()))
    matches = _query_matches(index, words)
    # Padded, so that `ai` is found as a word and not inside `paid`.
    padded = [{f" {m} ": q for m, q in word_matches.items()} for word_matches in matches]
    # The word with the fewest forms first, to turn records away after as few scans as possible.
    wanted = sorted(padded, key=len)
    texts = index.name_texts if names_only else index.haystacks
    if all(wanted):
        for e in candidates:
            text = texts[e]
            if e not in found and all(any(m in text for m in alts) for alts in wanted):
                found[e] = _judge(index.entry(e), padded, folded, names_only)
    if not names_only and len(wanted) >= _PARTIAL_MIN_WORDS:
        _partial_matches(index, padded, folded, candidates, found)
    _close_names(index, folded, allowed, found)
    ranked = sorted(found.values(), key=_rank_order)
    return ranked, matches


def _partial_matches(
    index: _Index,
    padded: list[dict[str, float]],
    folded: str,
    candidates: list[int],
    found: dict[int, _Found],
) -> None:
    """Records that miss a word of a long query but match at least two thirds of them."""
    count = len(padded)
    need = -(-2 * count // 3)
    for e in candidates:
        if e in found:
            continue
        text = index.haystacks[e]
        present = [alts for alts in padded if any(m in text for m in alts)]
        if len(present) < need:
            continue
        judged = _judge(index.entry(e), present, folded, False)
        score = 9 * len(present) / count * (0.5 + judged.score / 200)
        found[e] = _Found(judged.entry, 4, score, judged.field, False)


def _rank_order(found: _Found) -> tuple[int, float, tuple[int, str]]:
    """Best tier first, then best score, then by type and id."""
    return (found.tier, -found.score, found.entry.order)


def _exact_names(index: _Index, folded: str, allowed: set[int]) -> dict[int, _Found]:
    """Records whose name, alias or id is the whole query."""
    found: dict[int, _Found] = {}
    for key, spaceless in ((folded, False), (folded.replace(" ", ""), True)):
        for e, f, joined in index.names.get(key, ()):
            if e in found or e not in allowed:
                continue
            score = 97.0 if spaceless or joined else (100.0 if f >= 0 else 99.0)
            found[e] = _Found(index.entry(e), 0, score, f, True)
    return found


def _field_rows(
    entry: _Entry, padded: list[dict[str, float]], names: bool
) -> dict[int, list[float]]:
    """For each field (or each name) of a record, the best quality of each query word in it."""
    rows: dict[int, list[float]] = {}
    for f, field in enumerate(entry.fields):
        if names and not field.is_name:
            continue
        # `profit` may stand for operating income, but a title with `profits` is not named so.
        row = [
            max(
                (
                    q
                    for m, q in word_matches.items()
                    if m in field.padded and not (names and isinstance(q, _Lexical))
                ),
                default=0.0,
            )
            for word_matches in padded
        ]
        if any(row):
            rows[f] = row
    return rows


def _judge(entry: _Entry, padded: list[dict[str, float]], folded: str, names_only: bool) -> _Found:
    """The tier and score of a record every query word matched somewhere."""
    name_rows = _field_rows(entry, padded, True)
    rows = name_rows if names_only else _field_rows(entry, padded, False)
    fields = entry.fields
    count = len(padded)
    if not rows:  # only the lexicon found it, in a name
        return _Found(entry, 3, 10.0, 0, False)
    in_names = [max((row[i] for row in name_rows.values()), default=0.0) for i in range(count)]
    anywhere = [max(row[i] for row in rows.values()) for i in range(count)]
    exactness = sum(anywhere) / count
    if all(q >= _WORD_MIN for q in in_names):
        best = max(name_rows, key=lambda f: (_coverage(fields[f], name_rows[f]), -f))
        quality = 0.6 * _coverage(fields[best], name_rows[best]) + 0.4 * exactness
        return _Found(entry, 1, 70 + 19 * quality, best, False)

    best = max(rows, key=lambda f: (sum(rows[f]) * fields[f].weight, -fields[f].length, -f))
    field = fields[best]
    concentration = sum(rows[best]) / count * field.weight
    if all(q >= _WORD_MIN for q in anywhere):
        # The query as typed, in the best field or elsewhere, beats the lexicon's words for it.
        phrase = 1.0 if f" {folded} " in field.padded else 0.0
        if not phrase and len(padded) < folded.count(" ") + 1 and f" {folded} " in entry.haystack:
            phrase = 0.6
        named = sum(q >= _WORD_MIN for q in in_names) / count
        shortness = min(1.0, 12 / field.length)
        quality = 0.35 * concentration + 0.2 * exactness + 0.2 * phrase
        quality += 0.15 * named + 0.1 * shortness
        return _Found(entry, 2, 40 + 29 * quality, best, False)
    named = sum(q > 0 for q in in_names) / count
    quality = 0.5 * exactness + 0.3 * named + 0.2 * concentration
    return _Found(entry, 3, 10 + 29 * quality, best, False)


def _coverage(field: _Field, row: list[float]) -> float:
    """How much of a name the matched query words make up."""
    return min(1.0, sum(q > 0 for q in row) / field.length)


def _close_names(index: _Index, folded: str, allowed: set[int], found: dict[int, _Found]) -> None:
    """Records whose name is close to the whole query, typed without spaces."""
    key = folded.replace(" ", "")
    if len(key) < _FUZZY_MIN - 1:
        return
    from rapidfuzz import fuzz, process

    names, owners = index.single_names
    for _, similarity, at in process.extract(
        key, names, scorer=fuzz.ratio, score_cutoff=80, limit=20
    ):
        for e, f, _ in owners[at]:
            if e not in allowed:
                continue
            score = 10 + 29 * (0.6 * similarity / 100 + 0.4)
            current = found.get(e)
            if current is None or (current.tier == 3 and current.score < score):
                found[e] = _Found(index.entry(e), 3, score, f, True)


# Public API -------------------------------------------------------------------------------


class Hits(list[Hit]):
    """The hits a search shows, best first, and how many records it found in all."""

    def __init__(self, hits: list[Hit], found: int) -> None:
        super().__init__(hits)
        self.found = found


def search(
    kb: KnowledgeBase, query: str, types: Collection[str] | None = None, limit: int = 20
) -> Hits:
    """The records that match a query, best first, one hit per record (see the module doc)."""
    folded = _validated(query)
    index = _index(kb)
    ranked, matches = _rank(index, folded, types, names_only=False)
    # The whole query too, so that `AI-RAN` is lit as one, hyphen included.
    matched = {folded, *(phrase for word_matches in matches for phrase in word_matches)}
    return Hits([_hit(found, matched) for found in ranked[: max(limit, 0)]], len(ranked))


def scores_among(kb: KnowledgeBase, query: str, among: Collection[int]) -> dict[int, float]:
    """The search score of each record at the given positions that the query finds."""
    folded = _validated(query)
    ranked, _ = _rank(_index(kb), folded, None, names_only=False, among=among)
    order = {id(record): e for e, record in enumerate(_index(kb).records)}
    return {order[id(found.entry.record)]: found.score for found in ranked}


def _hit(found: _Found, matched_words: set[str]) -> Hit:
    """A ranked record as a Hit, with the matched words of its field located."""
    record = found.entry.record
    score, tier = round(found.score, 1), _TIERS[found.tier]
    if found.field < 0:
        return Hit(record, score, tier, "id", record.id, ((0, len(record.id)),))
    field = found.entry.fields[found.field]
    spans = ((0, len(field.text)),) if found.whole else _spans(field.text, matched_words)
    return Hit(record, score, tier, field.path, field.text, spans)


def _spans(text: str, phrases: set[str]) -> tuple[tuple[int, int], ...]:
    """Where in `text` the matched words and phrases stand, as (start, end) offsets."""
    folded, offsets = _fold_with_offsets(text)
    padded = f" {folded} "
    spans: list[tuple[int, int]] = []
    for phrase in phrases:
        # Found at `at` in `padded`, the phrase starts at `at` in `folded`.
        at = padded.find(f" {phrase} ")
        while at >= 0:
            spans.append((offsets[at], offsets[at + len(phrase) - 1] + 1))
            at = padded.find(f" {phrase} ", at + len(phrase) + 1)
    return _merged(spans)


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Spans in order, overlapping ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def resolve(
    kb: KnowledgeBase, name: str, types: Collection[str] = ("person", "organization")
) -> Resolution:
    """The record a name means, or the closest candidates when it is not clear."""
    try:
        folded = _validated(name)
    except QueryError:
        return Resolution(None, ())
    index = _index(kb)
    allowed = {e for e, record in enumerate(index.records) if record.type in types}
    # A name, alias or id given in full is decided among the records so named alone:
    # ranking every other record (and the typo search it takes) could not change it.
    exact = sorted(_exact_names(index, folded, allowed).values(), key=_rank_order)
    chosen = _chosen(exact)
    if chosen is not None:
        return Resolution(chosen.entry.record, ())
    ranked, _ = _rank(index, folded, types, names_only=True)
    # The ranking finds a word inside a longer one (`intel` in `intelligence`); a name
    # is meant only where each word of it is a word of the name, a form or a typo of one,
    # or where the name starts with it (`Amp` for Ampere).
    ranked = [f for f in ranked if _names_it(folded, f.entry.names)]
    if not ranked:
        ranked = _name_starts(index, folded, allowed)
    if not ranked:
        return Resolution(None, nearest=_nearest_names(index, folded, types))
    chosen = _chosen(ranked)
    if chosen is not None:
        return Resolution(chosen.entry.record, ())
    return Resolution(None, tuple(f.entry.record for f in ranked[:5]))


# How alike (rapidfuzz's ratio, 0-100) a name must be to be suggested for one that
# matched nothing: `Grafcor` is 75 from `Graphcore`; `Apple` is 73 from `appels`.
_NEAR_NAME = 75
# A name typed this short is taken only as the start of a name: `Amp`, never `Am`.
_NAME_START_MIN = 3


def _names_it(folded: str, names: str) -> bool:
    """Whether one of a record's names (folded, one a line) is what `folded` names."""
    return any(_names_one(folded, name.strip()) for name in names.split("\n") if name.strip())


def _names_one(folded: str, name: str) -> bool:
    if len(folded) >= _NAME_START_MIN and name.startswith(folded):
        return True
    words = name.split()
    if folded.replace(" ", "") in (name.replace(" ", ""), *words):
        return True  # `open ai` for OpenAI, `openai` for Open AI
    return all(_is_name_word(word, words) for word in folded.split())


def _is_name_word(word: str, words: list[str]) -> bool:
    """A word of the name, the same word in another form, or a typo of one."""
    if word in words:
        return True
    if len(word) <= _SHORT or not word.isalpha():
        return False
    from rapidfuzz.distance import OSA

    from softbank_kb.stemming import stems

    own = set(stems(word))
    edits = 1 if len(word) < 8 else 2
    return any(
        own & set(stems(other)) or OSA.distance(word, other, score_cutoff=edits) <= edits
        for other in words
        if other.isalpha()
    )


def _name_starts(index: _Index, folded: str, allowed: set[int]) -> list[_Found]:
    """Records a name or alias of which starts with `folded`, shortest name first."""
    if len(folded) < _NAME_START_MIN:
        return []
    found = []
    for e in sorted(allowed):
        names = [n.strip() for n in index.name_texts[e].split("\n")]
        starting = [n for n in names if n.startswith(folded)]
        if starting:
            # Scored so that `_chosen` tells one record from several.
            found.append(_Found(index.entry(e), 1, 50.0 - min(map(len, starting)) / 100, -1, True))
    return sorted(found, key=_rank_order)


def _chosen(ranked: list[_Found]) -> _Found | None:
    """The record clearly meant, best first in `ranked`, or None if none stands out."""
    if not ranked:
        return None
    top = ranked[0]
    # Within two points of the best, a second record is a real alternative.
    close = [f for f in ranked if f.tier == top.tier and top.score - f.score < 2]
    return close[0] if len(close) == 1 else _common_parent(close)


def _common_parent(close: list[_Found]) -> _Found | None:
    """The one record the others all belong to: `SoftBank` is the group, not its units."""
    ids = {f.entry.record.id for f in close}
    for found in close:
        others = ids - {found.entry.record.id}
        children = {
            f.entry.record.id
            for f in close
            if getattr(f.entry.record, "parent", None) == found.entry.record.id
        }
        if others and children == others:
            return found
    return None


def _nearest_names(index: _Index, folded: str, types: Collection[str]) -> tuple[AnyRecord, ...]:
    """The few records with a name, or a word of a name, loosely like the query."""
    names: list[str] = []
    owners: list[int] = []
    for e, record in enumerate(index.records):
        if record.type not in types:
            continue
        for name in index.name_texts[e].split("\n"):
            # Whole names, and their words: `Miyakwa` is near `Miyakawa`, not `Junichi Miyakawa`.
            for candidate in {name.strip(), *name.split()}:
                if len(candidate) > _SHORT:
                    names.append(candidate)
                    owners.append(e)
    from rapidfuzz import fuzz, process

    nearest: dict[str, AnyRecord] = {}
    for _, _, at in process.extract(
        folded, names, scorer=fuzz.ratio, score_cutoff=_NEAR_NAME, limit=25
    ):
        record = index.records[owners[at]]
        nearest.setdefault(record.id, record)
    return tuple(nearest.values())[:3]


def resolve_person(kb: KnowledgeBase, name: str) -> Resolution:
    """The person a name means."""
    return resolve(kb, name, ("person",))


def resolve_organization(kb: KnowledgeBase, name: str) -> Resolution:
    """The organisation a name means."""
    return resolve(kb, name, ("organization",))


def closest_ids(kb: KnowledgeBase, text: str, limit: int = 5) -> list[str]:
    """The ids most like `text`, for "did you mean" after an unknown id."""
    folded = fold(text[:MAX_QUERY_LENGTH])
    if not folded or limit < 1:
        return []
    from rapidfuzz import fuzz, process

    ids = [record.id for record in kb.records()]
    folded_ids = [fold(record_id) for record_id in ids]
    found = process.extract(folded, folded_ids, scorer=fuzz.WRatio, score_cutoff=70, limit=limit)
    return [ids[at] for _, _, at in found]
