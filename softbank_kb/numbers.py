"""Numbers written in figures in French or English text, read as values to compare."""

from __future__ import annotations

import re
from decimal import Decimal

from softbank_kb.folding import normalize

# French groups thousands with a space and writes the decimal with a comma ("1 000",
# "6,5"); English groups with a comma and writes a point ("1,000", "6.5"). A scale word
# after the figures multiplies it ("6,5 milliards", "6.5 billion").
_FRENCH = re.compile(
    r"(?<![\w,.])(\d{1,3}(?: \d{3})+|\d+)(?:,(\d+))?(?! ?\d)"
    r"(?: (mille|millions?|milliards?)\b)?",
    re.IGNORECASE,
)
_ENGLISH = re.compile(
    r"(?<![\w,.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d,]\d)"
    r"(?: ?(thousand|million|billion|trillion|bn)\b)?",
    re.IGNORECASE,
)
_FRENCH_SCALES = {"mille": 3, "million": 6, "millions": 6, "milliard": 9, "milliards": 9}
_ENGLISH_SCALES = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12, "bn": 9}


def _value(whole: str, fraction: str | None, exponent: int) -> Decimal:
    digits = re.sub(r"\D", "", whole) + (f".{fraction}" if fraction else "")
    return Decimal(digits).scaleb(exponent)


def french_numbers(text: str) -> set[Decimal]:
    """The values of the numbers French text writes in figures: "1 000 milliards" is 1e12."""
    return {
        _value(m[1], m[2], _FRENCH_SCALES[m[3].lower()] if m[3] else 0)
        for m in _FRENCH.finditer(normalize(text))
    }


def english_numbers(text: str) -> set[Decimal]:
    """The values of the numbers English text writes in figures: "1,000 billion" is 1e12."""
    return {
        _value(m[1], m[2], _ENGLISH_SCALES[m[3].lower()] if m[3] else 0)
        for m in _ENGLISH.finditer(normalize(text))
    }


def as_decimal(amount: float) -> Decimal:
    """A record's amount as the decimal it was written as (6500000000.0 is 6500000000)."""
    return Decimal(repr(amount))


def shown(value: Decimal) -> str:
    """A value as a curator reads it in a warning: 152000000, 6.5, 2024."""
    return format(value.normalize(), "f")
