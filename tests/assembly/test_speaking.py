"""The speaking queue: progressive stack, points of order, the floor and its countdown."""

from __future__ import annotations

from datetime import timedelta

from estaminet.assembly import ASSEMBLY, floor_given_to, voice_floor
from estaminet.assembly.speaking import insertion_index
from estaminet.assembly.state import Request, RequestKind

from .conftest import FACILITATOR, OBSERVER, TIMEKEEPER, Sitting

SPEAK, POINT = RequestKind.SPEAK, RequestKind.POINT_OF_ORDER


def queue(sitting: Sitting) -> list[tuple[int, str]]:
    return [(row["seat"], row["kind"]) for row in sitting.view()["queue"]]


def speak_and_finish(sitting: Sitting, seat: int) -> None:
    sitting.act(FACILITATOR, "speaker.give_floor", seat=seat)
    sitting.act(seat, "speaker.end_turn")


def test_progressive_stack_puts_first_time_speakers_first() -> None:
    spoken = {3: 1, 4: 2}
    current = [Request(3, SPEAK), Request(4, SPEAK)]
    assert insertion_index(current, spoken, Request(5, SPEAK)) == 0
    assert insertion_index(current, spoken, Request(6, SPEAK)) == 0
    current.insert(0, Request(5, SPEAK))
    assert insertion_index(current, spoken, Request(6, SPEAK)) == 1
    assert insertion_index(current, spoken, Request(1, POINT)) == 0


def test_progressive_stack_keeps_request_order_among_those_who_spoke() -> None:
    spoken = {3: 1, 4: 1}
    assert insertion_index([Request(3, SPEAK)], spoken, Request(4, SPEAK)) == 1


def test_speaker_raise_hand_orders_newcomers_before_repeat_speakers(in_session: Sitting) -> None:
    speak_and_finish(in_session, 3)
    in_session.act(3, "speaker.raise_hand")
    in_session.act(4, "speaker.raise_hand")
    in_session.act(5, "speaker.raise_hand")
    assert queue(in_session) == [(4, "speak"), (5, "speak"), (3, "speak")]
    assert [row["first_time"] for row in in_session.view()["queue"]] == [True, True, False]


def test_speaker_raise_hand_twice_is_refused(in_session: Sitting) -> None:
    in_session.act(3, "speaker.raise_hand")
    assert in_session.refuse(3, "speaker.raise_hand") == "assembly/already_in_queue"


def test_speaker_raise_hand_needs_presence_and_an_item(sitting: Sitting) -> None:
    sitting.everyone_in()
    assert sitting.refuse(3, "speaker.raise_hand") == "assembly/sitting_not_started"
    sitting.act(FACILITATOR, "sitting.open")
    assert sitting.refuse(3, "speaker.raise_hand") == "assembly/no_current_item"
    sitting.act(FACILITATOR, "agenda.next_item")
    assert sitting.refuse(OBSERVER, "speaker.raise_hand") == "assembly/not_present"
    sitting.act(OBSERVER, "attendance.check_in")
    sitting.act(OBSERVER, "speaker.raise_hand")  # observers may speak, not vote


def test_speaker_raise_hand_shows_each_person_their_place(in_session: Sitting) -> None:
    for seat in (3, 4, 5):
        in_session.act(seat, "speaker.raise_hand")
    assert in_session.view(5)["me"]["place_in_queue"] == 3
    assert in_session.view(6)["me"]["place_in_queue"] is None


def test_speaker_point_of_order_jumps_the_queue(in_session: Sitting) -> None:
    in_session.act(3, "speaker.raise_hand")
    in_session.act(4, "speaker.raise_hand")
    in_session.act(5, "speaker.point_of_order")
    in_session.act(6, "speaker.point_of_order")
    assert queue(in_session) == [
        (5, "point_of_order"),
        (6, "point_of_order"),
        (3, "speak"),
        (4, "speak"),
    ]


def test_speaker_point_of_order_does_not_count_as_having_spoken(in_session: Sitting) -> None:
    in_session.act(3, "speaker.point_of_order")
    in_session.act(FACILITATOR, "speaker.give_floor")
    in_session.act(3, "speaker.end_turn")
    in_session.act(4, "speaker.raise_hand")
    speak_and_finish(in_session, 4)
    in_session.act(4, "speaker.raise_hand")
    in_session.act(3, "speaker.raise_hand")
    assert queue(in_session) == [(3, "speak"), (4, "speak")]


def test_speaker_point_of_order_gets_its_own_shorter_time(in_session: Sitting) -> None:
    in_session.act(3, "speaker.point_of_order")
    events = in_session.act(FACILITATOR, "speaker.give_floor")
    assert events[-1]["ends_at"] == (in_session.now + timedelta(seconds=30)).isoformat()


