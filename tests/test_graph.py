"""`sbkb graph`: relations as Mermaid, DOT and JSON; every edge points to a record."""

from __future__ import annotations

import json
import re

import pydot
import pytest

from softbank_kb.commands import GRAPH_KINDS
from softbank_kb.export import graph_dot, graph_mermaid
from softbank_kb.graph import EDGE_KINDS, relations_graph
from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import (
    Citation,
    Deal,
    KnowledgeBase,
    Money,
    Organization,
    PartialDate,
    Person,
    Role,
    Source,
)
from softbank_kb.paths import bundled_data_dir
from softbank_kb.printable import safe
from softbank_kb.query import deal_years

from .conftest import REPO, RunCli

# pydot's parser still calls pyparsing's camelCase names and arguments, which pyparsing
# 3.3 deprecates: pydot's to fix. Only warnings raised from pydot's code are ignored.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(bundled_data_dir())


def _graph_json(run_cli: RunCli, *args: str) -> dict:
    result = run_cli("graph", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_cli_offers_every_edge_kind() -> None:
    assert set(GRAPH_KINDS) == set(EDGE_KINDS)


def test_every_edge_points_to_a_record_and_joins_two_nodes(run_cli: RunCli, kb) -> None:
    graph = _graph_json(run_cli)
    nodes = {node["id"] for node in graph["nodes"]}
    assert nodes <= {r.id for r in (*kb.organizations, *kb.people)}
    assert graph["edges"]
    for edge in graph["edges"]:
        assert kb.get(edge["record"]) is not None, edge
        assert {edge["source"], edge["target"]} <= nodes, edge
        assert edge["kind"] in EDGE_KINDS
    kinds = {edge["kind"] for edge in graph["edges"]}
    assert {"acquisition", "investment", "partnership", "divestment", "owns", "works_for"} <= kinds


def test_an_edge_is_labelled_with_kind_date_and_amount(run_cli: RunCli) -> None:
    graph = _graph_json(run_cli, "--company", "ampere")
    (ampere,) = [e for e in graph["edges"] if e["record"] == "ampere-acquisition"]
    assert ampere["label"] == (
        "agreed to acquire · 2025-03 (inferred) · 6.5 billion USD (about 47 billion CNY)"
    )
    assert ampere["amount"]["amount"] == 6500000000
    assert ampere["date"] == {"value": "2025-03", "year_inferred": True}
    assert ampere["status"] == "announced"


@pytest.mark.parametrize(
    ("record", "source", "relation", "status"),
    [
        pytest.param("graphcore-acquisition", "softbank-group", "acquired", "completed", id="done"),
        pytest.param(
            "ampere-acquisition", "softbank-group", "agreed to acquire", "announced", id="announced"
        ),
        pytest.param(
            "openai-new-investment-2025-04",
            "softbank-group",
            "announced an investment in",
            "announced",
            id="announced-investment",
        ),
        pytest.param(
            "stargate-investment", "softbank-group", "plans to invest in", "planned", id="planned"
        ),
        pytest.param(
            "crystal-intelligence-cooperation",
            "openai",
            "partner in (announced)",
            "announced",
            id="partner",
        ),
    ],
)
def test_an_edge_says_the_deal_status(
    run_cli: RunCli, record: str, source: str, relation: str, status: str
) -> None:
    graph = _graph_json(run_cli)
    (edge,) = [e for e in graph["edges"] if e["record"] == record and e["source"] == source]
    assert edge["relation"] == relation
    assert edge["label"].split(" · ")[0] == relation
    assert edge["status"] == status


def test_a_standing_relation_has_no_status(run_cli: RunCli) -> None:
    graph = _graph_json(run_cli, "--kind", "owns", "--kind", "works_for")
    assert graph["edges"]
    assert all(edge["status"] is None for edge in graph["edges"])


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="whole"),
        pytest.param(["--company", "softbank-group"], id="company"),
        pytest.param(["--kind", "owns", "--kind", "works_for"], id="standing"),
    ],
)
def test_the_dot_parses_and_keeps_every_edge(run_cli: RunCli, kb, args) -> None:
    expected = _graph_json(run_cli, *args)
    result = run_cli("graph", *args, "--format", "dot")
    assert result.exit_code == 0, result.stderr
    (parsed,) = pydot.graph_from_dot_data(result.stdout)
    assert parsed.get_type() == "digraph"
    edges = parsed.get_edges()
    assert len(edges) == len(expected["edges"])
    node_ids = {node.get_name().strip('"') for node in parsed.get_nodes()}

    def ends(edge: pydot.Edge) -> tuple[str, str, str]:
        return tuple(
            value.strip('"')
            for value in (edge.get_source(), edge.get_destination(), edge.get("record"))
        )

    # pydot groups edges by their ends, so they are compared in no particular order.
    assert sorted(ends(e) for e in edges) == sorted(
        (e["source"], e["target"], e["record"]) for e in expected["edges"]
    )
    for source, target, record in map(ends, edges):
        assert kb.get(record) is not None
        assert {source, target} <= node_ids


