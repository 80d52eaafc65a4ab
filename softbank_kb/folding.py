"""Text as search compares it: folded (case, accents, punctuation gone) and stemmed.

Folding makes `Ampère` = `ampere` and `AI-RAN` = `ai ran`; a stem is a word's Snowball
stem in English or French (PyStemmer), so that `robots` ~ `robot` and `pertes` ~ `perte`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

# Letters NFKD does not take apart.
_LIGATURES = {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "þ": "th"}


def _fold_char(char: str) -> str:
    """One character folded: lowercase letters and digits, a space, or nothing."""
    if char.isspace():
        return " "
    if unicodedata.category(char)[0] == "C":
        return ""  # control and format characters, surrogates, unassigned code points
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    out = []
    for part in decomposed:
        if unicodedata.category(part)[0] == "M":
            continue  # the accent of a decomposed letter, or a lone combining mark
        part = _LIGATURES.get(part, part)
        out.append(part if part.isalnum() else " ")
    return "".join(out)


class _CharFolds(dict[int, str]):
    """A `str.translate` table that folds each character the first time it is seen."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


# Each character seen so far, folded: a code point -> what `_fold_char` makes of it.
_CHAR_FOLDS = _CharFolds()


# The accents of decomposed Latin letters, dropped before the table so that U+0345 (the
# Greek iota subscript, which casefolds to a letter, `ι`) goes as an accent too.
_ACCENTS = re.compile(r"[\u0300-\u036f]+")


# Plain, where it was clever: until this split, fold() took three paths (a byte table for
# ASCII, a regex over what was left, the dict), for the same results as this one line
# (property-tested in test_folding.py). Measured (benchmarks/README.md, "fold"): this line
# folds every text of the bundled KB in 3.3 ms against 2.1 ms and of a 10,000-record KB
# in 203 ms against 131 ms, a whole `search` or `ask` within the runs' noise of before.
def fold(text: str) -> str:
    """Text as search compares it: casefolded, unaccented, punctuation as single spaces."""
    return " ".join(
        _ACCENTS.sub("", unicodedata.normalize("NFKD", text)).translate(_CHAR_FOLDS).split()
    )


def _fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)`, and for each of its characters the index it came from in `text`."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        for part in _CHAR_FOLDS[ord(char)]:
            if part == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(part)
            offsets.append(index)
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return "".join(chars), offsets


# Stemming ---------------------------------------------------------------------------------


@cache
def _stemmers() -> tuple[Any, Any]:
    # Imported on first use: most commands never stem a word.
    import Stemmer

    return Stemmer.Stemmer("english"), Stemmer.Stemmer("french")


def stems(word: str) -> tuple[str, str]:
    """A folded word's English stem, then its French stem, each marked with its language."""
    english, french = _stemmers()
    return "en:" + english.stemWord(word), "fr:" + french.stemWord(word)


def stems_of_words(words: list[str]) -> tuple[list[str], list[str]]:
    """The English and the French stems of many folded words, in their order."""
    english, french = _stemmers()
    return english.stemWords(words), french.stemWords(words)
