"""Ranked search over every text field of the knowledge base, and what a name means."""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from softbank_kb.folding import _fold_with_offsets, fold, stems
from softbank_kb.index import Entry, Field, Index, field_text, index_of
from softbank_kb.models import AnyRecord, KnowledgeBase
from softbank_kb.scoring import (
    EXACT_TIER,
    FUZZY_TIER,
    NAME_TIER,
    PARTIAL_TIER,
    SCORING,
    TEXT_TIER,
)

if TYPE_CHECKING:
    from softbank_kb.lexicon import Lexicon

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


# Matching words ---------------------------------------------------------------------------


def word_matches(index: Index, word: str, typos: bool = True) -> dict[str, float]:
    """What a query word matches (words, or two-word phrases), with the quality of each."""
    has = index.has_word
    matches: dict[str, float] = {}
    if has(word):
        matches[word] = SCORING.exact
    for cut in range(2, len(word) - 1) if len(word) >= SCORING.compound_min else ():
        # `healthcare` is also found as `health care`.
        if has(word[:cut]) and has(word[cut:]):
            matches.setdefault(f"{word[:cut]} {word[cut:]}", SCORING.exact)
    if len(word) <= SCORING.short:
        return matches
    if word.isalpha():
        # A form in the same language's stem: `robot` ~ `robots`, `pertes` ~ `perte`.
        for stem in stems(word):
            for form in index.stem_forms(stem):
                matches.setdefault(form, SCORING.stem)
    for end in range(max(SCORING.short + 1, len(word) - 2), len(word)):
        if has(word[:end]):
            matches.setdefault(word[:end], SCORING.suffixed)
    for other in index.words_after(word, SCORING.max_completions):
        if not other.startswith(word):
            break
        matches.setdefault(other, SCORING.prefix)
    if typos and word.isalpha() and len(word) >= SCORING.fuzzy_min:
        # Even a word found as typed may be a misspelling of another: `centers`, `centres`.
        for other, quality in _typo_matches(index, word).items():
            matches.setdefault(other, quality)
    return matches


