"""Deleting an account: every feature forgets the person, in one transaction.

What stays, and why, is said on the privacy page (``policy.py``) and in
``docs/security.md``; a test scans every table afterwards for the person's id,
name and address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from estaminet.hat import data as hat_data
from estaminet.helpdesk import data as helpdesk_data
from estaminet.kernel.errors import BadInput, NotFound
from estaminet.kernel.i18n import N_
from estaminet.media import data as recordings
from estaminet.people import passwords
from estaminet.people.actions import log_moderation
from estaminet.people.departure import check_deletion, forget_person, session_ids
from estaminet.people.model import User
from estaminet.people.queries import password_hash_of, user_by_id
from estaminet.quizzes import sets as quiz_sets
from estaminet.soirees import actions as soirees
from estaminet.store import Database
from estaminet.tables import chat as table_chat
from estaminet.tables.actions import forget_host
from estaminet.tables.votes import forget_voter
from estaminet.translations import translate
from estaminet.venue import chat

__all__ = [
    "CONFIRM_WORD",
    "GONE_NAME",
    "Departure",
    "check_confirmation",
    "delete_account",
    "needs_password",
]

GONE_NAME = N_("someone who left")
"""How a deleted account's kept messages are signed (in the venue's language)."""

CONFIRM_WORD = N_("delete")
"""The word to type to confirm a deletion when no password is asked."""


@dataclass(frozen=True)
class Departure:
    """A deleted account: its id, and the sign-ins that ended with it (hashed)."""

    user_id: str
    sessions: tuple[str, ...]
    messages: tuple[int, ...]
    """The room messages that changed (to publish after the commit)."""
    quiz_files: tuple[str, ...] = ()
    """The pictures and sounds they uploaded for quiz questions (to delete after the commit)."""
    recordings: tuple[recordings.Leftover, ...] = ()
    """Their files in the stage's recordings (to delete after the commit)."""


def needs_password(actor: User, target: User) -> bool:
    """Someone deleting their own account confirms with their password, if they have one."""
    return actor.id == target.id and target.has_password


async def check_confirmation(
    db: Database, actor: User, target: User, *, password: str, typed: str, locale: str
) -> None:
    """Refuse a deletion not confirmed: the wrong password, or the word not typed."""
    if needs_password(actor, target):
        async with db.read() as conn:
            hashed = await password_hash_of(conn, target.id)
        if not password or not await passwords.work().verify(hashed, password):
            raise BadInput(
                "privacy/wrong_password",
                N_("This is not your password: your account was not deleted."),
            )
        return
    words = {translate(language, CONFIRM_WORD, {}).casefold() for language in ("fr", "en")}
    if typed.strip().casefold() not in words:
        raise BadInput(
            "privacy/not_confirmed",
            N_('Type the word "%(word)s" to confirm: nothing was deleted.'),
            word=translate(locale, CONFIRM_WORD, {}),
        )


async def delete_account(
    db: Database,
    actor: User,
    target_id: str,
    now: datetime,
    *,
    remove_messages: bool,
    venue_locale: str,
) -> Departure:
    """Delete ``target_id``'s account (their own, or by an admin: logged without naming them).

    Messages are kept signed "someone who left", or erased (``remove_messages``, the venue's
    ``account_deletion_messages``). General assemblies' records stay (see the privacy page).
    """
    gone_name = translate(venue_locale, GONE_NAME, {})
    async with db.begin() as conn:
        target = await user_by_id(conn, target_id)
        if target is None:
            raise NotFound("people/unknown_person", N_("This person does not exist."))
        await check_deletion(conn, actor, target)
        ended = await session_ids(conn, target.id)
        changed = await chat.forget_author(
            conn,
            target.id,
            target.display_name,
            remove=remove_messages,
            gone_name=gone_name,
            now=now,
        )
        await table_chat.forget_author(conn, target.id, remove=remove_messages, gone_name=gone_name)
        await forget_host(conn, target.id)
        await forget_voter(conn, target.id)
        await soirees.forget_person(conn, target.id)
        await helpdesk_data.forget_person(conn, target.id, remove=remove_messages)
        quiz_files = await quiz_sets.forget_person(conn, target.id)
        takes = await recordings.forget_performer(conn, target.id)
        await hat_data.forget_person(conn, target.id)
        await forget_person(conn, target.id)
        if actor.id != target.id:
            await log_moderation(conn, actor, "delete_account", now)
    return Departure(target.id, tuple(ended), tuple(changed), tuple(quiz_files), tuple(takes))
