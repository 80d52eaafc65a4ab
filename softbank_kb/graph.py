"""Who invested in, bought, partnered with, sold, owns or works for whom: the KB as a graph."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from softbank_kb.models import Deal, KnowledgeBase, Money, PartialDate
from softbank_kb.query import company_group, deal_years

# What an edge of each deal kind says the investor did to the target.
DEAL_RELATIONS = {
    "investment": "invested in",
    "funding_round": "invested in",
    "stake_purchase": "bought a stake in",
    "acquisition": "acquired",
    "divestment": "sold",
    "joint_venture": "partnered in",
    "partnership": "partnered with",
}
# What the investor's edge says of a deal only announced or planned: an announced
# acquisition is not "acquired", a planned investment not "invested in".
STATUS_RELATIONS = {
    "announced": {
        "investment": "announced an investment in",
        "funding_round": "announced an investment in",
        "stake_purchase": "agreed to buy a stake in",
        "acquisition": "agreed to acquire",
        "divestment": "agreed to sell",
        "joint_venture": "announced a joint venture in",
        "partnership": "announced a partnership with",
    },
    "planned": {
        "investment": "plans to invest in",
        "funding_round": "plans to invest in",
        "stake_purchase": "plans to buy a stake in",
        "acquisition": "plans to acquire",
        "divestment": "plans to sell",
        "joint_venture": "plans a joint venture in",
        "partnership": "plans a partnership with",
    },
}
# A partner's edge: the announcement or plan is the investor's, so the partner's says only
# that it is named in it.
PARTNER_RELATIONS = {"announced": "partner in (announced)", "planned": "partner in (planned)"}
# Edge kinds: the deal kinds that have a counterparty, and the two standing relations.
EDGE_KINDS = (*DEAL_RELATIONS, "owns", "works_for")


@dataclass(frozen=True)
class Node:
    """An organisation or a person."""

    id: str
    type: str
    label: str


@dataclass(frozen=True)
class Edge:
    """One relation, and the record that states it."""

    source: str
    target: str
    kind: str
    relation: str
    record: str
    date: PartialDate | None = None
    amount: Money | None = None
    title: str | None = None  # a role's title, for works_for
    status: str | None = None  # a deal's: completed, announced or planned


@dataclass(frozen=True)
class Graph:
    """The nodes and edges of the relations asked for."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def relations_graph(
    kb: KnowledgeBase,
    company: str | None = None,
    kinds: Collection[str] | None = None,
    years: Collection[int] | None = None,
) -> Graph:
    """Every relation matching the filters, and the organisations and people it joins.

    `company` keeps the relations of that company or of its group (its subsidiaries, as
    `invest --company` counts them); `years` keeps the dated deals counting for one of
    them (a standing relation, owns or works_for, has no date and is left out).
    """
    group = company_group(kb, company) if company is not None else None
    edges = [
        edge
        for edge in _edges(kb)
        if (group is None or edge.source in group or edge.target in group)
        and (not kinds or edge.kind in kinds)
        and (years is None or _in_years(kb, edge, years))
    ]
    used = {end for edge in edges for end in (edge.source, edge.target)}
    nodes = [
        Node(record.id, record.type, record.label)
        for record in (*kb.organizations, *kb.people)
        if record.id in used
    ]
    return Graph(tuple(nodes), tuple(edges))


def _in_years(kb: KnowledgeBase, edge: Edge, years: Collection[int]) -> bool:
    deal = kb.get(edge.record)
    return isinstance(deal, Deal) and bool(set(deal_years(kb, deal)) & set(years))


def _edges(kb: KnowledgeBase) -> Iterator[Edge]:
    for deal in kb.deals:
        if deal.target is None or deal.kind not in DEAL_RELATIONS:
            continue  # a budget: money set aside, nobody on the other side
        for party in (deal.investor, *deal.partners):
            if party != deal.target:
                yield Edge(
                    party,
                    deal.target,
                    deal.kind,
                    _deal_relation(deal, party),
                    deal.id,
                    deal.date,
                    deal.amount,
                    status=deal.status,
                )
    for organization in kb.organizations:
        if organization.parent is not None:
            yield Edge(organization.parent, organization.id, "owns", "owns", organization.id)
    for person in kb.people:
        # One edge per organisation, however many titles the person holds there.
        titles: dict[str, list[str]] = {}
        for role in person.roles:
            titles.setdefault(role.organization, []).append(role.title)
        for organization_id, held in titles.items():
            yield Edge(
                person.id,
                organization_id,
                "works_for",
                "works for",
                person.id,
                title=", ".join(held),
            )


def _deal_relation(deal: Deal, party: str) -> str:
    """What the edge from `party` says of a deal, in the words of the deal's status."""
    if deal.status == "completed":
        return DEAL_RELATIONS[deal.kind]
    if party != deal.investor:
        return PARTNER_RELATIONS[deal.status]
    return STATUS_RELATIONS[deal.status][deal.kind]
