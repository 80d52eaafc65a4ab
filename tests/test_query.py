"""The pure filters of query.py, called on the bundled knowledge base: no CLI, no rendering."""

from __future__ import annotations

import pytest

from softbank_kb import query
from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import KnowledgeBase, parse_date
from softbank_kb.paths import bundled_data_dir


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(bundled_data_dir())


def _ids(records: list) -> list[str]:
    return [record.id for record in records]


def test_a_cumulative_total_counts_for_each_year_it_spans(kb: KnowledgeBase) -> None:
    # "a total of ... since September 2024", in an article of 2025: 2024 and 2025.
    total = kb.get("openai-investment-2024-cumulative")
    assert list(query.deal_years(kb, total)) == [2024, 2025]
    assert total in query.find_deals(kb, years={2024})
    assert total in query.find_deals(kb, years={2025})
    assert total not in query.find_deals(kb, years={2023})


def test_a_company_counts_its_subsidiaries_deals(kb: KnowledgeBase) -> None:
    group = query.company_group(kb, "softbank-group")
    assert {"softbank-corp", "vision-fund-2", "arm", "graphcore"} <= group
    assert "nvidia" not in group
    group_deals = set(_ids(query.find_deals(kb, company="softbank-group")))
    corp_deals = set(_ids(query.find_deals(kb, company="softbank-corp")))
    assert corp_deals and corp_deals <= group_deals


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kinds": {"acquisition"}}, {"ampere-acquisition", "graphcore-acquisition"}),
        ({"years": {2017}, "company": "nvidia"}, {"nvidia-stake-purchase-2017"}),
        ({"years": {1990}}, set()),
    ],
    ids=["kind", "year-and-company", "no-year"],
)
def test_deal_filters(kb: KnowledgeBase, filters: dict, expected: set[str]) -> None:
    assert set(_ids(query.find_deals(kb, **filters))) >= expected
    if not expected:
        assert query.find_deals(kb, **filters) == []


def test_a_minimum_compares_within_one_currency_or_through_a_stated_conversion(
    kb: KnowledgeBase,
) -> None:
    converted = kb.get("softbank-japanese-llm-compute-investment")
    assert converted.amount.currency != "EUR"
    assert query.through_conversion(converted, "EUR") is not None
    in_euros = query.find_deals(kb, min_amount=1, currency="EUR")
    assert converted in in_euros
    # Never across currencies: no deal is stated in, or converted to, GBP.
    assert query.find_deals(kb, min_amount=1, currency="GBP") == []


def test_dated_deal_years_are_the_years_of_dated_deals(kb: KnowledgeBase) -> None:
    years = query.dated_deal_years(kb)
    assert years == sorted(years)
    assert set(years) == {deal.date.year for deal in kb.deals if deal.date}


@pytest.mark.parametrize(
    ("min_amount", "currency", "expected"),
    [
        (None, None, (None, None)),
        ((1e9, "USD"), None, (1e9, "USD")),
        ((1e9, None), "EUR", (1e9, "EUR")),
        ((1e9, "USD"), "USD", (1e9, "USD")),
    ],
)
def test_minimum_in_currency(min_amount, currency, expected) -> None:
    assert query.minimum_in_currency(min_amount, currency) == expected


@pytest.mark.parametrize(
    ("min_amount", "currency", "message"),
    [
        (None, "USD", "--currency goes with --min-amount"),
        ((1e9, "EUR"), "USD", "--min-amount is in EUR but --currency says USD"),
        ((1e9, None), None, "--min-amount needs a currency"),
    ],
)
def test_minimum_in_currency_refuses(min_amount, currency, message: str) -> None:
    with pytest.raises(query.FilterError, match=message):
        query.minimum_in_currency(min_amount, currency)


