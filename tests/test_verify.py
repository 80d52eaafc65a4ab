"""`sbkb verify`: excerpts and quotations proven against article texts.

The articles here are two short texts the tests write themselves, with their sha256 in
a sources.yaml made to match: the suite needs nothing outside the repository. The proof
of the shipped data against the two real articles is a step of `.ci/run`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from softbank_kb.curation import normalize

from .conftest import RunCli

# Typographic apostrophes and quotation marks, as the real articles have them.
FIRST_ARTICLE = (
    "En 2024, Acme Group a réalisé une série d’investissements notables.\n"
    "‘Acme fournira la technologie de base’, a déclaré Jean.\n"
    "Six ans auparavant, Acme a cédé sa participation.\n"
)
SECOND_ARTICLE = "Acme prévoit d’investir chaque année.\n"
ARTICLE_LINE = "En 2024, Acme Group a réalisé une série d’investissements notables"
QUOTE_EXCERPT = "‘Acme fournira la technologie de base’, a déclaré Jean."


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _articles(tmp_path: Path) -> Path:
    """A directory holding the two test articles."""
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "first.txt").write_text(FIRST_ARTICLE, encoding="utf-8")
    (articles / "second.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    return articles


def _data_dir(
    tmp_path: Path,
    excerpt: str,
    quote_text: str = "Acme fournira la technologie",
    second_sha256: str = _sha256(SECOND_ARTICLE),
) -> Path:
    """Sources for the two test articles, one organisation and one quote citing the first."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sources.yaml").write_text(
        f"""sources:
  - id: first-article
    title: Premier article
    language: fr
    sha256: {_sha256(FIRST_ARTICLE)}
    description: A test article.
  - id: second-article
    title: Second article
    language: fr
    sha256: {second_sha256}
    description: Another test article.
""",
        encoding="utf-8",
    )
    (data_dir / "records.yaml").write_text(
        f"""organizations:
  - id: acme
    name: Acme
    kind: company
    description: A company.
    citations:
      - source: first-article
        excerpt: "{excerpt}"
      - source: second-article
        excerpt: "Acme prévoit d'investir chaque année."
quotes:
  - id: acme-says
    speaker: acme
    kind: direct
    text: "{quote_text}"
    text_en: Acme will provide.
    citations:
      - source: first-article
        excerpt: "{QUOTE_EXCERPT}"
""",
        encoding="utf-8",
    )
    return data_dir


def _verify(run_cli: RunCli, data_dir: Path, articles: Path, *extra: str):
    return run_cli("--data", str(data_dir), "verify", "--sources", str(articles), *extra)


def test_every_excerpt_found_verifies(run_cli: RunCli, tmp_path: Path) -> None:
    result = _verify(run_cli, _data_dir(tmp_path, ARTICLE_LINE), _articles(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "OK: 3 excerpts and 1 quotes checked against 2 articles (first.txt, second.txt)\n"
    )


def test_typographic_marks_and_spacing_are_folded(run_cli: RunCli, tmp_path: Path) -> None:
    # Straight apostrophe and doubled space where the article has ’ and one space.
    excerpt = ARTICLE_LINE.replace("’", "'").replace(" a ", "  a ")
    result = _verify(run_cli, _data_dir(tmp_path, excerpt), _articles(tmp_path))
    assert result.exit_code == 0, result.stderr


def test_one_altered_character_fails_naming_the_record(run_cli: RunCli, tmp_path: Path) -> None:
    data_dir = _data_dir(tmp_path, ARTICLE_LINE.replace("série", "serie"))
    result = _verify(run_cli, data_dir, _articles(tmp_path))
    assert result.exit_code == 1
    assert "FAIL acme: citations[0].excerpt is not in first-article" in result.stderr


def test_an_altered_article_matches_no_source(run_cli: RunCli, tmp_path: Path) -> None:
    # Files are matched to sources by sha256: one changed byte and the file is not the
    # article any more, so its source has no file.
    articles = _articles(tmp_path)
    (articles / "second.txt").write_text(SECOND_ARTICLE.replace("année", "annee"), "utf-8")
    result = _verify(run_cli, _data_dir(tmp_path, ARTICLE_LINE), articles)
    assert result.exit_code == 1
    assert "FAIL second-article: no file in" in result.stderr


def test_quote_text_must_stand_in_its_article(run_cli: RunCli, tmp_path: Path) -> None:
    data_dir = _data_dir(tmp_path, ARTICLE_LINE, quote_text="Acme fournira tout")
    result = _verify(run_cli, data_dir, _articles(tmp_path))
    assert result.exit_code == 1
    assert "FAIL acme-says: text is not in first-article" in result.stderr


@pytest.mark.parametrize(
    ("excerpt", "ok"),
    [
        pytest.param("En 2024, Acme Group … série d’investissements", True, id="in-order"),
        pytest.param("série d’investissements … En 2024, Acme Group", False, id="out-of-order"),
    ],
)
def test_elision_parts_must_stand_in_order(
    run_cli: RunCli, tmp_path: Path, excerpt: str, ok: bool
) -> None:
    result = _verify(run_cli, _data_dir(tmp_path, excerpt), _articles(tmp_path))
    assert (result.exit_code == 0) is ok, result.stderr


def test_source_without_a_file_is_reported(run_cli: RunCli, tmp_path: Path) -> None:
    articles = _articles(tmp_path)
    (articles / "second.txt").unlink()
    result = _verify(run_cli, _data_dir(tmp_path, ARTICLE_LINE), articles)
    assert result.exit_code == 1
    assert "FAIL second-article: no file in" in result.stderr


def test_uncited_lists_sentences_no_excerpt_covers(run_cli: RunCli, tmp_path: Path) -> None:
    data_dir = _data_dir(tmp_path, ARTICLE_LINE)
    result = _verify(run_cli, data_dir, _articles(tmp_path), "--uncited")
    assert result.exit_code == 0, result.stderr
    assert "Uncited in first-article" in result.stdout
    assert "- Six ans auparavant, Acme a cédé" in result.stdout
    assert "- En 2024, Acme Group a réalisé" not in result.stdout
    assert "Uncited in second-article (second.txt): 0" in result.stdout


def test_sources_that_is_not_a_directory_is_a_usage_error(run_cli: RunCli, tmp_path) -> None:
    result = _verify(run_cli, _data_dir(tmp_path, ARTICLE_LINE), tmp_path / "missing")
    assert result.exit_code == 2
    assert "missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_normalize_folds_marks_and_space() -> None:
    assert normalize("l’IA  dit\n“oui”") == 'l\'IA dit "oui"'
