"""The leak checker: claims in views must match facts the viewer may know."""

from __future__ import annotations

from estaminet.games.kit import Audience, Fact, find_leaks
from estaminet.kernel.activity import Viewer, ViewerKind

GUARDED = frozenset({"role"})
FACTS = [
    Fact({"seat": 0, "role": "werewolf"}, Audience.of(0, 1, kinds=[ViewerKind.NARRATOR])),
    Fact({"seat": 2, "role": "seer"}, Audience.everyone()),
]


def test_secrecy_allowed_claims_pass() -> None:
    view = {"roles": [{"seat": 0, "role": "werewolf"}, {"seat": 2, "role": "seer"}]}
    assert find_leaks(view, Viewer.player(1), FACTS, GUARDED) == []
    assert find_leaks(view, Viewer.narrator(), FACTS, GUARDED) == []


def test_secrecy_forbidden_claim_is_a_leak_wherever_it_hides() -> None:
    view = {"deep": {"list": [({"seat": 0, "role": "werewolf", "target": 4},)]}}
    leaks = find_leaks(view, Viewer.player(3), FACTS, GUARDED)
    assert len(leaks) == 1
    assert leaks[0].path == "view.deep.list[0][0]"
    assert "werewolf" in str(leaks[0])


def test_secrecy_claim_in_an_unknown_shape_is_a_leak() -> None:
    for claim in ({"player": 0, "role": "werewolf"}, {"seat": 0, "role": "seer"}, {"role": None}):
        assert find_leaks({"x": claim}, Viewer.narrator(), FACTS, GUARDED), claim


def test_secrecy_spectators_and_replay_need_their_kind() -> None:
    view = {"roles": [{"seat": 0, "role": "werewolf"}]}
    assert find_leaks(view, Viewer.spectator(), FACTS, GUARDED)
    assert find_leaks(view, Viewer(ViewerKind.REPLAY), FACTS, GUARDED)


def test_secrecy_unhashable_values_never_match() -> None:
    view = {"x": {"seat": [0], "role": "werewolf"}}
    assert find_leaks(view, Viewer.narrator(), FACTS, GUARDED)


def test_secrecy_audience_union() -> None:
    audience = Audience.of(1) | Audience.of(kinds=[ViewerKind.SPECTATOR])
    assert audience.allows(Viewer.player(1)) and audience.allows(Viewer.spectator())
    assert not audience.allows(Viewer.player(2))