def _typo_matches(index: Index, word: str) -> dict[str, float]:
    """Words one typo away from `word`, or two from 8 letters on; a swap is one typo."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    edits = 1 if len(word) < SCORING.two_typos_from else 2
    found = process.extract(
        word, index.typo_vocabulary, scorer=OSA.distance, score_cutoff=edits, limit=None
    )
    return {other: SCORING.typo - SCORING.per_typo * distance for other, distance, _ in found}


def _query_matches(index: Index, words: list[str], lexicon: Lexicon) -> list[dict[str, float]]:
    """For each slot of the query, what it matches, through the lexicon and neighbours."""
    slots = query_slots(words, lexicon)
    matches = [_slot_matches(index, slot) for slot in slots]
    for at, (first, second) in enumerate(itertools.pairwise(slots)):
        if len(first.words) != 1 or len(second.words) != 1:
            continue
        # `soft bank` is also found as `softbank`.
        joined = first.words[0] + second.words[0]
        for other, quality in word_matches(index, joined, typos=False).items():
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


def query_slots(words: list[str], lexicon: Lexicon, keep_stopwords: bool = False) -> list[Slot]:
    """The folded words of a query as slots: lexicon phrases grouped, stop words left out.

    A stop word or question word is left out only when something else is left.
    """
    found = lexicon
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
    if len(word) <= SCORING.short or not word.isalpha():
        return ()

    concepts: list[Any] = []
    for stem in stems(word):
        for term in stemmed.get(stem, ()):
            for concept in phrases[term]:
                if concept not in concepts:
                    concepts.append(concept)
    return tuple(concepts)


def _slot_matches(index: Index, slot: Slot) -> dict[str, float]:
    """What one slot matches: its own word or phrase, and every term of its concepts."""
    if len(slot.words) == 1:
        matches = word_matches(index, slot.words[0])
    else:
        matches = {" ".join(slot.words): SCORING.exact}
    for concept in slot.concepts:
        for expansion in _expansions(concept):
            # A term of the slot's own length may name a record (`data centres` for
            # `data centers`); a word for a phrase only says what it is about.
            kind = float if expansion.count(" ") + 1 == len(slot.words) else _Lexical
            if " " in expansion:
                matches.setdefault(expansion, kind(SCORING.concept))
                continue
            for other, quality in word_matches(index, expansion, typos=False).items():
                if matches.get(other, 0.0) < min(quality, SCORING.concept):
                    matches[other] = kind(min(quality, SCORING.concept))
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

    entry: Entry
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
    index: Index,
    folded: str,
    types: Collection[str] | None,
    names_only: bool,
    lexicon: Lexicon,
    among: Collection[int] | None = None,
    limit: int | None = None,
) -> tuple[list[_Found], list[dict[str, float]], int]:
    """The records the folded query finds, best first, what each query word matched, and
    how many records it finds in all. With a `limit`, only the ranking's first `limit`
    are sure to be there: a record that cannot reach them may be counted, not ranked."""
    allowed = Allowed(index, types, among)
    found = _exact_names(index, folded, allowed)
    words = list(dict.fromkeys(folded.split()))
    matches = _query_matches(index, words, lexicon)
    # Padded, so that `ai` is found as a word and not inside `paid`.
    padded = [{f" {m} ": q for m, q in word_matches.items()} for word_matches in matches]
    having = _Having(index, matches, names_only)
    unranked: set[int] = set()
    if all(matches):
        # The word with the fewest forms first; each next one is looked for only among
        # the records found for those before it.
        order = sorted(range(len(matches)), key=lambda at: len(matches[at]))
        common = set(having[order[0]])
        for at in order[1:]:
            common = having.among(at, common)
        hits = sorted(e for e in common if e not in found and e in allowed)
        if limit is not None and not names_only and len(hits) > limit * _PRUNE_FACTOR:
            named = _named(index, matches, order, hits)
            _judge_all(index, named, found, padded, folded, names_only)
            if _page_beats(found, limit, _unnamed_bound(matches)):
                unranked = {e for e in hits if e not in found}
            hits = [e for e in hits if e not in found and e not in unranked]
        _judge_all(index, hits, found, padded, folded, names_only)
    if not names_only and len(matches) >= SCORING.partial_min_words:
        _partial_matches(index, padded, having, folded, allowed, found, unranked)
    close = _close_names(index, folded, allowed)
    # A name close to the query may lift a record counted but not ranked: ranked after all.
    lifted = sorted(e for e, _, _ in close if e in unranked)
    unranked.difference_update(lifted)
    _judge_all(index, lifted, found, padded, folded, names_only)
    _lift_close_names(index, close, found)
    ranked = sorted(found.values(), key=_rank_order)
    return ranked, matches, len(found) + len(unranked)


# A page of hits this many times over among the records every word is in: worth judging
# first only those whose names have every word, which may fill the page by themselves.
_PRUNE_FACTOR = 4


def _unnamed_bound(matches: list[dict[str, float]]) -> tuple[int, float]:
    """The best tier and score a record could be judged to have (`_judge`'s sums, each
    share at its most) when a query word is in none of its names: never the name tier,
    and at most all but one word counted as named."""
    scoring = SCORING
    count = len(matches)
    best = [max(word_matches.values()) for word_matches in matches]
    exactness = sum(best) / count
    concentration = exactness * max(scoring.fields.values())
    named = (count - 1) / count
    if all(q >= scoring.word_min for q in best):
        quality = scoring.text_concentration * concentration + scoring.text_exactness * exactness
        quality += scoring.text_phrase + scoring.text_named * named + scoring.text_shortness
        tier = TEXT_TIER
    else:
        quality = scoring.fuzzy_exactness * exactness + scoring.fuzzy_named * named
        quality += scoring.fuzzy_concentration * concentration
        tier = FUZZY_TIER
    band = scoring.tiers[tier]
    return tier, band.floor + band.span * quality


def _page_beats(found: dict[int, _Found], limit: int, bound: tuple[int, float]) -> bool:
    """Whether `limit` records found rank strictly above any record of at most `bound`."""
    if len(found) < limit:
        return False
    if limit == 0:
        return True
    last = sorted(found.values(), key=_rank_order)[limit - 1]
    tier, score = bound
    return last.tier < tier or (last.tier == tier and last.score > score)


def _named(
    index: Index, matches: list[dict[str, float]], order: list[int], hits: list[int]
) -> list[int]:
    """The hits whose names have every query word: only they can be in the name tier."""
    names = _Having(index, matches, True)
    named = set(names[order[0]])
    for at in order[1:]:
        named = names.among(at, named)
    return [e for e in hits if e in named]


def _judge_all(
    index: Index,
    hits: list[int],
    found: dict[int, _Found],
    padded: list[dict[str, float]],
    folded: str,
    names_only: bool,
) -> None:
    index.prefetch(hits)
    for e in hits:
        found[e] = _judge(index.entry(e), padded, folded, names_only)


class Allowed:
    """The positions a ranking may find: those given, or those of records of some types."""

    def __init__(
        self, index: Index, types: Collection[str] | None, among: Collection[int] | None = None
    ) -> None:
        self._among = None if among is None else set(among)
        self._kinds = None if types is None or among is not None else set(types)
        self._types = index.types if self._kinds is not None else []

    def __contains__(self, e: object) -> bool:
        if self._among is not None:
            return e in self._among
        return self._kinds is None or self._types[e] in self._kinds  # type: ignore[index]


class _Having:
    """For each query word, the records that have any of its matches: read once, when asked."""

    def __init__(self, index: Index, matches: list[dict[str, float]], names: bool) -> None:
        self._index = index
        self._matches = matches
        self._names = names
        self._found: dict[int, set[int]] = {}

    def __getitem__(self, at: int) -> set[int]:
        found = self._found.get(at)
        if found is None:
            found = self._found[at] = self.among(at, None)
        return found

    def among(self, at: int, within: set[int] | None) -> set[int]:
        """The records among `within` (or all) that have any match of query word `at`."""
        if within is not None and at in self._found:
            return self._found[at] & within
        found: set[int] = set()
        for match in self._matches[at]:
            found |= self._index.having(match, self._names, within)
        return found


def _partial_matches(
    index: Index,
    padded: list[dict[str, float]],
    having: _Having,
    folded: str,
    allowed: Allowed,
    found: dict[int, _Found],
    unranked: set[int],
) -> None:
    """Records that miss a word of a long query but match at least two thirds of them
    (not those every word found, ranked or counted already)."""
    count = len(padded)
    need = -(-2 * count // 3)
    words = Counter(e for at in range(count) for e in having[at])
    partial = sorted(
        e
        for e, n in words.items()
        if n >= need and e not in found and e not in unranked and e in allowed
    )
    index.prefetch(partial)
    for e in partial:
        present = [padded[at] for at in range(count) if e in having[at]]
        judged = _judge(index.entry(e), present, folded, False)
        tier, scoring = SCORING.tiers[PARTIAL_TIER], SCORING
        score = (
            tier.span
            * len(present)
            / count
            * (scoring.partial_base + judged.score / scoring.partial_judged)
        )
        found[e] = _Found(judged.entry, PARTIAL_TIER, score, judged.field, False)


def _rank_order(found: _Found) -> tuple[int, float, tuple[int, str]]:
    """Best tier first, then best score, then by type and id."""
    return (found.tier, -found.score, found.entry.order)


def _exact_names(index: Index, folded: str, allowed: Allowed) -> dict[int, _Found]:
    """Records whose name, alias or id is the whole query."""
    found: dict[int, _Found] = {}
    for key, spaceless in ((folded, False), (folded.replace(" ", ""), True)):
        for e, f, joined in index.name_owners(key):
            if e in found or e not in allowed:
                continue
            if spaceless or joined:
                score = SCORING.exact_spaceless
            else:
                score = SCORING.exact_name if f >= 0 else SCORING.exact_id
            found[e] = _Found(index.entry(e), EXACT_TIER, score, f, True)
    return found


def _field_rows(
    entry: Entry, padded: list[dict[str, float]], names: bool
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


def _judge(entry: Entry, padded: list[dict[str, float]], folded: str, names_only: bool) -> _Found:
    """The tier and score of a record every query word matched somewhere."""
    scoring = SCORING
    name_rows = _field_rows(entry, padded, True)
    rows = name_rows if names_only else _field_rows(entry, padded, False)
    fields = entry.fields
    count = len(padded)
    if not rows:  # only the lexicon found it, in a name
        return _Found(entry, FUZZY_TIER, scoring.tiers[FUZZY_TIER].floor, 0, False)
    in_names = [max((row[i] for row in name_rows.values()), default=0.0) for i in range(count)]
    anywhere = [max(row[i] for row in rows.values()) for i in range(count)]
    exactness = sum(anywhere) / count
    if all(q >= scoring.word_min for q in in_names):
        best = max(name_rows, key=lambda f: (_coverage(fields[f], name_rows[f]), -f))
        quality = scoring.name_coverage * _coverage(fields[best], name_rows[best])
        quality += scoring.name_exactness * exactness
        return _scored(entry, NAME_TIER, quality, best)

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
        return _scored(entry, TEXT_TIER, quality, best)
    named = sum(q > 0 for q in in_names) / count
    quality = scoring.fuzzy_exactness * exactness + scoring.fuzzy_named * named
    quality += scoring.fuzzy_concentration * concentration
    return _scored(entry, FUZZY_TIER, quality, best)


def _scored(entry: Entry, tier: int, quality: float, field: int) -> _Found:
    """A record in `tier`, scored by a quality from 0 to 1."""
    band = SCORING.tiers[tier]
    return _Found(entry, tier, band.floor + band.span * quality, field, False)


def _coverage(field: Field, row: list[float]) -> float:
    """How much of a name the matched query words make up."""
    return min(1.0, sum(q > 0 for q in row) / field.length)


def _close_names(index: Index, folded: str, allowed: Allowed) -> list[tuple[int, int, float]]:
    """Records whose name is close to the whole query, typed without spaces: (position,
    field, similarity) of each."""
    key = folded.replace(" ", "")
    scoring = SCORING
    if len(key) < scoring.fuzzy_min - 1:
        return []
    from rapidfuzz import fuzz, process

    names = index.single_names
    close = []
    for _, similarity, at in process.extract(
        key,
        names,
        scorer=fuzz.ratio,
        score_cutoff=scoring.close_name_min,
        limit=scoring.close_names,
    ):
        close += [(e, f, similarity) for e, f, _ in index.name_owners(names[at]) if e in allowed]
    return close


def _lift_close_names(
    index: Index, close: list[tuple[int, int, float]], found: dict[int, _Found]
) -> None:
    """Find the records of close names, or lift those only typos found to their score."""
    scoring = SCORING
    fuzzy = scoring.tiers[FUZZY_TIER]
    for e, f, similarity in close:
        quality = scoring.close_similarity * similarity / 100 + scoring.close_base
        score = fuzzy.floor + fuzzy.span * quality
        current = found.get(e)
        if current is None or (current.tier == FUZZY_TIER and current.score < score):
            found[e] = _Found(index.entry(e), FUZZY_TIER, score, f, True)


# Public API -------------------------------------------------------------------------------


class Hits(list[Hit]):
    """The hits a search shows, best first, and how many records it found in all."""

    def __init__(self, hits: list[Hit], found: int) -> None:
        super().__init__(hits)
        self.found = found


def search(
    kb: KnowledgeBase,
    query: str,
    types: Collection[str] | None = None,
    limit: int = 20,
    index: Index | None = None,
    lexicon: Lexicon | None = None,
) -> Hits:
    """The records that match a query, best first, one hit per record (docs/search.md).

    Without `index` or `lexicon`, the index is built from `kb` and the package's lexicon read.
    """
    folded = _validated(query)
    index = index_of(kb) if index is None else index
    ranked, matches, count = _rank(
        index, folded, types, False, or_package(lexicon), limit=max(limit, 0)
    )
    shown = ranked[: max(limit, 0)]
    index.prefetch_records([found.entry.position for found in shown])
    # The whole query too, so that `AI-RAN` is lit as one, hyphen included.
    matched = {folded, *(phrase for word_matches in matches for phrase in word_matches)}
    return Hits([_hit(found, matched) for found in shown], count)


def scores_among(
    index: Index, query: str, among: Collection[int], lexicon: Lexicon
) -> dict[int, float]:
    """The search score of each record at the given positions that the query finds."""
    folded = _validated(query)
    ranked, _, _ = _rank(index, folded, None, False, lexicon, among=among)
    return {found.entry.position: found.score for found in ranked}


def or_package(lexicon: Lexicon | None) -> Lexicon:
    """`lexicon`, or the package's own where none is given."""
    if lexicon is not None:
        return lexicon
    from softbank_kb.lexicon import package_lexicon

    return package_lexicon()


