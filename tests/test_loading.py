"""The strict loader: hostile data directories, YAML surprises, and the shipped data."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from softbank_kb.loading import check_data_dir, load_knowledge_base
from softbank_kb.paths import bundled_data_dir

from .conftest import HOSTILE, RunCli

HOSTILE_CASES = sorted(path for path in HOSTILE.iterdir() if path.is_dir())


@pytest.mark.parametrize("case", [pytest.param(p, id=p.name) for p in HOSTILE_CASES])
def test_hostile_data_is_refused_with_file_and_line(run_cli: RunCli, case: Path) -> None:
    expected = (case / "EXPECTED").read_text(encoding="utf-8").strip()
    started = time.perf_counter()
    result = run_cli("--data", str(case), "validate")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{case}/{expected}" in result.stderr
    assert "Traceback" not in result.stderr
    assert elapsed < 1.0


def test_every_hostile_case_has_an_expectation() -> None:
    assert len(HOSTILE_CASES) >= 20
    for case in HOSTILE_CASES:
        assert (case / "EXPECTED").is_file(), case


def test_all_errors_of_a_load_are_reported(tmp_path: Path) -> None:
    case = HOSTILE / "unknown-currency"
    for source in case.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "zz.yaml").write_text(
        "people:\n  - id: someone\n    name: Someone\n    description: x\n"
        "    roles: [{title: Boss, organization: nowhere}]\n"
        "    citations: [{source: article, excerpt: y}]\n",
        encoding="utf-8",
    )
    _, errors, _ = check_data_dir(tmp_path)
    messages = [str(error) for error in errors]
    assert len(errors) == 2, messages
    assert any("deals.yaml:7:35: amount.currency" in m for m in messages)
    assert any("zz.yaml:5:" in m and "roles[0].organization" in m for m in messages)


def _write_org(tmp_path: Path, field_yaml: str) -> Path:
    (tmp_path / "sources.yaml").write_text(
        (HOSTILE / "empty-file" / "sources.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "organizations.yaml").write_text(
        "organizations:\n  - id: acme\n    name: Acme\n    kind: company\n"
        f"    description: A company.\n{field_yaml}"
        "    citations:\n      - {source: article, excerpt: Acme}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_norway_stays_a_string(tmp_path: Path) -> None:
    kb = load_knowledge_base(_write_org(tmp_path, "    country: NO\n"))
    assert kb.organizations[0].country == "NO"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("yes", "yes", id="yes"),
        pytest.param("on", "on", id="on"),
        pytest.param("2024-03-31", "2024-03-31", id="date"),
        pytest.param("012", "012", id="not-octal"),
        pytest.param("1e3", None, id="float-refused-for-text"),
    ],
)
def test_yaml_1_1_surprises_are_off(tmp_path: Path, value: str, expected: str | None) -> None:
    data_dir = _write_org(tmp_path, f"    aliases: [{value}]\n")
    kb, errors, _ = check_data_dir(data_dir)
    if expected is None:
        assert kb is None
        assert "aliases[0]: Input should be a valid string" in str(errors[0])
    else:
        assert kb is not None, errors
        assert kb.organizations[0].aliases == (expected,)


_DEAL = {
    "id": "acme-deal",
    "kind": "investment",
    "investor": "acme",
    "target": "acme",
    "summary": "A deal.",
    "citations": "[{source: article, excerpt: Acme investit.}]",
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"colour": "red"}, "colour: unknown field; Deal has no field 'colour'", id="unknown"
        ),
        pytest.param(
            {"citations": "[{source: article, excerpt: x, page: 3}]"},
            "citations[0].page: unknown field; Deal has no field 'page'",
            id="unknown-nested",
        ),
        pytest.param({"summary": None}, "summary: Field required", id="missing"),
        pytest.param(
            {"summary": '""'}, "summary: String should have at least 1 character", id="empty-text"
        ),
        pytest.param({"id": "Acme"}, "id: String should match pattern", id="id-pattern"),
        pytest.param({"kind": "buyout"}, "kind: Input should be 'investment', ", id="literal"),
        pytest.param(
            {"citations": "[]"}, "citations: Tuple should have at least 1 item", id="no-citation"
        ),
        pytest.param(
            {"amount": "[1, 2]"},
            "amount: Input should be a valid dictionary or instance of Money",
            id="not-a-mapping",
        ),
        pytest.param(
            {"amount": "{amount: true, currency: USD}"},
            "amount.amount: Input should be a valid number",
            id="strict-amount",
        ),
        pytest.param(
            {"amount": "{amount: 1e400, currency: USD}"},
            "amount.amount: Input should be a finite number",
            id="infinite",
        ),
        pytest.param(
            {"amount": "{amount: 5, currency: usd}"},
            "amount.currency: 'usd' is not an ISO 4217 code",
            id="currency",
        ),
        pytest.param({"stake": "{amount: 5}"}, "stake.unit: Field required", id="quantity"),
        pytest.param(
            {"date": "2024-02-30"},
            "date: '2024-02-30' is not a day of the calendar",
            id="bare-date",
        ),
        pytest.param(
            {"date": "{value: '2024', extra: 1}"},
            "date.extra: unknown field; Deal has no field 'extra'",
            id="date-mapping",
        ),
        pytest.param({"date": "'2024'"}, None, id="valid"),
        pytest.param(
            {"kind": "budget"}, "target: a budget has no counterparty", id="budget-with-target"
        ),
        pytest.param({"kind": "budget", "target": None}, None, id="budget"),
        pytest.param({"target": None}, "target: an investment needs a target", id="no-target"),
        pytest.param(
            {"date": "'2024'", "until": "'2025'"},
            "until: only a cumulative deal has an end",
            id="until-not-cumulative",
        ),
        pytest.param({"date": "'2024'", "until": "'2025'", "cumulative": "true"}, None, id="until"),
        pytest.param(
            {"co_investment": "{amount: 10, currency: usd}"},
            "co_investment.currency: 'usd' is not an ISO 4217 code",
            id="co-investment-currency",
        ),
        pytest.param(
            {"context": '""'}, "context: String should have at least 1 character", id="context"
        ),
    ],
)
def test_field_problems_are_worded_for_curators(
    tmp_path: Path, fields: dict[str, str | None], expected: str | None
) -> None:
    case = HOSTILE / "unknown-field"
    for name in ("sources.yaml", "organizations.yaml"):
        (tmp_path / name).write_text((case / name).read_text(encoding="utf-8"), encoding="utf-8")
    deal = {key: value for key, value in {**_DEAL, **fields}.items() if value is not None}
    lines = [f"    {key}: {value}" for key, value in deal.items()]
    (tmp_path / "deals.yaml").write_text("deals:\n  -" + "\n".join(lines)[3:] + "\n")
    kb, errors, _ = check_data_dir(tmp_path)
    messages = [str(error) for error in errors]
    if expected is None:
        assert kb is not None, messages
    else:
        assert any("deals.yaml:" in m and expected in m for m in messages), messages


def test_figure_value_is_money_or_a_quantity(tmp_path: Path) -> None:
    case = HOSTILE / "unknown-field"
    for name in ("sources.yaml", "organizations.yaml"):
        (tmp_path / name).write_text((case / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "figures.yaml").write_text(
        "figures:\n"
        + "".join(
            f"  - {{id: f{n}, entity: acme, metric: loss, period: '2024', status: actual,"
            f" summary: s, citations: [{{source: article, excerpt: x}}], value: {value}}}\n"
            for n, value in enumerate(
                ["{amount: 5, currency: USD}", "{amount: 5, unit: '%'}", "'5 USD'", "{amount: 5}"]
            )
        )
    )
    _, errors, _ = check_data_dir(tmp_path)
    # Only f2 and f3 are wrong, each reported once, as the quantity it is taken for.
    assert [(error.line, error.message) for error in errors] == [
        (4, "value: Input should be a valid dictionary or instance of Quantity"),
        (5, "value.unit: Field required"),
    ]


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    data_dir = _write_org(tmp_path, "")
    path = data_dir / "organizations.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_knowledge_base(data_dir).organizations[0].id == "acme"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: p / "missing", "data directory does not exist", id="missing"),
        pytest.param(lambda p: p, "holds no .yaml files", id="empty-dir"),
    ],
)
def test_unusable_data_directory(run_cli: RunCli, tmp_path: Path, make, message: str) -> None:
    result = run_cli("--data", str(make(tmp_path)), "validate")
    assert result.exit_code == 1
    assert message in result.stderr


def test_query_on_unloadable_data_exits_3(run_cli: RunCli, tmp_path: Path) -> None:
    case = HOSTILE / "unknown-currency"
    result = run_cli("--data", str(case), "verify", "--sources", str(tmp_path))
    assert result.exit_code == 3
    assert "could not be loaded" in result.stderr
    assert "deals.yaml:7:35" in result.stderr


def test_shipped_data_loads(run_cli: RunCli) -> None:
    kb = load_knowledge_base(bundled_data_dir())
    result = run_cli("validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"OK: {len(kb)} records in ")
    assert {source.id for source in kb.sources} == {"article-asi-ambition", "article-ai-spending"}


def test_sbkb_data_environment_variable(run_cli: RunCli) -> None:
    case = HOSTILE / "empty-file"
    result = run_cli("validate", env={"SBKB_DATA": str(case)})
    assert result.exit_code == 1
    assert "file is empty" in result.stderr


def test_error_messages_escape_control_characters() -> None:
    from softbank_kb.errors import LoadError

    shown = str(LoadError("data/\x1b]0;title\x07.yaml", "bad \u202e key", 3, 1))
    assert shown == "data/\\x1b]0;title\\x07.yaml:3:1: bad \\u202e key"
