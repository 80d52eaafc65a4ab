"""The concept lexicon: the shipped one is sound and holds only words; a broken one is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from softbank_kb.folding import fold
from softbank_kb.lexicon import LEXICON_FILE, check_lexicon, lexicon
from softbank_kb.loading import load_knowledge_base
from softbank_kb.paths import bundled_data_dir

GOOD_CONCEPT = """\
concepts:
  - id: loss
    kind: metric
    en: [loss]
    fr: [perte]
"""


def test_the_shipped_lexicon_is_valid() -> None:
    found, problems = check_lexicon(LEXICON_FILE)
    assert problems == []
    assert found is not None
    assert found == lexicon()
    kinds = {concept.kind for concept in found.concepts}
    assert kinds == {"metric", "deal_kind", "role", "event", "thing", "question"}


def test_the_lexicon_holds_words_not_facts() -> None:
    kb = load_knowledge_base(bundled_data_dir())
    names = {
        fold(n)
        for r in kb.records()
        for n in (getattr(r, "name", ""), *getattr(r, "aliases", ()))
        if n
    }
    names.discard("cfo")  # Goto's alias is the role's own word: a title, not a name
    for concept in lexicon().concepts:
        for term in concept.terms:
            assert not any(char.isdigit() for char in term), (concept.id, term)
            assert fold(term) not in names, (concept.id, term)


def test_metrics_the_lexicon_names_are_used_by_figures() -> None:
    kb = load_knowledge_base(bundled_data_dir())
    metrics = {figure.metric for figure in kb.figures}
    named = {m for concept in lexicon().concepts for m in concept.metrics}
    # A metric may be named ahead of a figure that uses it, but most must exist.
    assert named & metrics
    assert {"loss", "sales", "operating_revenue", "market_capitalisation"} <= metrics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            GOOD_CONCEPT.replace("kind: metric", "kind: colour"),
            "lexicon.yaml:3:11: concepts[0].kind: Input should be",
            id="bad-kind",
        ),
        pytest.param(
            GOOD_CONCEPT + "    deal_kinds: [purchase]\n",
            "lexicon.yaml:6:18: concepts[0].deal_kinds[0]: 'purchase' is not a deal kind",
            id="bad-deal-kind",
        ),
        pytest.param(
            GOOD_CONCEPT + "    event_kinds: [party]\n",
            "lexicon.yaml:6:19: concepts[0].event_kinds[0]: 'party' is not a event kind",
            id="bad-event-kind",
        ),
        pytest.param(
            GOOD_CONCEPT + "    colour: red\n",
            "lexicon.yaml:6:5: concepts[0].colour: unknown field 'colour'",
            id="unknown-field",
        ),
        pytest.param(
            GOOD_CONCEPT.replace("    fr: [perte]\n", "    fr: []\n"),
            "lexicon.yaml:5:9: concepts[0].fr:",
            id="no-french-term",
        ),
        pytest.param(
            GOOD_CONCEPT + GOOD_CONCEPT.replace("concepts:\n", ""),
            "lexicon.yaml:6:9: concepts[1].id: 'loss' is the id of another concept",
            id="duplicate-id",
        ),
        pytest.param(
            GOOD_CONCEPT.replace("en: [loss]", "en: [loss"),
            "lexicon.yaml:5:",
            id="invalid-yaml",
        ),
        pytest.param(
            "- just a list\n", "lexicon.yaml:1:1: the lexicon must be a mapping", id="list"
        ),
        pytest.param(
            "concepts: &a []\n", "lexicon.yaml:1:11: YAML anchor 'a' is not allowed", id="anchor"
        ),
    ],
)
def test_a_broken_lexicon_is_named_with_file_and_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "lexicon.yaml"
    path.write_text(text, encoding="utf-8")
    found, problems = check_lexicon(path)
    assert found is None
    shown = "\n".join(str(problem) for problem in problems)
    assert expected in shown.replace(str(tmp_path) + "/", "")


def test_a_broken_lexicon_stops_search_with_exit_3(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from softbank_kb import lexicon as lexicon_module
    from softbank_kb.cli import cli

    broken = tmp_path / "lexicon.yaml"
    broken.write_text(GOOD_CONCEPT.replace("kind: metric", "kind: colour"), encoding="utf-8")
    monkeypatch.setattr(lexicon_module, "LEXICON_FILE", broken)
    monkeypatch.setenv("SBKB_NO_CACHE", "1")
    lexicon_module.lexicon.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["search", "loss"])
        validated = CliRunner().invoke(cli, ["validate"])
    finally:
        lexicon_module.lexicon.cache_clear()
    assert result.exit_code == 3, result.output
    assert "lexicon.yaml:3:11" in result.stderr
    assert validated.exit_code == 1
    assert "lexicon.yaml:3:11" in validated.stderr
