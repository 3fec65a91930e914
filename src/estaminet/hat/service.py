"""The solidarity hat as a service: causes, pledges, the treasurer's side, the live progress.

One write path: each action checks who acts (``people.access``) and what was typed
(``hat.rules``), writes in one transaction, and only after the commit publishes the hat's
progress on ``hat:<id>`` and, for a pledge, the thank-you in the room's chat (through the
venue's own write path). A pledge is stored before it is answered: the person's QR code is
drawn from the stored row, so a restart loses nothing.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import segno
from segno import helpers as segno_helpers
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.events import access_event
from estaminet.hat.rules import (
    ImportReport,
    PledgeStatus,
    Progress,
    check_beneficiary,
    check_bic,
    check_goal,
    check_iban,
    check_name,
    check_pledge_amount,
    check_text,
    decode_bank_file,
    format_iban,
    match_rows,
    parse_bank_csv,
    progress,
    structured_communication,
)
from estaminet.hat.schema import hat_pledges, hat_treasurers, hats
from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden, NotFound
from estaminet.kernel.i18n import LANGUAGES, N_
from estaminet.people.access import (
    can_keep_hat_accounts,
    can_organise_hats,
    can_pledge,
    can_see_pledge,
)
from estaminet.people.model import User
from estaminet.people.queries import active_user, display_names, user_by_id
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import frame_for_locales
from estaminet.realtime.gateway import Gateway
from estaminet.realtime.hub import Hub
from estaminet.realtime.topics import HubNumbered, SnapshotTopics
from estaminet.store import Database
from estaminet.translations import translate
from estaminet.venue.rooms import Room, room_by_slug
from estaminet.venue.service import VenueService
from estaminet.web.templating import Templates

__all__ = ["MAX_PLEDGES_PER_HOUR", "Hat", "HatFields", "HatService", "Pledge", "epc_qr"]

MAX_PLEDGES_PER_HOUR = 10
"""A person may pledge this many times an hour (each pledge thanks them in a room's chat)."""


@dataclass(frozen=True)
class HatFields:
    """A cause as typed in the organisers' form, checked."""

    name: str
    text: str
    beneficiary: str
    iban: str
    bic: str | None
    goal_cents: int
    room_slug: str | None
    event_id: int | None

    @classmethod
    def read(
        cls, form: Mapping[str, Any], *, room_slug: str | None, event_id: int | None
    ) -> HatFields:
        return cls(
            name=check_name(form.get("name")),
            text=check_text(form.get("text")),
            beneficiary=check_beneficiary(form.get("beneficiary")),
            iban=check_iban(form.get("iban")),
            bic=check_bic(form.get("bic")),
            goal_cents=check_goal(form.get("goal")),
            room_slug=room_slug,
            event_id=event_id,
        )


@dataclass(frozen=True)
class Hat:
    id: int
    name: str
    text: str
    picture: str | None
    beneficiary: str
    iban: str
    bic: str | None
    goal_cents: int
    room_slug: str | None
    event_id: int | None
    open: bool
    created_by: str | None
    created_at: datetime
    closed_at: datetime | None
    treasurers: frozenset[str]
    progress: Progress

    @property
    def key(self) -> str:
        return f"hat:{self.id}"

    @property
    def iban_text(self) -> str:
        return format_iban(self.iban)


@dataclass(frozen=True)
class Pledge:
    id: int
    hat_id: int
    user_id: str | None
    shown_name: str | None
    """The name thanked in the chat; ``None``: anonymous."""
    amount_cents: int
    reference: str
    """The structured communication's 12 digits."""
    status: PledgeStatus
    created_at: datetime
    received_at: datetime | None
    received_cents: int | None
    received_how: str | None

    @property
    def communication(self) -> str:
        """``+++123/4567/89012+++``, as the payer types it and the bank shows it."""
        return structured_communication(int(self.reference[:10]))

    @property
    def received(self) -> bool:
        return self.status is PledgeStatus.RECEIVED


def epc_qr(hat: Hat, pledge: Pledge) -> segno.QRCode:
    """The EPC QR code (« SEPA credit transfer », version 002) that pays ``pledge``.

    The structured communication goes into the *structured* remittance reference (line 10)
    as its 12 digits: Belgian banking apps read a Belgian structured communication there
    and carry it to the statement as such; in the unstructured text (line 11) they treat it
    as a free message, which the beneficiary's bank may not match. The page shows it as
    ``+++…+++`` beside the code for anyone who types the transfer by hand.
    """
    return segno_helpers.make_epc_qr(
        name=hat.beneficiary,
        iban=hat.iban,
        amount=pledge.amount_cents / 100,
        reference=pledge.reference,
        bic=hat.bic,
        encoding="utf-8",
    )


def _draw_number() -> int:
    return secrets.randbelow(10**10 - 1) + 1


class HatService:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        templates: Templates,
        venue: VenueService,
        clock: Callable[[], datetime],
        *,
        max_pledge_cents: int,
        venue_locale: str,
        draw_number: Callable[[], int] = _draw_number,
    ) -> None:
        self.db = db
        self.hub = hub
        self.templates = templates
        self.venue = venue
        self.clock = clock
        self.max_pledge_cents = max_pledge_cents
        self.venue_locale = venue_locale
        self.draw_number = draw_number

    def install(self, gateway: Gateway) -> None:
        gateway.provide("hat", _HatTopics(self))

    # -- reading -------------------------------------------------------------------------

    async def _hats(self, conn: AsyncConnection, *where: Any) -> list[Hat]:
        rows = (await conn.execute(select(hats).where(*where).order_by(hats.c.id))).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        keepers: dict[int, set[str]] = {i: set() for i in ids}
        for hat_id, user_id in await conn.execute(
            select(hat_treasurers.c.hat_id, hat_treasurers.c.user_id).where(
                hat_treasurers.c.hat_id.in_(ids)
            )
        ):
            keepers[hat_id].add(user_id)
        amounts: dict[int, list[tuple[int, PledgeStatus, int | None]]] = {i: [] for i in ids}
        for hat_id, amount, status, got in await conn.execute(
            select(
                hat_pledges.c.hat_id,
                hat_pledges.c.amount_cents,
                hat_pledges.c.status,
                hat_pledges.c.received_cents,
            ).where(hat_pledges.c.hat_id.in_(ids))
        ):
            amounts[hat_id].append((amount, PledgeStatus(status), got))
        return [
            Hat(
                id=r.id,
                name=r.name,
                text=r.text,
                picture=r.picture,
                beneficiary=r.beneficiary,
                iban=r.iban,
                bic=r.bic,
                goal_cents=r.goal_cents,
                room_slug=r.room_slug,
                event_id=r.event_id,
                open=bool(r.open),
                created_by=r.created_by,
                created_at=r.created_at,
                closed_at=r.closed_at,
                treasurers=frozenset(keepers[r.id]),
                progress=progress(r.goal_cents, amounts[r.id]),
            )
            for r in rows
        ]

    async def hat(self, hat_id: int) -> Hat:
        async with self.db.read() as conn:
            found = await self._hats(conn, hats.c.id == hat_id)
        if not found:
            raise NotFound("hat/unknown", N_("This hat does not exist."))
        return found[0]

    async def all_hats(self) -> list[Hat]:
        """Every hat, open ones first, the newest first."""
        async with self.db.read() as conn:
            found = await self._hats(conn)
        return sorted(found, key=lambda h: (not h.open, -h.id))

    async def hats_in_room(self, slug: str) -> list[Hat]:
        """The open hats a room shows (attached to it)."""
        async with self.db.read() as conn:
            return await self._hats(conn, hats.c.room_slug == slug, hats.c.open.is_(True))

    async def event_title(self, user: User, hat: Hat) -> str | None:
        """The title of the hat's event, if ``user`` may see it."""
        if hat.event_id is None:
            return None
        async with self.db.read() as conn:
            try:
                return (await access_event(conn, user, hat.event_id)).title
            except EstaminetError:
                return None

    async def treasurer_names(self, hat: Hat) -> dict[str, str]:
        async with self.db.read() as conn:
            return await display_names(conn, set(hat.treasurers))

    async def pledge(self, user: User, hat_id: int, pledge_id: int) -> tuple[Hat, Pledge]:
        """A pledge, for the person who made it or the hat's treasurers (else "not found")."""
        hat = await self.hat(hat_id)
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(hat_pledges).where(
                        hat_pledges.c.id == pledge_id, hat_pledges.c.hat_id == hat_id
                    )
                )
            ).first()
        if row is None or not can_see_pledge(user, row.user_id, hat.treasurers):
            raise NotFound("hat/unknown_pledge", N_("This pledge does not exist."))
        return hat, _pledge(row)

    async def pledges_of(self, user: User, hat_id: int) -> list[Pledge]:
        """The person's own pledges in this hat (their way back to a QR code)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(hat_pledges)
                .where(hat_pledges.c.hat_id == hat_id, hat_pledges.c.user_id == user.id)
                .order_by(hat_pledges.c.id)
            )
            return [_pledge(r) for r in rows]

    async def accounts(self, user: User, hat_id: int) -> tuple[Hat, list[Pledge]]:
        """Every pledge of the hat, for its treasurers."""
        hat = await self.hat(hat_id)
        self.check_treasurer(user, hat)
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(hat_pledges).where(hat_pledges.c.hat_id == hat_id).order_by(hat_pledges.c.id)
            )
            return hat, [_pledge(r) for r in rows]

    # -- organisers ------------------------------------------------------------------------

    @staticmethod
    def check_organiser(user: User) -> None:
        if not can_organise_hats(user):
            raise Forbidden(
                "hat/not_organiser", N_("Only the venue's animators and admins prepare a hat.")
            )

    @staticmethod
    def check_treasurer(user: User, hat: Hat) -> None:
        if not can_keep_hat_accounts(user, hat.treasurers):
            raise Forbidden(
                "hat/not_treasurer",
                N_("Only this hat's treasurers mark money as received."),
            )

    async def create(self, user: User, fields: HatFields, picture: str | None) -> int:
        """A new hat, open; the person who prepares it is its first treasurer."""
        self.check_organiser(user)
        async with self.db.begin() as conn:
            await self._check_room(conn, fields.room_slug)
            hat_id = int(
                (
                    await conn.execute(
                        insert(hats)
                        .values(
                            **_fields(fields),
                            picture=picture,
                            open=True,
                            created_by=user.id,
                            created_at=self.clock(),
                        )
                        .returning(hats.c.id)
                    )
                ).scalar_one()
            )
            await conn.execute(insert(hat_treasurers).values(hat_id=hat_id, user_id=user.id))
        return hat_id

    async def update(
        self,
        user: User,
        hat_id: int,
        fields: HatFields,
        picture: str | None,
        *,
        replace_picture: bool,
    ) -> str | None:
        """Change a hat's description; returns a picture file no longer used."""
        self.check_organiser(user)
        old = await self.hat(hat_id)
        values: dict[str, Any] = _fields(fields)
        if replace_picture:
            values["picture"] = picture
        async with self.db.begin() as conn:
            await self._check_room(conn, fields.room_slug)
            await conn.execute(update(hats).where(hats.c.id == hat_id).values(**values))
        await self.publish(hat_id)
        return old.picture if replace_picture and old.picture != picture else None

    @staticmethod
    async def _check_room(conn: AsyncConnection, slug: str | None) -> None:
        if slug is not None and await room_by_slug(conn, slug) is None:
            raise BadInput("hat/unknown_room", N_("This room does not exist."))

    async def set_open(self, user: User, hat_id: int, is_open: bool) -> None:
        """Open the hat, or close it (no more pledges; the treasurer goes on)."""
        self.check_organiser(user)
        await self.hat(hat_id)
        async with self.db.begin() as conn:
            await conn.execute(
                update(hats)
                .where(hats.c.id == hat_id)
                .values(open=is_open, closed_at=None if is_open else self.clock())
            )
        await self.publish(hat_id)

    async def set_treasurer(self, user: User, hat_id: int, target_id: str, keep: bool) -> None:
        """Name (or no longer name) a treasurer of the hat; a hat keeps at least one."""
        self.check_organiser(user)
        hat = await self.hat(hat_id)
        async with self.db.begin() as conn:
            target = await user_by_id(conn, target_id)
            if target is None or (keep and target.banned):
                raise BadInput("hat/unknown_person", N_("Choose a person."))
            if keep:
                if target.id not in hat.treasurers:
                    await conn.execute(
                        insert(hat_treasurers).values(hat_id=hat_id, user_id=target.id)
                    )
                return
            if hat.treasurers == {target.id}:
                raise BadInput(
                    "hat/last_treasurer",
                    N_("A hat keeps at least one treasurer: name another one first."),
                )
            await conn.execute(
                delete(hat_treasurers).where(
                    hat_treasurers.c.hat_id == hat_id, hat_treasurers.c.user_id == target.id
                )
            )

    # -- pledging ----------------------------------------------------------------------

    async def put_in(self, user: User, hat_id: int, amount: object, anonymous: bool) -> Pledge:
        """Pledge ``amount`` euros: stored (with its own structured communication) before the
        person is answered, then the progress moves for everyone and the room says thanks."""
        if not can_pledge(user):
            raise Forbidden("hat/not_allowed", N_("You are not allowed to do that."))
        cents = check_pledge_amount(amount, self.max_pledge_cents)
        now = self.clock()
        async with self.db.begin() as conn:
            row = (
                await conn.execute(select(hats).where(hats.c.id == hat_id).with_for_update())
            ).first()
            if row is None:
                raise NotFound("hat/unknown", N_("This hat does not exist."))
            if not row.open:
                raise BadInput(
                    "hat/closed",
                    N_("This hat is closed: it takes no more pledges. Thank you all the same!"),
                )
            recent = (
                await conn.execute(
                    select(func.count())
                    .select_from(hat_pledges)
                    .where(
                        hat_pledges.c.user_id == user.id,
                        hat_pledges.c.created_at > now - timedelta(hours=1),
                    )
                )
            ).scalar_one()
            if recent >= MAX_PLEDGES_PER_HOUR:
                raise BadInput(
                    "hat/too_many",
                    N_("You have pledged many times this hour: thank you! Wait a little."),
                )
            reference = await self._fresh_reference(conn)
            pledge_id = int(
                (
                    await conn.execute(
                        insert(hat_pledges)
                        .values(
                            hat_id=hat_id,
                            user_id=user.id,
                            shown_name=None if anonymous else user.display_name[:60],
                            amount_cents=cents,
                            reference=reference,
                            status=PledgeStatus.PLEDGED.value,
                            created_at=now,
                        )
                        .returning(hat_pledges.c.id)
                    )
                ).scalar_one()
            )
            room_slug = row.room_slug
            event_id = row.event_id
            cause = row.name
        await self.publish(hat_id)
        await self._thank(user, room_slug, event_id, cause, anonymous, now)
        return (await self.pledge(user, hat_id, pledge_id))[1]

    async def _fresh_reference(self, conn: AsyncConnection) -> str:
        """A number no pledge has, with its check digits (12 digits)."""
        for _ in range(20):
            number = self.draw_number()
            digits = structured_communication(number).strip("+").replace("/", "")
            taken = (
                await conn.execute(
                    select(hat_pledges.c.id).where(hat_pledges.c.reference == digits)
                )
            ).first()
            if taken is None:
                return digits
        raise RuntimeError("no free structured communication after 20 draws")

    async def _thank(
        self,
        user: User,
        room_slug: str | None,
        event_id: int | None,
        cause: str,
        anonymous: bool,
        now: datetime,
    ) -> None:
        """The thank-you in the chat of the hat's room (or its event's room), in the venue's
        language: with the person's name, or without (their choice). No amount is said."""
        async with self.db.read() as conn:
            if room_slug is None and event_id is not None:
                try:
                    room_slug = (await access_event(conn, None, event_id)).room_slug
                except EstaminetError:
                    room_slug = None
            room: Room | None = await room_by_slug(conn, room_slug) if room_slug else None
        if room is None:
            return
        locale = self.venue_locale
        if anonymous:
            body = translate(
                locale,
                N_("Someone put something in the hat for « %(cause)s ». Thank you!"),
                {"cause": cause},
            )
            author = translate(locale, N_("The hat"))
        else:
            body = translate(
                locale,
                N_("put something in the hat for « %(cause)s ». Thank you!"),
                {"cause": cause},
            )
            author = user.display_name
        await self.venue.post_notice(
            room, body, now, author_id=None if anonymous else user.id, author_name=author
        )

    # -- the treasurer --------------------------------------------------------------------

    async def mark(self, user: User, hat_id: int, pledge_id: int, received: bool) -> None:
        """Mark one pledge received (or, a mistake, back to only promised)."""
        hat = await self.hat(hat_id)
        self.check_treasurer(user, hat)
        async with self.db.begin() as conn:
            row = (
                await conn.execute(
                    select(hat_pledges.c.id)
                    .where(hat_pledges.c.id == pledge_id, hat_pledges.c.hat_id == hat_id)
                    .with_for_update()
                )
            ).first()
            if row is None:
                raise NotFound("hat/unknown_pledge", N_("This pledge does not exist."))
            values: dict[str, Any] = (
                {
                    "status": PledgeStatus.RECEIVED.value,
                    "received_at": self.clock(),
                    "received_by": user.id,
                    "received_how": "hand",
                    "received_cents": None,
                }
                if received
                else {
                    "status": PledgeStatus.PLEDGED.value,
                    "received_at": None,
                    "received_by": None,
                    "received_how": None,
                    "received_cents": None,
                }
            )
            await conn.execute(
                update(hat_pledges).where(hat_pledges.c.id == pledge_id).values(**values)
            )
        await self.publish(hat_id)

    async def import_bank(self, user: User, hat_id: int, data: bytes) -> ImportReport:
        """Read the bank's CSV export and mark received every pledge whose structured
        communication it shows (with the amount the bank shows). A file that cannot be read
        is refused whole, naming its line: nothing is marked."""
        hat = await self.hat(hat_id)
        self.check_treasurer(user, hat)
        rows = parse_bank_csv(decode_bank_file(data))
        now = self.clock()
        async with self.db.begin() as conn:
            known = {
                r.reference: (r.id, PledgeStatus(r.status))
                for r in await conn.execute(
                    select(hat_pledges.c.id, hat_pledges.c.reference, hat_pledges.c.status)
                    .where(hat_pledges.c.hat_id == hat_id)
                    .with_for_update()
                )
            }
            report = match_rows(rows, known)
            for row, pledge_id in report.matched:
                await conn.execute(
                    update(hat_pledges)
                    .where(hat_pledges.c.id == pledge_id)
                    .values(
                        status=PledgeStatus.RECEIVED.value,
                        received_at=now,
                        received_by=user.id,
                        received_how="import",
                        received_cents=row.amount_cents,
                    )
                )
        if report.matched:
            await self.publish(hat_id)
        return report

    async def export_csv(self, user: User, hat_id: int, locale: str) -> tuple[Hat, str]:
        """The hat's pledges as CSV (``;``-separated, as Belgian spreadsheets open it)."""
        hat, pledges = await self.accounts(user, hat_id)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        header = [
            N_("Pledge"),
            N_("Date"),
            N_("Name"),
            N_("Amount pledged (EUR)"),
            N_("Structured communication"),
            N_("Status"),
            N_("Received on"),
            N_("Amount received (EUR)"),
        ]
        writer.writerow([translate(locale, h) for h in header])
        anonymous = translate(locale, N_("Anonymous"))
        for p in pledges:
            got = p.received_cents if p.received_cents is not None else p.amount_cents
            writer.writerow(
                [
                    p.id,
                    p.created_at.isoformat(timespec="seconds"),
                    _csv_safe(p.shown_name or anonymous),
                    _euros(p.amount_cents),
                    p.communication,
                    translate(
                        locale, N_("received") if p.received else N_("pledged, not received")
                    ),
                    p.received_at.isoformat(timespec="seconds") if p.received_at else "",
                    _euros(got) if p.received else "",
                ]
            )
        return hat, out.getvalue()

    # -- the live progress ------------------------------------------------------------------

    def progress_html(self, hat: Hat, locale: str) -> str:
        return self.templates.render("hat/_progress.html", locale, {"hat": hat})

    def progress_op(self, hat: Hat, locale: str) -> dict[str, Any]:
        return {
            "op": "replace",
            "target": f"[data-hat-progress='{hat.id}']",
            "html": self.progress_html(hat, locale),
        }

    async def publish(self, hat_id: int) -> None:
        """The hat's progress, to everyone following ``hat:<id>`` (after the commit)."""
        hat = await self.hat(hat_id)
        seq = await self.hub.next_seq(hat.key)
        ops = {locale: self.progress_op(hat, locale) for locale in LANGUAGES}
        await self.hub.publish(
            frame_for_locales(hat.key, seq, "hat", lambda locale: {"ops": [ops[locale]]})
        )

    async def room_panel(self, context: Mapping[str, Any], room: Room, user: User) -> str:
        """The stage's panel: the open hats of this room, each with its live progress."""
        shown = await self.hats_in_room(room.slug)
        return self.templates.render(
            "hat/_panel.html",
            str(context["locale"]),
            {
                **context,
                "room": room,
                "hats": [(hat, await self.hub.current_seq(hat.key)) for hat in shown],
                "can_organise": can_organise_hats(user),
            },
        )


