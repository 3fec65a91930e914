"""Opening and closing the sitting, the agenda and its timers, the secretary's notes."""

from __future__ import annotations

from datetime import timedelta

from estaminet.assembly import ASSEMBLY

from .conftest import FACILITATOR, SECRETARY, Sitting


def test_sitting_open_is_for_the_facilitator_once(sitting: Sitting) -> None:
    assert sitting.refuse(3, "sitting.open") == "assembly/not_facilitator"
    sitting.act(FACILITATOR, "sitting.open")
    assert sitting.view()["status"] == "sitting"
    assert sitting.refuse(FACILITATOR, "sitting.open") == "assembly/sitting_started"


def test_sitting_close_ends_the_activity(in_session: Sitting) -> None:
    assert ASSEMBLY.outcome(in_session.state) is None
    assert in_session.refuse(3, "sitting.close") == "assembly/not_facilitator"
    in_session.act(FACILITATOR, "sitting.close")
    outcome = ASSEMBLY.outcome(in_session.state)
    assert outcome is not None
    assert outcome.reason == "closed"
    assert ASSEMBLY.deadline(in_session.state) is None
    assert in_session.refuse(3, "speaker.raise_hand") == "assembly/sitting_closed"


def test_sitting_close_waits_for_the_open_vote(in_session: Sitting) -> None:
    in_session.run_vote({"method": "majority", "question": "Ok?"})
    assert in_session.refuse(FACILITATOR, "sitting.close") == "assembly/vote_already_open"


def test_agenda_next_item_walks_the_flattened_agenda(in_session: Sitting) -> None:
    assert [row["id"] for row in in_session.view()["agenda"]] == ["1", "2", "2.1", "3"]
    assert in_session.view()["agenda"][2]["depth"] == 1
    for expected in ("2", "2.1", "3"):
        in_session.act(FACILITATOR, "agenda.next_item")
        assert in_session.view()["current_item"]["id"] == expected
    assert in_session.refuse(FACILITATOR, "agenda.next_item") == "assembly/last_item"


def test_agenda_next_item_sets_an_absolute_timer(in_session: Sitting) -> None:
    in_session.later(60)
    events = in_session.act(FACILITATOR, "agenda.next_item")
    assert events[-1] == {
        "type": "agenda.item_started",
        "item": "2",
        "at": in_session.now.isoformat(),
        "ends_at": (in_session.now + timedelta(minutes=20)).isoformat(),
    }
    assert ASSEMBLY.deadline(in_session.state) == in_session.now + timedelta(minutes=20)


def test_agenda_next_item_is_for_the_facilitator(in_session: Sitting) -> None:
    assert in_session.refuse(3, "agenda.next_item") == "assembly/not_facilitator"


def test_agenda_item_timer_marks_overtime_at_its_deadline(in_session: Sitting) -> None:
    in_session.later(5 * 60)
    assert in_session.timeout() == [{"type": "agenda.time_up", "item": "1"}]
    assert in_session.view()["current_item"]["overtime"] is True
    assert ASSEMBLY.deadline(in_session.state) is None
    assert in_session.timeout() == []


def test_agenda_goto_item_returns_to_an_item_keeping_its_notes(in_session: Sitting) -> None:
    in_session.act(SECRETARY, "minutes.note", text="Accueil chaleureux.")
    in_session.act(FACILITATOR, "agenda.goto_item", item="3")
    assert in_session.view()["current_item"]["ends_at"] is None  # no planned time
    in_session.act(FACILITATOR, "agenda.goto_item", item="1")
    assert in_session.view()["current_item"]["notes"] == ["Accueil chaleureux."]
    statuses = [row["status"] for row in in_session.view()["agenda"]]
    assert statuses == ["current", "upcoming", "upcoming", "visited"]


def test_agenda_goto_item_refuses_unknown_items(in_session: Sitting) -> None:
    assert in_session.refuse(FACILITATOR, "agenda.goto_item", item="9") == "assembly/unknown_item"
    assert in_session.refuse(FACILITATOR, "agenda.goto_item", item=2) == "assembly/malformed"


def test_minutes_note_is_for_the_secretary(in_session: Sitting) -> None:
    assert in_session.refuse(3, "minutes.note", text="x") == "assembly/not_secretary"
    assert in_session.refuse(SECRETARY, "minutes.note", text="   ") == "assembly/empty_text"
    code = in_session.refuse(SECRETARY, "minutes.note", text="x" * 5000)
    assert code == "assembly/text_too_long"
    in_session.act(SECRETARY, "minutes.note", text="  Point reporté.  ")
    assert in_session.state.items["1"].notes == ["Point reporté."]


def test_minutes_note_after_closing_completes_the_minutes(in_session: Sitting) -> None:
    in_session.act(FACILITATOR, "sitting.close")
    in_session.act(SECRETARY, "minutes.note", item="1", text="Ajout après séance.")
    assert in_session.refuse(SECRETARY, "minutes.note", item="2", text="x") == (
        "assembly/unknown_item"
    )
