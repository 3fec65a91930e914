"""The minutes (procès-verbal) built from a finished sitting."""

from __future__ import annotations

import json

from estaminet.assembly import sitting_minutes

from .conftest import FACILITATOR, OBSERVER, SECRETARY, Sitting


def run_assembly() -> Sitting:
    sitting = Sitting()
    sitting.act(6, "proxy.give", to=3)
    sitting.everyone_in(0, 1, 2, 3, 4, 5, OBSERVER)
    sitting.act(FACILITATOR, "sitting.open")
    sitting.act(FACILITATOR, "agenda.next_item")
    sitting.act(SECRETARY, "minutes.note", text="Tour de table.")
    sitting.act(FACILITATOR, "speaker.give_floor", seat=4)
    sitting.act(FACILITATOR, "agenda.next_item")
    sitting.act(3, "motion.propose", text="Approuver les comptes 2024.")
    vote = sitting.run_vote({"method": "majority", "motion": 1})
    for seat in (0, 1, 2, 3):
        sitting.act(seat, "vote.cast", vote=vote, ballot="yes")
    sitting.act(3, "vote.cast", vote=vote, ballot="no", **{"for": 6})
    sitting.act(FACILITATOR, "vote.close", vote=vote)
    vote = sitting.run_vote(
        {"method": "judgment", "options": ["Quiz", "Dessin", "Loup-Garou"], "secret": True}
    )
    for seat in (3, 4, 5):
        ballot = [{"option": o, "grade": (seat + o) % 7} for o in range(3)]
        sitting.act(seat, "vote.cast", vote=vote, ballot=ballot)
    sitting.act(FACILITATOR, "vote.close", vote=vote)
    sitting.act(FACILITATOR, "sitting.close")
    return sitting


def test_minutes_record_attendance_with_proxies_and_quorum() -> None:
    minutes = sitting_minutes(run_assembly().state, {0: "Alice", 1: "Bob"})
    assert minutes["place"] == {"msgid": "online", "params": {}}
    assert (minutes["chair"], minutes["secretary"]) == (FACILITATOR, SECRETARY)
    assert minutes["attendance"] == {
        "present": [0, 1, 2, 3, 4, 5],
        "represented": [[6, 3]],
        "absent": [],
        "observers": [OBSERVER],
        "voting_members": 7,
    }
    assert minutes["quorum"]["at_opening"]["reached"] is True
    assert minutes["people"] == {"0": "Alice", "1": "Bob"}
    json.dumps(minutes)


def test_minutes_record_each_decision_with_method_counts_and_result() -> None:
    minutes = sitting_minutes(run_assembly().state)
    item = minutes["items"][1]
    assert item["title"] == "Comptes"
    open_vote, secret_vote = item["decisions"]
    assert open_vote["subject"]["motion_text"] == "Approuver les comptes 2024."
    assert open_vote["subject"]["motion_status"] == "adopted"
    assert open_vote["method"]["base"] == "cast"
    assert (open_vote["result"]["yes"], open_vote["result"]["no"]) == (4, 1)
    assert [6, "no"] in open_vote["result"]["by_voter"]
    assert secret_vote["method"]["secret"] is True
    assert "by_voter" not in secret_vote["result"]
    assert len(secret_vote["result"]["options"][0]["profile"]) == 7


def test_minutes_record_notes_and_speakers_per_item() -> None:
    minutes = sitting_minutes(run_assembly().state)
    first = minutes["items"][0]
    assert first["notes"] == ["Tour de table."]
    assert first["speakers"] == [[4, 1]]
    assert minutes["items"][3]["discussed"] is False