_MERMAID_TEXT = r'[^"\[\]|<>`{}#;\x00-\x1f\x7f-\x9f]*(?:#\d+;[^"\[\]|<>`{}#;\x00-\x1f]*)*'
_MERMAID_LINE = re.compile(
    rf'flowchart LR|  n\d+\["{_MERMAID_TEXT}"\]|  n\d+\(\["{_MERMAID_TEXT}"\]\)'
    rf'|  %% [a-z0-9-]+|  n\d+ -->\|"{_MERMAID_TEXT}"\| n\d+'
)


def test_the_mermaid_is_made_of_known_lines_only(run_cli: RunCli) -> None:
    result = run_cli("graph", "--company", "softbank-group")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "flowchart LR"
    for line in lines:
        assert _MERMAID_LINE.fullmatch(line), line
    assert (
        '-->|"agreed to acquire · 2025-03 (inferred) · 6.5 billion USD (about 47 billion CNY)"|'
        in result.stdout
    )
    assert "  %% ampere-acquisition" in lines


def test_company_keeps_its_group_relations(run_cli: RunCli) -> None:
    graph = _graph_json(run_cli, "--company", "softbank-group")
    group = {"softbank-group", "softbank-corp", "vision-fund-2", "arm", "graphcore"}
    for edge in graph["edges"]:
        assert {edge["source"], edge["target"]} & (
            group | {"arm-infrastructure-business-unit", "arm-neoverse"}
        ), edge
    records = {edge["record"] for edge in graph["edges"]}
    assert {"ampere-acquisition", "microsoft-japan-alliance", "softbank-corp"} <= records

    ampere = _graph_json(run_cli, "--company", "ampere")
    assert all("ampere" in (e["source"], e["target"]) for e in ampere["edges"])


def test_kind_keeps_that_kind(run_cli: RunCli, kb) -> None:
    graph = _graph_json(run_cli, "--kind", "acquisition")
    assert {e["kind"] for e in graph["edges"]} == {"acquisition"}
    wanted = {d.id for d in kb.deals if d.kind == "acquisition" and d.target}
    assert {e["record"] for e in graph["edges"]} == wanted


