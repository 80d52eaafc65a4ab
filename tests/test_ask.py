"""`sbkb ask`: the question table, the reading of questions, and the command's output."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from softbank_kb.ask import ask, read_question
from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import KnowledgeBase
from softbank_kb.paths import bundled_data_dir
from softbank_kb.search import QueryError

from .conftest import RunCli

CASES_FILE = Path(__file__).parent / "ask_cases.yaml"
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
GROUPS = ("english", "french", "typos", "unanswerable", "organization", "person", "deal")
GROUPS += ("quote", "figure", "event", "strategy")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """The bundled knowledge base, loaded once for the module."""
    return load_knowledge_base(bundled_data_dir())


def _case_id(case: dict) -> str:
    expected = case.get("top") or case.get("in_top3") or "unanswerable"
    return f"{case['group']}:{case['question']}->{expected}"


def test_table_is_well_formed(kb: KnowledgeBase) -> None:
    assert len(CASES) >= 60
    groups = Counter(case["group"] for case in CASES)
    assert set(groups) == set(GROUPS), groups
    for case in CASES:
        assert set(case) <= {"group", "question", "top", "in_top3", "unanswerable"}, case
        assert sum(key in case for key in ("top", "in_top3", "unanswerable")) == 1, case
        expected = case.get("top") or case.get("in_top3")
        if expected:
            assert kb.get(expected) is not None, f"{CASES_FILE.name}: no record has id {expected!r}"
    assert len({case["question"] for case in CASES}) == len(CASES), "duplicate rows"


@pytest.mark.parametrize("case", [pytest.param(case, id=_case_id(case)) for case in CASES])
def test_question(kb: KnowledgeBase, case: dict) -> None:
    reply = ask(kb, case["question"])
    found = [answer.record.id for answer in reply.answers]
    if case.get("unanswerable"):
        assert found == [], found
    elif "top" in case:
        assert found[:1] == [case["top"]], found
    else:
        assert case["in_top3"] in found[:3], found


@pytest.mark.parametrize(
    ("question", "language"),
    [
        pytest.param("How much did SoftBank pay for Ampere?", "en", id="en"),
        pytest.param("Combien SoftBank a-t-il payé pour Ampere ?", "fr", id="fr"),
        pytest.param("Qui est le directeur financier de SoftBank ?", "fr", id="fr-role"),
        pytest.param("pertes Ampere", "fr", id="fr-two-words"),
        pytest.param("operating profit", "en", id="en-two-words"),
    ],
)
def test_language_is_detected(kb: KnowledgeBase, question: str, language: str) -> None:
    assert read_question(kb, question).language == language


def test_a_question_is_read_into_its_parts(kb: KnowledgeBase) -> None:
    question = read_question(kb, "How much did SoftBank pay for Ampere in 2025?")
    assert [e.id for e in question.entities] == ["softbank-group", "ampere"]
    assert [c.id for c in question.concepts] == ["pay"]
    assert question.years == (2025,)
    assert question.wanted == "amount"
    assert question.unknown == ()


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        pytest.param("When did SoftBank buy Graphcore?", "date", id="when"),
        pytest.param("Qui est le PDG de Nvidia ?", "person", id="qui"),
        pytest.param("What did Son say about Nvidia?", "quote", id="say"),
        pytest.param("Où est basée Graphcore ?", "place", id="ou"),
        pytest.param("Which companies did SoftBank buy?", "organization", id="which"),
        pytest.param("Combien Ampere a-t-elle perdu ?", "amount", id="combien"),
    ],
)
def test_the_answer_wanted(kb: KnowledgeBase, question: str, wanted: str) -> None:
    assert read_question(kb, question).wanted == wanted


def test_an_answer_holds_the_value_and_why(kb: KnowledgeBase) -> None:
    answer = ask(kb, "How much did SoftBank pay for Ampere?").answers[0]
    assert answer.kind == "amount"
    assert (answer.value.amount, answer.value.currency) == (6_500_000_000, "USD")
    assert answer.entities == ("softbank-group", "ampere")
    assert answer.concepts == ("pay",)
    assert answer.citation is not None and "6,5 milliards" in answer.citation.excerpt


def test_a_known_entity_without_the_answer_gets_what_is_known(kb: KnowledgeBase) -> None:
    reply = ask(kb, "Who is the CEO of Ampere?")
    assert not reply.answered
    assert reply.question.unknown == ()
    assert reply.known[0].id == "ampere"


@pytest.mark.parametrize(
    ("question", "unknown", "reason"),
    [
        pytest.param(
            "What did SoftBank spend on OneWeb in 2024?",
            ("oneweb",),
            "the articles never mention OneWeb",
            id="a-name-beside-known-words",
        ),
        pytest.param(
            "how much did softbank put into wework",
            ("wework",),
            "the articles never mention wework",
            id="no-typo-of-network",
        ),
        pytest.param(
            "Combien SoftBank a-t-il investi dans Figure AI ?",
            ("figure ai",),
            "the articles never mention Figure AI",
            id="words-written-as-one-name",
        ),
    ],
)
def test_an_unknown_name_refuses_whatever_else_the_question_holds(
    kb: KnowledgeBase, question: str, unknown: tuple[str, ...], reason: str
) -> None:
    reply = ask(kb, question)
    assert not reply.answered
    assert reply.question.unknown == unknown
    assert reply.reason == reason


@pytest.mark.parametrize(
    ("question", "ignored", "top"),
    [
        pytest.param(
            "How much did SoftBank happily pay for Ampere?",
            ("happily",),
            "ampere-acquisition",
            id="en",
        ),
        pytest.param(
            "Combien SoftBank a-t-il vraiment payé pour Ampere ?",
            ("vraiment",),
            "ampere-acquisition",
            id="fr",
        ),
    ],
)
def test_an_unknown_ordinary_word_is_ignored_not_a_refusal(
    kb: KnowledgeBase, question: str, ignored: tuple[str, ...], top: str
) -> None:
    reply = ask(kb, question)
    assert reply.question.unknown == ()
    assert reply.question.ignored == ignored
    assert reply.answers[0].record.id == top


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        pytest.param("Who is the CEO of Arm?", "the articles mention Arm but state no CEO for it"),
        pytest.param(
            "In which month did SoftBank buy Graphcore?",
            "the articles mention SoftBank Group and Graphcore but state no month for them",
        ),
        pytest.param(
            "Which city is Ampere based in?",
            "the articles mention Ampere but state no city or region for it",
        ),
    ],
)
def test_a_known_entity_without_the_slot_asked_says_so(
    kb: KnowledgeBase, question: str, reason: str
) -> None:
    reply = ask(kb, question)
    assert not reply.answered
    assert reply.reason == reason


@pytest.mark.parametrize(
    ("question", "kind", "value"),
    [
        pytest.param("By when does Son think ASI will be achieved?", "target_date", "2035"),
        pytest.param("Where are SoftBank's AI data centres?", "place", "Hokkaido and Osaka"),
        pytest.param("How many levels does SoftBank Corp's AI strategy have?", "count", "8.0"),
        pytest.param("What percentage of smartphones use Arm chips?", "share", "99.0"),
    ],
)
def test_more_kinds_of_question(kb: KnowledgeBase, question: str, kind: str, value: str) -> None:
    answer = ask(kb, question).answers[0]
    assert answer.kind == kind
    shown = getattr(answer.value, "value", None) or getattr(answer.value, "amount", answer.value)
    assert str(shown) == value


def test_son_is_a_word_in_french_and_a_name_with_a_capital(kb: KnowledgeBase) -> None:
    question = read_question(kb, "Quelle est la valeur de son entreprise selon Son ?")
    assert [entity.id for entity in question.entities] == ["masayoshi-son"]


@pytest.mark.parametrize("question", ["", "   ", "?!", "a" * 1001])
def test_a_question_without_words_is_refused(kb: KnowledgeBase, question: str) -> None:
    with pytest.raises(QueryError):
        ask(kb, question)


# The command --------------------------------------------------------------------------------


def test_ask_shows_the_answer_its_id_and_its_proof(run_cli: RunCli) -> None:
    result = run_cli("ask", "How much did SoftBank pay for Ampere?")
    assert result.exit_code == 0, result.stderr
    assert "6.5 billion USD" in result.stdout
    assert "ampere-acquisition" in result.stdout
    assert "6,5 milliards de dollars" in result.stdout


def test_ask_json_is_an_array_of_answers(run_cli: RunCli) -> None:
    result = run_cli("ask", "--json", "Qui est le directeur financier de SoftBank ?")
    assert result.exit_code == 0, result.stderr
    answers = json.loads(result.stdout)
    assert answers[0]["answer"]["person"] == "yoshimitsu-goto"
    assert answers[0]["why"]["concepts"] == ["cfo"]
    assert answers[0]["why"]["language"] == "fr"
    assert answers[0]["why"]["asked"] == "person"
    assert answers[0]["why"]["ignored"] == []
    assert answers[0]["record"]["id"] == "yoshimitsu-goto"
    assert answers[0]["record"]["type"] == "person"
    assert isinstance(answers[0]["score"], float | int)


@pytest.mark.parametrize(
    "question", ["How much did SoftBank pay for Apple?", "Qui est le PDG de Toyota ?"]
)
def test_not_in_the_sources(run_cli: RunCli, question: str) -> None:
    result = run_cli("ask", question)
    assert result.exit_code == 1
    assert result.stderr.startswith("Not in the sources: the articles never mention")
    assert result.stdout == ""
    as_json = run_cli("ask", "--json", question)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == []


def test_known_entity_is_labelled_not_an_answer(run_cli: RunCli) -> None:
    result = run_cli("ask", "Who is the CEO of Ampere?", "--table")
    assert result.exit_code == 1
    assert result.stdout.startswith("Not an answer")
    assert "ampere" in result.stdout
    assert json.loads(run_cli("ask", "--json", "Who is the CEO of Ampere?").stdout) == []


def test_ask_help_starts_with_examples_in_both_languages(run_cli: RunCli) -> None:
    result = run_cli("ask", "--help")
    assert result.exit_code == 0
    examples = result.stdout.split("Examples:", 1)[1].split("\n\n", 1)[0]
    assert "How much did SoftBank pay for Ampere?" in examples
    assert "Combien SoftBank a-t-il payé pour Ampere ?" in examples


@pytest.mark.parametrize("question", ["", "\x00\x1b[31m", "🤖", "\ud800", "a" * 5000])
def test_bad_questions_are_usage_errors_or_no_answer(run_cli: RunCli, question: str) -> None:
    result = run_cli("ask", question)
    assert result.exit_code in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
