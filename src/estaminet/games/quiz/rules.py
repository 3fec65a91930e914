"""The rules in plain words, built from the package's own numbers (shown on the table, in docs).

Pure code does not translate: each line is a :class:`~estaminet.kernel.i18n.Text`
with an English message id; the screen and the docs page render it in French.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.quiz.options import DEFAULT_OPTIONS
from estaminet.games.quiz.questions import (
    DEFAULT_SECONDS,
    MAX_CHOICES,
    MAX_SECONDS,
    MIN_CHOICES,
    MIN_SECONDS,
)
from estaminet.games.quiz.scoring import FASTEST_POINTS, SLOWEST_POINTS
from estaminet.kernel.i18n import N_, Nn_, Text

__all__ = ["rules_sections"]


def rules_sections(options: Mapping[str, Any] | None = None) -> list[tuple[Text, list[Text]]]:
    """Titled sections of short rules for a table with ``options`` (the defaults if ``None``)."""
    merged = {**DEFAULT_OPTIONS, **(options or {})}
    count = len(merged["quiz"]["questions"])
    return [
        (
            Text(N_("The aim")),
            [
                Text(
                    N_(
                        "Answer the questions on your phone, right and fast: the quickest "
                        "right answers score the most."
                    )
                ),
                Text(
                    Nn_(
                        "This table's set, “%(title)s”, has %(count)s question.",
                        "This table's set, “%(title)s”, has %(count)s questions.",
                    ),
                    {"title": merged["quiz"]["title"], "count": count},
                ),
                Text(
                    N_(
                        "An animator writes the sets in the app (or imports them from a "
                        "spreadsheet); the host of the table chooses one before the start."
                    )
                ),
            ],
        ),
        (
            Text(N_("Answering")),
            [
                Text(
                    N_(
                        "A question offers %(low)s to %(high)s choices (pick one: any right "
                        "one counts), or asks you to type the answer."
                    ),
                    {"low": MIN_CHOICES, "high": MAX_CHOICES},
                ),
                Text(
                    N_(
                        "A typed answer is right when it is one of the accepted answers, "
                        "forgiving accents, capitals, spaces, hyphens and an article: "
                        "“Liège”, “liege” and “LIEGE” are the same answer."
                    )
                ),
                Text(
                    N_(
                        "Each question has its own time (%(default)s seconds unless the animator "
                        "chose from %(low)s to %(high)s). It closes when time is up or when "
                        "every player has answered. One answer per question: it cannot be "
                        "changed."
                    ),
                    {"default": DEFAULT_SECONDS, "low": MIN_SECONDS, "high": MAX_SECONDS},
                ),
                Text(
                    N_(
                        "The server's clock counts: the time taken runs from the moment the "
                        "question opened to the moment your answer reached the venue, the "
                        "same for everyone whatever their phone."
                    )
                ),
                Text(N_("Some questions come with a picture or a short sound (the blind test).")),
            ],
        ),
        (
            Text(N_("Points")),
            [
                Text(
                    N_(
                        "A right answer scores %(fast)s points if instant, down to %(slow)s at "
                        "the last moment: %(fast)s × (1 − time taken ÷ (2 × time allowed))."
                    ),
                    {"fast": FASTEST_POINTS, "slow": SLOWEST_POINTS},
                ),
                Text(N_("A wrong answer, or none, scores 0.")),
                Text(
                    N_(
                        "Nobody sees the right answer, nor anyone's answer, before the question "
                        "closes. Then the scoreboard shows them for %(seconds)s seconds."
                    ),
                    {"seconds": merged["pause_seconds"]},
                ),
                Text(
                    N_(
                        "After the last question the highest total wins; equal totals share "
                        "their place."
                    )
                ),
            ],
        ),
        (
            Text(N_("Watchers")),
            [
                Text(
                    N_(
                        "Those who watch the table may answer too, on their own board: their "
                        "answers never change the players' game and they have their own "
                        "ranking, by the same points."
                    )
                ),
            ],
        ),
    ]
