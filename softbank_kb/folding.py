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


def _ascii_table() -> tuple[bytes, bytes]:
    """What `_fold_char` does to each ASCII byte, as a `bytes.translate` table and deletions."""
    table = bytes(ord(_fold_char(chr(b)) or " ") if b < 128 else b for b in range(256))
    deleted = bytes(b for b in range(128) if not _fold_char(chr(b)))
    return table, deleted


_ASCII_TABLE, _ASCII_DELETED = _ascii_table()
# The accents of decomposed Latin letters: the bulk of what folding removes from French.
# Dropped before any character is looked up, so U+0345 (the Greek iota subscript, which
# casefolds to the letter `ι`) goes as an accent too.
_ACCENTS = re.compile(r"[\u0300-\u036f]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _fold_match(match: re.Match[str]) -> str:
    """One non-ASCII character folded, for `re.sub`."""
    return _CHAR_FOLDS[ord(match.group())]


# Clever, measured (issue 13; benchmarks/README.md, "fold: three paths or one line"): the
# one line it is tested equal to (test_folding.py), NFKD, accents dropped, then
# `_CHAR_FOLDS` for every character, folds every text of a 10,000-record KB in 201 ms
# against 131 ms, which made a cold 10,000-record `ask` or `search` 5 % slower (68 ms of
# 1.3-1.4 s CPU); warm runs, which fold only the query, did not change.
def fold(text: str) -> str:
    """Text as search compares it: casefolded, unaccented, punctuation as single spaces."""
    # `_fold_char` applied to every character, made fast: it is local to each character,
    # so the string can first be decomposed and stripped of its accents in one pass, and
    # what is left of ASCII goes through a byte table rather than a dict per character.
    if not text.isascii():
        text = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
        text = _NON_ASCII.sub(_fold_match, text)
        if not text.isascii():
            return " ".join(text.translate(_CHAR_FOLDS).split())
    return " ".join(text.encode().translate(_ASCII_TABLE, _ASCII_DELETED).decode().split())


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


ELLIPSIS = "…"
# Folds typographic quotation marks and apostrophes to ASCII, as the seeds' README says.
_ASCII_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC, ASCII quotes and apostrophes, single spaces: the form excerpts are compared in."""
    return normalize_keeping_lines(text).replace("\n", " ")


def normalize_keeping_lines(text: str) -> str:
    """As `normalize`, but a run of white space holding a line break becomes one newline.

    Both forms have the same length, so offsets in one are offsets in the other.
    """
    folded = unicodedata.normalize("NFC", text).translate(_ASCII_QUOTES).strip()
    return _SPACE.sub(lambda run: "\n" if "\n" in run.group() else " ", folded)
