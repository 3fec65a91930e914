"""Random sittings: legal actions are accepted, replays and snapshots agree, views are JSON."""

from __future__ import annotations

import json
import random

import pytest

from estaminet.assembly import ASSEMBLY
from estaminet.kernel.activity import Viewer

from .conftest import FACILITATOR, Sitting


@pytest.mark.parametrize("seed", range(6))
def test_playout_random_sitting_replays_to_the_same_state(seed: int) -> None:
    rng = random.Random(seed)
    sitting = Sitting()
    for _ in range(150):
        if rng.random() < 0.1:
            sitting.later(rng.choice([5, 60, 600]))
            sitting.timeout()
            continue
        actor = FACILITATOR if rng.random() < 0.3 else rng.randrange(sitting.seats)
        actions = ASSEMBLY.legal_actions(sitting.state, actor)
        if not actions:
            continue
        action = dict(rng.choice(list(actions)))
        if action["type"] == "vote.prepare" and rng.random() < 0.5:
            action["vote"] = {"method": "judgment", "options": ["A", "B"], "secret": True}
        kind = action.pop("type")
        sitting.act(actor, kind, **action)
        if action and kind == "sitting.close":
            break
    assert ASSEMBLY.dump(sitting.rebuilt()) == ASSEMBLY.dump(sitting.state)
    reloaded = ASSEMBLY.refill_boxes(
        ASSEMBLY.load(ASSEMBLY.dump(sitting.state)), sitting.readings()
    )
    assert ASSEMBLY.dump(reloaded) == ASSEMBLY.dump(sitting.state)
    for viewer in (Viewer.spectator(), Viewer.narrator(), *map(Viewer.player, range(8))):
        json.dumps(ASSEMBLY.view(sitting.state, viewer))
    json.dumps(sitting.log)


def test_playout_timeout_from_anyone_but_the_runner_is_unknown(in_session: Sitting) -> None:
    assert in_session.refuse(3, "timeout") == "assembly/unknown_action"
    assert in_session.refuse(3, "vote.dance") == "assembly/unknown_action"
