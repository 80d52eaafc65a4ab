"""`sbkb validate --strict`: a curator's warnings, each at its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from softbank_kb.curation import stated_date

from .conftest import HOSTILE, RunCli

_SENTENCE = "En 2024, Acme a investi dans Acme Robotique pour une somme importante."
_OTHER = "Acme a ensuite tenu une grande conférence de presse devant ses clients."


def _data(tmp_path: Path, **files: str) -> Path:
    """A data directory: the test article and Acme, plus the given files."""
    for name in ("sources.yaml", "organizations.yaml"):
        text = (HOSTILE / "unknown-field" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _deal(date: str = "") -> str:
    return (
        "deals:\n"
        "  - id: acme-deal\n"
        "    kind: investment\n"
        "    investor: acme\n"
        "    target: acme\n" + (f"    date: {date}\n" if date else "") + "    summary: A deal.\n"
        "    citations:\n"
        "      - source: article\n"
        f'        excerpt: "{_SENTENCE}"\n'
    )


def _quote(quote_id: str, text: str, mentions: str = "[]") -> str:
    return (
        f"  - id: {quote_id}\n"
        "    speaker: acme\n"
        "    kind: paraphrase\n"
        f'    text: "{text}"\n'
        "    text_en: Words.\n"
        f"    mentions: {mentions}\n"
        "    citations:\n"
        "      - source: article\n"
        f'        excerpt: "{text}"\n'
    )


def _event(records: str = "[]") -> str:
    return (
        "events:\n"
        "  - id: acme-event\n"
        '    date: "2024"\n'
        "    title: An event\n"
        "    kind: other\n"
        f"    records: {records}\n"
        "    summary: It happened.\n"
        "    citations:\n"
        "      - source: article\n"
        f'        excerpt: "{_OTHER}"\n'
    )


def test_the_shipped_data_passes_the_strict_checks(run_cli: RunCli) -> None:
    result = run_cli("validate", "--strict")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(", strict\n")


def test_an_undated_record_whose_citation_states_a_date(run_cli: RunCli, tmp_path: Path) -> None:
    data = _data(tmp_path, deals=_deal())
    assert run_cli("--data", str(data), "validate").exit_code == 0
    result = run_cli("--data", str(data), "validate", "--strict")
    assert result.exit_code == 1
    assert f"{data / 'deals.yaml'}:9:18: undated deal, but its citation states '2024'" in (
        result.stderr
    )
    assert "0 problems and 1 warning in" in result.stderr
    dated = _data(tmp_path, deals=_deal('{value: "2024", year_inferred: true}'))
    assert run_cli("--data", str(dated), "validate", "--strict").exit_code == 0


@pytest.mark.parametrize(
    ("records", "mentions", "warned"),
    [
        pytest.param("[]", "[]", True, id="repeats"),
        pytest.param("[acme-said]", "[]", False, id="event-names-the-quote"),
        pytest.param("[]", "[acme-event]", False, id="quote-names-the-event"),
    ],
)
def test_an_event_repeating_a_quote(
    run_cli: RunCli, tmp_path: Path, records: str, mentions: str, warned: bool
) -> None:
    quotes = "quotes:\n" + _quote("acme-said", _OTHER, mentions)
    data = _data(tmp_path, events=_event(records), quotes=quotes)
    result = run_cli("--data", str(data), "validate", "--strict")
    expected = f"{data / 'events.yaml'}:10:18: event repeats the excerpt of quote acme-said"
    assert (expected in result.stderr) is warned, result.stderr
    assert result.exit_code == (1 if warned else 0)


def test_two_quotes_sharing_a_text(run_cli: RunCli, tmp_path: Path) -> None:
    text = "Acme veut devenir le premier fabricant de robots du pays."
    quotes = "quotes:\n" + _quote("acme-first", text) + _quote("acme-again", text)
    data = _data(tmp_path, quotes=quotes)
    result = run_cli("--data", str(data), "validate", "--strict")
    assert result.exit_code == 1
    assert f"{data / 'quotes.yaml'}:14:11: the same text as quote acme-first" in result.stderr


@pytest.mark.parametrize(
    ("excerpt", "found"),
    [
        pytest.param("Le 21 janvier, SoftBank et OpenAI ont annoncé", "janvier", id="month"),
        pytest.param("En 2017, SoftBank a acquis des actions", "2017", id="year"),
        pytest.param(
            "depuis son introduction en bourse l'année dernière", "l'année dernière", id="implied"
        ),
        pytest.param("Il prédit que l'ASI sera réalisée d'ici 2035.", None, id="deadline"),
        pytest.param(
            "un grand modèle de langage avec 1 000 milliards de paramètres", None, id="number"
        ),
        pytest.param("la 5G/6G et l'IA générative", None, id="not-a-year"),
    ],
)
def test_stated_date(excerpt: str, found: str | None) -> None:
    assert stated_date(excerpt) == found
