"""Reading the event forms: checked values, or a clear, translated refusal."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from PIL import Image, UnidentifiedImageError
from starlette.datastructures import FormData, UploadFile

from estaminet.agenda.events import EventData
from estaminet.agenda.recurrence import Frequency, Recurrence
from estaminet.agenda.rules import EventKind, Visibility
from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_

__all__ = [
    "MAX_PICTURE_BYTES",
    "drop_picture",
    "read_event",
    "read_moment",
    "read_version",
    "save_picture",
]

_E = TypeVar("_E", EventKind, Visibility, Frequency)
MAX_PICTURE_BYTES = 2 * 1024 * 1024
_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
_MAX_TITLE = 120
_MAX_DESCRIPTION = 5000


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def read_moment(form: FormData, name: str) -> datetime:
    """A ``datetime-local`` field (naive, local to the venue)."""
    raw = _text(form, name)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadInput("agenda/bad_date", N_("Please give a valid date and time.")) from None
    if value.tzinfo is not None:
        raise BadInput("agenda/bad_date", N_("Please give a valid date and time."))
    return value.replace(second=0, microsecond=0)


def _choice(form: FormData, name: str, kind: type[_E], default: _E) -> _E:
    raw = _text(form, name) or default.value
    try:
        return kind(raw)
    except ValueError:
        raise BadInput(
            "agenda/bad_choice", N_("Please choose one of the options offered.")
        ) from None


def _number(form: FormData, name: str, low: int, high: int) -> int | None:
    raw = _text(form, name)
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadInput("agenda/bad_number", N_("Please type a whole number.")) from None
    if not low <= value <= high:
        raise BadInput(
            "agenda/number_range",
            N_("Please choose a number from %(low)s to %(high)s."),
            low=low,
            high=high,
        )
    return value


def _recurrence(form: FormData) -> Recurrence:
    frequency = _choice(form, "repeat", Frequency, Frequency.NONE)
    if frequency is Frequency.NONE:
        return Recurrence()
    until_raw = _text(form, "repeat_until")
    until = None
    if until_raw:
        try:
            until = date.fromisoformat(until_raw)
        except ValueError:
            raise BadInput("agenda/bad_date", N_("Please give a valid date and time.")) from None
    return Recurrence(frequency, until, _number(form, "repeat_count", 1, 10_000))


def read_event(form: FormData, room_slugs: set[str]) -> EventData:
    """Check the event form (the picture is read separately, see :func:`save_picture`)."""
    title = _text(form, "title")
    if not title:
        raise BadInput("agenda/title_empty", N_("Give the event a title."))
    if len(title) > _MAX_TITLE:
        raise BadInput(
            "agenda/title_long",
            N_("The title is too long (at most %(max)s characters)."),
            max=_MAX_TITLE,
        )
    description = _text(form, "description")
    if len(description) > _MAX_DESCRIPTION:
        raise BadInput(
            "agenda/description_long",
            N_("The description is too long (at most %(max)s characters)."),
            max=_MAX_DESCRIPTION,
        )
    room = _text(form, "room") or None
    if room is not None and room not in room_slugs:
        raise BadInput("agenda/unknown_room", N_("Choose a room of the venue."))
    start = read_moment(form, "start")
    end = read_moment(form, "end")
    if end <= start:
        raise BadInput("agenda/end_before_start", N_("The end must come after the start."))
    return EventData(
        title=title,
        description=description,
        kind=_choice(form, "kind", EventKind, EventKind.OTHER),
        room_slug=room,
        visibility=_choice(form, "visibility", Visibility, Visibility.MEMBERS),
        capacity=_number(form, "capacity", 1, 10_000),
        waitlist=_text(form, "waitlist") != "off",
        start=start,
        duration=timedelta(seconds=(end - start).total_seconds()),
        recurrence=_recurrence(form),
    )


def read_version(form: FormData) -> int:
    """The event's version (its SEQUENCE) the edit form was made from."""
    raw = _text(form, "version")
    if not raw.isdigit() or len(raw) > 9:
        raise BadInput("agenda/bad_version", N_("This form is out of date: open it again."))
    return int(raw)


async def save_picture(upload: object, folder: Path) -> str | None:
    """Keep an uploaded picture (PNG, JPEG or WebP, at most 2 MB); returns its file name."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(MAX_PICTURE_BYTES + 1)
    if not data:
        return None
    if len(data) > MAX_PICTURE_BYTES:
        raise BadInput("agenda/picture_large", N_("The picture is too large (at most 2 MB)."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = ""
    if kind not in _FORMATS:
        raise BadInput("agenda/picture_type", N_("The picture must be a PNG, JPEG or WebP image."))
    name = f"{uuid.uuid4().hex}.{_FORMATS[kind]}"
    await asyncio.to_thread(_write, folder, name, data)
    return name


def _write(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


async def drop_picture(folder: Path, name: str) -> None:
    """Delete a picture file no event uses any more."""
    await asyncio.to_thread((folder / name).unlink, missing_ok=True)
