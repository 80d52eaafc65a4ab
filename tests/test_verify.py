"""`sbkb verify`: excerpts and quotations proven against the article texts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from softbank_kb.verify import normalize

from .conftest import REPO, RunCli

ARTICLE_LINE = "En 2024, SoftBank Group a réalisé une série d’investissements notables"


def _data_dir(
    tmp_path: Path, excerpt: str, quote_text: str = "Arm fournira la technologie"
) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(REPO / "data" / "sources.yaml", data_dir / "sources.yaml")
    (data_dir / "records.yaml").write_text(
        f"""organizations:
  - id: acme
    name: Acme
    kind: company
    description: A company.
    citations:
      - source: article-asi-ambition
        excerpt: "{excerpt}"
quotes:
  - id: acme-says
    speaker: acme
    kind: direct
    text: "{quote_text}"
    text_en: Arm will provide.
    citations:
      - source: article-asi-ambition
        excerpt: "‘Arm fournira la technologie de base pour l’ASI’, a déclaré Son."
""",
        encoding="utf-8",
    )
    return data_dir


def test_shipped_data_verifies(run_cli: RunCli, seeds: Path) -> None:
    result = run_cli("verify", "--sources", str(seeds))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("OK: ")
    assert "against 2 articles" in result.stdout


def test_typographic_marks_and_spacing_are_folded(run_cli: RunCli, tmp_path: Path, seeds) -> None:
    # Straight apostrophe and doubled space where the article has ’ and one space.
    data_dir = _data_dir(tmp_path, ARTICLE_LINE.replace("’", "'").replace(" a ", "  a "))
    result = run_cli("--data", str(data_dir), "verify", "--sources", str(seeds))
    assert result.exit_code == 0, result.stderr
    assert "2 excerpts and 1 quotes checked" in result.stdout


def test_one_altered_character_fails_naming_the_record(run_cli: RunCli, tmp_path, seeds) -> None:
    data_dir = _data_dir(tmp_path, ARTICLE_LINE.replace("série", "serie"))
    result = run_cli("--data", str(data_dir), "verify", "--sources", str(seeds))
    assert result.exit_code == 1
    assert "FAIL acme: citations[0].excerpt is not in article-asi-ambition" in result.stderr


def test_shipped_excerpt_altered_by_one_character_fails(run_cli: RunCli, tmp_path, seeds) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(REPO / "data", data_dir)
    quotes = data_dir / "quotes.yaml"
    text = quotes.read_text(encoding="utf-8")
    position = text.index("excerpt:") + len("excerpt:") + 8
    quotes.write_text(text[:position] + "#" + text[position + 1 :], encoding="utf-8")
    result = run_cli("--data", str(data_dir), "verify", "--sources", str(seeds))
    assert result.exit_code == 1
    assert "citations[0].excerpt is not in" in result.stderr


def test_quote_text_must_stand_in_its_article(run_cli: RunCli, tmp_path, seeds) -> None:
    data_dir = _data_dir(tmp_path, ARTICLE_LINE, quote_text="Arm fournira tout")
    result = run_cli("--data", str(data_dir), "verify", "--sources", str(seeds))
    assert result.exit_code == 1
    assert "FAIL acme-says: text is not in article-asi-ambition" in result.stderr


@pytest.mark.parametrize(
    ("excerpt", "ok"),
    [
        pytest.param("En 2024, SoftBank Group … série d’investissements", True, id="in-order"),
        pytest.param("série d’investissements … En 2024, SoftBank Group", False, id="out-of-order"),
    ],
)
def test_elision_parts_must_stand_in_order(run_cli, tmp_path, seeds, excerpt, ok) -> None:
    data_dir = _data_dir(tmp_path, excerpt)
    result = run_cli("--data", str(data_dir), "verify", "--sources", str(seeds))
    assert (result.exit_code == 0) is ok


def test_source_without_a_file_is_reported(run_cli: RunCli, tmp_path: Path, seeds) -> None:
    sources = tmp_path / "seeds"
    sources.mkdir()
    shutil.copy(seeds / "000_c225a075f91cd99d.txt", sources)
    data_dir = _data_dir(tmp_path, ARTICLE_LINE)
    result = run_cli("--data", str(data_dir), "verify", "--sources", str(sources))
    assert result.exit_code == 1
    assert "FAIL article-ai-spending: no file in" in result.stderr


def test_uncited_lists_sentences_no_excerpt_covers(run_cli: RunCli, tmp_path, seeds) -> None:
    data_dir = _data_dir(tmp_path, ARTICLE_LINE)
    result = run_cli("--data", str(data_dir), "verify", "--sources", str(seeds), "--uncited")
    assert result.exit_code == 0
    assert "Uncited in article-asi-ambition" in result.stdout
    assert "- Six ans auparavant, SoftBank a cédé" in result.stdout
    assert "- En 2024, SoftBank Group a réalisé" not in result.stdout


def test_normalize_folds_marks_and_space() -> None:
    assert normalize("l’IA  dit\n“oui”") == 'l\'IA dit "oui"'
