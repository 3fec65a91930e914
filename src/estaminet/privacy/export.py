"""One person's data, gathered from each feature's own function (none reads another's tables).

The same structure feeds the readable page and the JSON download.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from estaminet.agenda.answers import answers_by
from estaminet.hat.data import pledges_of
from estaminet.helpdesk.data import help_given_by, help_of
from estaminet.kernel.i18n import N_
from estaminet.media.data import recordings_of
from estaminet.people.queries import personal_data
from estaminet.quizzes.sets import media_of, sets_for_export
from estaminet.soirees.actions import memberships_of
from estaminet.store import Database
from estaminet.tables.actions import participations_of
from estaminet.tables.votes import votes_by
from estaminet.venue.chat import messages_by

__all__ = ["FIELDS", "SECTIONS", "VALUES", "export_json", "gather"]

SECTIONS: dict[str, str] = {
    "profile": N_("Who you are here"),
    "sessions": N_("Your sign-ins (one per device or browser)"),
    "messages": N_("Your chat messages"),
    "agenda": N_("Your answers in the agenda"),
    "tables": N_("Your game tables"),
    "quiz_sets": N_("Your quiz question sets"),
    "quiz_files": N_("The pictures and sounds you uploaded for quiz questions"),
    "soirees": N_("Your soirées"),
    "watch_votes": N_("Your votes as a watcher"),
    "help": N_("Your requests for help"),
    "help_messages": N_("What you wrote in help corners"),
    "pledges": N_("Your pledges in solidarity hats"),
    "recordings": N_("Your appearances in the stage's recordings"),
    "notifications": N_("Your notices"),
    "moderation": N_("Moderation about you"),
}
"""The parts of an export, in the order the page shows them, with their titles."""

FIELDS: dict[str, str] = {
    "name": N_("Name"),
    "role": N_("Role"),
    "email": N_("Email address"),
    "email_waiting_for_confirmation": N_("Address waiting for confirmation"),
    "language": N_("Language"),
    "has_password": N_("Password set"),
    "arrived_at": N_("Arrived on"),
    "banned_at": N_("Banned on"),
    "first_visit_tour_done_at": N_("First visit tour done on"),
    "created_at": N_("On"),
    "last_seen_at": N_("Last seen"),
    "revoked_at": N_("Signed out on"),
    "room": N_("Room"),
    "at": N_("On"),
    "edited_at": N_("Edited on"),
    "deleted": N_("Deleted"),
    "body": N_("Text"),
    "title": N_("Title"),
    "occurrence": N_("Date"),
    "answer": N_("Answer"),
    "key": N_("Game"),
    "status": N_("Status"),
    "seat": N_("Seat"),
    "joined_at": N_("Joined on"),
    "kind": N_("Kind"),
    "excerpt": N_("Excerpt"),
    "read_at": N_("Read on"),
    "action": N_("Action"),
    "until": N_("Until"),
    "reason": N_("Reason"),
    "topic": N_("About"),
    "words": N_("In a few words"),
    "page": N_("Page"),
    "mic": N_("Microphone"),
    "closed_at": N_("Settled on"),
    "updated_at": N_("Changed on"),
    "questions": N_("Questions"),
    "cause": N_("Cause"),
    "amount_eur": N_("Amount (EUR)"),
    "communication": N_("Structured communication"),
    "anonymous": N_("Anonymous"),
    "received_at": N_("Received on"),
    "soiree": N_("Soirée"),
    "table": N_("Table"),
    "file": N_("File"),
    "download": N_("Download"),
}
"""What each field is called on the readable page."""

VALUES: dict[str, dict[str, str]] = {
    "status": {
        # a game table or a sitting
        "lobby": N_("not started yet"),
        "running": N_("under way"),
        "ended": N_("finished"),
        # a pledge in a hat
        "pledged": N_("promised, not yet received"),
        "received": N_("money received"),
        # a stage recording
        "recording": N_("still recording"),
        "pending": N_("waiting to be processed"),
        "processing": N_("being processed"),
        "done": N_("ready to download"),
        "failed": N_("processing failed"),
    },
    # a place at a game table (a person's role in the venue has its own labels)
    "role": {
        "player": N_("Player"),
        "spectator": N_("Spectator"),
        "narrator": N_("Narrator"),
    },
}
"""What the readable page shows for the stored values of some fields (the JSON keeps the
values themselves); a value not listed is shown as stored."""


async def gather(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Everything the venue holds about ``user_id``, as plain values."""
    async with db.read() as conn:
        people = await personal_data(conn, user_id)
        return {
            "exported_at": now,
            "profile": people.get("profile", {}),
            "sessions": people.get("sessions", []),
            "messages": await messages_by(conn, user_id),
            "agenda": await answers_by(conn, user_id),
            "tables": await participations_of(conn, user_id),
            "quiz_sets": await sets_for_export(conn, user_id),
            "quiz_files": [{"name": name} for name in await media_of(conn, user_id)],
            "soirees": await memberships_of(conn, user_id),
            "watch_votes": await votes_by(conn, user_id),
            "help": await help_of(conn, user_id),
            "help_messages": await help_given_by(conn, user_id),
            "pledges": await pledges_of(conn, user_id),
            "recordings": await recordings_of(conn, user_id),
            "notifications": people.get("notifications", []),
            "moderation": people.get("moderation", []),
        }


def export_json(data: dict[str, Any]) -> str:
    """The export as JSON (times in ISO 8601, UTC)."""
    return json.dumps(data, default=_plain, ensure_ascii=False, indent=2)


def _plain(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not exportable: {type(value).__name__}")