def test_speaker_lower_hand_leaves_the_queue(in_session: Sitting) -> None:
    in_session.act(3, "speaker.raise_hand")
    in_session.act(3, "speaker.point_of_order")
    in_session.act(3, "speaker.lower_hand", kind="speak")
    assert queue(in_session) == [(3, "point_of_order")]
    in_session.act(3, "speaker.lower_hand")
    assert queue(in_session) == []
    assert in_session.refuse(3, "speaker.lower_hand") == "assembly/not_in_queue"


def test_speaker_lower_hand_of_someone_else_is_for_the_facilitator(in_session: Sitting) -> None:
    in_session.act(3, "speaker.raise_hand")
    assert in_session.refuse(4, "speaker.lower_hand", seat=3) == "assembly/not_facilitator"
    in_session.act(FACILITATOR, "speaker.lower_hand", seat=3)
    assert queue(in_session) == []


def test_speaker_reorder_moves_a_request_and_is_kept(in_session: Sitting) -> None:
    for seat in (3, 4, 5):
        in_session.act(seat, "speaker.raise_hand")
    in_session.act(FACILITATOR, "speaker.reorder", seat=5, position=0)
    assert queue(in_session) == [(5, "speak"), (3, "speak"), (4, "speak")]
    in_session.act(6, "speaker.raise_hand")
    assert queue(in_session)[-1] == (6, "speak")


def test_speaker_reorder_is_refused_to_others_and_out_of_range(in_session: Sitting) -> None:
    in_session.act(3, "speaker.raise_hand")
    assert in_session.refuse(3, "speaker.reorder", seat=3, position=0) == "assembly/not_facilitator"
    code = in_session.refuse(FACILITATOR, "speaker.reorder", seat=3, position=4)
    assert code == "assembly/bad_position"
    code = in_session.refuse(FACILITATOR, "speaker.reorder", seat=4, position=0)
    assert code == "assembly/not_in_queue"
    code = in_session.refuse(FACILITATOR, "speaker.reorder", seat=3)
    assert code == "assembly/malformed"


def test_speaker_give_floor_takes_the_head_of_the_queue_with_a_countdown(
    in_session: Sitting,
) -> None:
    in_session.act(4, "speaker.raise_hand")
    in_session.act(3, "speaker.raise_hand")
    in_session.act(FACILITATOR, "speaker.give_floor")
    speaker = in_session.view()["speaker"]
    assert speaker["seat"] == 4
    assert speaker["ends_at"] == (in_session.now + timedelta(seconds=120)).isoformat()
    assert queue(in_session) == [(3, "speak")]


def test_speaker_give_floor_uses_the_item_speaking_time(in_session: Sitting) -> None:
    in_session.act(FACILITATOR, "agenda.goto_item", item="2.1")
    in_session.act(FACILITATOR, "speaker.give_floor", seat=3)
    assert in_session.state.speaker is not None
    assert in_session.state.speaker.ends_at == in_session.now + timedelta(seconds=60)


def test_speaker_give_floor_ends_the_current_turn(in_session: Sitting) -> None:
    in_session.act(FACILITATOR, "speaker.give_floor", seat=3)
    events = in_session.act(FACILITATOR, "speaker.give_floor", seat=4)
    assert [e["type"] for e in events] == ["speaker.turn_ended", "speaker.floor_given"]


def test_speaker_give_floor_needs_the_facilitator_and_someone_waiting(in_session: Sitting) -> None:
    assert in_session.refuse(FACILITATOR, "speaker.give_floor") == "assembly/queue_empty"
    in_session.act(3, "speaker.raise_hand")
    assert in_session.refuse(3, "speaker.give_floor") == "assembly/not_facilitator"


def test_speaker_end_turn_by_speaker_timekeeper_or_facilitator(in_session: Sitting) -> None:
    assert in_session.refuse(3, "speaker.end_turn") == "assembly/no_current_speaker"
    in_session.act(FACILITATOR, "speaker.give_floor", seat=3)
    assert in_session.refuse(4, "speaker.end_turn") == "assembly/not_speaker"
    in_session.act(TIMEKEEPER, "speaker.end_turn")
    assert in_session.state.speaker is None
    assert in_session.state.items["1"].spoken == {3: 1}


def test_speaker_countdown_deadline_marks_overtime(in_session: Sitting) -> None:
    in_session.act(FACILITATOR, "speaker.give_floor", seat=3)
    deadline = in_session.now + timedelta(seconds=120)
    assert in_session.state.speaker is not None
    assert min(deadline, in_session.state.speaker.ends_at) == deadline
    in_session.later(121)
    events = in_session.timeout()
    assert {"type": "speaker.time_up", "seat": 3} in events
    assert in_session.view()["speaker"]["overtime"] is True
    assert in_session.state.speaker is not None  # the facilitator decides, nothing is cut


