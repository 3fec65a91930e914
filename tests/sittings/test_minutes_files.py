"""The minutes as Markdown and PDF, both drawn from one typed document of a sitting."""

from __future__ import annotations

import importlib
import re
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estaminet.assembly import sitting_minutes
from estaminet.sittings import minutes_document, minutes_markdown, minutes_pdf
from tests.assembly.conftest import FACILITATOR, Sitting

NAMES = dict(enumerate(["Anaïs", "Bruno", "Chloé", "Dédé", "Élise", "Fanny", "Gaston", "Tim"]))
NBSP = "\u00a0"


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


def markdown_of(sitting: Sitting, locale: str = "en") -> str:
    return minutes_markdown(minutes_document(sitting_minutes(sitting.state, NAMES), locale))


def drawn_text(data: bytes) -> str:
    """The text drawn with the standard font (streams inflated, literal strings joined)."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            body = zlib.decompress(stream)
        except zlib.error:
            body = stream
        chunks += re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", body)
    return " ".join(c.replace(rb"\(", b"(").replace(rb"\)", b")").decode("latin-1") for c in chunks)


@pytest.fixture
def standard_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF's standard font, whose text can be read back from the file."""
    monkeypatch.setattr(importlib.import_module("estaminet.sittings.minutes_pdf"), "FONT_DIRS", ())


def test_minutes_markdown_has_attendance_decisions_and_notes() -> None:
    text = markdown_of(closed_sitting())
    assert "- Present (6): Anaïs, Bruno, Chloé, Dédé, Élise, Fanny" in text
    assert "Gaston by Fanny" in text
    assert "For: 4, against: 1, abstentions: 1." in text and "Adopted." in text
    assert "  - Chloé: no" in text  # open vote: who voted what
    assert "Grange" in text and "majority grade" in text
    assert "Majority judgment, secret ballot" in text
    assert "\\*rien\\*" in text  # the secretary's words stay words


