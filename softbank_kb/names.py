"""What a name means: the record it names, the records it could name, or did-you-mean.

A name is resolved on the search index and its ranking (`search.py`) restricted to
names: a name, alias or id given in full decides at once; else a name each word of
which is a word of the record's name (a form or a typo of one) or that starts the
record's name; else the names spelled close to it are suggested.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from softbank_kb.folding import fold, stems
from softbank_kb.index import Index, index_of, recovering
from softbank_kb.models import AnyRecord, KnowledgeBase
from softbank_kb.scoring import NAME_TIER, SCORING
from softbank_kb.search import (
    MAX_QUERY_LENGTH,
    Allowed,
    QueryError,
    _exact_names,
    _Found,
    _rank,
    _rank_order,
    _validated,
)


@dataclass(frozen=True)
class Resolution:
    """What a name means: one record when it is clearly best; or the records it could
    mean, several of them matching it equally; or, when it names none, the few whose
    names are spelled close to it."""

    record: AnyRecord | None
    candidates: tuple[AnyRecord, ...] = ()
    nearest: tuple[AnyRecord, ...] = ()


@recovering
def resolve(
    kb: KnowledgeBase, name: str, types: Collection[str] = ("person", "organization")
) -> Resolution:
    """The record a name means, or the closest candidates when it is not clear."""
    try:
        folded = _validated(name)
    except QueryError:
        return Resolution(None, ())
    index = index_of(kb)
    allowed = Allowed(index, types)
    # A name, alias or id given in full is decided among the records so named alone:
    # ranking every other record (and the typo search it takes) could not change it.
    exact = sorted(_exact_names(index, folded, allowed).values(), key=_rank_order)
    chosen = _chosen(exact)
    if chosen is not None:
        return Resolution(chosen.entry.record, ())
    ranked, _, _ = _rank(index, folded, types, names_only=True)
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

    ids = kb.record_ids()
    folded_ids = [fold(record_id) for record_id in ids]
    found = process.extract(folded, folded_ids, scorer=fuzz.WRatio, score_cutoff=70, limit=limit)
    return [ids[at] for _, _, at in found]
