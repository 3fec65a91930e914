"""The pure voice rules: transport and cap, table plans → permissions, who may signal whom."""

from __future__ import annotations

import pytest

from estaminet.media.voice_rules import (
    MAIN,
    Handover,
    Permission,
    TablePerson,
    Transport,
    VoiceFull,
    VoiceOff,
    carried,
    choose_transport,
    connected,
    floor_handover,
    floor_silenced,
    group_space,
    mixing_groups,
    next_hold,
    peers_of,
    public_member,
    read_hold,
    room_permission,
    sends_to,
    speaking_audience,
    table_permissions,
)


def test_transport_mesh_within_the_cap() -> None:
    assert choose_transport("mesh", None, 1, 4, crowd=False) is Transport.MESH
    assert choose_transport("mesh", Transport.MESH, 4, 4, crowd=False) is Transport.MESH


def test_transport_refuses_past_the_cap_without_crowd() -> None:
    with pytest.raises(VoiceFull) as refused:
        choose_transport("mesh", Transport.MESH, 5, 4, crowd=False)
    assert refused.value.code == "voice/full"
    assert refused.value.params == {"cap": 4}


def test_transport_crowd_rooms_fall_back_to_mesh_without_a_server() -> None:
    assert choose_transport("crowd", None, 3, 4, crowd=False) is Transport.MESH
    with pytest.raises(VoiceFull):
        choose_transport("crowd", Transport.MESH, 5, 4, crowd=False)


def test_transport_crowd_server_takes_crowd_rooms_and_overflow() -> None:
    assert choose_transport("crowd", None, 1, 4, crowd=True) is Transport.JANUS
    assert choose_transport("mesh", Transport.MESH, 5, 4, crowd=True) is Transport.JANUS
    assert choose_transport("mesh", Transport.JANUS, 2, 4, crowd=True) is Transport.JANUS


def test_transport_refused_in_rooms_without_voice() -> None:
    with pytest.raises(VoiceOff) as refused:
        choose_transport("none", None, 1, 4, crowd=True)
    assert refused.value.code == "voice/none"


def test_room_everyone_hears_everyone_but_the_moderated() -> None:
    everyone = {
        "a": room_permission(False),
        "b": room_permission(False),
        "c": room_permission(True),
    }
    assert peers_of("a", everyone) == ["b", "c"]
    assert sends_to(everyone["a"], everyone["c"])
    assert not sends_to(everyone["c"], everyone["a"])  # muted by a moderator: only listens
    assert connected(everyone["c"], everyone["a"])


def test_room_silence_keeps_only_the_floor_heard() -> None:
    hold = ("sitting:1", frozenset({"chair", "speaker"}))
    silenced = {u: floor_silenced(u, hold) for u in ("chair", "speaker", "member", "guest")}
    assert silenced == {"chair": False, "speaker": False, "member": True, "guest": True}
    everyone = {u: room_permission(False, silenced[u]) for u in silenced}
    for listener in ("member", "guest", "chair"):
        assert sends_to(everyone["speaker"], everyone[listener])
    assert not sends_to(everyone["member"], everyone["speaker"])
    assert connected(everyone["member"], everyone["speaker"])  # the silenced still hear
    assert not floor_silenced("member", None)
    # A moderator's mute stands whatever the floor says.
    assert room_permission(True, False).send == frozenset()


def test_room_obeys_the_latest_silence_asked_for() -> None:
    a, b = frozenset({"anne"}), frozenset({"bob"})
    assert next_hold(None, "sitting:1", None, a) == ("sitting:1", a)
    # Another sitting in the room asks for silence: the latest applies.
    in_force = next_hold(("sitting:1", a), "sitting:2", None, b)
    assert in_force == ("sitting:2", b)
    # The first one commits again without changing its silence: nothing moves (an old
    # sitting left open never keeps a new one quiet) ...
    assert next_hold(in_force, "sitting:1", a, a) == in_force
    # ... nor does its ending it; the one in force ending it frees the room.
    assert next_hold(in_force, "sitting:1", a, None) == in_force
    assert next_hold(in_force, "sitting:2", b, None) is None
    # The floor passes within the sitting in force: its new silence applies.
    c = frozenset({"anne", "chloe"})
    assert next_hold(("sitting:2", b), "sitting:2", b, c) == ("sitting:2", c)


def test_a_room_s_silences_read_again_agree_with_the_instance_that_applied_the_change() -> None:
    a, b = frozenset({"anne"}), frozenset({"bob"})
    one, two = ("sitting:1", a), ("sitting:2", b)
    # One change, read again elsewhere: what next_hold gave where it was applied.
    cases = [
        (None, {}, {"sitting:1": a}, "sitting:1"),
        (one, {"sitting:1": a}, {"sitting:1": a, "sitting:2": b}, "sitting:2"),
        (two, {"sitting:1": a, "sitting:2": b}, {"sitting:1": a, "sitting:2": b}, "sitting:1"),
        (two, {"sitting:1": a, "sitting:2": b}, {"sitting:2": b}, "sitting:1"),
        (two, {"sitting:1": a, "sitting:2": b}, {"sitting:1": a}, "sitting:2"),
        (one, {"sitting:1": a}, {"sitting:1": b}, "sitting:1"),
    ]
    for in_force, before, after, holder in cases:
        expected = next_hold(in_force, holder, before.get(holder), after.get(holder))
        assert read_hold(in_force, before, after, holder) == expected
    assert read_hold(two, {"sitting:1": a, "sitting:2": b}, {"sitting:1": a}, "sitting:2") is None
    # A holder re-committing the same silence never takes the room from the newer one.
    assert (
        read_hold(
            two, {"sitting:1": a, "sitting:2": b}, {"sitting:1": a, "sitting:2": b}, "sitting:1"
        )
        == two
    )
    # Two changes read at once (one nudge was coalesced): the named one is the newest.
    assert read_hold(None, {}, {"sitting:1": a, "sitting:2": b}, "sitting:1") == one
    assert read_hold(None, {}, {"sitting:1": a, "sitting:2": b}, None) in (one, two)
    # Nothing changed: the silence in force stays.
    assert read_hold(one, {"sitting:1": a}, {"sitting:1": a}, None) == one


