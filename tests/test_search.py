"""Search, name resolution and folding against the bundled knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from softbank_kb.folding import fold
from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import KnowledgeBase
from softbank_kb.paths import bundled_data_dir
from softbank_kb.search import MAX_QUERY_LENGTH, QueryError, closest_ids, resolve, search

CASES_FILE = Path(__file__).parent / "search_cases.yaml"
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """The bundled knowledge base, loaded once for the module."""
    return load_knowledge_base(bundled_data_dir())


def _case_id(case: dict) -> str:
    expected = case.get("top") or case.get("in_top3")
    where = f"[{case['type']}]" if "type" in case else ""
    return f"{case['query']}{where}->{expected}"


# The table ----------------------------------------------------------------------------------


def test_table_is_well_formed(kb: KnowledgeBase) -> None:
    assert len(CASES) >= 35
    for case in CASES:
        assert set(case) <= {"query", "top", "in_top3", "type"}, case
        assert ("top" in case) != ("in_top3" in case), case
        expected = case.get("top") or case.get("in_top3")
        assert kb.get(expected) is not None, f"{CASES_FILE.name}: no record has id {expected!r}"
    assert len({_case_id(case) for case in CASES}) == len(CASES), "duplicate rows"


@pytest.mark.parametrize("case", [pytest.param(case, id=_case_id(case)) for case in CASES])
def test_search_case(kb: KnowledgeBase, case: dict) -> None:
    types = [case["type"]] if "type" in case else None
    hits = search(kb, case["query"], types=types, limit=10)
    found = [hit.record.id for hit in hits]
    if "top" in case:
        assert found[:1] == [case["top"]], found
    else:
        assert case["in_top3"] in found[:3], found


# Hits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["chips", "Son", "grafcore", "tempus healthcare", "AI-RAN"])
def test_hits_are_ranked_by_tier_then_score(kb: KnowledgeBase, query: str) -> None:
    hits = search(kb, query, limit=50)
    tiers = ["exact", "name_word", "text_word", "fuzzy"]
    keys = [(tiers.index(hit.tier), -hit.score) for hit in hits]
    assert keys == sorted(keys)
    assert all(0 <= hit.score <= 100 for hit in hits)
    assert len({hit.record.id for hit in hits}) == len(hits), "one hit per record"


def test_search_is_stable(kb: KnowledgeBase) -> None:
    first = [hit.record.id for hit in search(kb, "SoftBank", limit=100)]
    assert first == [hit.record.id for hit in search(kb, "SoftBank", limit=100)]


def test_limit_and_types(kb: KnowledgeBase) -> None:
    assert len(search(kb, "softbank", limit=3)) == 3
    assert search(kb, "softbank", limit=0) == []
    hits = search(kb, "softbank", types=["quote", "figure"], limit=100)
    assert hits
    assert {hit.record.type for hit in hits} <= {"quote", "figure"}
    assert search(kb, "softbank", types=[]) == []


def test_exact_name_hit(kb: KnowledgeBase) -> None:
    hit = search(kb, "huang renxun")[0]
    assert (hit.record.id, hit.tier, hit.score) == ("jensen-huang", "exact", 100.0)
    assert hit.field == "aliases[0]"
    assert hit.text == "Huang Renxun"
    assert hit.spans == ((0, len("Huang Renxun")),)


@pytest.mark.parametrize(
    ("query", "highlighted"),
    [
        pytest.param("AI-RAN", "AI-RAN", id="hyphen-inside-span"),
        pytest.param("sous-évaluée", "sous-évaluée", id="accents-in-original"),
        pytest.param("sous evaluee", "sous-évaluée", id="accents-in-text-only"),
        pytest.param("cry together", "cry together", id="phrase"),
    ],
)
def test_spans_point_into_the_original_text(
    kb: KnowledgeBase, query: str, highlighted: str
) -> None:
    hit = search(kb, query)[0]
    assert highlighted in [hit.text[start:end] for start, end in hit.spans]


def test_every_span_is_a_match(kb: KnowledgeBase) -> None:
    for query in ("puces", "humanoid robots", "5G", "Masa", "data centers", "grafcore"):
        for hit in search(kb, query):
            assert hit.spans, (query, hit.record.id)
            for start, end in hit.spans:
                assert 0 <= start < end <= len(hit.text)
                assert fold(hit.text[start:end]), (query, hit.record.id, hit.text[start:end])


def test_short_tokens_match_whole_words_only(kb: KnowledgeBase) -> None:
    for hit in search(kb, "5G", limit=100):
        assert "5g" in fold(" ".join(hit.text[start:end] for start, end in hit.spans))
    # `ran` is a word of `AI-RAN`, never a part of `garantie` or `transparent`.
    for hit in search(kb, "ran", limit=100):
        assert all(fold(hit.text[start:end]) == "ran" for start, end in hit.spans), hit


def test_all_words_must_match(kb: KnowledgeBase) -> None:
    assert search(kb, "graphcore zzzzqqq") == []


# Queries that cannot be searched ------------------------------------------------------------

HOSTILE = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="spaces"),
    pytest.param("\t\n", id="whitespace"),
    pytest.param("!!!", id="punctuation"),
    pytest.param("\x00\x1b[31m", id="control-characters"),
    pytest.param("\x00\x01\x02", id="only-control-characters"),
    pytest.param("a" * 10_000, id="10000-characters"),
    pytest.param("a " * 500, id="500-words"),
    pytest.param("🤖", id="emoji"),
    pytest.param("'; DROP TABLE", id="sql"),
    pytest.param("\u0301", id="lone-combining-mark"),
    pytest.param("\ud800", id="lone-surrogate"),
    pytest.param("孫正義", id="cjk"),
    pytest.param("ｓｏｆｔｂａｎｋ", id="fullwidth"),
    pytest.param("[bold red]x[/]", id="rich-markup"),
    pytest.param("%s %d {0} ${x}", id="format-strings"),
    pytest.param(".*+?(", id="regex-metacharacters"),
    pytest.param("\u202egnabtfos", id="bidi-override"),
]


@pytest.mark.parametrize("query", HOSTILE)
def test_no_query_raises_anything_but_query_error(kb: KnowledgeBase, query: str) -> None:
    try:
        hits = search(kb, query)
    except QueryError as error:
        assert str(error)
    else:
        assert isinstance(hits, list)
    # Resolution and suggestions answer every string without raising.
    resolution = resolve(kb, query)
    assert resolution.record is None or not resolution.candidates
    assert isinstance(closest_ids(kb, query), list)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   ", "empty", id="spaces"),
        pytest.param("!!!", "no letters or digits", id="punctuation"),
        pytest.param("🤖", "no letters or digits", id="emoji"),
        pytest.param("\u0301", "no letters or digits", id="lone-combining-mark"),
        pytest.param("a" * 10_000, "10,000 characters", id="too-long"),
        pytest.param("a" * (MAX_QUERY_LENGTH + 1), "limit is 1,000", id="one-too-long"),
    ],
)
def test_query_error_says_why(kb: KnowledgeBase, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        search(kb, query)


def test_query_of_the_longest_length_is_searched(kb: KnowledgeBase) -> None:
    assert isinstance(search(kb, "a" * MAX_QUERY_LENGTH), list)


def test_query_error_is_a_value_error() -> None:
    assert issubclass(QueryError, ValueError)


# Name resolution ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("masayoshi-son", "masayoshi-son", id="id"),
        pytest.param("Masa", "masayoshi-son", id="alias"),
        pytest.param("Son", "masayoshi-son", id="alias-son"),
        pytest.param("Huang Renxun", "jensen-huang", id="alias-two-words"),
        pytest.param("jensen hwang", "jensen-huang", id="typo"),
        pytest.param("Huang", "jensen-huang", id="name-word"),
        pytest.param("Goto", "yoshimitsu-goto", id="surname"),
        pytest.param("grafcore", "graphcore", id="typo-grafcore"),
        pytest.param("soft bank", "softbank-group", id="spaced"),
        pytest.param("SoftBank", "softbank-group", id="alias-softbank"),
        pytest.param("Open AI", "openai", id="spaced-openai"),
        pytest.param("ampère", "ampere", id="accent"),
        pytest.param("Gogle", "google", id="typo-google"),
        pytest.param("tempus", "tempus-ai", id="first-word"),
    ],
)
def test_resolve_clear_best(kb: KnowledgeBase, name: str, expected: str) -> None:
    resolution = resolve(kb, name)
    assert resolution.record is not None, resolution.candidates
    assert resolution.record.id == expected
    assert resolution.candidates == ()


def test_resolve_ambiguous_gives_candidates(kb: KnowledgeBase) -> None:
    # Two joint ventures, neither of them named "joint venture".
    resolution = resolve(kb, "joint venture", ("organization",))
    assert resolution.record is None
    ids = [record.id for record in resolution.candidates]
    assert {
        "cristal-intelligence-joint-venture",
        "softbank-tempus-ai-healthcare-joint-venture",
    } <= set(ids)
    assert len(ids) <= 5


def test_resolve_nothing_near(kb: KnowledgeBase) -> None:
    assert resolve(kb, "zzzzqqq").record is None
    assert resolve(kb, "zzzzqqq").candidates == ()
    assert resolve(kb, "").candidates == ()


def test_resolve_near_miss_suggests(kb: KnowledgeBase) -> None:
    resolution = resolve(kb, "Goot", ("person",))
    assert resolution.record is None
    assert [record.id for record in resolution.nearest] == ["yoshimitsu-goto"]
    assert resolution.candidates == ()


def test_resolve_keeps_to_its_types(kb: KnowledgeBase) -> None:
    resolution = resolve(kb, "Son", ("person",))
    assert resolution.record is not None
    assert resolution.record.id == "masayoshi-son"
    assert resolve(kb, "Son", ("organization",)).record is None
    assert resolve(kb, "Nvidia", ("person",)).record is None
    strategy = resolve(kb, "asi-dimension-ai-chips", ("strategy",)).record
    assert strategy is not None
    assert strategy.id == "asi-dimension-ai-chips"


def test_closest_ids(kb: KnowledgeBase) -> None:
    assert closest_ids(kb, "ampere-acquisiton")[0] == "ampere-acquisition"
    assert closest_ids(kb, "grafcore") == ["graphcore"]
    assert len(closest_ids(kb, "nvidia", limit=2)) == 2
    assert closest_ids(kb, "") == []
    assert closest_ids(kb, "!!!") == []


# Folding ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        pytest.param("Ampère", "ampere", id="accent"),
        pytest.param("humanoïdes", "humanoides", id="diaeresis"),
        pytest.param("Énergie", "energie", id="capital-accent"),
        pytest.param("AI-RAN", "ai ran", id="hyphen"),
        pytest.param("5G/6G", "5g 6g", id="slash"),
        pytest.param("l’IA", "l ia", id="typographic-apostrophe"),
        pytest.param("l'IA", "l ia", id="ascii-apostrophe"),
        pytest.param("‘sous-évaluée’", "sous evaluee", id="typographic-quotes"),
        pytest.param("«\u00a0Puces\u00a0»", "puces", id="guillemets-nbsp"),
        pytest.param("super—distribuée…", "super distribuee", id="dash-ellipsis"),
        pytest.param("  Soft\t\nBank  ", "soft bank", id="whitespace"),
        pytest.param("manœuvres", "manoeuvres", id="ligature"),
        pytest.param("Straße", "strasse", id="eszett"),
        pytest.param("ＡＩ", "ai", id="fullwidth"),
        pytest.param("e\u0301", "e", id="combining-accent"),
        pytest.param("a\x00b\x1b", "ab", id="control-characters-removed"),
        pytest.param("zero\u200bwidth", "zerowidth", id="format-character-removed"),
        pytest.param("🤖", "", id="emoji"),
        pytest.param("", "", id="empty"),
        pytest.param("孫正義", "孫正義", id="cjk-kept"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_agrees_with_itself_on_the_whole_kb(kb: KnowledgeBase) -> None:
    # The fast path of fold() must give what folding character by character gives,
    # or highlighted spans would drift.
    from softbank_kb.folding import _fold_with_offsets

    for record in kb.records():
        for text in (record.label, *(c.excerpt for c in getattr(record, "citations", ()))):
            assert fold(text) == _fold_with_offsets(text)[0], text