def test_quotes_about_an_entity_or_words(kb: KnowledgeBase) -> None:
    about_nvidia = query.find_quotes(kb, about="nvidia")
    assert about_nvidia
    # Mentioned by id, or by the word: every one names Nvidia one way or the other.
    for found in about_nvidia:
        said = f"{found.text} {found.text_en} {found.context or ''}".lower()
        assert "nvidia" in found.mentions or "nvidia" in said
    # A word's other forms count ("robots" finds "robot"), a short word only as itself.
    assert query.find_quotes(kb, about="robots")
    assert query.find_quotes(kb, about="zzzz") == []


def test_quotes_by_speaker_are_in_date_order(kb: KnowledgeBase) -> None:
    found = query.find_quotes(kb, speaker="masayoshi-son")
    assert found and {q.speaker for q in found} == {"masayoshi-son"}
    # ISO dates of any precision sort as text, a year before its months.
    dates = [q.date.value for q in found if q.date]
    assert dates == sorted(dates)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("2024", range(2024, 2025)), ("2024..2025", range(2024, 2026)), (" 2017 ", range(2017, 2018))],
)
def test_parse_years(spec: str, expected: range) -> None:
    assert query.parse_years(spec) == expected


@pytest.mark.parametrize("spec", ["24", "2025..2024", "twenty", "2024..", ""])
def test_parse_years_refuses(spec: str) -> None:
    with pytest.raises(ValueError):
        query.parse_years(spec)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("1e9", (1e9, None)),
        ("10e9USD", (10e9, "USD")),
        ("10bn USD", (10e9, "USD")),
        ("8 milliards EUR", (8e9, "EUR")),
        ("1,5 milliard eur", (1.5e9, "EUR")),
    ],
)
def test_parse_money_filter(spec: str, expected: tuple) -> None:
    assert query.parse_money_filter(spec) == expected


@pytest.mark.parametrize(("spec", "message"), [("ten", "not an amount"), ("1bn XYZ", "ISO 4217")])
def test_parse_money_filter_refuses(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        query.parse_money_filter(spec)


def test_sort_by_amount_is_largest_first_within_a_currency(kb: KnowledgeBase) -> None:
    deals = query.ordered(query.find_deals(kb), "amount")
    by_currency: dict[str, list[float]] = {}
    for deal in deals:
        if deal.amount is not None:
            by_currency.setdefault(deal.amount.currency, []).append(deal.amount.amount)
    for amounts in by_currency.values():
        assert amounts == sorted(amounts, reverse=True)


def test_timeline_is_oldest_first_and_keeps_the_years_asked(kb: KnowledgeBase) -> None:
    records = query.timeline(kb, None, None, years={2017})
    assert records
    assert {query._date_of(r).year for r in records} == {2017}
    everything = query.timeline(kb, None, None)
    keys = [(r.date or r.target_date).value for r in everything]
    assert keys == sorted(keys)


def test_an_undated_prediction_stands_in_the_timeline_at_its_target_date(
    kb: KnowledgeBase,
) -> None:
    # « Il prédit que la super intelligence artificielle (ASI) sera réalisée d'ici 2035. »
    prediction = kb.get("son-asi-by-2035")
    assert prediction.date is None
    assert prediction.target_date.value == "2035"
    assert _ids(query.timeline(kb, None, None, years={2035})) == ["son-asi-by-2035"]
    assert _ids(query.timeline(kb, parse_date("2030"), None)) == ["son-asi-by-2035"]
    assert query.timeline(kb, None, None)[-1].id == "son-asi-by-2035"
    # Said when, the article does not say: no year of statements holds it.
    assert "son-asi-by-2035" not in _ids(query.timeline(kb, None, None, years={2024, 2025}))


def test_figures_of_a_company_include_those_of_its_group(kb: KnowledgeBase) -> None:
    # F16: the Japanese LLM belongs to SoftBank Group; its figures are the group's too.
    ids = {figure.id for figure in query.find_figures(kb, entity="softbank-group")}
    assert "softbank-japanese-llm-parameters" in ids
    alone = {figure.id for figure in query.find_figures(kb, entity="softbank-japanese-llm")}
    assert alone and alone < ids
