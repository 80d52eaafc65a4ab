"""Folding: the fast three-path fold() gives what its one-line definition gives, on any text."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from softbank_kb.folding import _CHAR_FOLDS, fold

_ACCENTS = re.compile(r"[\u0300-\u036f]+")


def one_line_fold(text: str) -> str:
    """What fold() does, in one line: NFKD, accents dropped, each character folded."""
    return " ".join(
        _ACCENTS.sub("", unicodedata.normalize("NFKD", text)).translate(_CHAR_FOLDS).split()
    )


# Letters with accents, ligatures, typographic marks, controls, Greek with an iota
# subscript (U+0345 casefolds to a letter), fullwidth forms, CJK: what folding is about.
_HARD = "AaÉéœŒßẞİı’«»\u00a0\u200b\x00\t\n\u0301\u0345ᾳᾼﬁＡＩ孫🤖ꭰ\ufffd"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=40))
def test_fold_equals_its_one_line_definition_on_any_text(text: str) -> None:
    assert fold(text) == one_line_fold(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(_HARD + "ab -'"), max_size=30))
def test_fold_equals_its_one_line_definition_on_hard_characters(text: str) -> None:
    assert fold(text) == one_line_fold(text)


def test_the_order_of_the_steps_matters() -> None:
    # U+0345 casefolds to a letter: dropped as an accent first, it is gone; folded one
    # character at a time, it would stay as `ι`. The reference must get this right too.
    text = "\u1f80 ᾳ \u0345"
    assert fold(text) == one_line_fold(text) == "α α"
    assert " ".join(text.translate(_CHAR_FOLDS).split()) == "αι αι ι"
