"""Comparing a guess with the word: found, close (« proche ! ») or missed.

Case, spaces, hyphens and apostrophes never matter (a phone capitalises the
first letter; « arc en ciel » is « arc-en-ciel »), and a word said inside a
sentence counts (« c'est un chat ? » finds « chat »). A guess that differs
only by its accents, or by one letter (one added, missing, changed, or two
neighbours swapped), is *close*: the guesser alone is told so.
"""

from __future__ import annotations

import unicodedata

__all__ = ["classify", "fold", "loose", "mentions"]

_SEPARATORS = str.maketrans({c: " " for c in "-'’_.,;:!?¿¡\"«»()"})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
MIN_TYPO_LENGTH = 3
"""Words shorter than this are close only by their accents (one letter is half of « œuf »)."""


def loose(text: str) -> str:
    """Lower case, punctuation as spaces, one space between words, « œ » as « oe »; accents kept."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_SEPARATORS)
    return " ".join(text.translate(_LIGATURES).split())


def fold(text: str) -> str:
    """:func:`loose`, then without accents (« Éléphant » → « elephant »)."""
    decomposed = unicodedata.normalize("NFD", loose(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _within_one(a: str, b: str) -> bool:
    """At most one edit: insert, delete, replace, or swap two neighbouring letters."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _windows(text: str, size: int) -> list[str]:
    words = text.split()
    return [" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))]


def classify(guess: str, word: str) -> str:
    """``"found"``, ``"close"`` or ``"missed"``."""
    target = loose(word)
    said = loose(guess)
    size = len(target.split())
    if target.replace(" ", "") in (w.replace(" ", "") for w in _windows(said, size)):
        return "found"
    folded = fold(word)
    for window in _windows(fold(guess), size):
        if window.replace(" ", "") == folded.replace(" ", ""):
            return "close"
        if len(folded) >= MIN_TYPO_LENGTH and _within_one(window, folded):
            return "close"
    return "missed"


def mentions(text: str, word: str) -> bool:
    """Whether ``text`` gives the word away (found or close)."""
    return classify(text, word) != "missed"
