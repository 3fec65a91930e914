"""The solidarity hat at service level (SQLite and PostgreSQL, a fixed clock): a cause, a
pledge stored with its own communication, the QR code decoded, the live progress, the
thank-you in the stage's chat, marking received by hand and from a bank's export, the CSV
list, every refusal (nothing stored), and a person's export and deletion."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select
from stdnum.be import ogm_vcs

from estaminet.cli import DEMO_VENUE
from estaminet.hat import data as hat_data
from estaminet.hat.rules import PledgeStatus
from estaminet.hat.schema import hat_pledges, hats
from estaminet.hat.service import MAX_PLEDGES_PER_HOUR, HatFields, HatService, epc_qr
from estaminet.kernel.errors import BadInput, Forbidden, NotFound
from estaminet.people.actions import create_user
from estaminet.people.inbox import Inbox
from estaminet.people.model import Role, User
from estaminet.privacy.export import gather
from estaminet.realtime.hub import MemoryHub
from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.venue import chat
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import apply_venue, room_by_slug
from estaminet.venue.schema import messages
from estaminet.venue.service import VenueService
from estaminet.web.templating import Templates
from tests.conftest import FixedClock

IBAN = "BE68 5390 0754 7034"


class Draws:
    """The pledges' numbers, in order (the service draws them at random otherwise)."""

    def __init__(self, *numbers: int) -> None:
        self.numbers: Iterator[int] = iter(numbers)

    def __call__(self) -> int:
        return next(self.numbers)


async def _setup(
    db: Database, settings: Settings, clock: FixedClock, *draws: int
) -> tuple[HatService, MemoryHub, dict[str, User]]:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    hub = MemoryHub(buffer_size=64)
    templates = Templates("Europe/Brussels")
    venue = VenueService(db, hub, templates, settings, clock, Inbox(db, hub, templates))
    service = HatService(
        db,
        hub,
        templates,
        venue,
        clock,
        max_pledge_cents=500_000,
        venue_locale="fr",
        draw_number=Draws(*draws) if draws else Draws(*range(1001, 1100)),
    )
    people = {
        "anim": await create_user(db, "Aline Animatrice", Role.ANIMATOR, clock()),
        "marie": await create_user(db, "Marie Dupont", Role.GUEST, clock()),
        "paul": await create_user(db, "Paul Membre", Role.MEMBER, clock()),
        "admin": await create_user(db, "Ada Admin", Role.ADMIN, clock()),
    }
    return service, hub, people


def _fields(**changes: Any) -> HatFields:
    form = {
        "name": "La casa sin papel",
        "text": "Des colis et des lits pour la nuit, à Bruxelles.",
        "beneficiary": "La casa sin papel ASBL",
        "iban": IBAN,
        "bic": "",
        "goal": "500",
        **changes,
    }
    return HatFields.read(form, room_slug="scene", event_id=None)


async def _count(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(hat_pledges))).scalar_one())


def _decode(qr: Any) -> str:
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=6, border=4)
    buffer.seek(0)
    found = zxingcpp.read_barcodes(Image.open(buffer))
    assert len(found) == 1
    return str(found[0].text)


async def test_hat_pledge_stored_qr_decoded_progress_live_and_thanked(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    service, hub, people = await _setup(db, settings, clock, 108068171, 97 * 12345)
    hat_id = await service.create(people["anim"], _fields(), None)
    hat = await service.hat(hat_id)
    assert hat.treasurers == {people["anim"].id} and hat.open and hat.goal_cents == 50_000
    frames: list[Any] = []
    hub.subscribe(hat.key, frames.append)
    pledge = await service.put_in(people["marie"], hat_id, "25,50", anonymous=False)
    assert pledge.amount_cents == 2550 and pledge.status is PledgeStatus.PLEDGED
    assert pledge.communication == "+++010/8068/17183+++"
    # Stored before it was answered: another service (a restarted server) finds it.
    again = HatService(
        db, hub, service.templates, service.venue, clock, max_pledge_cents=1, venue_locale="fr"
    )
    assert (await again.pledge(people["marie"], hat_id, pledge.id))[1] == pledge
    # The QR code decodes to a valid EPC payload paying this pledge.
    lines = _decode(epc_qr(hat, pledge)).split("\n")
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4] == ""  # no BIC: version 002 does without inside SEPA
    assert lines[5] == "La casa sin papel ASBL"
    assert lines[6] == "BE68539007547034"
    assert lines[7] == "EUR25.5"
    assert ogm_vcs.validate(lines[9]) == pledge.reference == "010806817183"
    assert len(lines) == 10 or all(not line for line in lines[10:])
    # The progress moved, for everyone following the hat (one frame per language).
    assert len(frames) == 1 and frames[0].topic == hat.key
    body = json.loads(frames[0].text("fr"))
    assert body["kind"] == "hat" and body["ops"][0]["op"] == "replace"
    html = body["ops"][0]["html"]
    assert "data-hat-progress" in html and "25,50" in html and "0,00" in html
    # The thank-you is in the stage's chat, with the person's name, without the amount.
    async with db.read() as conn:
        room = await room_by_slug(conn, "scene")
        assert room is not None
        said = await chat.history(conn, room)
    assert said[-1].author_name == "Marie Dupont" and said[-1].author_id == people["marie"].id
    assert "La casa sin papel" in said[-1].body and "25" not in said[-1].body
    # Anonymous: no name anywhere, the hat speaks.
    second = await service.put_in(people["paul"], hat_id, "10", anonymous=True)
    assert second.communication == "+++000/1197/46597+++"
    async with db.read() as conn:
        said = await chat.history(conn, room)
    assert said[-1].author_id is None and said[-1].author_name == "Le chapeau"
    assert "Paul" not in said[-1].body and "Quelqu" in said[-1].body
    hat = await service.hat(hat_id)
    assert (hat.progress.pledged_cents, hat.progress.received_cents) == (3550, 0)


