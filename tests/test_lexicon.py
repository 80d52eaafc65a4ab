"""The concept lexicon: the shipped one is sound and holds only words; a broken one is named;
a data directory's own lexicon.yaml extends it for that directory's searches and questions."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from softbank_kb.cache import lexicon_for, read_cached
from softbank_kb.folding import fold
from softbank_kb.lexicon import LEXICON_FILE, Lexicon, check_lexicon
from softbank_kb.lexicon import package_lexicon as lexicon
from softbank_kb.loading import load_knowledge_base
from softbank_kb.paths import bundled_data_dir
from softbank_kb.search import search

from .conftest import REPO, RunCli

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
            "lexicon.yaml:4:9: invalid YAML: the list that starts here with '[' is not closed",
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
    lexicon_module.package_lexicon.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["search", "loss"])
        validated = CliRunner().invoke(cli, ["validate"])
    finally:
        lexicon_module.package_lexicon.cache_clear()
    assert result.exit_code == 3, result.output
    assert "lexicon.yaml:3:11" in result.stderr
    assert validated.exit_code == 1
    assert "lexicon.yaml:3:11" in validated.stderr


# A data directory's own lexicon -----------------------------------------------------------

# Words no record and no package concept has: only the data directory's lexicon gives them.
DATA_LEXICON = """\
concepts:
  - id: buy
    kind: deal_kind
    en: [zorblat]
    fr: [zorbler]
  - id: gizmo
    kind: thing
    en: [gizmos]
    fr: [bidules, puces]
