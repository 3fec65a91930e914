"""Reading the event forms: checked values, or a clear, translated refusal."""

from __future__ import annotations

import asyncio
import io
import uuid
import warnings
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.datastructures import FormData, UploadFile

from estaminet.agenda.events import EventData
from estaminet.agenda.recurrence import MAX_COUNT, Frequency, Recurrence
from estaminet.agenda.rules import EventKind, Visibility
from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_

__all__ = [
    "PICTURE_WIDTHS",
    "drop_picture",
    "picture_files",
    "read_event",
    "read_moment",
    "read_version",
    "save_picture",
]

_E = TypeVar("_E", EventKind, Visibility, Frequency)
_FORMATS = {"PNG", "JPEG", "WEBP"}
PICTURE_WIDTHS = (480, 960, 1600)
"""The widths a picture is kept at (the largest is the picture's own name): the page offers
them as a ``srcset``, so a phone downloads the small one."""
_MAX_PIXELS = 60_000_000  # a 50-megapixel phone photo passes; a decompression bomb does not
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
    return Recurrence(frequency, until, _number(form, "repeat_count", 1, MAX_COUNT))


def _visibility(form: FormData, room: str | None, rooms: Mapping[str, Visibility]) -> Visibility:
    """Who sees the event; "like the room" (the form's default) follows the room's visibility."""
    if _text(form, "visibility") in ("", "room"):
        return rooms[room] if room is not None else Visibility.MEMBERS
    return _choice(form, "visibility", Visibility, Visibility.MEMBERS)


def read_event(form: FormData, rooms: Mapping[str, Visibility]) -> EventData:
    """Check the event form (the picture is read separately, see :func:`save_picture`).

    ``rooms``: the venue's rooms (slug → who may see the room).
    """
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
    if room is not None and room not in rooms:
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
        visibility=_visibility(form, room, rooms),
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


async def save_picture(upload: object, folder: Path, max_bytes: int) -> str | None:
    """Keep an uploaded picture (PNG, JPEG or WebP up to ``max_bytes``): turned upright,
    resized to :data:`PICTURE_WIDTHS` and re-encoded as WebP. Returns its file name."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(max_bytes + 1)
    if not data:
        return None
    if len(data) > max_bytes:
        raise BadInput(
            "agenda/picture_large",
            N_("The picture is too large (at most %(mb)s MB)."),
            mb=str(max_bytes // (1024 * 1024)),
        )
    stem = uuid.uuid4().hex
    await asyncio.to_thread(_write_sizes, folder, stem, data)
    return f"{stem}.webp"


def picture_files(name: str) -> list[str]:
    """The files of a picture kept by :func:`save_picture` (older pictures: the one file)."""
    stem, _, ext = name.rpartition(".")
    if ext != "webp":
        return [name]
    return [name, *(f"{stem}-{width}.webp" for width in PICTURE_WIDTHS[:-1])]


def _write_sizes(folder: Path, stem: str, data: bytes) -> None:
    largest = PICTURE_WIDTHS[-1]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.format not in _FORMATS:
                    raise ValueError(opened.format)
                if opened.width * opened.height > _MAX_PIXELS:
                    raise ValueError("too many pixels")
                # A JPEG decodes straight at a smaller scale (still at least the largest size).
                opened.draft("RGB", (largest, largest))
                image = ImageOps.exif_transpose(opened)
                image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise BadInput(
            "agenda/picture_type", N_("The picture must be a PNG, JPEG or WebP image.")
        ) from None
    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    folder.mkdir(parents=True, exist_ok=True)
    # Largest first, each smaller size from the one before (never made larger).
    for width in reversed(PICTURE_WIDTHS):
        image.thumbnail((width, width * 3), Image.Resampling.LANCZOS)
        name = f"{stem}.webp" if width == largest else f"{stem}-{width}.webp"
        image.save(folder / name, "WEBP", quality=80, method=3)


async def drop_picture(folder: Path, name: str) -> None:
    """Delete the files of a picture no event uses any more."""
    for file in picture_files(name):
        await asyncio.to_thread((folder / file).unlink, missing_ok=True)
