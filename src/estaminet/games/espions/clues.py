"""What a spymaster may say: one word, not a word still hidden on the grid, a sensible number.

Words are compared the way a table hears them: case, accents, the ligatures
œ/æ and a plural ``s`` or ``x`` do not make a different word, so ``Chats``
gives away ``chat`` and ``OEUF`` is ``œuf``. A clue is one word: letters,
with inner hyphens or apostrophes (``arc-en-ciel``, ``aujourd'hui``), no
spaces, no digits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["MAX_CLUE_LENGTH", "clue_problem", "fold", "same_word", "tidy"]

MAX_CLUE_LENGTH = 30

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": "'"})


def tidy(text: str) -> str:
    """The clue as shown: outer spaces trimmed, invisible format characters gone (a word
    copied from the grid carries the soft hyphens that let it break on a phone)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


def fold(text: str) -> str:
    """Lower case without accents (œ → oe): what two spoken words share."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stem(text: str) -> str:
    folded = fold(text)
    return folded[:-1] if len(folded) > 3 and folded[-1] in "sx" else folded


def same_word(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are one word to the ear (case, accents, a plural forgiven)."""
    return _stem(a) == _stem(b)


def _is_one_word(text: str) -> bool:
    parts = fold(text).replace("'", "-").split("-")
    return all(part.isalpha() and part.isascii() for part in parts)


def clue_problem(word: str, hidden: Sequence[str]) -> str | None:
    """Why ``word`` cannot be a clue on a grid whose unrevealed words are ``hidden``
    (a rejection code without its namespace), or ``None`` when it can."""
    text = tidy(word)
    if not text:
        return "empty_clue"
    if len(text) > MAX_CLUE_LENGTH:
        return "clue_too_long"
    if not _is_one_word(text):
        return "not_one_word"
    if any(same_word(text, card) for card in hidden):
        return "clue_on_grid"
    return None
