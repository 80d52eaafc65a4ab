"""The search index and ranked search over every text field of the knowledge base.

Text is compared folded (`folding.fold`): case, accents, typographic marks, hyphens and
other punctuation do not matter, so `Ampère` = `ampere` and `AI-RAN` = `ai ran`. What a
name means (`resolve`, did-you-mean) is in `names.py`, on this index and ranking.

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

Every number the ranking uses is in `_SCORING`, each with what it means and why.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import weakref
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from softbank_kb.derived import derived
from softbank_kb.folding import _fold_with_offsets, fold, stems, stems_of_words
from softbank_kb.models import AnyRecord, KnowledgeBase, field_names

MAX_QUERY_LENGTH = 1000


class QueryError(ValueError):
    """A query that cannot be searched: empty, only punctuation, too long."""


@dataclass(frozen=True)
class Hit:
    """One record found by a search, with the field that matched best."""

    record: AnyRecord
    score: float
    tier: str
    field: str
    text: str
    spans: tuple[tuple[int, int], ...]


# Scoring ----------------------------------------------------------------------------------


class _Tier(NamedTuple):
    """A tier of hits: every hit of a tier ranks above every hit of the next."""

    name: str  # as a hit shows it
    floor: float  # the lowest score in the tier
    span: float  # how far above its floor the best record of the tier scores


# The tiers by position, as `_Found.tier` holds them.
_EXACT_TIER, _NAME_TIER, _TEXT_TIER, _FUZZY_TIER, _PARTIAL_TIER = range(5)


class _Scoring(NamedTuple):
    """Every number the ranking goes by: what it means, and why it has its value.

    A match of a query word has a quality from 0 to 1; a tier's score is its floor plus
    its span times a quality mixed from the shares below, each mix summing to 1.
    """

    # The tiers, best first; their score bands do not overlap, so a tier always wins.
    tiers: tuple[_Tier, ...] = (
        _Tier("exact", 97.0, 3.0),  # the whole query is a name, an alias or the id
        _Tier("name_word", 70.0, 19.0),  # every word in a name
        _Tier("text_word", 40.0, 29.0),  # every word somewhere in the record
        _Tier("fuzzy", 10.0, 29.0),  # every word, one at least only as a typo
        _Tier("partial", 0.0, 9.0),  # two thirds of the words or more
    )
    # The exact tier: a name or alias as typed beats the id, which beats either typed
    # with its spaces left out (`softbank` for `Soft Bank`).
    exact_name: float = 100.0
    exact_id: float = 99.0
    exact_spaceless: float = 97.0

    # Words this short match only exactly: a fuzzy `5G` or `AI` would match half the KB.
    short: int = 3
    # Typos are looked for from this many letters on: a 4-letter word has too many neighbours.
    fuzzy_min: int = 5
    # From this many letters on a typo may be two edits (`grafcore` ~ `graphcore`), else one.
    two_typos_from: int = 8
    # A shorter word is no compound: `goto` is not `go to`.
    compound_min: int = 6
    # A short prefix such as `inte` begins hundreds of words; the closest few are enough.
    max_completions: int = 40

    # Quality of a word match, from what says most to least that it is the word meant:
    exact: float = 1.0  # the word as typed
    stem: float = 0.9  # another form of it, by its Snowball stem
    concept: float = 0.88  # a term the lexicon gives for it (`takeover` ~ `acquisition`)
    suffixed: float = 0.85  # the record's word plus one or two letters (`humanoides`)
    prefix: float = 0.8  # a longer word it begins (`nvid` ~ `nvidia`)
    # Below this a match is a typo: a record matched only so is in the fuzzy tier at best.
    word_min: float = 0.75
    # A typo's quality: this, less `per_typo` for each edit (0.6 one, 0.5 two).
    typo: float = 0.7
    per_typo: float = 0.1

    # Every text field, and how much a match in it says about the record; the order is
    # the order fields are read in. Names and titles say most, the id and the period least.
    fields: dict[str, float] = {  # noqa: RUF012 - a default read, never written
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
        # our English slug: `nvidia-stake-sale-2019` says "sale" where the text says "sold"
        "id": 0.6,
    }

    # The name_word tier: how much of the name the query covers counts most, then how
    # exact its words are (`Masayoshi Son` beats `Son` for a query of both words).
    name_coverage: float = 0.6
    name_exactness: float = 0.4

    # The text_word tier: the words standing together in one weighty field count most;
    # then exact words, the query as typed in that field, words also in a name, and a
    # short field (a description of `short_field` words or fewer is as short as any).
    text_concentration: float = 0.35
    text_exactness: float = 0.2
    text_phrase: float = 0.2
    text_named: float = 0.15
    text_shortness: float = 0.1
    # The query as typed, elsewhere in the record, when the lexicon read it as fewer slots.
    phrase_elsewhere: float = 0.6
    short_field: int = 12

    # The fuzzy tier: how exact the words are counts most, then whether they are in a name.
    fuzzy_exactness: float = 0.5
    fuzzy_named: float = 0.3
    fuzzy_concentration: float = 0.2
    # A name close to the whole query typed without spaces (rapidfuzz ratio, 0-100) is
    # found from this similarity on, the closest `close_names` of them.
    close_name_min: int = 80
    close_names: int = 20
    # Its quality: the similarity counts, and being a name at all gives the rest.
    close_similarity: float = 0.6
    close_base: float = 0.4

    # The partial tier: from this many words on a record that misses a third is found,
    # scored by the share of words it has, half of it for having them at all and half
    # by how well they match (their judged score over `partial_judged`).
    partial_min_words: int = 3
    partial_base: float = 0.5
    partial_judged: float = 200.0


_SCORING = _Scoring()
# Organisations and people are what most searches are for; sources are rarely wanted.
_TYPE_ORDER = ("organization", "person", "strategy", "deal", "event", "figure", "quote", "source")


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
    for name in _SCORING.fields:
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
            fields.append(_Field(path, text, f" {folded} ", length, is_name, _SCORING.fields[base]))
    # A line break between fields, so that no phrase is found across two of them.
    haystack = "\n".join(field.padded for field in fields)
    names = "\n".join(field.padded for field in fields if field.is_name)
    order = _TYPE_ORDER.index(record.type) if record.type in _TYPE_ORDER else len(_TYPE_ORDER)
    return _Entry(record, tuple(fields), haystack, names, (order, record.id))


class _Index:
    """Every record's text folded, and every word of the knowledge base.

    A search scans one string per record, its haystack, and looks field by field only
    at the few records every query word is found in; their fields are folded again when
    the index came from the cache, which keeps strings only (cheap to read back).
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.records = kb.record_sequence()
        self.types = [record.type for record in self.records]
        self._entries = dict(enumerate(_make_entry(record) for record in self.records))
        self.haystacks = [entry.haystack for entry in self._entries.values()]
        self.name_texts = [entry.names for entry in self._entries.values()]
        self.words: set[str] = set()
        # folded name, alias or id (and its spaceless form) -> (entry, field, spaceless)
        self.names: dict[str, list[tuple[int, int, bool]]] = {}
        for e, entry in self._entries.items():
            self.words.update(entry.haystack.split())
            self._add_names(e, entry)

    def prefetch(self, positions: list[int]) -> None:
        """Have the records at these positions built at once, where they are built on read.

        From the cache's database a record is built when first read: a batch of them is
        a query per thousand, where reading them one by one is a query each.
        """
        prefetch = getattr(self.records, "prefetch", None)
        if prefetch is not None:
            prefetch([e for e in positions if e not in self._entries])

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
        """This stored index given `kb`'s records, or None if it is not theirs.

        The records are not built here: from the cache's database, each is built when
        the search first looks at it (`entry`), so a search builds the records it finds.
        """
        if kb.record_ids() != self._ids:
            return None
        self.records = kb.record_sequence()
        self.types = kb.record_types()
        return self

    @cached_property
    def stems(self) -> dict[str, tuple[str, ...]]:
        """Each English and French stem, and the words it stems; quicker made than read back."""
        return _stem_table(self.words)

    @cached_property
    def vocabulary(self) -> list[str]:
        """Every word, sorted, to find the words a prefix begins."""
        return sorted(self.words)

    @cached_property
    def typo_vocabulary(self) -> list[str]:
        """The words a typo may be of: letters only, so `fy2024` is no typo of `fy2025`."""
        return [word for word in self.vocabulary if word.isalpha() and len(word) > _SCORING.short]

    @cached_property
    def single_names(self) -> tuple[list[str], list[list[tuple[int, int, bool]]]]:
        """Names written without spaces, and whose they are, to compare whole queries with."""
        keys = [key for key in self.names if " " not in key]
        return keys, [self.names[key] for key in keys]


