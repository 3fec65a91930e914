"""Placement of rooms on several Janus servers, and their health with hysteresis (pure rules)."""

from __future__ import annotations

from collections import Counter

from estaminet.media.janus.placement_rules import (
    Health,
    HealthPolicy,
    moved,
    observe,
    place,
    rank,
)

SERVERS = ["janus-a", "janus-b", "janus-c"]
POLICY = HealthPolicy(down_after=2, up_after=30.0)


def _run(checks: list[tuple[float, bool]], start: Health | None = None) -> list[bool]:
    health = start or Health()
    seen = []
    for now, answered in checks:
        health = observe(health, answered, now, POLICY)
        seen.append(health.up)
    return seen


def test_rank_is_the_same_whatever_order_the_servers_are_listed_in() -> None:
    for room in ("room:bar", "stage:scene", "table:12"):
        assert rank(room, SERVERS) == rank(room, list(reversed(SERVERS)))
        assert sorted(rank(room, SERVERS)) == sorted(SERVERS)


def test_rooms_spread_over_the_servers() -> None:
    rooms = [f"room:salle-{n}" for n in range(300)]
    counts = Counter(place(room, SERVERS, set(SERVERS), set()) for room in rooms)
    assert set(counts) == set(SERVERS)
    assert min(counts.values()) > 70  # about 100 each


def test_a_server_going_away_moves_only_its_own_rooms() -> None:
    rooms = [f"room:salle-{n}" for n in range(200)]
    before = {room: place(room, SERVERS, set(SERVERS), set()) for room in rooms}
    up = {"janus-a", "janus-c"}
    after = {room: place(room, SERVERS, up, set()) for room in rooms}
    for room in rooms:
        if before[room] == "janus-b":
            assert after[room] in up
        else:
            assert after[room] == before[room]
    placements = {room: str(server) for room, server in before.items()}
    assert moved(placements, up) == {r for r, s in before.items() if s == "janus-b"}


def test_a_room_that_exists_on_a_server_up_stays_there() -> None:
    room = "room:bar"
    first, second, _ = rank(room, SERVERS)
    # Placed on the second while the first was down; the first is back: the room stays.
    assert place(room, SERVERS, set(SERVERS), {second}) == second
    # Two instances disagreed for a moment and it exists on two: both pick the same.
    third = rank(room, SERVERS)[2]
    assert place(room, SERVERS, set(SERVERS), {second, third}) == second
    assert place(room, SERVERS, set(SERVERS), {first, third}) == first
    # Existing only on a server that is down does not count (the caller only asks those up).
    assert place(room, SERVERS, {second, third}, set()) == second


def test_no_server_up_places_nowhere() -> None:
    assert place("room:bar", SERVERS, set(), set()) is None


def test_down_only_after_enough_failed_checks_in_a_row() -> None:
    assert _run([(0, False)]) == [True]
    assert _run([(0, False), (1, True), (2, False)]) == [True, True, True]
    assert _run([(0, False), (1, False)]) == [True, False]


def test_up_again_only_after_answering_long_enough_without_a_miss() -> None:
    down = Health(up=False, failures=5)
    seen = _run([(100, True), (110, True), (129, True), (130, True)], down)
    assert seen == [False, False, False, True]
    # A miss on the way starts the wait again: no flapping.
    seen = _run(
        [(100, True), (120, True), (125, False), (126, True), (150, True), (156, True)], down
    )
    assert seen == [False, False, False, False, False, True]


def test_a_server_answering_now_and_then_never_comes_back() -> None:
    down = Health(up=False, failures=2)
    checks = [(float(t), t % 20 != 0) for t in range(0, 200, 2)]
    assert not any(_run(checks, down))


def test_a_server_alone_is_up_as_soon_as_it_answers() -> None:
    """With no other server up there is nowhere else to be: no waiting (one Janus restarted)."""
    down = Health(up=False, failures=3)
    assert observe(down, True, 100.0, POLICY, alone=True).up
    assert not observe(down, True, 100.0, POLICY, alone=False).up
    assert not observe(down, False, 100.0, POLICY, alone=True).up