async def test_hat_refusals_store_nothing(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    service, _, people = await _setup(db, settings, clock)
    # An invalid IBAN never reaches the database.
    with pytest.raises(BadInput) as refused:
        _fields(iban="BE68 5390 0754 7035")
    assert refused.value.code == "hat/bad_iban"
    # Only organisers prepare a hat.
    with pytest.raises(Forbidden):
        await service.create(people["marie"], _fields(), None)
    hat_id = await service.create(people["anim"], _fields(), None)
    for amount, code in [
        ("-5", "hat/amount_not_positive"),
        ("0", "hat/amount_not_positive"),
        ("5000,01", "hat/amount_too_large"),
        ("beaucoup", "hat/bad_amount"),
    ]:
        with pytest.raises(BadInput) as refused:
            await service.put_in(people["marie"], hat_id, amount, anonymous=False)
        assert refused.value.code == code
    assert await _count(db) == 0
    with pytest.raises(NotFound):
        await service.put_in(people["marie"], 999, "5", anonymous=False)
    # A closed hat takes nothing; only organisers close it.
    with pytest.raises(Forbidden):
        await service.set_open(people["marie"], hat_id, False)
    await service.set_open(people["anim"], hat_id, False)
    with pytest.raises(BadInput) as refused:
        await service.put_in(people["marie"], hat_id, "5", anonymous=False)
    assert refused.value.code == "hat/closed"
    assert await _count(db) == 0
    await service.set_open(people["anim"], hat_id, True)
    pledge = await service.put_in(people["marie"], hat_id, "5", anonymous=False)
    # A forged "received": not a treasurer (the person who pledged, an organiser who is not
    # one, a member) is refused, and the pledge stays only promised.
    other_anim = await create_user(db, "Otto Anim", Role.ANIMATOR, clock())
    for forger in (people["marie"], people["paul"], other_anim):
        with pytest.raises(Forbidden) as forbidden:
            await service.mark(forger, hat_id, pledge.id, True)
        assert forbidden.value.code == "hat/not_treasurer"
        with pytest.raises(Forbidden):
            await service.import_bank(forger, hat_id, b"Montant;Communication\n5;x\n")
        with pytest.raises(Forbidden):
            await service.export_csv(forger, hat_id, "fr")
    assert (await service.pledge(people["marie"], hat_id, pledge.id))[
        1
    ].status is PledgeStatus.PLEDGED
    # Another person's pledge is "not found" (its QR code is not theirs to see).
    with pytest.raises(NotFound):
        await service.pledge(people["paul"], hat_id, pledge.id)
    # Pledging in a loop (each one thanked in the chat) stops at the hourly limit.
    for _ in range(MAX_PLEDGES_PER_HOUR):
        await service.put_in(people["paul"], hat_id, "1", anonymous=True)
    with pytest.raises(BadInput) as refused:
        await service.put_in(people["paul"], hat_id, "1", anonymous=True)
    assert refused.value.code == "hat/too_many"
    assert await _count(db) == 1 + MAX_PLEDGES_PER_HOUR
    clock.advance(hours=1)
    await service.put_in(people["paul"], hat_id, "1", anonymous=True)
    # A treasurer is someone who exists; a hat keeps one.
    with pytest.raises(BadInput) as refused:
        await service.set_treasurer(people["anim"], hat_id, "nobody-here", True)
    assert refused.value.code == "hat/unknown_person"
    with pytest.raises(Forbidden):
        await service.set_treasurer(people["paul"], hat_id, people["paul"].id, True)
    with pytest.raises(BadInput):
        await service.set_treasurer(people["anim"], hat_id, people["anim"].id, False)


async def test_hat_treasurer_marks_imports_and_exports(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    service, _, people = await _setup(db, settings, clock, 108068171, 4242, 777)
    hat_id = await service.create(people["anim"], _fields(), None)
    await service.set_treasurer(people["anim"], hat_id, people["paul"].id, True)
    first = await service.put_in(people["marie"], hat_id, "25", anonymous=False)
    second = await service.put_in(people["marie"], hat_id, "10", anonymous=True)
    sly = await create_user(db, "=HYPERLINK(1)", Role.GUEST, clock())
    third = await service.put_in(sly, hat_id, "2", anonymous=False)
    # Paul, named treasurer, marks the second by hand.
    await service.mark(people["paul"], hat_id, second.id, True)
    hat = await service.hat(hat_id)
    assert (hat.progress.pledged_cents, hat.progress.received_cents) == (3700, 1000)
    # The bank's export: the first paid (a little more), the second again, a stranger.
    export = (
        "Date;Montant;Nom de la contrepartie;Communication\n"
        f"04/12/2026;30,00;DUPONT MARIE;{first.communication}\n"
        f"04/12/2026;10,00;ANONYME;{second.communication}\n"
        "04/12/2026;50,00;QUELQU'UN;Pour le chapeau\n"
        "04/12/2026;-3,00;BANQUE;Frais\n"
    ).encode("cp1252")
    # A malformed file changes nothing and names its line.
    broken = export + b"04/12/2026;trois;X;" + first.communication.encode() + b"\n"
    with pytest.raises(BadInput) as refused:
        await service.import_bank(people["paul"], hat_id, broken)
    assert refused.value.params["line"] == 6
    assert (await service.hat(hat_id)).progress.received_cents == 1000
    report = await service.import_bank(people["paul"], hat_id, export)
    assert [(row.line, pid) for row, pid in report.matched] == [(2, first.id)]
    assert [pid for _, pid in report.already] == [second.id]
    assert [row.line for row in report.unmatched] == [4] and report.outgoing == 1
    hat = await service.hat(hat_id)
    assert (hat.progress.pledged_cents, hat.progress.received_cents) == (3700, 4000)
    # Importing the same file again counts nothing twice.
    again = await service.import_bank(people["paul"], hat_id, export)
    assert not again.matched and len(again.already) == 2
    # Undo a mistake.
    await service.mark(people["admin"], hat_id, second.id, False)
    assert (await service.hat(hat_id)).progress.received_cents == 3000
    # The list, as CSV: anonymous stays anonymous; a name never runs as a formula.
    _, text = await service.export_csv(people["paul"], hat_id, "fr")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Promesse" and len(rows) == 4
    by_id = {int(r[0]): r for r in rows[1:]}
    assert by_id[first.id][2:8] == [
        "Marie Dupont", "25,00", first.communication, "reçue", by_id[first.id][6], "30,00",
    ]  # fmt: skip
    assert by_id[second.id][2] == "Anonyme" and by_id[second.id][5] == "promise, pas encore reçue"
    assert by_id[third.id][2] == "'=HYPERLINK(1)"


async def test_hat_export_and_deletion_keep_the_accounts(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    service, _, people = await _setup(db, settings, clock)
    hat_id = await service.create(people["anim"], _fields(), None)
    pledge = await service.put_in(people["marie"], hat_id, "12,5", anonymous=False)
    await service.mark(people["anim"], hat_id, pledge.id, True)
    exported = await gather(db, people["marie"].id, clock())
    assert exported["pledges"] == [
        {
            "created_at": pledge.created_at,
            "cause": "La casa sin papel",
            "amount_eur": "12.50",
            "communication": pledge.communication,
            "anonymous": False,
            "status": "received",
            "received_at": clock(),
        }
    ]
    async with db.begin() as conn:
        await hat_data.forget_person(conn, people["marie"].id)
        await hat_data.forget_person(conn, people["anim"].id)
    async with db.read() as conn:
        row = (await conn.execute(select(hat_pledges))).one()
        creator = (await conn.execute(select(hats.c.created_by))).scalar_one()
    assert row.user_id is None and row.shown_name is None and creator is None
    assert row.amount_cents == 1250 and row.reference == pledge.reference
    hat = await service.hat(hat_id)
    assert hat.progress.received_cents == 1250 and hat.treasurers == frozenset()
    assert (await gather(db, people["marie"].id, clock()))["pledges"] == []


async def test_hat_room_panel_and_topic_view(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    service, _, people = await _setup(db, settings, clock)
    hat_id = await service.create(people["anim"], _fields(), None)
    async with db.read() as conn:
        room = await room_by_slug(conn, "scene")
        bar = await room_by_slug(conn, "bar")
    assert room is not None and bar is not None
    html = await service.room_panel({"locale": "fr"}, room, people["marie"])
    assert f'data-topic="hat:{hat_id}"' in html and "La casa sin papel" in html
    assert "Préparer un chapeau" not in html
    assert "Préparer un chapeau" in await service.room_panel({"locale": "fr"}, room, people["anim"])
    assert "La casa sin papel" not in await service.room_panel(
        {"locale": "fr"}, bar, people["marie"]
    )
    await service.set_open(people["anim"], hat_id, False)
    assert "La casa sin papel" not in await service.room_panel(
        {"locale": "fr"}, room, people["marie"]
    )
    # The topic's view: progress only, never a name or a communication.
    pledge_hat = await service.hat(hat_id)
    op = service.progress_op(pledge_hat, "en")
    assert op["target"] == f"[data-hat-progress='{hat_id}']" and "goal" in op["html"]
    async with db.read() as conn:
        total = (await conn.execute(select(func.count()).select_from(messages))).scalar_one()
    assert total == 0