def _stem_table(words: set[str]) -> dict[str, tuple[str, ...]]:
    """Each English and French stem of the words, and the words it is the stem of."""

    stemmable = sorted(word for word in words if word.isalpha() and len(word) > _SCORING.short)
    english, french = stems_of_words(stemmable)
    table: dict[str, list[str]] = {}
    for word, en, fr in zip(stemmable, english, french, strict=True):
        table.setdefault("en:" + en, []).append(word)
        table.setdefault("fr:" + fr, []).append(word)
    return {stem: tuple(forms) for stem, forms in table.items()}


# An index per knowledge base, rebuilt only when another knowledge base is searched.
_INDEXES: weakref.WeakKeyDictionary[KnowledgeBase, _Index] = weakref.WeakKeyDictionary()


def _index(kb: KnowledgeBase) -> _Index:
    """The index of `kb`, built on first use, or the one kept for it when it is `kb`'s."""
    index = _INDEXES.get(kb)
    if index is None:
        index = derived(
            kb, "search", _Index, build=lambda: _Index(kb), usable=lambda kept: kept.bound_to(kb)
        )
        _INDEXES[kb] = index
    return index


# Matching words ---------------------------------------------------------------------------


def _word_matches(index: _Index, word: str, typos: bool = True) -> dict[str, float]:
    """What a query word matches (words, or two-word phrases), with the quality of each."""
    words = index.words
    matches: dict[str, float] = {}
    if word in words:
        matches[word] = _SCORING.exact
    for cut in range(2, len(word) - 1) if len(word) >= _SCORING.compound_min else ():
        # `healthcare` is also found as `health care`.
        if word[:cut] in words and word[cut:] in words:
            matches.setdefault(f"{word[:cut]} {word[cut:]}", _SCORING.exact)
    if len(word) <= _SCORING.short:
        return matches
    if word.isalpha():
        # A form in the same language's stem: `robot` ~ `robots`, `pertes` ~ `perte`.
        for stem in stems(word):
            for form in index.stems.get(stem, ()):
                matches.setdefault(form, _SCORING.stem)
    for end in range(max(_SCORING.short + 1, len(word) - 2), len(word)):
        if word[:end] in words:
            matches.setdefault(word[:end], _SCORING.suffixed)
    vocabulary = index.vocabulary
    at = bisect.bisect_right(vocabulary, word)
    for other in itertools.islice(vocabulary, at, at + _SCORING.max_completions):
        if not other.startswith(word):
            break
        matches.setdefault(other, _SCORING.prefix)
    if typos and word.isalpha() and len(word) >= _SCORING.fuzzy_min:
        # Even a word found as typed may be a misspelling of another: `centers`, `centres`.
        for other, quality in _typo_matches(index, word).items():
            matches.setdefault(other, quality)
    return matches