def test_speaker_queue_empties_on_the_next_item(in_session: Sitting) -> None:
    speak_and_finish(in_session, 3)
    in_session.act(4, "speaker.raise_hand")
    in_session.act(FACILITATOR, "agenda.next_item")
    assert queue(in_session) == []
    in_session.act(3, "speaker.raise_hand")
    assert in_session.view()["queue"][0]["first_time"] is True


def test_speaker_reorder_keeps_the_stack_for_later_first_time_speakers(
    in_session: Sitting,
) -> None:
    speak_and_finish(in_session, 3)
    in_session.act(3, "speaker.raise_hand")  # has spoken
    in_session.act(4, "speaker.raise_hand")  # first time: before 3
    assert queue(in_session) == [(4, "speak"), (3, "speak")]
    in_session.act(FACILITATOR, "speaker.reorder", seat=3, position=0)  # the chair's choice
    assert queue(in_session) == [(3, "speak"), (4, "speak")]
    in_session.act(5, "speaker.raise_hand")  # first time, asked after 4: behind 4, not ahead
    in_session.act(6, "speaker.raise_hand")
    assert queue(in_session) == [(3, "speak"), (4, "speak"), (5, "speak"), (6, "speak")]
    in_session.act(1, "speaker.point_of_order")  # points of order still go first
    assert queue(in_session)[0] == (1, "point_of_order")


# -- silence: only the person who has the floor (and the facilitator) is heard --------------


def test_speaker_silence_keeps_only_the_floor_and_the_chair(in_session: Sitting) -> None:
    assert voice_floor(in_session.state) is None
    events = in_session.act(FACILITATOR, "speaker.silence", on=True)
    assert events == [{"type": "speaker.silence_set", "on": True}]
    assert in_session.view(3)["silenced"] is True
    assert voice_floor(in_session.state) == {FACILITATOR}
    given = in_session.act(FACILITATOR, "speaker.give_floor", seat=4)
    assert floor_given_to(given) == 4
    assert voice_floor(in_session.state) == {FACILITATOR, 4}
    # The silence follows the floor: the previous speaker is silent again.
    in_session.act(FACILITATOR, "speaker.give_floor", seat=5)
    assert voice_floor(in_session.state) == {FACILITATOR, 5}
    in_session.act(5, "speaker.end_turn")
    assert voice_floor(in_session.state) == {FACILITATOR}
    # Undone in one action: everyone may speak again.
    assert in_session.act(FACILITATOR, "speaker.silence", on=False) == [
        {"type": "speaker.silence_set", "on": False}
    ]
    assert voice_floor(in_session.state) is None
    assert in_session.view()["silenced"] is False


def test_speaker_silence_is_for_the_facilitator_in_session(sitting: Sitting) -> None:
    sitting.everyone_in()
    assert sitting.refuse(FACILITATOR, "speaker.silence", on=True) == (
        "assembly/sitting_not_started"
    )
    sitting.act(FACILITATOR, "sitting.open")
    assert sitting.refuse(3, "speaker.silence", on=True) == "assembly/not_facilitator"
    assert sitting.refuse(TIMEKEEPER, "speaker.silence", on=True) == "assembly/not_facilitator"
    for bad in (None, "yes", 1, [True]):
        assert sitting.refuse(FACILITATOR, "speaker.silence", on=bad) == "assembly/malformed"
    assert sitting.refuse(FACILITATOR, "speaker.silence") == "assembly/malformed"
    # Asking for what is already so records nothing.
    assert sitting.act(FACILITATOR, "speaker.silence", on=False) == []
    sitting.act(FACILITATOR, "speaker.silence", on=True)
    assert sitting.act(FACILITATOR, "speaker.silence", on=True) == []


def test_speaker_silence_ends_with_the_sitting_and_survives_a_restart(
    in_session: Sitting,
) -> None:
    in_session.act(FACILITATOR, "speaker.silence", on=True)
    in_session.act(FACILITATOR, "speaker.give_floor", seat=3)
    assert voice_floor(in_session.rebuilt()) == {FACILITATOR, 3}
    assert voice_floor(ASSEMBLY.load(ASSEMBLY.dump(in_session.state))) == {FACILITATOR, 3}
    in_session.act(FACILITATOR, "sitting.close")
    assert voice_floor(in_session.state) is None
    assert in_session.view(3)["silenced"] is False
    assert in_session.refuse(FACILITATOR, "speaker.silence", on=False) == "assembly/sitting_closed"


def test_floor_given_to_reads_only_floor_events() -> None:
    assert floor_given_to([]) is None
    assert floor_given_to([{"type": "speaker.turn_ended", "seat": 3, "at": "x"}]) is None
    assert (
        floor_given_to(
            [
                {"type": "speaker.turn_ended", "seat": 3, "at": "x"},
                {"type": "speaker.floor_given", "seat": 5, "kind": "speak"},
            ]
        )
        == 5
    )
