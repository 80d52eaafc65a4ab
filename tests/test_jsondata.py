"""JSON in one place: the numbers and escapes it writes, a profile's sections, its imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from softbank_kb.jsondata import compact_number, profile_json, record_dict, to_json
from softbank_kb.listing import RecordList
from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import KnowledgeBase, Organization
from softbank_kb.paths import bundled_data_dir
from softbank_kb.query import profile
from softbank_kb.render import profile_view


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """The bundled knowledge base, loaded once for the module."""
    return load_knowledge_base(bundled_data_dir())


@pytest.mark.parametrize(
    ("value", "written"), [(6.5e9, "6500000000"), (0.0, "0"), (2.5, "2.5"), (1e-3, "0.001")]
)
def test_compact_number_drops_the_point_of_whole_amounts(value: float, written: str) -> None:
    assert json.dumps(compact_number(value)) == written


def test_to_json_escapes_what_a_terminal_would_hide() -> None:
    dumped = to_json({"text": "a\u202eb\U000e0041c\x1b"})
    assert "\u202e" not in dumped and "\U000e0041" not in dumped and "\x1b" not in dumped
    assert json.loads(dumped) == {"text": "a\u202eb\U000e0041c\x1b"}


def test_record_dict_puts_id_and_type_first(kb: KnowledgeBase) -> None:
    data = record_dict(kb.deals[0])
    assert list(data)[:2] == ["id", "type"]
    assert data["id"] == kb.deals[0].id


def test_a_profiles_json_and_view_walk_the_same_sections(kb: KnowledgeBase) -> None:
    group = kb.get("softbank-group")
    assert isinstance(group, Organization)
    found = profile(kb, group)
    sections = found.sections()
    assert [key for key, _, _ in sections] == [
        "people",
        "subsidiaries",
        "deals",
        "figures",
        "quotes_by",
        "quotes_about",
        "events",
        "strategy",
    ]
    linked = json.loads(profile_json(found))["linked"]
    assert list(linked) == [key for key, _, _ in sections]
    assert all(
        [record["id"] for record in linked[key]] == [record.id for record in records]
        for key, _, records in sections
    )
    # The view shows a titled list for each section that has records, in the same order.
    shown = profile_view(found, kb)
    titles = [part.title for part in shown if isinstance(part, RecordList)]
    assert titles == [f"{title} ({len(records)})" for _, title, records in sections if records]


@pytest.mark.parametrize(
    ("module", "absent"),
    [("softbank_kb.jsondata", "rich"), ("softbank_kb.export", "softbank_kb.render")],
)
def test_json_and_export_need_no_renderer(module: str, absent: str) -> None:
    code = f"import sys, {module}; sys.exit({absent!r} in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