def _typo_matches(index: _Index, word: str) -> dict[str, float]:
    """Words one typo away from `word`, or two from 8 letters on; a swap is one typo."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    edits = 1 if len(word) < _SCORING.two_typos_from else 2
    found = process.extract(
        word, index.typo_vocabulary, scorer=OSA.distance, score_cutoff=edits, limit=None
    )
    return {other: _SCORING.typo - _SCORING.per_typo * distance for other, distance, _ in found}


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
    if len(word) <= _SCORING.short or not word.isalpha():
        return ()

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
        matches = {" ".join(slot.words): _SCORING.exact}
    for concept in slot.concepts:
        for expansion in _expansions(concept):
            # A term of the slot's own length may name a record (`data centres` for
            # `data centers`); a word for a phrase only says what it is about.
            kind = float if expansion.count(" ") + 1 == len(slot.words) else _Lexical
            if " " in expansion:
                matches.setdefault(expansion, kind(_SCORING.concept))
                continue
            for other, quality in _word_matches(index, expansion, typos=False).items():
                if matches.get(other, 0.0) < min(quality, _SCORING.concept):
                    matches[other] = kind(min(quality, _SCORING.concept))
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
        candidates = [e for e, kind in enumerate(index.types) if types is None or kind in types]
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
        hits = [
            e
            for e in candidates
            if e not in found and all(any(m in texts[e] for m in alts) for alts in wanted)
        ]
        index.prefetch(hits)
        for e in hits:
            found[e] = _judge(index.entry(e), padded, folded, names_only)
    if not names_only and len(wanted) >= _SCORING.partial_min_words:
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
        partial, scoring = _SCORING.tiers[_PARTIAL_TIER], _SCORING
        score = (
            partial.span
            * len(present)
            / count
            * (scoring.partial_base + judged.score / scoring.partial_judged)
        )
        found[e] = _Found(judged.entry, _PARTIAL_TIER, score, judged.field, False)


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
            if spaceless or joined:
                score = _SCORING.exact_spaceless
            else:
                score = _SCORING.exact_name if f >= 0 else _SCORING.exact_id
            found[e] = _Found(index.entry(e), _EXACT_TIER, score, f, True)
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
    scoring = _SCORING
    name_rows = _field_rows(entry, padded, True)
    rows = name_rows if names_only else _field_rows(entry, padded, False)
    fields = entry.fields
    count = len(padded)
    if not rows:  # only the lexicon found it, in a name
        return _Found(entry, _FUZZY_TIER, scoring.tiers[_FUZZY_TIER].floor, 0, False)
    in_names = [max((row[i] for row in name_rows.values()), default=0.0) for i in range(count)]
    anywhere = [max(row[i] for row in rows.values()) for i in range(count)]
    exactness = sum(anywhere) / count
    if all(q >= scoring.word_min for q in in_names):
        best = max(name_rows, key=lambda f: (_coverage(fields[f], name_rows[f]), -f))
        quality = scoring.name_coverage * _coverage(fields[best], name_rows[best])
        quality += scoring.name_exactness * exactness
        return _scored(entry, _NAME_TIER, quality, best)

    best = max(rows, key=lambda f: (sum(rows[f]) * fields[f].weight, -fields[f].length, -f))
    field = fields[best]
    concentration = sum(rows[best]) / count * field.weight
    if all(q >= scoring.word_min for q in anywhere):
        # The query as typed, in the best field or elsewhere, beats the lexicon's words for it.
        phrase = 1.0 if f" {folded} " in field.padded else 0.0
        if not phrase and len(padded) < folded.count(" ") + 1 and f" {folded} " in entry.haystack:
            phrase = scoring.phrase_elsewhere
        named = sum(q >= scoring.word_min for q in in_names) / count
        shortness = min(1.0, scoring.short_field / field.length)
        quality = scoring.text_concentration * concentration + scoring.text_exactness * exactness
        quality += scoring.text_phrase * phrase
        quality += scoring.text_named * named + scoring.text_shortness * shortness
        return _scored(entry, _TEXT_TIER, quality, best)
    named = sum(q > 0 for q in in_names) / count
    quality = scoring.fuzzy_exactness * exactness + scoring.fuzzy_named * named
    quality += scoring.fuzzy_concentration * concentration
    return _scored(entry, _FUZZY_TIER, quality, best)


def _scored(entry: _Entry, tier: int, quality: float, field: int) -> _Found:
    """A record in `tier`, scored by a quality from 0 to 1."""
    band = _SCORING.tiers[tier]
    return _Found(entry, tier, band.floor + band.span * quality, field, False)


def _coverage(field: _Field, row: list[float]) -> float:
    """How much of a name the matched query words make up."""
    return min(1.0, sum(q > 0 for q in row) / field.length)


def _close_names(index: _Index, folded: str, allowed: set[int], found: dict[int, _Found]) -> None:
    """Records whose name is close to the whole query, typed without spaces."""
    key = folded.replace(" ", "")
    scoring = _SCORING
    if len(key) < scoring.fuzzy_min - 1:
        return
    from rapidfuzz import fuzz, process

    names, owners = index.single_names
    fuzzy = scoring.tiers[_FUZZY_TIER]
    for _, similarity, at in process.extract(
        key,
        names,
        scorer=fuzz.ratio,
        score_cutoff=scoring.close_name_min,
        limit=scoring.close_names,
    ):
        for e, f, _ in owners[at]:
            if e not in allowed:
                continue
            quality = scoring.close_similarity * similarity / 100 + scoring.close_base
            score = fuzzy.floor + fuzzy.span * quality
            current = found.get(e)
            if current is None or (current.tier == _FUZZY_TIER and current.score < score):
                found[e] = _Found(index.entry(e), _FUZZY_TIER, score, f, True)


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
    # Only the entries looked at were made: the positions of the records found are theirs.
    order = {id(entry.record): e for e, entry in _index(kb)._entries.items()}
    return {order[id(found.entry.record)]: found.score for found in ranked}


def _hit(found: _Found, matched_words: set[str]) -> Hit:
    """A ranked record as a Hit, with the matched words of its field located."""
    record = found.entry.record
    score, tier = round(found.score, 1), _SCORING.tiers[found.tier].name
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
