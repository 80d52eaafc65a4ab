"""The closed lists of the data model, in a module light enough for --help to read."""

from __future__ import annotations

# models.py builds its record types from these (7 ms of import that --help and shell
# completion do without, measured with -X importtime).
RECORD_TYPES = ("source", "organization", "person", "deal", "quote", "figure", "event", "strategy")
DEAL_KINDS = (
    "investment",
    "funding_round",
    "acquisition",
    "stake_purchase",
    "divestment",
    "joint_venture",
    "partnership",
    "budget",
)
