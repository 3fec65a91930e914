"""Reading clues and guesses the way a table does: accents, case and an article forgiven.

A clue is one word (a hyphen or an apostrophe may join its parts). It may not
be the player's own word nor an obvious form of it: the same word once
accents, case, a plural or a feminine ``-e`` are set aside (``Plages`` for
*plage*), nor a longer word built on it (``plagiste`` for *plage*). Only the
player's own word is compared: refusing a clue because it is *another*
player's word would tell the player that word.
"""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_CLUE_LENGTH", "clue_problem", "comparison_key", "same_family", "tidy"]

MAX_CLUE_LENGTH = 30
"""The longest clue (and guess) accepted, in characters."""

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": "'"})
_ARTICLES = ("les ", "le ", "la ", "l'", "un ", "une ", "des ", "du ")
_JOINERS = "-'"
_STEM_MIN = 4


def tidy(text: str) -> str:
    """Outer spaces trimmed, inner runs of spaces made one."""
    return " ".join(text.split())


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def comparison_key(text: str) -> str:
    """Lower case, no accents, no leading article, letters and digits only."""
    plain = _plain(text)
    for article in _ARTICLES:
        if plain.startswith(article) and len(plain) > len(article):
            plain = plain[len(article) :]
            break
    return "".join(ch for ch in plain if ch.isalnum())


def _stem(key: str) -> str:
    for ending in ("es", "s", "x", "e"):
        if key.endswith(ending) and len(key) - len(ending) >= 2:
            return key[: -len(ending)]
    return key


def same_family(clue: str, word: str) -> bool:
    """Whether ``clue`` is ``word`` or an obvious form of it (plural, feminine, built on it)."""
    a, b = comparison_key(clue), comparison_key(word)
    if not a or not b:
        return False
    stem_a, stem_b = _stem(a), _stem(b)
    if a == b or stem_a == stem_b:
        return True
    shorter, longer = (stem_a, b) if len(stem_a) <= len(stem_b) else (stem_b, a)
    return len(shorter) >= _STEM_MIN and longer.startswith(shorter)


def clue_problem(clue: str, own_word: str | None) -> str | None:
    """Why ``clue`` is refused (a rejection code), or ``None`` if it is a fair clue."""
    text = tidy(clue)
    if not text:
        return "empty_clue"
    if len(text) > MAX_CLUE_LENGTH:
        return "clue_too_long"
    if " " in text:
        return "one_word"
    if not all(ch.isalnum() or ch in _JOINERS or ch == "’" for ch in text) or not any(
        ch.isalnum() for ch in text
    ):
        return "letters_only"
    if own_word is not None and same_family(text, own_word):
        return "own_word"
    return None