def _hit(found: _Found, matched_words: set[str]) -> Hit:
    """A ranked record as a Hit, with the matched words of its field located."""
    record = found.entry.record
    score, tier = round(found.score, 1), SCORING.tiers[found.tier].name
    if found.field < 0:
        return Hit(record, score, tier, "id", record.id, ((0, len(record.id)),))
    path, text = found.entry.fields[found.field].path, field_text(found.entry, found.field)
    spans = ((0, len(text)),) if found.whole else _spans(text, matched_words)
    return Hit(record, score, tier, path, text, spans)


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


# What a name means ------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """What a name means: one record when it is clearly best; or the records it could
    mean, several of them matching it equally; or, when it names none, the few whose
    names are spelled close to it."""

    record: AnyRecord | None
    candidates: tuple[AnyRecord, ...] = ()
    nearest: tuple[AnyRecord, ...] = ()


def resolve(
    kb: KnowledgeBase,
    name: str,
    types: Collection[str] = ("person", "organization"),
    index: Index | None = None,
    lexicon: Lexicon | None = None,
) -> Resolution:
    """The record a name means, or the closest candidates when it is not clear."""
    try:
        folded = _validated(name)
    except QueryError:
        return Resolution(None, ())
    index = index_of(kb) if index is None else index
    allowed = Allowed(index, types)
    # A name, alias or id given in full is decided among the records so named alone:
    # ranking every other record (and the typo search it takes) could not change it.
    exact = sorted(_exact_names(index, folded, allowed).values(), key=_rank_order)
    chosen = _chosen(exact)
    if chosen is not None:
        return Resolution(chosen.entry.record, ())
    ranked, _, _ = _rank(index, folded, types, True, or_package(lexicon))
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
    """Whether `folded` names the one folded name: its start, it spaceless, or its words."""
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
    if len(word) <= SCORING.short or not word.isalpha():
        return False
    from rapidfuzz.distance import OSA

    own = set(stems(word))
    edits = 1 if len(word) < SCORING.two_typos_from else 2
    return any(
        own & set(stems(other)) or OSA.distance(word, other, score_cutoff=edits) <= edits
        for other in words
        if other.isalpha()
    )


def _name_starts(index: Index, folded: str, allowed: Allowed) -> list[_Found]:
    """Records a name or alias of which starts with `folded`, shortest name first."""
    if len(folded) < _NAME_START_MIN:
        return []
    shortest: dict[int, int] = {}
    for e, name in index.names_starting(folded):
        if e in allowed:
            shortest[e] = min(shortest.get(e, len(name)), len(name))
    # Scored so that `_chosen` tells one record from several.
    found = [
        _Found(index.entry(e), NAME_TIER, 50.0 - size / 100, -1, True)
        for e, size in shortest.items()
    ]
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


def _nearest_names(index: Index, folded: str, types: Collection[str]) -> tuple[AnyRecord, ...]:
    """The few records with a name, or a word of a name, loosely like the query."""
    names: list[str] = []
    owners: list[int] = []
    for e, name in index.names_of(types):
        # Whole names, and their words: `Miyakwa` is near `Miyakawa`, not `Junichi Miyakawa`.
        for candidate in dict.fromkeys((name, *name.split())):
            if len(candidate) > SCORING.short:
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


def closest_ids(kb: KnowledgeBase, text: str, limit: int = 5) -> list[str]:
    """The ids most like `text`, for "did you mean" after an unknown id."""
    folded = fold(text[:MAX_QUERY_LENGTH])
    if not folded or limit < 1:
        return []
    from rapidfuzz import fuzz, process

    ids = kb.record_ids()
    folded_ids = [fold(record_id) for record_id in ids]
    found = process.extract(folded, folded_ids, scorer=fuzz.WRatio, score_cutoff=70, limit=limit)
    return [ids[at] for _, _, at in found]
