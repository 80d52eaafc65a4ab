"""Word stems by the Snowball stemmers for English and French (PyStemmer)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _stemmers() -> tuple[Any, Any]:
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
