"""A question's file: the content decides what it is, never its name; too big or too long, refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from starlette.datastructures import UploadFile

from estaminet.kernel.errors import BadInput
from estaminet.quizzes.media import AUDIO_MAX_BYTES, FILE_NAME, content_type, save_media

DATA = Path(__file__).parent / "data"


def _files(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def _upload(name: str, data: bytes) -> UploadFile:
    return UploadFile(io.BytesIO(data), filename=name)


@pytest.mark.parametrize(
    ("source", "sent_as", "extension", "mime"),
    [
        ("la-440hz.mp3", "son.mp3", "mp3", "audio/mpeg"),
        ("la-440hz.ogg", "son.mp3", "ogg", "audio/ogg"),  # the name lies: the content counts
        ("la-440hz.mp3", "photo.png", "mp3", "audio/mpeg"),
    ],
)
async def test_media_sounds_are_kept_as_what_they_are(
    tmp_path: Path, source: str, sent_as: str, extension: str, mime: str
) -> None:
    kept = await save_media(_upload(sent_as, (DATA / source).read_bytes()), tmp_path, 10**7)
    assert kept is not None
    kind, name = kept
    assert kind == "audio" and name.endswith(f".{extension}") and FILE_NAME.match(name)
    assert content_type(name) == mime
    assert (tmp_path / name).read_bytes() == (DATA / source).read_bytes()


@pytest.mark.parametrize(
    "data",
    [
        b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 2000,  # a tag and no sound
        b"OggS" + b"\x00" * 500,
        b"%PDF-1.7 not a sound" * 30,
        (DATA / "la-440hz.mp3").read_bytes()[:60],  # cut short
    ],
)
async def test_media_what_is_not_a_sound_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(BadInput) as refused:
        await save_media(_upload("son.mp3", data), tmp_path, 10**7)
    assert refused.value.code == "quiz/media_type"
    assert _files(tmp_path) == []


async def test_media_too_big_a_sound_is_refused(tmp_path: Path) -> None:
    big = (DATA / "la-440hz.mp3").read_bytes() * (AUDIO_MAX_BYTES // 2000)
    with pytest.raises(BadInput) as refused:
        await save_media(_upload("long.mp3", big), tmp_path, 10**7)
    assert refused.value.code == "quiz/media_large"


async def test_media_nothing_sent_is_nothing_kept(tmp_path: Path) -> None:
    assert await save_media(_upload("", b""), tmp_path, 10**7) is None
    assert await save_media(_upload("vide.png", b""), tmp_path, 10**7) is None
    assert await save_media("pas un fichier", tmp_path, 10**7) is None
