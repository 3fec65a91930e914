"""A question's picture or short sound, uploaded to the venue and served back.

Pictures take the agenda's path (:func:`estaminet.agenda.forms.save_picture`:
content read by Pillow, turned upright, resized, re-encoded as WebP, the same
size limit as an event's photo). Sounds are read by mutagen: the *content* must
be an MP3, Ogg (Vorbis or Opus), WAV or M4A file of at most
:data:`AUDIO_MAX_SECONDS` seconds and :data:`AUDIO_MAX_BYTES` bytes, whatever its
name says; it is kept as sent under a random name with the extension of what it
is. Files live in ``<data_dir>/quiz``.
"""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from pathlib import Path

import mutagen
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from starlette.datastructures import UploadFile

from estaminet.agenda.forms import drop_picture, picture_files, save_picture
from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_

__all__ = [
    "AUDIO_MAX_BYTES",
    "AUDIO_MAX_SECONDS",
    "AUDIO_TYPES",
    "FILE_NAME",
    "content_type",
    "drop_media",
    "files_of",
    "save_media",
]

AUDIO_MAX_BYTES = 3 * 1024 * 1024
AUDIO_MAX_SECONDS = 30
AUDIO_TYPES: dict[type[mutagen.FileType], tuple[str, str]] = {
    MP3: ("mp3", "audio/mpeg"),
    OggVorbis: ("ogg", "audio/ogg"),
    OggOpus: ("oga", "audio/ogg"),
    WAVE: ("wav", "audio/wav"),
    MP4: ("m4a", "audio/mp4"),
}
FILE_NAME = re.compile(r"^([0-9a-f]{32})(-\d{3,4})?\.(webp|mp3|ogg|oga|wav|m4a)$")
"""A file the venue serves: a kept name, or one of a picture's smaller sizes."""

_IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
_TYPES = {"webp": "image/webp", **{ext: mime for ext, mime in AUDIO_TYPES.values()}}


def content_type(name: str) -> str:
    """The MIME type of a kept file (from the extension the venue gave it)."""
    return _TYPES[name.rpartition(".")[2]]


async def save_media(
    upload: object, folder: Path, picture_max_bytes: int
) -> tuple[str, str] | None:
    """Keep an uploaded picture or sound: ``(kind, name)``, or ``None`` if no file was sent.

    The content decides: a file that is neither a picture nor a sound is refused, with
    a message saying what is accepted, and so is one too big or too long.
    """
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    head = await upload.read(16)
    await upload.seek(0)
    if not head:
        return None
    if _looks_like_picture(head):
        name = await save_picture(upload, folder, picture_max_bytes)
        return None if name is None else ("image", name)
    data = await upload.read(AUDIO_MAX_BYTES + 1)
    if len(data) > AUDIO_MAX_BYTES:
        raise BadInput(
            "quiz/media_large",
            N_("The sound is too large (at most %(mb)s MB)."),
            mb=str(AUDIO_MAX_BYTES // (1024 * 1024)),
        )
    extension = await asyncio.to_thread(_audio_extension, data)
    name = f"{uuid.uuid4().hex}.{extension}"
    await asyncio.to_thread(_write, folder / name, data)
    return ("audio", name)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _looks_like_picture(head: bytes) -> bool:
    # Only a first look to choose the reader: Pillow then reads the whole picture.
    return (
        head.startswith(b"\x89PNG")
        or head.startswith(b"\xff\xd8\xff")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    )


def _audio_extension(data: bytes) -> str:
    try:
        found = mutagen.File(io.BytesIO(data), options=list(AUDIO_TYPES))
    except Exception:  # mutagen raises many kinds of errors on a damaged file
        found = None
    if found is None or found.info is None or not getattr(found.info, "length", 0):
        raise BadInput(
            "quiz/media_type",
            N_(
                "This file is neither a picture (PNG, JPEG, WebP) nor a sound (MP3, Ogg, WAV, "
                "M4A): nothing was saved."
            ),
        )
    if found.info.length > AUDIO_MAX_SECONDS + 0.5:
        raise BadInput(
            "quiz/media_long",
            N_("The sound is too long: %(seconds)s seconds at most."),
            seconds=AUDIO_MAX_SECONDS,
        )
    return AUDIO_TYPES[type(found)][0]


def files_of(name: str) -> list[str]:
    """Every file of a kept picture or sound."""
    return picture_files(name)


async def drop_media(folder: Path, names: list[str]) -> None:
    """Delete kept files (after the commit that forgot them)."""
    for name in names:
        await drop_picture(folder, name)
