"""docs/new-vote-method.md, followed step by step: approval voting, declared at run time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from estaminet.assembly.ballots import parse_spec
from estaminet.assembly.methods import Form, Method, MethodSpec, declare, withdraw
from estaminet.kernel.i18n import N_
from estaminet.people.model import Role
from tests.sittings.test_sittings_live import (
    convene,
    latest_view,
    ok,
    refused,
    roles,
    seat_of,
    user_id,
)
from tests.support.live_server import LiveServer, Person

APPROVAL = MethodSpec(
    "approval",
    N_("Approval"),
    Form.SOME,
    N_(
        "Rule: approve as many options as you like; the most approved option will be chosen. "
        "A tie chooses nothing."
    ),
    min_options=2,
    max_choices=0,  # every option may be approved
)


@pytest.fixture(scope="module")
def approval() -> Iterator[Method]:
    method = declare(APPROVAL)  # the one registration line
    yield method
    withdraw("approval")


def test_vote_method_declared_takes_its_form_rules(approval: Method) -> None:
    spec = parse_spec({"method": "approval", "question": "Où ?", "options": ["A", "B", "C"]}, False)
    assert spec.method is approval and spec.max_choices == 3  # every option
    assert approval in set(Method) and Method("approval") is approval


async def test_vote_method_declared_at_run_time_runs_a_sitting(
    live: LiveServer, people: Any, approval: Method
) -> None:
    admin = await people()
    await admin.sign_in_admin()
    names = ["Anaïs", "Bruno", "Chloé", "Tim"]
    folks: dict[str, Person] = {n: await people(n, role=Role.MEMBER) for n in names}
    ids = {name: await user_id(person) for name, person in folks.items()}
    sitting = await convene(admin, **roles(ids, ["Anaïs", "Bruno", "Chloé"]))
    async with (
        folks["Anaïs"].socket() as fac,
        folks["Bruno"].socket() as bruno,
        folks["Chloé"].socket() as chloe,
    ):
        _topic, seat = await seat_of(folks["Anaïs"], sitting)
        topic = f"table:{sitting}:seat:{seat}"
        await fac.sub(topic)
        for ref, sock in (("a", fac), ("b", bruno), ("c", chloe)):
            await ok(sock, sitting, f"in-{ref}", type="attendance.check_in")
        await ok(fac, sitting, "open", type="sitting.open")
        await ok(fac, sitting, "next", type="agenda.next_item")
        screen = await latest_view(fac, topic)
        assert '<option value="approval">Approval</option>' in screen  # the facilitator's menu
        vote = {"method": "approval", "question": "Quel lieu ?", "options": ["Grange", "Parc"]}
        await ok(fac, sitting, "prep", type="vote.prepare", vote=vote)
        screen = await latest_view(fac, topic)
        assert "Approval" in screen and "approve as many options" in screen
        await ok(fac, sitting, "vo", type="vote.open", vote=1)
        screen = await latest_view(fac, topic)
        assert 'data-ballot="approval" data-form="some"' in screen  # several options
        await ok(fac, sitting, "v1", type="vote.cast", vote=1, ballot=[0, 1])
        await ok(bruno, sitting, "v2", type="vote.cast", vote=1, ballot=[1])
        await refused(
            chloe, sitting, "bad", "assembly/unknown_option", type="vote.cast", vote=1, ballot=[7]
        )
        await ok(chloe, sitting, "v3", type="vote.cast", vote=1, ballot=[])
        await ok(fac, sitting, "close", type="vote.close", vote=1)
        screen = await latest_view(fac, topic)
        assert "Parc" in screen and "result__options" in screen
        await ok(fac, sitting, "bye", type="sitting.close")
    minutes = (await folks["Chloé"].http.get(f"/a/{sitting}/minutes.md")).text
    assert "Approval" in minutes and "Parc" in minutes
