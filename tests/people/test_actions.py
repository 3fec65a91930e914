"""The people write path, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from estaminet.kernel.errors import BadInput, Forbidden, Gone, NotFound
from estaminet.people import actions
from estaminet.people.model import Role
from estaminet.people.queries import people_page
from estaminet.store import Database
from estaminet.store.keyset import BadCursor
from tests.conftest import FixedClock


async def admin(db: Database, clock: FixedClock):
    return await actions.create_user(db, "Admin", Role.ADMIN, clock())


async def test_invite_accept_creates_guest_with_session(db: Database, clock: FixedClock) -> None:
    invite, token = await actions.create_invite(db, await admin(db, clock), clock())
    user, session = await actions.accept_invite(
        db, token, "  Marie   Claire ", "device-aaaaaaaaaaaa", clock()
    )
    assert user.display_name == "Marie Claire"
    assert user.role is Role.GUEST
    assert not user.has_password
    assert (await actions.session_user(db, session)) == user
    assert (await actions.find_invite(db, token)).uses == 1
    assert invite.role is Role.GUEST


async def test_invite_role_is_given(db: Database, clock: FixedClock) -> None:
    _, token = await actions.create_invite(db, await admin(db, clock), clock(), role=Role.MEMBER)
    user, _ = await actions.accept_invite(db, token, "Jo", "device-bbbbbbbbbbbb", clock())
    assert user.role is Role.MEMBER


async def test_invite_expired_is_refused(db: Database, clock: FixedClock) -> None:
    _, token = await actions.create_invite(
        db, await admin(db, clock), clock(), expires_in=timedelta(hours=1)
    )
    clock.advance(hours=2)
    with pytest.raises(Gone) as caught:
        await actions.accept_invite(db, token, "Jo", "device-cccccccccccc", clock())
    assert caught.value.code == "people/invite_expired"


async def test_invite_used_up_is_refused(db: Database, clock: FixedClock) -> None:
    _, token = await actions.create_invite(db, await admin(db, clock), clock(), max_uses=1)
    await actions.accept_invite(db, token, "Jo", "device-dddddddddddd", clock())
    with pytest.raises(Gone) as caught:
        await actions.accept_invite(db, token, "Li", "device-eeeeeeeeeeee", clock())
    assert caught.value.code == "people/invite_used_up"


async def test_invite_forged_is_refused(db: Database, clock: FixedClock) -> None:
    await actions.create_invite(db, await admin(db, clock), clock())
    with pytest.raises(NotFound):
        await actions.accept_invite(db, "forged-token", "Jo", "device-ffffffffffff", clock())


async def test_invite_revoked_is_refused(db: Database, clock: FixedClock) -> None:
    boss = await admin(db, clock)
    invite, token = await actions.create_invite(db, boss, clock())
    await actions.revoke_invite(db, boss, invite.id, clock())
    with pytest.raises(Gone) as caught:
        await actions.accept_invite(db, token, "Jo", "device-gggggggggggg", clock())
    assert caught.value.code == "people/invite_revoked"


async def test_invite_bad_name_changes_nothing(db: Database, clock: FixedClock) -> None:
    _, token = await actions.create_invite(db, await admin(db, clock), clock(), max_uses=1)
    for name in ["", "   ", "x" * 41, "Jo\u0000", "Jo\u202e"]:
        with pytest.raises(BadInput):
            await actions.accept_invite(db, token, name, "device-hhhhhhhhhhhh", clock())
    assert (await actions.find_invite(db, token)).uses == 0


async def test_invite_banned_device_cannot_come_back(db: Database, clock: FixedClock) -> None:
    boss = await admin(db, clock)
    _, token = await actions.create_invite(db, boss, clock())
    troll, session = await actions.accept_invite(db, token, "Troll", "device-troll-000001", clock())
    await actions.set_ban(db, boss, troll.id, clock(), banned=True, reason="insults")
    assert await actions.session_user(db, session) is None
    _, fresh = await actions.create_invite(db, boss, clock())
    with pytest.raises(Forbidden) as caught:
        await actions.accept_invite(db, fresh, "Not a troll", "device-troll-000001", clock())
    assert caught.value.code == "people/banned"


async def test_invite_creation_rules(db: Database, clock: FixedClock) -> None:
    boss = await admin(db, clock)
    _, token = await actions.create_invite(db, boss, clock())
    guest, _ = await actions.accept_invite(db, token, "Guest", "device-iiiiiiiiiiii", clock())
    with pytest.raises(Forbidden):
        await actions.create_invite(db, guest, clock())
    mod = await actions.set_role(db, boss, guest.id, Role.MODERATOR, clock())
    with pytest.raises(Forbidden):
        await actions.create_invite(db, mod, clock(), role=Role.ADMIN)
    with pytest.raises(BadInput):
        await actions.create_invite(db, boss, clock(), max_uses=0)
    with pytest.raises(BadInput):
        await actions.create_invite(db, boss, clock(), expires_in=timedelta(days=400))


async def test_account_sign_in_with_argon2id(db: Database, clock: FixedClock) -> None:
    _, token = await actions.create_invite(db, await admin(db, clock), clock())
    guest, _ = await actions.accept_invite(db, token, "Jo", "device-jjjjjjjjjjjj", clock())
    claim = await actions.claim_email(db, guest, "Jo@Example.org", "correct horse battery", clock())
    assert claim.token is not None
    member = await actions.confirm_email(db, claim.token, clock(), self_membership=True)
    assert member.role is Role.MEMBER and member.has_password and member.email == "jo@example.org"
    user, session = await actions.sign_in(
        db, "jo@example.org", "correct horse battery", "dev-2-xxxxxxxxxx", clock()
    )
    assert user.id == guest.id and await actions.session_user(db, session) is not None
    with pytest.raises(Forbidden) as caught:
        await actions.sign_in(db, "jo@example.org", "wrong password!", "dev-2-xxxxxxxxxx", clock())
    assert caught.value.code == "people/bad_credentials"
    with pytest.raises(Forbidden):
        await actions.sign_in(
            db, "nobody@example.org", "whatever12345", "dev-2-xxxxxxxxxx", clock()
        )


async def test_account_argon2id_hash_stored(db: Database, clock: FixedClock) -> None:
    from sqlalchemy import select

    from estaminet.people.schema import users

    user = await actions.create_user(
        db, "Pat", Role.MEMBER, clock(), email="pat@example.org", password="long enough pw"
    )
    async with db.read() as conn:
        stored = (
            await conn.execute(select(users.c.password_hash).where(users.c.id == user.id))
        ).scalar_one()
    assert stored.startswith("$argon2id$")


async def test_account_bad_input(db: Database, clock: FixedClock) -> None:
    boss = await admin(db, clock)
    await actions.create_user(
        db, "Pat", Role.MEMBER, clock(), email="pat@example.org", password="long enough pw"
    )
    _, token = await actions.create_invite(db, boss, clock())
    guest, _ = await actions.accept_invite(db, token, "Jo", "device-kkkkkkkkkkkk", clock())
    with pytest.raises(BadInput):
        await actions.claim_email(db, guest, "not-an-email", "long enough pw", clock())
    with pytest.raises(BadInput):
        await actions.claim_email(db, guest, "jo@example.org", "short", clock())
    # A taken address is not refused (that would tell who has an account): no link is made.
    taken = await actions.claim_email(db, guest, "PAT@example.org", "long enough pw", clock())
    assert taken.token is None and taken.email == "pat@example.org"
    assert await actions.pending_email(db, guest.id, clock()) is None


async def test_account_closed_membership_keeps_guest_role(db: Database, clock: FixedClock) -> None:
    _, token = await actions.create_invite(db, await admin(db, clock), clock())
    guest, _ = await actions.accept_invite(db, token, "Jo", "device-llllllllllll", clock())
    claim = await actions.claim_email(db, guest, "jo@example.org", "long enough pw", clock())
    assert claim.token is not None
    user = await actions.confirm_email(db, claim.token, clock(), self_membership=False)
    assert user.role is Role.GUEST and user.has_password


async def test_login_link_return_is_reusable_and_replaced(db: Database, clock: FixedClock) -> None:
    user = await admin(db, clock)
    first = await actions.create_login_link(db, user, clock())
    await actions.use_login_link(db, first, "device-mmmmmmmmmmmm", clock())
    await actions.use_login_link(db, first, "device-nnnnnnnnnnnn", clock())
    second = await actions.create_login_link(db, user, clock())
    with pytest.raises(Gone):
        await actions.use_login_link(db, first, "device-oooooooooooo", clock())
    signed, _ = await actions.use_login_link(db, second, "device-oooooooooooo", clock())
    assert signed.id == user.id


async def test_login_link_signin_is_single_use(db: Database, clock: FixedClock) -> None:
    user = await admin(db, clock)
    token = await actions.create_login_link(db, user, clock(), purpose="signin")
    await actions.use_login_link(db, token, "device-pppppppppppp", clock())
    with pytest.raises(Gone):
        await actions.use_login_link(db, token, "device-pppppppppppp", clock())
    with pytest.raises(NotFound):
        await actions.use_login_link(db, "forged", "device-pppppppppppp", clock())


async def test_ban_rules_and_log(db: Database, clock: FixedClock) -> None:
    from estaminet.people.queries import moderation_entries

    boss = await admin(db, clock)
    mod = await actions.create_user(db, "Mod", Role.MODERATOR, clock())
    other = await actions.create_user(db, "Other mod", Role.MODERATOR, clock())
    with pytest.raises(Forbidden):
        await actions.set_ban(db, mod, other.id, clock(), banned=True)
    with pytest.raises(Forbidden):
        await actions.set_ban(db, mod, boss.id, clock(), banned=True)
    with pytest.raises(NotFound):
        await actions.set_ban(db, boss, "nobody", clock(), banned=True)
    banned = await actions.set_ban(db, boss, other.id, clock(), banned=True, reason="spam")
    assert banned.banned
    unbanned = await actions.set_ban(db, boss, other.id, clock(), banned=False)
    assert not unbanned.banned
    async with db.read() as conn:
        log = await moderation_entries(conn)
    assert [entry["action"] for entry in log] == ["unban", "ban"]
    assert log[1]["reason"] == "spam"


async def test_invites_pages_walk_forward_and_back(db: Database, clock: FixedClock) -> None:
    me = await admin(db, clock)
    made = []
    for number in range(7):
        made.append((await actions.create_invite(db, me, clock(), note=str(number)))[0].id)
        if number % 3 == 0:
            clock.advance(minutes=1)  # some share an instant: the id breaks the tie
    first = await actions.list_invites(db, size=3)
    second = await actions.list_invites(db, after=first.next_cursor, size=3)
    third = await actions.list_invites(db, after=second.next_cursor, size=3)
    assert first.previous_cursor is None and third.next_cursor is None
    ids = [i.id for page in (first, second, third) for i in page.items]
    assert sorted(ids) == sorted(made) and len(set(ids)) == 7
    times = [i.created_at for page in (first, second, third) for i in page.items]
    assert times == sorted(times, reverse=True)
    back = await actions.list_invites(db, before=third.previous_cursor, size=3)
    assert [i.id for i in back.items] == [i.id for i in second.items]
    assert back.next_cursor == second.next_cursor and back.previous_cursor is not None
    start = await actions.list_invites(db, before=back.previous_cursor, size=3)
    assert [i.id for i in start.items] == [i.id for i in first.items]
    assert start.previous_cursor is None


async def test_people_pages_search_by_name(db: Database, clock: FixedClock) -> None:
    for name in ("zoé", "Alice", "alain", "Bob 100%", "bob_1", "Arthur"):
        await actions.create_user(db, name, Role.GUEST, clock())
    async with db.read() as conn:
        everyone = await people_page(conn, size=4)
        rest = await people_page(conn, after=everyone.next_cursor, size=4)
        found = await people_page(conn, search="AL")
        percent = await people_page(conn, search="0%")
        underscore = await people_page(conn, search="_")
    names = [p.display_name for p in [*everyone.items, *rest.items]]
    assert names == ["alain", "Alice", "Arthur", "Bob 100%", "bob_1", "zoé"]
    assert [p.display_name for p in found.items] == ["alain", "Alice"]
    assert [p.display_name for p in percent.items] == ["Bob 100%"]  # % and _ are plain letters
    assert [p.display_name for p in underscore.items] == ["bob_1"]


async def test_people_pages_refuse_a_malformed_cursor(db: Database) -> None:
    async with db.read() as conn:
        for cursor in ("", "!!", "W10", "WyJhIiwxXQ", "e30"):  # "", junk, [], ["a",1], {}
            with pytest.raises(BadCursor):
                await people_page(conn, after=cursor or "=")
