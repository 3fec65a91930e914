"""Refusals read whole in the viewer's language: details and counts included.

Each case drives the pure rules to a rejection, then renders it the way the
edge does (``rejection_text`` then ``render``) in French and in English.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from estaminet.assembly import ASSEMBLY, rejection_text
from estaminet.kernel.activity import Rejection
from estaminet.translations import render
from tests.assembly.conftest import FACILITATOR, OBSERVER, Sitting, prepared

NB = "\u00a0"  # French typography: a no-break space before ":"
MALFORMED_FR = f"Cette demande est incomplète ou mal formée{NB}: "
MALFORMED_EN = "This request is incomplete or malformed: "
VOTE_FR = f"Ce vote n'est pas préparé correctement{NB}: "
VOTE_EN = "This vote is not set up correctly: "
BALLOT_FR = f"Ce bulletin n'est pas valable{NB}: "
BALLOT_EN = "This ballot is not valid: "
PREP_FR = f"L'assemblée n'est pas préparée correctement{NB}: "
PREP_EN = "The assembly is not prepared correctly: "

YES_NO = {"method": "majority", "question": "Adopter les comptes ?"}


def _refusal(sitting: Sitting, actor: int, action: str, /, **fields: Any) -> Rejection:
    decision = sitting.attempt(actor, {"type": action, **fields})
    assert isinstance(decision, Rejection), decision
    return decision


def _in_session() -> Sitting:
    running = Sitting()
    running.open_sitting()
    return running


def _ballot(ballot: object, spec: dict[str, Any] | None = None) -> Rejection:
    running = _in_session()
    vote = running.run_vote(spec or YES_NO)
    return _refusal(running, 3, "vote.cast", vote=vote, ballot=ballot)


def _prepare(spec: object) -> Rejection:
    return _refusal(_in_session(), FACILITATOR, "vote.prepare", vote=spec)


def _proxy_limit(most: int) -> Rejection:
    sitting = Sitting(proxies={"allowed": True, "max_per_person": most})
    for giver in (3, 4)[:most]:
        sitting.act(giver, "proxy.give", to=5)
    return _refusal(sitting, 6, "proxy.give", to=5)


def _options(**changes: Any) -> Rejection:
    options = prepared()
    options.update(changes)
    rejection = ASSEMBLY.validate_options(options, 8)
    assert rejection is not None
    return rejection


def _quorum(present: tuple[int, ...]) -> Rejection:
    sitting = Sitting()
    sitting.open_sitting(*present)
    sitting.act(FACILITATOR, "vote.prepare", vote=YES_NO)
    return _refusal(sitting, FACILITATOR, "vote.open", vote=1)


CASES: list[tuple[str, Callable[[], Rejection], str, str]] = [
    (
        "whole_number",
        lambda: _refusal(_in_session(), 3, "motion.amend", motion="deux", text="Plutôt 3 €"),
        MALFORMED_FR + "la proposition doit être un nombre entier.",
        MALFORMED_EN + "the proposal must be a whole number.",
    ),
    (
        "not_a_member",
        lambda: _refusal(Sitting(), 3, "proxy.give", to=42),
        MALFORMED_FR + "le membre qui reçoit la procuration ne fait pas partie de cette assemblée.",
        MALFORMED_EN + "the member who receives the proxy is not a member of this assembly.",
    ),
    (
        "text_missing",
        lambda: _refusal(_in_session(), 3, "motion.propose"),
        MALFORMED_FR + "le texte manque.",
        MALFORMED_EN + "the text is missing.",
    ),
    (
        "proxy_holder_missing",
        lambda: _refusal(Sitting(), 3, "proxy.give"),
        MALFORMED_FR + "indique qui reçoit la procuration.",
        MALFORMED_EN + "say who receives the proxy.",
    ),
    (
        "agenda_number",
        lambda: _refusal(_in_session(), FACILITATOR, "agenda.goto_item", item=2),
        MALFORMED_FR + "le point doit être un numéro de l'ordre du jour, comme 2.1.",
        MALFORMED_EN + "the item must be an agenda number such as 2.1.",
    ),
    (
        "request_kind",
        lambda: _refusal(_in_session(), 3, "speaker.raise_hand", kind="shout"),
        MALFORMED_FR + "ce type de demande de parole est inconnu.",
        MALFORMED_EN + "this kind of request to speak is unknown.",
    ),
    (
        "no_seat",
        lambda: _refusal(Sitting(), 99, "attendance.check_in"),
        MALFORMED_FR + "tu n'as pas de place dans cette assemblée.",
        MALFORMED_EN + "you have no seat in this assembly.",
    ),
    (
        "ballot_majority",
        lambda: _ballot("maybe"),
        BALLOT_FR + "réponds oui, non ou abstention.",
        BALLOT_EN + "answer yes, no or abstain.",
    ),
    (
        "ballot_list",
        lambda: _ballot(1, {"method": "multiple", "options": ["A", "B"], "max_choices": 2}),
        BALLOT_FR + "choisis dans la liste des options.",
        BALLOT_EN + "choose from the list of options.",
    ),
    (
        "ballot_twice",
        lambda: _ballot([0, 0], {"method": "multiple", "options": ["A", "B"], "max_choices": 2}),
        BALLOT_FR + "une option a été choisie deux fois.",
        BALLOT_EN + "an option was chosen twice.",
    ),
    (
        "ballot_grades",
        lambda: _ballot("top", {"method": "judgment", "options": ["A", "B"]}),
        BALLOT_FR + "donne une mention à chaque option.",
        BALLOT_EN + "give each option a grade.",
    ),
    (
        "too_many_choices_one",
        lambda: _ballot([0, 1], {"method": "multiple", "options": ["A", "B"], "max_choices": 1}),
        "Tu peux choisir 1 option au maximum.",
        "You can choose at most 1 option.",
    ),
    (
        "too_many_choices_two",
        lambda: _ballot(
            [0, 1, 2], {"method": "multiple", "options": ["A", "B", "C"], "max_choices": 2}
        ),
        "Tu peux choisir 2 options au maximum.",
        "You can choose at most 2 options.",
    ),
    (
        "vote_method",
        lambda: _prepare({"method": "lottery"}),
        VOTE_FR + "la méthode de vote est inconnue.",
        VOTE_EN + "the voting method is unknown.",
    ),
    (
        "vote_threshold",
        lambda: _prepare({"method": "majority", "threshold": "3/2"}),
        VOTE_FR + "la majorité doit se situer entre 0 et 1.",
        VOTE_EN + "the majority must be between 0 and 1.",
    ),
    (
        "vote_base",
        lambda: _prepare({"method": "majority", "base": "friends"}),
        VOTE_FR + "la base de calcul de la majorité est inconnue.",
        VOTE_EN + "the base of the majority is unknown.",
    ),
    (
        "vote_max_choices",
        lambda: _prepare({"method": "multiple", "options": ["A", "B"], "max_choices": "two"}),
        VOTE_FR + "le nombre maximum de choix doit être un nombre entier.",
        VOTE_EN + "the maximum number of choices must be a whole number.",
    ),
    (
        "vote_consent_secret",
        lambda: _prepare({"method": "consent", "secret": True}),
        VOTE_FR
        + f"le consentement se donne à découvert{NB}: les objections sont entendues par tout le monde.",
        VOTE_EN + "consent is given openly: objections are heard by everyone.",
    ),
    (
        "options_quorum",
        lambda: _options(rules={**prepared()["rules"], "quorum": "half"}),
        PREP_FR + "le quorum doit être une fraction comme 2/3.",
        PREP_EN + "the quorum must be a fraction such as 2/3.",
    ),
    (
        "options_item_title",
        lambda: _options(agenda=[{"title": "x" * 301}]),
        PREP_FR
        + "le titre d'un point de l'ordre du jour doit être un texte de 300 caractères au plus.",
        PREP_EN + "an agenda item's title must be a text of at most 300 characters.",
    ),
    (
        "options_speaking_time",
        lambda: _options(rules={**prepared()["rules"], "speaking_seconds": 5}),
        PREP_FR + "le temps de parole en secondes doit être un nombre entier de 10 à 3600.",
        PREP_EN + "the speaking time in seconds must be a whole number from 10 to 3600.",
    ),
    (
        "proxy_limit_one",
        lambda: _proxy_limit(1),
        "Ce membre détient déjà 1 procuration, le maximum permis.",
        "This member already holds 1 proxy, the most allowed.",
    ),
    (
        "proxy_limit_two",
        lambda: _proxy_limit(2),
        "Ce membre détient déjà 2 procurations, le maximum permis.",
        "This member already holds 2 proxies, the most allowed.",
    ),
    (
        "quorum_one",
        lambda: _quorum((FACILITATOR,)),
        f"Le quorum n'est pas atteint{NB}: 1 membre votant présent ou représenté, il en faut 4.",
        "The quorum is not reached: 1 voting member present or represented, 4 needed.",
    ),
    (
        "quorum_three",
        lambda: _quorum((FACILITATOR, 3, 4)),
        f"Le quorum n'est pas atteint{NB}: 3 membres votants présents ou représentés, il en faut 4.",
        "The quorum is not reached: 3 voting members present or represented, 4 needed.",
    ),
]


@pytest.mark.parametrize(
    ("refusal", "french", "english"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refusal_reads_whole_in_french_and_in_english(
    refusal: Callable[[], Rejection], french: str, english: str
) -> None:
    text = rejection_text(refusal())
    assert render("fr", text) == french
    assert render("en", text) == english
    assert render("fr", text.as_dict()) == french  # the form views carry


def test_refusal_unknown_field_is_still_named_in_words() -> None:
    rejection = _refusal(Sitting(), OBSERVER, "attendance.check_in", seat="me")
    assert (
        render("fr", rejection_text(rejection))
        == MALFORMED_FR + "le membre doit être un nombre entier."
    )
