"""The relations graph written for other tools: Mermaid, Graphviz DOT and JSON, with no rich."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from softbank_kb.jsondata import json_data, to_json
from softbank_kb.listing import format_value
from softbank_kb.printable import safe

if TYPE_CHECKING:
    from softbank_kb.graph import Edge, Graph


def edge_label_parts(edge: Edge) -> list[str]:
    """What an edge says, in words: the relation, then its date and amount where stated."""
    parts = [f"{edge.relation}: {edge.title}" if edge.title else edge.relation]
    if edge.date is not None:
        parts.append(str(edge.date))
    if edge.amount is not None:
        parts.append(format_value(edge.amount))
    return parts


# Characters a Mermaid label keeps as they are; any other is written as Mermaid's `#N;`
# entity, so that no quote, bracket, pipe, `%%`, backtick or markup from the data can
# end the label or be read as syntax.
_MERMAID_PLAIN = re.compile(r"[^\W_]|[ .,:'/()+·-]")


def _mermaid_text(value: str) -> str:
    return "".join(
        char if _MERMAID_PLAIN.fullmatch(char) else f"#{ord(char)};"
        for char in " ".join(value.split())
    )


def graph_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart: a node per organisation or person, an edge per relation."""
    names = {node.id: f"n{index}" for index, node in enumerate(graph.nodes, 1)}
    lines = ["flowchart LR"]
    for node in graph.nodes:
        opening, closing = ("([", "])") if node.type == "person" else ("[", "]")
        lines.append(f'  {names[node.id]}{opening}"{_mermaid_text(node.label)}"{closing}')
    for edge in graph.edges:
        label = _mermaid_text(" · ".join(edge_label_parts(edge)))
        lines.append(f"  %% {edge.record}")
        lines.append(f'  {names[edge.source]} -->|"{label}"| {names[edge.target]}')
    return "\n".join(lines) + "\n"


def _dot_string(value: str) -> str:
    """A DOT quoted string of one line of text: nothing in it can end the string."""
    text = safe(" ".join(value.split()))
    # Graphviz reads `\x` as its own escapes and `&...;` as an entity: both kept literal.
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return f'"{text}"'


def _dot_lines(parts: list[str]) -> str:
    """A DOT label of several lines, each escaped, joined by Graphviz's centred newline."""
    return '"' + "\\n".join(_dot_string(part)[1:-1] for part in parts) + '"'


def graph_dot(graph: Graph) -> str:
    """A Graphviz digraph: `dot -Tsvg` draws it; each edge carries its record's id."""
    lines = [
        "digraph sbkb {",
        '  graph [rankdir=LR, charset="UTF-8", fontname="Helvetica"];',
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node in graph.nodes:
        shape = ", shape=ellipse" if node.type == "person" else ""
        lines.append(
            f"  {_dot_string(node.id)} [label={_dot_string(node.label)}{shape},"
            f" tooltip={_dot_string(node.id)}]"
        )
    for edge in graph.edges:
        lines.append(
            f"  {_dot_string(edge.source)} -> {_dot_string(edge.target)}"
            f" [label={_dot_lines(edge_label_parts(edge))}, kind={_dot_string(edge.kind)},"
            f" record={_dot_string(edge.record)}, tooltip={_dot_string(edge.record)}]"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_json(graph: Graph) -> str:
    """One JSON document: the nodes, and the edges with their record ids."""
    return to_json(
        {
            "nodes": [json_data(node) for node in graph.nodes],
            "edges": [
                {**json_data(edge), "label": " · ".join(edge_label_parts(edge))}
                for edge in graph.edges
            ],
        }
    )
