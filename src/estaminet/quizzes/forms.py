"""The question set editor's form: its fields, read into a set to check, and back for the page.

One fieldset per question slot ``q<i>_…``: ``text``, ``kind`` (``choice``/``free``),
``choice0``…``choice5`` with ``right0``…``right5`` ticks, ``accepted`` (one answer
per line), ``seconds``, a file ``media``, and for a question that has one,
``media_name``/``media_kind`` (kept) and ``media_remove``; ``delete`` drops the
question. A slot left blank is skipped, so the page always offers an empty one.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from starlette.datastructures import FormData

from estaminet.games.quiz import DEFAULT_SECONDS, MAX_CHOICES, MAX_QUESTIONS, media_name_ok

__all__ = ["MAX_SLOTS", "blank_question", "read_set"]

MAX_SLOTS = MAX_QUESTIONS + 1


def blank_question() -> dict[str, Any]:
    """An empty slot for the page."""
    return {
        "text": "",
        "kind": "choice",
        "choices": [],
        "right": [],
        "accepted": [],
        "seconds": DEFAULT_SECONDS,
        "media": None,
    }


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_set(form: FormData, known_media: Collection[str]) -> tuple[dict[str, Any], list[int]]:
    """The set as typed (to check, or to show again) and, for each question kept, the slot
    it came from (so an uploaded file finds its question). ``known_media``: the files this
    person may reuse (their own); any other name is dropped."""
    raw_count = _text(form, "count")
    count = min(int(raw_count), MAX_SLOTS) if raw_count.isdigit() else 0
    questions: list[dict[str, Any]] = []
    slots: list[int] = []
    for i in range(count):
        p = f"q{i}_"
        if form.get(p + "delete") == "on":
            continue
        choices = [_text(form, f"{p}choice{k}") for k in range(MAX_CHOICES)]
        right_ticks = {k for k in range(MAX_CHOICES) if form.get(f"{p}right{k}") == "on"}
        accepted = [
            line.strip() for line in _text(form, p + "accepted").splitlines() if line.strip()
        ]
        text = _text(form, p + "text")
        upload = form.get(p + "media")
        has_upload = not isinstance(upload, str) and upload is not None and bool(upload.filename)
        if not text and not any(choices) and not accepted and not has_upload:
            continue
        kind = _text(form, p + "kind")
        seconds_text = _text(form, p + "seconds")
        media_name = _text(form, p + "media_name")
        media_kind = _text(form, p + "media_kind")
        keep = (
            media_name_ok(media_name)
            and media_name in known_media
            and media_kind in ("image", "audio")
            and form.get(p + "media_remove") != "on"
        )
        # Choices keep their order; the empty ones are left out (and the ticks follow them).
        kept = [(k, c) for k, c in enumerate(choices) if c]
        question: dict[str, Any] = {
            "text": text,
            "kind": kind if kind in ("choice", "free") else "choice",
            "choices": [c for _, c in kept] if kind != "free" else [],
            "right": [n for n, (k, _) in enumerate(kept) if k in right_ticks]
            if kind != "free"
            else [],
            "accepted": accepted if kind == "free" else [],
            "seconds": int(seconds_text)
            if seconds_text.isdigit() and len(seconds_text) < 6
            else -1,
            "media": {"kind": media_kind, "name": media_name} if keep else None,
        }
        questions.append(question)
        slots.append(i)
    return {"title": _text(form, "title"), "questions": questions}, slots