def _fields(fields: HatFields) -> dict[str, Any]:
    return {
        "name": fields.name,
        "text": fields.text,
        "beneficiary": fields.beneficiary,
        "iban": fields.iban,
        "bic": fields.bic,
        "goal_cents": fields.goal_cents,
        "room_slug": fields.room_slug,
        "event_id": fields.event_id,
    }


def _pledge(row: Any) -> Pledge:
    return Pledge(
        id=row.id,
        hat_id=row.hat_id,
        user_id=row.user_id,
        shown_name=row.shown_name,
        amount_cents=row.amount_cents,
        reference=row.reference,
        status=PledgeStatus(row.status),
        created_at=row.created_at,
        received_at=row.received_at,
        received_cents=row.received_cents,
        received_how=row.received_how,
    )


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def _csv_safe(text: str) -> str:
    """A name a spreadsheet will not run as a formula (``=…``, ``+…``, ``-…``, ``@…``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _HatTopics(HubNumbered, SnapshotTopics):
    """``hat:<id>``: a hat's progress (pledged, received, the goal), the same for everyone
    signed in and not banned; a resume gets it whole."""

    def __init__(self, service: HatService) -> None:
        self.service = service

    async def _hat(self, principal: Principal, topic: str) -> Hat:
        rest = topic.partition(":")[2]
        if not rest.isdigit() or len(rest) > 9:
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))
        async with self.service.db.read() as conn:
            user = await active_user(conn, principal.user_id)
        if not can_pledge(user):
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))
        try:
            return await self.service.hat(int(rest))
        except NotFound:
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that.")) from None

    async def authorize(self, principal: Principal, topic: str) -> None:
        await self._hat(principal, topic)

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.service.hub.current_seq(topic)
        if after == current:
            return current
        hat = await self._hat(connection.principal, topic)
        connection.push_catch_up(topic, current, [self.service.progress_op(hat, connection.locale)])
        return current
