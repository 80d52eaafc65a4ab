"""Records, profiles, hits and answers as JSON: the one home of what `--json` and export print."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from softbank_kb.constraints import compact_number
from softbank_kb.models import (
    AnyRecord,
    Money,
    Organization,
    PartialDate,
    Person,
    Quantity,
    Quote,
    field_names,
)
from softbank_kb.printable import UNSAFE_IN_JSON

if TYPE_CHECKING:
    from softbank_kb.ask import Answer, Reply
    from softbank_kb.query import Profile
    from softbank_kb.search import Hit


def to_json(value: Any) -> str:
    """One JSON document; control and bidi characters escaped as JSON escapes them."""
    dumped = json.dumps(value, ensure_ascii=False, indent=2)
    # json.dumps with ensure_ascii writes a tag character as its surrogate pair.
    return UNSAFE_IN_JSON.sub(lambda m: json.dumps(m.group())[1:-1], dumped)


def json_data(value: Any) -> Any:
    """A record or value as JSON data: fields in order, tuples as lists, 6.5e9 as 6500000000."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return compact_number(value)
    if isinstance(value, tuple):
        return [json_data(item) for item in value]
    return {name: json_data(getattr(value, name)) for name in field_names(type(value))}


def record_dict(record: AnyRecord) -> dict[str, Any]:
    """A record as JSON-ready data: `id` and `type` first, then every field."""
    data = json_data(record)
    return {"id": data.pop("id"), "type": data.pop("type"), **data}


def records_json(records: Iterable[AnyRecord]) -> str:
    """An array of record objects."""
    return to_json([record_dict(record) for record in records])


def profile_json(found: Profile) -> str:
    """The profile as one object: the record, and the linked records in full."""
    data = record_dict(found.record)
    data["linked"] = {
        key: [record_dict(record) for record in records] for key, _, records in found.sections()
    }
    return to_json(data)


def hits_json(hits: Sequence[Hit]) -> str:
    """An array of hits, each with its score, tier, matched field and the full record."""
    return to_json(
        [
            {
                "score": round(hit.score, 2),
                "tier": hit.tier,
                "field": hit.field,
                "matched": hit.text,
                "spans": [list(span) for span in hit.spans],
                "record": record_dict(hit.record),
            }
            for hit in hits
        ]
    )


def answers_json(reply: Reply) -> str:
    """An array of answers: the value, why it was chosen, its score and the full record."""
    return to_json(
        [
            {
                "answer": _answer_value(answer),
                "kind": answer.kind,
                "why": {
                    "entities": list(answer.entities),
                    "concepts": list(answer.concepts),
                    "years": list(answer.years),
                    "language": reply.question.language,
                    "asked": reply.question.wanted,
                    "ignored": list(reply.question.ignored),
                },
                "score": answer.score,
                "excerpt": json_data(answer.citation),
                "record": record_dict(answer.record),
            }
            for answer in reply.answers
        ]
    )


def _answer_value(answer: Answer) -> Any:
    """An answer's value as JSON: money and dates as the records write them, else an id."""
    value = answer.value
    if isinstance(value, (Money, Quantity)):
        return json_data(value)
    if isinstance(value, PartialDate):
        return value.value
    if isinstance(value, Person):
        return {"person": value.id, "name": value.name, "roles": json_data(value.roles)}
    if isinstance(value, Quote):
        return {"speaker": value.speaker, "text": value.text, "text_en": value.text_en}
    if isinstance(value, Organization):
        return {"organization": value.id, "name": value.name}
    return value
