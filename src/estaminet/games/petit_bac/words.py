"""Comparing answers the way a table does: accents, case, spaces, hyphens and articles forgiven.

``"Rémi"``, ``"remi"`` and ``" RE-MI "`` are one answer; ``"l'Ours"`` and
``"ours"`` too. The letter check reads the answer with or without its article,
so ``"L'Ours"`` counts for O (the article does not count) and ``"La Paz"`` for
L as written. Folding uses :mod:`unicodedata` (NFKD, combining marks dropped,
``casefold``), plus the two French ligatures NFKD leaves alone.
"""

from __future__ import annotations

import unicodedata

__all__ = ["comparison_key", "fold", "starts_with", "tidy"]

# NFKD keeps œ and æ as single letters: spell them out as French writers do.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
_ARTICLES = ("les ", "le ", "la ", "l'", "l’", "un ", "une ", "des ")


def tidy(text: str) -> str:
    """The answer as kept: outer spaces trimmed, inner runs of spaces made one."""
    return " ".join(text.split())


def _letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower case, no accents, only letters and digits (spaces, hyphens and quotes dropped)."""
    return "".join(ch for ch in _letters(text) if ch.isalnum())


def _without_article(text: str) -> str:
    plain = " ".join(_letters(text).split())
    for article in _ARTICLES:
        if plain.startswith(article) and len(plain) > len(article):
            return plain[len(article) :]
    return plain


def comparison_key(text: str) -> str:
    """What two answers must share to be the same answer (article, accents, case… forgiven)."""
    return fold(_without_article(text))


def starts_with(text: str, letter: str) -> bool:
    """Whether the answer starts with ``letter`` as written, or once its article is set aside."""
    wanted = fold(letter)
    return bool(wanted) and (
        fold(text).startswith(wanted) or comparison_key(text).startswith(wanted)
    )
