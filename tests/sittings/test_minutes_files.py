"""The minutes as Markdown and PDF, from a sitting driven by the pure rules."""

from __future__ import annotations

import importlib

import pytest

from estaminet.assembly import sitting_minutes
from estaminet.sittings import minutes_markdown, minutes_pdf
from tests.assembly.conftest import FACILITATOR, Sitting

NAMES = dict(enumerate(["Anaïs", "Bruno", "Chloé", "Dédé", "Élise", "Fanny", "Gaston", "Tim"]))


def closed_sitting() -> Sitting:
    sitting = Sitting()
    sitting.act(6, "proxy.give", to=5)
    sitting.open_sitting(0, 1, 2, 3, 4, 5)
    vote = sitting.run_vote({"method": "majority", "question": "Comptes ?"})
    for seat, ballot in zip(range(6), ["yes", "yes", "no", "abstain", "yes", "yes"], strict=True):
        sitting.act(seat, "vote.cast", vote=vote, ballot=ballot)
    sitting.act(FACILITATOR, "vote.close", vote=vote)
    spec = {"method": "judgment", "question": "Lieu ?", "options": ["Grange", "Parc", "Salle"]}
    vote = sitting.run_vote({**spec, "secret": True})
    for seat in range(6):
        ballot = [{"option": o, "grade": (seat + o) % 7} for o in range(3)]
        sitting.act(seat, "vote.cast", vote=vote, ballot=ballot)
    sitting.act(FACILITATOR, "vote.close", vote=vote)
    sitting.act(1, "minutes.note", text="Débat serein; *rien* à signaler.")
    sitting.act(FACILITATOR, "sitting.close")
    return sitting


def test_minutes_markdown_has_attendance_decisions_and_notes() -> None:
    text = minutes_markdown(sitting_minutes(closed_sitting().state, NAMES), "en")
    assert "- Present (6): Anaïs, Bruno, Chloé, Dédé, Élise, Fanny" in text
    assert "Gaston by Fanny" in text
    assert "For: 4, against: 1, abstentions: 1." in text and "Adopted." in text
    assert "Chloé: no" in text  # open vote: who voted what
    assert "Grange" in text and "majority grade" in text
    assert "Majority judgment, secret ballot" in text
    assert "\\*rien\\*" in text  # the secretary's words stay words


def test_minutes_pdf_is_a_pdf_with_and_without_the_unicode_font(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = minutes_markdown(sitting_minutes(closed_sitting().state, NAMES), "fr")
    assert minutes_pdf(text, "AG").startswith(b"%PDF")
    module = importlib.import_module("estaminet.sittings.minutes_pdf")
    monkeypatch.setattr(module, "FONT_DIRS", ())
    fallback = minutes_pdf(text + "\nœuvre « € » — fin…", "AG")
    assert fallback.startswith(b"%PDF")
