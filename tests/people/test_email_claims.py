"""An address counts for nothing until it is proved: sign-in, teams and membership wait for it."""

from __future__ import annotations

import pytest

from estaminet.kernel.errors import Conflict, Forbidden, Gone, NotFound
from estaminet.people import actions
from estaminet.people.model import Role, User
from estaminet.people.queries import user_by_id
from estaminet.store import Database
from estaminet.venue.plan import RoomKind, RoomSpec, VenueSpec, Visibility
from estaminet.venue.rooms import apply_venue, room_by_slug
from tests.conftest import FixedClock

PASSWORD = "un mot de passe long"


async def guest(db: Database, clock: FixedClock, name: str = "Gaston") -> User:
    return await actions.create_user(db, name, Role.GUEST, clock())


def office(*team: str) -> VenueSpec:
    room = RoomSpec(
        "bureau", "Le bureau", "The office", RoomKind.HANGOUT, Visibility.TEAM, 1, 1, 2, 2,
        team=team,
    )  # fmt: skip
    return VenueSpec("le LAB", (room,))


async def test_email_claim_unproved_counts_for_nothing(db: Database, clock: FixedClock) -> None:
    gaston = await guest(db, clock)
    claim = await actions.claim_email(db, gaston, "Chef@LAB.example", PASSWORD, clock())
    assert claim.token is not None and claim.email == "chef@lab.example"
    assert await actions.pending_email(db, gaston.id, clock()) == "chef@lab.example"
    # Not a member, no address, no sign-in, and the venue file does not put him in a team.
    report = await apply_venue(db, office("chef@lab.example"), clock())
    assert report.team_unknown == ("chef@lab.example",)
    async with db.read() as conn:
        room = await room_by_slug(conn, "bureau")
    assert room is not None and gaston.id not in room.team
    with pytest.raises(Forbidden) as refused:
        await actions.sign_in(db, "chef@lab.example", PASSWORD, "device-aaaaaaaaaaaa", clock())
    assert refused.value.code == "people/bad_credentials"
    async with db.read() as conn:
        still = await user_by_id(conn, gaston.id)
    assert still is not None and still.role is Role.GUEST and still.email is None


async def test_email_claim_proved_by_its_link(db: Database, clock: FixedClock) -> None:
    gaston = await guest(db, clock)
    claim = await actions.claim_email(db, gaston, "chef@lab.example", PASSWORD, clock())
    assert claim.token is not None
    clock.advance(hours=47)
    member = await actions.confirm_email(db, claim.token, clock(), self_membership=True)
    assert member.email == "chef@lab.example" and member.role is Role.MEMBER
    assert await actions.pending_email(db, gaston.id, clock()) is None
    user, _ = await actions.sign_in(
        db, "chef@lab.example", PASSWORD, "device-bbbbbbbbbbbb", clock()
    )
    assert user.id == gaston.id
    await apply_venue(db, office("chef@lab.example"), clock())
    async with db.read() as conn:
        room = await room_by_slug(conn, "bureau")
    assert room is not None and gaston.id in room.team
    with pytest.raises(Gone):  # a link works once
        await actions.confirm_email(db, claim.token, clock(), self_membership=True)


async def test_email_claim_link_expires_and_is_replaced(db: Database, clock: FixedClock) -> None:
    gaston = await guest(db, clock)
    first = await actions.claim_email(db, gaston, "un@lab.example", PASSWORD, clock())
    clock.advance(hours=49)
    assert first.token is not None
    with pytest.raises(Gone) as gone:
        await actions.confirm_email(db, first.token, clock(), self_membership=True)
    assert gone.value.code == "people/email_link_expired"
    second = await actions.claim_email(db, gaston, "deux@lab.example", PASSWORD, clock())
    third = await actions.claim_email(db, gaston, "trois@lab.example", PASSWORD, clock())
    assert second.token is not None and third.token is not None
    with pytest.raises(Gone):  # a new address replaces the earlier one
        await actions.confirm_email(db, second.token, clock(), self_membership=True)
    confirmed = await actions.confirm_email(db, third.token, clock(), self_membership=True)
    assert confirmed.email == "trois@lab.example"


async def test_email_claim_taken_address_makes_no_link(db: Database, clock: FixedClock) -> None:
    await actions.create_user(
        db, "Pat", Role.MEMBER, clock(), email="pat@lab.example", password=PASSWORD
    )
    gaston = await guest(db, clock)
    taken = await actions.claim_email(db, gaston, "PAT@lab.example", PASSWORD, clock())
    assert taken.token is None
    # Free when claimed, taken by the time the link is followed: refused, nothing changes.
    other = await guest(db, clock, "Odile")
    claim = await actions.claim_email(db, other, "libre@lab.example", PASSWORD, clock())
    assert claim.token is not None
    await actions.create_user(
        db, "Lib", Role.MEMBER, clock(), email="libre@lab.example", password=PASSWORD
    )
    with pytest.raises(Conflict):
        await actions.confirm_email(db, claim.token, clock(), self_membership=True)


async def test_email_claim_confirmed_by_an_admin(db: Database, clock: FixedClock) -> None:
    boss = await actions.create_user(db, "Admin", Role.ADMIN, clock())
    mod = await actions.create_user(db, "Modo", Role.MODERATOR, clock())
    gaston = await guest(db, clock)
    with pytest.raises(NotFound):
        await actions.admin_confirm_email(db, boss, gaston.id, clock(), self_membership=True)
    await actions.claim_email(db, gaston, "chef@lab.example", PASSWORD, clock())
    assert await actions.pending_emails(db, clock()) == {gaston.id: "chef@lab.example"}
    with pytest.raises(Forbidden):
        await actions.admin_confirm_email(db, mod, gaston.id, clock(), self_membership=True)
    member = await actions.admin_confirm_email(db, boss, gaston.id, clock(), self_membership=True)
    assert member.email == "chef@lab.example" and member.role is Role.MEMBER
    assert await actions.pending_emails(db, clock()) == {}