stopwords:
  en: [pray]
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the bundled records with a lexicon of its own beside them."""
    copy = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), copy)
    (copy / "lexicon.yaml").write_text(DATA_LEXICON, encoding="utf-8")
    return copy


def test_a_data_lexicon_is_validated_and_not_read_as_records(
    run_cli: RunCli, data_dir: Path
) -> None:
    bundled = run_cli("validate")
    result = run_cli("--data", str(data_dir), "validate")
    assert result.exit_code == 0, result.stderr
    # The same records, and one file more: the lexicon, checked but holding no record.
    assert bundled.stdout == "OK: 169 records in 8 files\n"
    assert result.stdout == "OK: 169 records in 9 files\n"


def test_a_term_only_the_data_lexicon_has_finds_records_by_search_and_ask(
    run_cli: RunCli, data_dir: Path
) -> None:
    found = run_cli("--data", str(data_dir), "search", "zorblat", "--json")
    assert found.exit_code == 0, found.stderr
    assert "graphcore-acquisition" in [hit["record"]["id"] for hit in json.loads(found.stdout)]
    question = "What did SoftBank zorblat in 2024?"
    answered = run_cli("--data", str(data_dir), "ask", question, "--json")
    assert answered.exit_code == 0, answered.stderr
    first = json.loads(answered.stdout)[0]
    assert first["record"]["id"] == "graphcore-acquisition"
    assert first["why"]["concepts"] == ["buy"]
    french = run_cli("--data", str(data_dir), "ask", "Qu'a zorblé SoftBank en 2024 ?", "--json")
    assert json.loads(french.stdout)[0]["record"]["id"] == "graphcore-acquisition"


def test_without_the_data_lexicon_its_terms_find_nothing(run_cli: RunCli, data_dir: Path) -> None:
    (data_dir / "lexicon.yaml").unlink()
    assert run_cli("--data", str(data_dir), "search", "zorblat").exit_code == 1
    unknown = run_cli("--data", str(data_dir), "ask", "What did SoftBank zorblat in 2024?")
    assert unknown.exit_code == 1
    assert "Not in the sources: the articles never mention zorblat." in unknown.stderr
    assert run_cli("search", "zorblat").exit_code == 1


def test_a_data_lexicon_does_not_outlive_its_command(run_cli: RunCli, data_dir: Path) -> None:
    assert run_cli("--data", str(data_dir), "search", "zorblat").exit_code == 0
    # The next command in this process, and a search called from Python, use the package's.
    assert not search(load_knowledge_base(data_dir), "zorblat")
    assert run_cli("search", "zorblat").exit_code == 1


def test_the_data_lexicon_adds_concepts_and_extends_those_of_its_ids(data_dir: Path) -> None:
    merged = lexicon_for(data_dir)
    package = lexicon()
    buy = merged.by_id["buy"]
    # The package's words first, then the curator's; what the concept points to is kept.
    assert buy.en == (*package.by_id["buy"].en, "zorblat")
    assert buy.fr == (*package.by_id["buy"].fr, "zorbler")
    assert buy.deal_kinds == package.by_id["buy"].deal_kinds
    assert [c.id for c in merged.concepts] == [*(c.id for c in package.concepts), "gizmo"]
    assert merged.stopwords.en == (*package.stopwords.en, "pray")
    assert merged.stopwords.fr == package.stopwords.fr
    assert package.by_id["buy"].en[-1] != "zorblat"  # the package's own is untouched


def test_a_directory_without_a_lexicon_is_read_with_the_package_lexicon_itself() -> None:
    assert lexicon_for(bundled_data_dir()) == lexicon()


def test_an_edited_data_lexicon_is_seen_through_the_cache(run_cli: RunCli, data_dir: Path) -> None:
    assert run_cli("--data", str(data_dir), "search", "zorblat").exit_code == 0
    assert run_cli("--data", str(data_dir), "search", "zorblat").exit_code == 0  # warm
    path = data_dir / "lexicon.yaml"
    path.write_text(DATA_LEXICON.replace("zorblat", "frobnicate"), encoding="utf-8")
    assert run_cli("--data", str(data_dir), "search", "zorblat").exit_code == 1
    assert run_cli("--data", str(data_dir), "search", "frobnicate").exit_code == 0


def test_the_merged_lexicon_is_cached_but_never_inside_the_data_directory(
    run_cli: RunCli, data_dir: Path
) -> None:
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "sbkb"
    run_cli("search", "zorblat")
    before = set(cache.glob("lexicon-*.json"))
    run_cli("--data", str(data_dir), "search", "zorblat")
    merged = set(cache.glob("lexicon-*.json")) - before
    assert len(merged) == 1  # beside the package's, under a key of its own
    read_back = read_cached(merged.pop().name, Lexicon)
    assert read_back is not None
    assert "zorblat" in read_back.by_id["buy"].en
    before = set(data_dir.rglob("*"))
    result = run_cli(
        "--data", str(data_dir), "search", "zorblat", env={"XDG_CACHE_HOME": str(data_dir)}
    )
    assert result.exit_code == 0
    assert set(data_dir.rglob("*")) == before


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda text: text.replace("kind: thing", "kind: colour"),
            "lexicon.yaml:7:11: concepts[1].kind: Input should be",
            id="bad-kind",
        ),
        pytest.param(
            lambda text: text.replace("kind: deal_kind", "kind: thing"),
            "lexicon.yaml:3:11: concepts[0].kind: 'buy' is a deal_kind concept in the package's"
            " lexicon; a concept that extends it keeps its kind",
            id="extension-changes-kind",
        ),
        pytest.param(
            lambda text: text.replace(
                "    fr: [zorbler]\n", "    fr: [zorbler]\n    answer: date\n"
            ),
            "lexicon.yaml:6:13: concepts[0].answer: 'buy' asks for no answer in the package's"
            " lexicon",
            id="extension-changes-answer",
        ),
        pytest.param(
            lambda text: text.replace(
                "    fr: [zorbler]\n", "    fr: [zorbler]\n    deal_kinds: [theft]\n"
            ),
            "lexicon.yaml:6:18: concepts[0].deal_kinds[0]: 'theft' is not a deal kind",
            id="bad-deal-kind",
        ),
        pytest.param(
            lambda text: text.replace(
                "stopwords:",
                "  - id: gizmo\n    kind: thing\n    en: [gadget]\n    fr: [truc]\nstopwords:",
            ),
            "lexicon.yaml:10:9: concepts[2].id: 'gizmo' is the id of another concept",
            id="duplicate-id",
        ),
        pytest.param(
            lambda text: text.replace("en: [gizmos]", "en: [gizmos"),
            "lexicon.yaml:8:9: invalid YAML: the list that starts here with '[' is not closed",
            id="invalid-yaml",
        ),
        pytest.param(
            lambda text: text.replace("[gizmos]", "[gizmos made in a big plant]"),
            "lexicon.yaml:8:10: concepts[1].en[0]: 'gizmos made in a big plant' is 6 words; a"
            " term is at most 4",
            id="term-too-long",
        ),
        pytest.param(
            lambda text: text.replace("[gizmos]", "['...']"),
            "lexicon.yaml:8:10: concepts[1].en[0]: '...' has no word to search for",
            id="term-of-no-word",
        ),
        pytest.param(
            lambda text: text.replace("[bidules, puces]", "[bidules, Graphcore]"),
            "lexicon.yaml:9:19: concepts[1].fr[1]: 'Graphcore' is the name of organization"
            " 'graphcore'; the lexicon holds words, not names",
            id="term-is-a-name",
        ),
        pytest.param(
            lambda text: text.replace("stopwords:", "stop_words:"),
            "lexicon.yaml:10:1: stop_words: unknown field 'stop_words'",
            id="unknown-field",
        ),
    ],
)
def test_a_broken_data_lexicon_fails_validate_and_stops_queries_at_its_line(
    run_cli: RunCli, data_dir: Path, edit: Callable[[str], str], expected: str
) -> None:
    path = data_dir / "lexicon.yaml"
    path.write_text(edit(DATA_LEXICON), encoding="utf-8")
    validated = run_cli("--data", str(data_dir), "validate")
    assert validated.exit_code == 1
    assert expected in validated.stderr.replace(str(data_dir) + "/", "")
    for query in (["search", "zorblat"], ["ask", "What did SoftBank zorblat?"]):
        result = run_cli("--data", str(data_dir), *query)
        assert result.exit_code == 3, result.stderr
        assert expected in result.stderr.replace(str(data_dir) + "/", "")
        assert "Traceback" not in result.stderr


def test_a_data_lexicon_that_is_not_a_file_is_reported_not_read(
    run_cli: RunCli, data_dir: Path
) -> None:
    path = data_dir / "lexicon.yaml"
    path.unlink()
    os.mkfifo(path)  # a read would wait for a writer for ever
    validated = run_cli("--data", str(data_dir), "validate")
    assert validated.exit_code == 1
    assert "lexicon.yaml: is a FIFO (named pipe), not a regular file" in validated.stderr
    assert run_cli("--data", str(data_dir), "search", "zorblat").exit_code == 3


def test_a_lexicon_under_another_name_is_pointed_to_lexicon_yaml(
    run_cli: RunCli, data_dir: Path
) -> None:
    (data_dir / "lexicon.yaml").rename(data_dir / "words.yaml")
    result = run_cli("--data", str(data_dir), "validate")
    assert result.exit_code == 1
    assert (
        "words.yaml:1:1: unknown collection 'concepts'; expected one of sources, " in result.stderr
    )
    assert "; a concept lexicon goes in lexicon.yaml" in result.stderr


def test_schema_of_a_lexicon_checks_what_the_loader_checks(run_cli: RunCli) -> None:
    result = run_cli("schema", "--lexicon")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "sbkb concept lexicon"
    assert schema["required"] == ["concepts"]
    concept = schema["$defs"]["Concept"]
    assert concept["additionalProperties"] is False
    assert "acquisition" in concept["properties"]["deal_kinds"]["items"]["enum"]
    assert "purchase" not in concept["properties"]["deal_kinds"]["items"]["enum"]
    assert all(rules.get("description") for rules in concept["properties"].values())


def _lexicon_examples() -> list[str]:
    """The lexicon.yaml examples that docs/data.md and data/README.md show."""
    found = []
    for readme in (REPO / "docs" / "data.md", REPO / "data" / "README.md"):
        blocks = re.findall(r"```yaml\n(.*?)```", readme.read_text(encoding="utf-8"), re.DOTALL)
        found += [block for block in blocks if block.startswith("concepts:")]
    return found


def test_the_readmes_show_lexicons_that_validate(run_cli: RunCli, data_dir: Path) -> None:
    examples = _lexicon_examples()
    assert len(examples) == 2
    for example in examples:
        (data_dir / "lexicon.yaml").write_text(example, encoding="utf-8")
        result = run_cli("--data", str(data_dir), "validate")
        assert result.stdout == "OK: 169 records in 9 files\n", result.stderr


def test_the_readme_lexicon_does_what_the_readme_says(run_cli: RunCli, data_dir: Path) -> None:
    (data_dir / "lexicon.yaml").write_text(_lexicon_examples()[0], encoding="utf-8")
    found = json.loads(run_cli("--data", str(data_dir), "search", "zorblat", "--json").stdout)
    deals = [hit["record"] for hit in found if hit["record"]["type"] == "deal"]
    # The acquisitions and the stake bought come first: the deals of `buy`'s kinds.
    assert {deal["kind"] for deal in deals[:3]} == {"acquisition", "stake_purchase"}
    assert "ampere-acquisition" in [deal["id"] for deal in deals[:3]]
    asked = run_cli("--data", str(data_dir), "ask", "What did SoftBank zorblat in 2024?", "--json")
    assert json.loads(asked.stdout)[0]["record"]["id"] == "graphcore-acquisition"


def test_a_term_is_no_longer_than_the_longest_phrase_search_reads() -> None:
    from softbank_kb import search
    from softbank_kb.lexicon import MAX_TERM_WORDS

    assert MAX_TERM_WORDS == search._LONGEST_TERM


def test_a_name_the_package_lexicon_has_as_a_term_may_be_repeated(
    run_cli: RunCli, data_dir: Path
) -> None:
    # `CFO` is Goto's alias and the package's term for the role: an extension may repeat it.
    extension = "concepts:\n  - id: cfo\n    kind: role\n    en: [CFO]\n    fr: [DAF]\n"
    (data_dir / "lexicon.yaml").write_text(extension, encoding="utf-8")
    result = run_cli("--data", str(data_dir), "validate")
    assert result.exit_code == 0, result.stderr
