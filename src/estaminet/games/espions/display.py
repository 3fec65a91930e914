"""How a word is set on a small card: a long word gets one soft hyphen between two syllables.

On a 390 px phone a card of the grid is about 65 px wide: ``bibliothèque``
does not fit on one line. Rather than let the browser cut it anywhere
(``annea/u``), the screen offers one break, between two syllables near the
middle, with a soft hyphen (U+00AD: invisible unless the word is broken there).
The syllables follow the usual French rule for a written line: between two
vowels' consonants, before the last consonant, keeping together the pairs
that start a syllable (``bl``, ``ch``, ``tr``…).
"""

from __future__ import annotations

__all__ = ["SOFT_HYPHEN", "breakable"]

SOFT_HYPHEN = "\u00ad"
_LONG = 8
_VOWELS = set("aeiouyàâäéèêëîïôöùûüœæ")
_TOGETHER = {
    "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gn", "gr",
    "ph", "pl", "pr", "qu", "th", "tr", "vr",
}  # fmt: skip


def _breaks(word: str) -> list[int]:
    """Positions where a line may break between two syllables."""
    lower = word.casefold()
    found = []
    index = 1
    while index < len(lower):
        if lower[index - 1] in _VOWELS and lower[index] not in _VOWELS:
            end = index
            while end < len(lower) and lower[end] not in _VOWELS:
                end += 1
            if end < len(lower) and end - index >= 1:
                cluster = lower[index:end]
                cut = end - 2 if len(cluster) >= 2 and cluster[-2:] in _TOGETHER else end - 1
                if lower[cut : cut + 2] != "qu" or cut == index:
                    found.append(max(cut, index))
            index = end
        else:
            index += 1
    return [at for at in found if 2 <= at <= len(word) - 2]


def breakable(word: str) -> str:
    """``word`` with a soft hyphen at the syllable break nearest its middle (long words only)."""
    if len(word) < _LONG:
        return word
    breaks = _breaks(word)
    if not breaks:
        return word
    middle = len(word) / 2
    at = min(breaks, key=lambda position: abs(position - middle))
    return word[:at] + SOFT_HYPHEN + word[at:]
