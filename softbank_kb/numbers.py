"""Numbers in French and English text: read as values to compare, written as words."""

from __future__ import annotations

import re
from decimal import Decimal

from softbank_kb.folding import normalize
from softbank_kb.models import Money, Quantity

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


# Written as English words ---------------------------------------------------------------

_QUALIFIER_WORDS = {
    "about": "about",
    "nearly": "nearly",
    "up_to": "up to",
    "more_than": "more than",
    "slightly_more_than": "slightly more than",
    "at_least": "at least",
}
_SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def format_number(amount: float) -> str:
    """6500000000 as '6.5 billion', 581000000 as '581 million', 5 as '5'."""
    for size, word in _SCALES:
        if amount >= size:
            return f"{_trim(amount / size)} {word}"
    return _trim(amount)


def _trim(number: float) -> str:
    return f"{number:,.3f}".rstrip("0").rstrip(".")


def format_value(value: Money | Quantity | None) -> str:
    """An amount as the article states it: its qualifier, and the conversions it gives."""
    if value is None:
        return ""
    qualifier = _QUALIFIER_WORDS[value.qualifier] + " " if value.qualifier else ""
    if isinstance(value, Quantity):
        unit = value.unit if value.unit == "%" else f" {value.unit}"
        return f"{qualifier}{format_number(value.amount)}{unit}"
    stated = f"{qualifier}{format_number(value.amount)} {value.currency}"
    if value.equivalents:
        stated += " (" + "; ".join(format_value(e) for e in value.equivalents) + ")"
    return stated


def plain_number(amount: float) -> str:
    """A number as `sort -n` and a spreadsheet read it: 6500000000, 4.99; never 6.5e9."""
    return shown(as_decimal(float(amount)))