def test_minutes_pdf_is_a_pdf_with_and_without_the_unicode_font(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = minutes_document(sitting_minutes(closed_sitting().state, NAMES), "fr")
    assert minutes_pdf(document).startswith(b"%PDF")
    module = importlib.import_module("estaminet.sittings.minutes_pdf")
    monkeypatch.setattr(module, "FONT_DIRS", ())
    sitting = closed_sitting()
    sitting.act(1, "minutes.note", text="œuvre « € » — fin…")
    fallback = minutes_pdf(minutes_document(sitting_minutes(sitting.state, NAMES), "fr"))
    assert fallback.startswith(b"%PDF")
    assert "oeuvre" in drawn_text(fallback)


def test_minutes_pdf_prints_a_persons_stars_as_stars_never_markdown(standard_font: None) -> None:
    pdf = minutes_pdf(minutes_document(sitting_minutes(closed_sitting().state, NAMES), "fr"))
    text = drawn_text(pdf)
    assert "Débat serein; *rien* à signaler." in text
    assert "\\*" not in text and "**" not in text
    assert "Qui a voté quoi" in text and "Chloé" in text


def test_minutes_open_judgment_vote_downloads_with_each_persons_grades_in_words(
    standard_font: None,
) -> None:
    sitting = Sitting()
    sitting.open_sitting()
    options = ["Option A", "Option B", "Option C"]
    vote = sitting.run_vote({"method": "judgment", "question": "Lieu ?", "options": options})
    grades = [{"option": 0, "grade": 2}, {"option": 1, "grade": 2}, {"option": 2, "grade": 1}]
    sitting.act(0, "vote.cast", vote=vote, ballot=grades)
    sitting.act(1, "vote.cast", vote=vote, ballot=[{"option": 0, "grade": 0}])
    sitting.act(FACILITATOR, "vote.close", vote=vote)
    text = markdown_of(sitting, "fr")
    assert f"Anaïs{NBSP}: Option A — Bien, Option B — Bien, Option C — Très bien" in text
    assert f"Bruno{NBSP}: Option A — Excellent, Option B — À rejeter" in text
    assert "[2, 2, 1]" not in text
    pdf = drawn_text(minutes_pdf(minutes_document(sitting_minutes(sitting.state, NAMES), "fr")))
    assert "Option A - Bien, Option B - Bien, Option C - " in pdf  # the standard font's dash


def test_minutes_write_a_tie_as_a_tie_with_what_comes_next() -> None:
    sitting = Sitting()
    sitting.open_sitting()
    vote = sitting.run_vote(
        {"method": "single", "question": "Présidence ?", "options": ["Alice", "Bruno"]}
    )
    for seat, choice in enumerate([0, 0, 0, 1, 1, 1]):
        sitting.act(seat, "vote.cast", vote=vote, ballot=choice)
    sitting.act(FACILITATOR, "vote.close", vote=vote)
    motion = sitting.run_vote({"method": "majority", "question": "Budget ?"})
    for seat, choice in enumerate(["yes", "yes", "no", "no"]):
        sitting.act(seat, "vote.cast", vote=motion, ballot=choice)
    sitting.act(FACILITATOR, "vote.close", vote=motion)
    text = markdown_of(sitting, "fr")
    assert "Retenu" not in text
    assert f"**Égalité entre{NBSP}: Alice, Bruno.**" in text
    assert "un nouveau vote entre les options à égalité" in text
    assert "Égalité" in text and "Non adopté" in text and "Adopté." not in text


def test_minutes_list_decisions_in_the_order_taken_and_record_cancelled_votes() -> None:
    sitting = Sitting()
    sitting.open_sitting()
    for question in ("Premier préparé", "Second préparé", "Annulé"):
        sitting.act(FACILITATOR, "vote.prepare", vote={"method": "majority", "question": question})
    for vote in (2, 1):
        sitting.act(FACILITATOR, "vote.open", vote=vote)
        sitting.act(FACILITATOR, "vote.close", vote=vote)
        sitting.later(30)
    sitting.act(FACILITATOR, "vote.open", vote=3)
    sitting.act(FACILITATOR, "vote.cancel", vote=3)
    text = markdown_of(sitting)
    assert text.index("Second préparé") < text.index("Premier préparé") < text.index("Annulé")
    assert "The vote was cancelled: nothing was counted." in text


def test_minutes_use_one_french_typography_for_every_label() -> None:
    text = markdown_of(closed_sitting(), "fr")
    assert f"- Date{NBSP}: 01/03/2025" in text
    assert f"Base{NBSP}: 5{NBSP}; requis{NBSP}: 3." in text
    assert re.search(r"\w: ", text) is None  # never a colon glued to its word


def test_minutes_present_base_says_who_arrived_during_the_vote() -> None:
    sitting = Sitting(quorum=None)
    sitting.open_sitting(0, 1, 2)
    vote = sitting.run_vote({"method": "majority", "threshold": "2/3", "base": "present"})
    sitting.act(3, "attendance.check_in")
    for seat, ballot in [(0, "yes"), (1, "yes"), (2, "no"), (3, "yes")]:
        sitting.act(seat, "vote.cast", vote=vote, ballot=ballot)
    sitting.act(FACILITATOR, "vote.close", vote=vote)
    text = markdown_of(sitting, "fr")
    assert f"Base{NBSP}: 4{NBSP}; requis{NBSP}: 3." in text
    assert "1 membre arrivé pendant le vote" in text


# -- every kind of vote, in any number and order: both files always render ------------------

METHODS = ["majority", "single", "multiple", "consent", "judgment"]


@st.composite
def votes(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(METHODS))
    return {
        "method": method,
        "secret": method != "consent" and draw(st.booleans()),
        "end": draw(st.sampled_from(["close", "close", "cancel", "cancel_draft"])),
        "ballots": draw(st.lists(st.integers(0, 6), min_size=7, max_size=7)),
        "voting": draw(st.integers(0, 7)),
        "base": draw(st.sampled_from(["cast", "present", "members"])),
        "late": draw(st.booleans()),
    }


def _ballot(method: str, value: int) -> Any:
    if method == "majority":
        return ["yes", "no", "abstain"][value % 3]
    if method == "single":
        return None if value == 6 else value % 2
    if method == "multiple":
        return [value % 3] if value < 5 else []
    return [{"option": o, "grade": (value + o) % 7} for o in range(value % 3)]


def _run(sitting: Sitting, vote: dict[str, Any]) -> None:
    method = vote["method"]
    spec: dict[str, Any] = {
        "method": method,
        "question": f"Vote *{method}*",
        "secret": vote["secret"],
    }
    if method in ("single", "multiple", "judgment"):
        spec["options"] = ["Alice", "Bruno", "Chloé"]
    if method == "multiple":
        spec["max_choices"] = 2
    if method == "majority":
        spec["base"] = vote["base"]
    sitting.act(FACILITATOR, "vote.prepare", vote=spec)
    vote_id = max(sitting.state.votes)
    if vote["end"] == "cancel_draft":
        sitting.act(FACILITATOR, "vote.cancel", vote=vote_id)
        return
    sitting.act(FACILITATOR, "vote.open", vote=vote_id)
    if vote["late"] and 6 not in sitting.state.present:
        sitting.act(6, "attendance.check_in")
    for seat, value in enumerate(vote["ballots"][: vote["voting"]]):
        if seat not in sitting.state.present:
            continue
        if method == "consent":
            if value == 0:
                sitting.act(seat, "consent.object", vote=vote_id, reason="Trop *cher*")
        else:
            sitting.act(seat, "vote.cast", vote=vote_id, ballot=_ballot(method, value))
    sitting.later(10)
    sitting.act(
        FACILITATOR, "vote.cancel" if vote["end"] == "cancel" else "vote.close", vote=vote_id
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(votes(), min_size=1, max_size=6), st.booleans(), st.sampled_from(["fr", "en"]))
def test_minutes_render_for_every_kind_of_vote(
    kinds: list[dict[str, Any]], closed: bool, locale: str
) -> None:
    sitting = Sitting(quorum=None)
    sitting.open_sitting(0, 1, 2, 3, 4, 5)
    for vote in kinds:
        _run(sitting, vote)
    if closed:
        sitting.act(FACILITATOR, "sitting.close")
    document = minutes_document(sitting_minutes(sitting.state, NAMES), locale)
    text = minutes_markdown(document)
    assert minutes_pdf(document).startswith(b"%PDF")
    decided = [v for v in sitting.state.votes.values() if v.status == "closed"]
    assert sum(len(i.decisions) for i in document.items) + len(document.other_decisions) == len(
        [v for v in sitting.state.votes.values() if v.opened_at is not None]
    )
    for vote in decided:
        result = vote.result or {}
        if result.get("tie") and vote.spec.method.value != "majority":
            assert result["passed"] is False
    assert re.search(r"\[\d", text) is None  # no ballot printed as raw data
