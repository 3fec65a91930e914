"""The rules in plain words, built from the package's own numbers (shown on the table, in docs).

Pure code does not translate: each line is a :class:`~estaminet.kernel.i18n.Text`
with an English message id; the screen and the docs page render it in French
from the catalog. The numbers come from the options and constants, so the
page cannot drift from the rules the game enforces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.petit_bac.options import (
    BUILTIN_CATEGORIES,
    DEFAULT_OPTIONS,
    MAX_ANSWER_LENGTH,
    MAX_CATEGORIES,
    MIN_CATEGORIES,
    categories,
    excluded_letters,
)
from estaminet.games.petit_bac.scoring import SHARED_POINTS, UNIQUE_POINTS
from estaminet.kernel.i18n import N_, Nn_, Text

__all__ = ["rules_sections"]


def rules_sections(options: Mapping[str, Any] | None = None) -> list[tuple[Text, list[Text]]]:
    """Titled sections of short rules for a table with ``options`` (the defaults if ``None``)."""
    merged = {**DEFAULT_OPTIONS, **(options or {})}
    left_out = ", ".join(sorted(excluded_letters(merged))) or "—"
    builtin = [Text(BUILTIN_CATEGORIES[c["key"]]) for c in categories(merged) if "key" in c]
    custom = [c["label"] for c in categories(merged) if "label" in c]
    columns = Text(N_("Categories of this table: %(names)s."), {"names": _join(builtin, custom)})
    return [
        (
            Text(N_("The aim")),
            [
                Text(
                    N_(
                        "Each round a letter is drawn by lot. Find, for each category, a word "
                        "starting with that letter, and if possible one nobody else will find."
                    )
                ),
                Text(
                    Nn_("The game has %(count)s round.", "The game has %(count)s rounds."),
                    {"count": merged["rounds"]},
                ),
                Text(N_("Letters never drawn: %(letters)s."), {"letters": left_out}),
                columns,
                Text(
                    N_(
                        "The host chooses from %(low)s to %(high)s categories before the start, "
                        "built-in ones and the table's own."
                    ),
                    {"low": MIN_CATEGORIES, "high": MAX_CATEGORIES},
                ),
            ],
        ),
        (
            Text(N_("Writing")),
            [
                Text(
                    N_(
                        "Write one answer per category (%(max)s characters at most). Your "
                        "answers are saved as you type; nobody sees them before the reveal, "
                        "only who has filled in everything."
                    ),
                    {"max": MAX_ANSWER_LENGTH},
                ),
                Text(
                    N_(
                        "The first to have filled in every category may say “Stop!”: the "
                        "sheets close at once for everyone."
                    )
                ),
                Text(
                    N_("Otherwise the sheets close after %(seconds)s seconds."),
                    {"seconds": merged["writing_seconds"]},
                ),
            ],
        ),
        (
            Text(N_("Checking")),
            [
                Text(
                    N_(
                        "All answers are then shown. An empty answer, or one that does not "
                        "start with the letter, scores nothing."
                    )
                ),
                Text(
                    N_(
                        "Any player may contest another player's answer. The other players "
                        "vote: the answer is refused if more than half of them vote against it "
                        "(contesting counts as a vote against); otherwise it stays."
                    )
                ),
                Text(
                    N_(
                        "The check ends when everyone is ready and every vote is in, or after "
                        "%(seconds)s seconds."
                    ),
                    {"seconds": merged["review_seconds"]},
                ),
            ],
        ),
        (
            Text(N_("Points")),
            [
                Text(
                    N_("%(points)s points for a valid answer nobody else gave."),
                    {"points": UNIQUE_POINTS},
                ),
                Text(
                    N_("%(points)s points for a valid answer someone else gave too."),
                    {"points": SHARED_POINTS},
                ),
                Text(N_("0 points for an empty, wrong or refused answer.")),
                Text(
                    N_(
                        "Two answers are the same when they differ only by accents, capitals, "
                        "spaces, hyphens or an article: “Rémi” and “remi”, “l'Ours” and “ours”."
                    )
                ),
                Text(
                    N_(
                        "After the last round the highest total wins; equal totals share "
                        "their place."
                    )
                ),
            ],
        ),
    ]


def _join(builtin: list[Text], custom: list[str]) -> Text:
    # Built-in names are translated at the edge; the table's own names stay as typed.
    params: dict[str, Any] = {f"c{i}": name for i, name in enumerate([*builtin, *custom])}
    pattern = ", ".join(f"%(c{i})s" for i in range(len(params)))
    return Text(pattern, params)