def test_year_keeps_the_deals_counting_for_it(run_cli: RunCli, kb) -> None:
    graph = _graph_json(run_cli, "--year", "2025")
    records = {e["record"] for e in graph["edges"]}
    for record_id in records:
        deal = kb.get(record_id)
        assert isinstance(deal, Deal)
        assert 2025 in deal_years(kb, deal)
    # A running total since September 2024 counts for 2025 too.
    assert "openai-investment-2024-cumulative" in records
    assert "graphcore-acquisition" not in records


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--company", "no such company"], "no organisation matches", id="unknown"),
        pytest.param(["--kind", "divestment", "--year", "2024"], "no relation matched", id="none"),
    ],
)
def test_nothing_to_draw_exits_1_with_a_message(run_cli: RunCli, args, message) -> None:
    result = run_cli("graph", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""  # mermaid, the default: nothing to draw
    assert "Traceback" not in result.stderr


def test_an_empty_graph_is_still_one_json_document(run_cli: RunCli) -> None:
    result = run_cli("graph", "--kind", "divestment", "--year", "2024", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"nodes": [], "edges": []}


def test_an_unknown_kind_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("graph", "--kind", "merger")
    assert result.exit_code == 2


def test_a_kind_however_it_is_spelled(run_cli: RunCli) -> None:
    spelled = _graph_json(run_cli, "--kind", "works-for")
    assert spelled == _graph_json(run_cli, "--kind", "works_for")
    assert {e["kind"] for e in spelled["edges"]} == {"works_for"}


HOSTILE = 'Evil "Co" [x] {y} |z| <b>&amp; %% `tick` #1; back\\slash\x1b[31m\u202eend\nnext'


def _hostile_kb() -> KnowledgeBase:
    cited = (Citation(source="article", excerpt="texte"),)
    return KnowledgeBase(
        sources=(
            Source(
                id="article",
                title="Titre",
                language="fr",
                sha256="0" * 64,
                description="An article.",
            ),
        ),
        organizations=(
            Organization(id="evil", citations=cited, name=HOSTILE, kind="company", description="x"),
            Organization(
                id="target",
                citations=cited,
                name="Target ]) --> x",
                kind="company",
                description="x",
                parent="evil",
            ),
        ),
        people=(
            Person(
                id="someone",
                citations=cited,
                name='Some "One"',
                roles=(Role(title=HOSTILE, organization="evil"),),
                description="x",
            ),
        ),
        deals=(
            Deal(
                id="evil-deal",
                citations=cited,
                kind="acquisition",
                investor="evil",
                target="target",
                date=PartialDate(value="2024"),
                amount=Money(amount=5e9, currency="USD"),
                summary=HOSTILE,
            ),
        ),
    )


def test_hostile_names_cannot_break_the_mermaid() -> None:
    text = graph_mermaid(relations_graph(_hostile_kb()))
    lines = text.splitlines()
    assert len(lines) == 1 + 3 + 2 * 3
    for line in lines:
        assert _MERMAID_LINE.fullmatch(line), line
    assert "#34;Co#34;" in text  # the quotes, as Mermaid's entities


def _dot_unquoted(value: str) -> str:
    """What a DOT quoted string says, as Graphviz reads it."""
    inner = value[1:-1]
    return re.sub(r"\\(.)", r"\1", inner).replace("&amp;", "&")


def test_hostile_names_cannot_break_the_dot() -> None:
    text = graph_dot(relations_graph(_hostile_kb()))
    assert "\x1b" not in text
    assert "\u202e" not in text
    (parsed,) = pydot.graph_from_dot_data(text)
    labels = {node.get_name().strip('"'): node.get("label") for node in parsed.get_nodes()}
    shown = safe(" ".join(HOSTILE.split()))
    assert _dot_unquoted(labels["evil"]) == shown
    assert _dot_unquoted(labels["target"]) == "Target ]) --> x"
    assert len(parsed.get_edges()) == 3
    assert {e.get("record").strip('"') for e in parsed.get_edges()} == {
        "evil-deal",
        "target",
        "someone",
    }


def test_the_graph_page_shows_the_real_mermaid(run_cli: RunCli) -> None:
    readme = (REPO / "docs" / "graph.md").read_text(encoding="utf-8")
    (shown,) = re.findall(r"```mermaid\n(.*?)```", readme, re.DOTALL)
    result = run_cli("graph", "--company", "softbank-group")
    assert shown == result.stdout
    assert (REPO / "docs" / "graph-softbank-group.png").stat().st_size > 10_000
