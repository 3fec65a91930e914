"""A question set as plain data: its shape, its limits, its checks, and how an answer is judged.

One question is ``{"text", "kind", "choices", "right", "accepted", "seconds", "media"}``:

* ``kind`` ``"choice"``: 2 to 6 ``choices``; ``right`` lists the indexes of the right
  one(s) (picking any right one scores);
* ``kind`` ``"free"``: the player types an answer, right when it matches one of the
  ``accepted`` answers once accents, case, spaces, hyphens and an article are forgiven
  (the comparison of Le Petit Bac: "Liège", "liege" and " LIÈGE " are one answer);
* ``seconds``: the time to answer that question; ``media``: ``None`` or a picture or a
  short sound uploaded to the venue (``{"kind": "image" | "audio", "name": <file>}``).

The same checks serve the editor, the CSV import and the table's options, so a set
that was accepted once is always playable. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from estaminet.games.petit_bac.words import comparison_key, tidy
from estaminet.games.quiz.rejections import reject
from estaminet.kernel.activity import Rejection

__all__ = [
    "DEFAULT_SECONDS",
    "KINDS",
    "MAX_ACCEPTED",
    "MAX_ACCEPTED_LENGTH",
    "MAX_ANSWER_LENGTH",
    "MAX_CHOICES",
    "MAX_CHOICE_LENGTH",
    "MAX_QUESTIONS",
    "MAX_SECONDS",
    "MAX_TEXT",
    "MAX_TITLE",
    "MEDIA_KINDS",
    "MIN_CHOICES",
    "MIN_SECONDS",
    "SAMPLE_SET",
    "SetProblem",
    "check_question",
    "check_set",
    "is_right",
    "media_name_ok",
]

MAX_TITLE = 80
MAX_QUESTIONS = 60
MAX_TEXT = 300
MIN_CHOICES, MAX_CHOICES = 2, 6
MAX_CHOICE_LENGTH = 100
MAX_ACCEPTED = 10
MAX_ACCEPTED_LENGTH = 80
MAX_ANSWER_LENGTH = 80
MIN_SECONDS, MAX_SECONDS = 5, 120
DEFAULT_SECONDS = 20
KINDS = ("choice", "free")
MEDIA_KINDS = ("image", "audio")

_MEDIA_NAME = re.compile(r"^[0-9a-f]{32}\.(webp|mp3|ogg|oga|wav|m4a)$")


@dataclass(frozen=True)
class SetProblem:
    """Why a set is refused, and which question (0-based; ``None``: the set itself)."""

    rejection: Rejection
    question: int | None = None


def media_name_ok(name: object) -> bool:
    """A file name the venue itself gave (random hex and a known extension), nothing else."""
    return isinstance(name, str) and _MEDIA_NAME.match(name) is not None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(values: Any) -> list[str] | None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    return [tidy(v) for v in values]


def check_question(raw: Any) -> dict[str, Any] | Rejection:
    """The question in its kept shape (texts tidied), or why it is refused."""
    if not isinstance(raw, Mapping):
        return reject("bad_set")
    text = raw.get("text")
    if not isinstance(text, str) or not tidy(text):
        return reject("text_empty")
    text = tidy(text)
    if len(text) > MAX_TEXT:
        return reject("text_long", max=MAX_TEXT)
    kind = raw.get("kind")
    if kind not in KINDS:
        return reject("bad_kind")
    seconds = raw.get("seconds", DEFAULT_SECONDS)
    if not _is_int(seconds) or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        return reject("bad_seconds", low=MIN_SECONDS, high=MAX_SECONDS)
    media = raw.get("media")
    if media is not None and (
        not isinstance(media, Mapping)
        or media.get("kind") not in MEDIA_KINDS
        or not media_name_ok(media.get("name"))
    ):
        return reject("bad_media")
    kept: dict[str, Any] = {
        "text": text,
        "kind": kind,
        "choices": [],
        "right": [],
        "accepted": [],
        "seconds": seconds,
        "media": None if media is None else {"kind": media["kind"], "name": media["name"]},
    }
    problem = _check_choices(raw, kept) if kind == "choice" else _check_accepted(raw, kept)
    return problem if problem is not None else kept


def _check_choices(raw: Mapping[str, Any], kept: dict[str, Any]) -> Rejection | None:
    choices = _texts(raw.get("choices"))
    if choices is None or not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        return reject("choice_count", low=MIN_CHOICES, high=MAX_CHOICES)
    seen: set[str] = set()
    for choice in choices:
        if not choice:
            return reject("choice_empty")
        if len(choice) > MAX_CHOICE_LENGTH:
            return reject("choice_long", max=MAX_CHOICE_LENGTH)
        key = choice.casefold()
        if key in seen:
            return reject("choice_twice", choice=choice)
        seen.add(key)
    right = raw.get("right")
    if not isinstance(right, list) or not right:
        return reject("no_right_choice")
    if not all(_is_int(r) and 0 <= r < len(choices) for r in right):
        return reject("bad_right_choice", count=len(choices))
    kept["choices"], kept["right"] = choices, sorted(set(right))
    return None


def _check_accepted(raw: Mapping[str, Any], kept: dict[str, Any]) -> Rejection | None:
    accepted = _texts(raw.get("accepted"))
    if accepted is None or not 1 <= len(accepted) <= MAX_ACCEPTED:
        return reject("accepted_count", low=1, high=MAX_ACCEPTED)
    for answer in accepted:
        if not comparison_key(answer):
            return reject("accepted_empty")
        if len(answer) > MAX_ACCEPTED_LENGTH:
            return reject("accepted_long", max=MAX_ACCEPTED_LENGTH)
    kept["accepted"] = accepted
    return None


def check_set(raw: Any) -> dict[str, Any] | SetProblem:
    """``{"title", "questions"}`` in its kept shape, or the first problem and where it is."""
    if not isinstance(raw, Mapping):
        return SetProblem(reject("bad_set"))
    title = raw.get("title")
    if not isinstance(title, str) or not tidy(title):
        return SetProblem(reject("title_empty"))
    if len(tidy(title)) > MAX_TITLE:
        return SetProblem(reject("title_long", max=MAX_TITLE))
    questions = raw.get("questions")
    if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_QUESTIONS:
        return SetProblem(reject("question_count", low=1, high=MAX_QUESTIONS))
    kept = []
    for number, question in enumerate(questions):
        checked = check_question(question)
        if isinstance(checked, Rejection):
            return SetProblem(checked, number)
        kept.append(checked)
    return {"title": tidy(title), "questions": kept}


def is_right(question: Mapping[str, Any], answer: int | str | None) -> bool:
    """Whether ``answer`` (a choice's index, or typed text) is right for ``question``."""
    if answer is None:
        return False
    if question["kind"] == "choice":
        return isinstance(answer, int) and answer in question["right"]
    if not isinstance(answer, str):
        return False
    key = comparison_key(answer)
    return bool(key) and any(key == comparison_key(a) for a in question["accepted"])


SAMPLE_SET: dict[str, Any] = {
    "title": "Quiz de démonstration",
    "questions": [
        {
            "text": "Quelle ville belge est surnommée la Cité ardente ?",
            "kind": "choice",
            "choices": ["Namur", "Liège", "Charleroi", "Mons"],
            "right": [1],
            "accepted": [],
            "seconds": 20,
            "media": None,
        },
        {
            "text": "Combien font septante plus vingt ?",
            "kind": "choice",
            "choices": ["Huitante", "Nonante", "Cent"],
            "right": [1],
            "accepted": [],
            "seconds": 15,
            "media": None,
        },
        {
            "text": "Quel légume accompagne traditionnellement les moules ?",
            "kind": "free",
            "choices": [],
            "right": [],
            "accepted": ["frites", "des frites", "pommes frites"],
            "seconds": 20,
            "media": None,
        },
        {
            "text": "Le Manneken-Pis se trouve à Bruxelles.",
            "kind": "choice",
            "choices": ["Vrai", "Faux"],
            "right": [0],
            "accepted": [],
            "seconds": 10,
            "media": None,
        },
        {
            "text": "Dans quelle ville se déroule la ducasse du Doudou ?",
            "kind": "free",
            "choices": [],
            "right": [],
            "accepted": ["Mons", "Bergen"],
            "seconds": 20,
            "media": None,
        },
    ],
}
"""The team's own short set: a table can play before anyone has written one."""
