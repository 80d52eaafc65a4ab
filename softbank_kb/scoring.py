"""Every number search ranks by, each with what it means and why it has its value."""

from __future__ import annotations

from typing import NamedTuple


class Tier(NamedTuple):
    """A tier of hits: every hit of a tier ranks above every hit of the next."""

    name: str  # as a hit shows it
    floor: float  # the lowest score in the tier
    span: float  # how far above its floor the best record of the tier scores


# The tiers by position, as `_Found.tier` holds them.
EXACT_TIER, NAME_TIER, TEXT_TIER, FUZZY_TIER, PARTIAL_TIER = range(5)


class Scoring(NamedTuple):
    """Every number the ranking goes by: what it means, and why it has its value.

    A match of a query word has a quality from 0 to 1; a tier's score is its floor plus
    its span times a quality mixed from the shares below, each mix summing to 1.
    """

    # The tiers, best first; their score bands do not overlap, so a tier always wins.
    tiers: tuple[Tier, ...] = (
        Tier("exact", 97.0, 3.0),  # the whole query is a name, an alias or the id
        Tier("name_word", 70.0, 19.0),  # every word in a name
        Tier("text_word", 40.0, 29.0),  # every word somewhere in the record
        Tier("fuzzy", 10.0, 29.0),  # every word, one at least only as a typo
        Tier("partial", 0.0, 9.0),  # two thirds of the words or more
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


SCORING = Scoring()
# Organisations and people are what most searches are for; sources are rarely wanted.
TYPE_ORDER = ("organization", "person", "strategy", "deal", "event", "figure", "quote", "source")