def test_floor_handover_lifts_the_silence_but_never_switches_a_microphone_on() -> None:
    speaking = room_permission(False, False)
    assert floor_handover(speaking, self_muted=False) is Handover.OPEN
    assert floor_handover(speaking, self_muted=True) is Handover.ASK
    moderated = room_permission(True, False)
    assert floor_handover(moderated, self_muted=False) is Handover.MODERATED
    assert floor_handover(moderated, self_muted=True) is Handover.MODERATED


def _table() -> list[TablePerson]:
    return [
        TablePerson("wolf1", "player", 0),
        TablePerson("wolf2", "player", 1),
        TablePerson("villager", "player", 2),
        TablePerson("dead", "player", 3),
        TablePerson("narrator", "narrator"),
        TablePerson("fan", "spectator"),
    ]


def test_table_lobby_everyone_talks() -> None:
    perms = table_permissions(None, _table())
    assert all(p.send == {MAIN} and not p.night for p in perms.values())


def test_table_day_the_dead_and_spectators_only_listen() -> None:
    plan = {"muted_all": False, "private_channels": {}, "listen_only": [3]}
    perms = table_permissions(plan, _table())
    assert perms["villager"].send == {MAIN}
    assert perms["dead"].send == frozenset() and perms["dead"].groups == {MAIN}
    assert perms["fan"].send == frozenset()
    assert sends_to(perms["villager"], perms["fan"])  # spectators hear the game


def test_table_night_all_muted_alike_and_wolves_share_a_private_group() -> None:
    plan = {"muted_all": True, "private_channels": {"wolves": [0, 1]}, "listen_only": [3]}
    perms = table_permissions(plan, _table())
    assert all(p.night for p in perms.values())
    assert perms["villager"] == Permission(frozenset({MAIN}), frozenset(), night=True)
    assert perms["wolf1"].private == {"private:wolves"}
    assert sends_to(perms["wolf1"], perms["wolf2"])
    assert not sends_to(perms["wolf1"], perms["villager"])
    assert not sends_to(perms["wolf1"], perms["fan"])
    assert sends_to(perms["narrator"], perms["villager"])  # the narrator speaks at night


def test_a_mixing_server_carries_private_groups_in_rooms_of_their_own() -> None:
    plan = {"muted_all": True, "private_channels": {"wolves": [0, 1]}, "listen_only": [3]}
    perms = table_permissions(plan, _table())
    wolf = carried(perms["wolf1"], Transport.JANUS)
    assert wolf.private == {"private:wolves"}
    assert MAIN not in wolf.send  # muted in the main mix, like everyone at night
    assert carried(perms["narrator"], Transport.JANUS).send == {MAIN}
    assert carried(perms["wolf1"], Transport.MESH) is perms["wolf1"]
    # Only the wolves are in the group's own mixing room; mesh needs no extra room.
    assert mixing_groups(perms, Transport.JANUS) == {"private:wolves": {"wolf1", "wolf2"}}
    assert mixing_groups(perms, Transport.MESH) == {}
    assert mixing_groups(table_permissions({"muted_all": True}, _table()), Transport.JANUS) == {}


def test_a_private_group_room_name_reveals_nothing() -> None:
    room = group_space("table:7", "private:wolves", b"k1")
    assert room.startswith("table:7:g:") and "wolves" not in room and "private" not in room
    assert room == group_space("table:7", "private:wolves", b"k1")  # stable
    assert room != group_space("table:7", "private:wolves", b"k2")  # keyed
    assert room != group_space("table:8", "private:wolves", b"k1")
    assert len(room) <= 60


def test_table_moderated_person_is_silent_even_in_a_private_group() -> None:
    plan = {"muted_all": True, "private_channels": {"wolves": [0, 1]}}
    perms = table_permissions(plan, _table(), frozenset({"wolf2"}))
    assert perms["wolf2"].send == frozenset()
    assert not sends_to(perms["wolf2"], perms["wolf1"])


def test_speaking_audience_private_speech_told_only_to_the_group() -> None:
    plan = {"muted_all": True, "private_channels": {"wolves": [0, 1]}}
    perms = table_permissions(plan, _table())
    assert speaking_audience("wolf1", perms) == {"wolf2"}
    assert speaking_audience("villager", perms) == frozenset()
    day = table_permissions({"muted_all": False, "private_channels": {}}, _table())
    assert speaking_audience("villager", day) is None  # everyone following the space


def test_public_member_hides_the_private_speaker() -> None:
    plan = {"muted_all": True, "private_channels": {"wolves": [0, 1]}}
    perms = table_permissions(plan, _table())
    wolf = public_member("wolf1", perms["wolf1"], self_muted=False, speaking=True)
    villager = public_member("villager", perms["villager"], self_muted=True, speaking=False)
    assert (wolf.muted, wolf.speaking) == (villager.muted, villager.speaking) == (True, False)
    day = public_member("a", room_permission(False), self_muted=False, speaking=True)
    assert (day.muted, day.speaking) == (False, True)
