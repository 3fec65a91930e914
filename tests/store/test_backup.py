"""``estaminet backup`` and ``estaminet restore``: a round trip on SQLite and PostgreSQL while
messages are being posted, and every refusal leaving the target as it was."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from estaminet.cli import DEMO_VENUE, main
from estaminet.people import actions
from estaminet.people.model import Role
from estaminet.store import Database
from estaminet.store.backup import BackupError, backup, restore
from estaminet.store.migrate import upgrade
from estaminet.venue import chat
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import apply_venue, room_by_slug
from estaminet.venue.schema import messages
from tests.conftest import FixedClock
from tests.support.databases import fresh_database

PICTURE = bytes(range(256)) * 40


async def _messages(url: str) -> list[tuple[int, str]]:
    database = Database(url)
    try:
        async with database.read() as conn:
            rows = await conn.execute(
                sa.select(messages.c.seq, messages.c.body).order_by(messages.c.seq)
            )
            return [(row.seq, row.body) for row in rows]
    finally:
        await database.dispose()


def _data_dir(folder: Path) -> Path:
    folder.mkdir(mode=0o700)
    (folder / "secret_key").write_text("la-clé-du-lab")
    (folder / "agenda").mkdir()
    (folder / "agenda" / "affiche-960.webp").write_bytes(PICTURE)
    (folder / "janus").mkdir()
    (folder / "janus" / "janus.jcfg").write_text("written again at each start")
    return folder


async def test_round_trip_while_people_talk(
    db: Database, database_url: str, database_backend: str, tmp_path: Path, clock: FixedClock
) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    alice = await actions.create_user(db, "Alice", Role.MEMBER, clock())
    async with db.read() as conn:
        bar = await room_by_slug(conn, "bar")
    assert bar is not None
    for n in range(20):
        await chat.post_message(db, alice, bar, f"avant {n}", clock(), max_length=500)
    data = _data_dir(tmp_path / "data")

    talking = True

    async def talk() -> int:
        n = 0
        while talking:
            await chat.post_message(db, alice, bar, f"pendant {n}", clock(), max_length=500)
            n += 1
            await asyncio.sleep(0)
        return n

    talker = asyncio.create_task(talk())
    await asyncio.sleep(0.05)
    archive = tmp_path / "out" / "venue.tar.gz"
    report = await asyncio.to_thread(backup, database_url, data, archive, clock())
    talking = False
    said = await talker
    assert said > 0, "nobody talked while the backup ran"

    assert report.path == archive and archive.stat().st_mode & 0o077 == 0
    assert report.database == database_backend and report.files == 2
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert "files/secret_key" in names and "files/agenda/affiche-960.webp" in names
    assert not any("janus" in name or name.endswith((".db", "-wal")) for name in names)
    assert not list(archive.parent.glob("estaminet-backup-*")), "work files left behind"

    with fresh_database(database_backend, tmp_path / "restored-db", migrate=False) as target:
        restored = tmp_path / "restored"
        done = await asyncio.to_thread(restore, archive, target, restored, replace=False)
        assert done.files == 2 and done.database == database_backend
        assert (restored / "secret_key").read_text() == "la-clé-du-lab"
        assert (restored / "agenda" / "affiche-960.webp").read_bytes() == PICTURE

        copy = await _messages(target)
        original = dict(await _messages(database_url))
        # one moment of the venue: the first k messages, none missing, none invented
        assert [seq for seq, _ in copy] == list(range(1, len(copy) + 1))
        assert 20 <= len(copy) <= 20 + said
        assert all(original[seq] == body for seq, body in copy)

        # the restored venue works: the next message takes the next number
        again = Database(target)
        try:
            async with again.read() as conn:
                room = await room_by_slug(conn, "bar")
            assert room is not None
            posted = await chat.post_message(again, alice, room, "après", clock(), max_length=500)
            assert posted.message.seq == len(copy) + 1
        finally:
            await again.dispose()


async def _venue_with_one_message(db: Database, clock: FixedClock) -> None:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    alice = await actions.create_user(db, "Alice", Role.MEMBER, clock())
    async with db.read() as conn:
        bar = await room_by_slug(conn, "bar")
    assert bar is not None
    await chat.post_message(db, alice, bar, "on garde ça", clock(), max_length=500)


async def test_a_venue_is_replaced_only_when_asked(
    db: Database, database_url: str, database_backend: str, tmp_path: Path, clock: FixedClock
) -> None:
    await _venue_with_one_message(db, clock)
    data = _data_dir(tmp_path / "data")
    archive = tmp_path / "venue.tar.gz"
    await asyncio.to_thread(backup, database_url, data, archive, clock())

    (tmp_path / "other").mkdir()
    with fresh_database(database_backend, tmp_path / "other", migrate=False) as busy:
        await asyncio.to_thread(upgrade, busy)
        with pytest.raises(BackupError, match="already holds a venue"):
            await asyncio.to_thread(restore, archive, busy, tmp_path / "d2", replace=False)
        assert await _messages(busy) == []
        assert not (tmp_path / "d2").exists()
        await asyncio.to_thread(restore, archive, busy, tmp_path / "d2", replace=True)
        assert await _messages(busy) == [(1, "on garde ça")]


def _rewrite(archive: Path, target: Path, change: str) -> None:
    """A copy of ``archive`` with one member's bytes or the manifest altered."""
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m)) for m in tar.getmembers()]
        contents = {m.name: (f.read() if f else b"") for m, f in members}
    if change == "picture":
        contents["files/agenda/affiche-960.webp"] = b"x" + contents["files/agenda/affiche-960.webp"]
    elif change == "format":
        manifest = json.loads(contents["manifest.json"])
        manifest["format"] = 99
        contents["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, body in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("picture", "affiche-960.webp does not match"),
        ("format", "unknown backup format"),
        ("truncated", "damaged"),
        ("not a backup", "not an Estaminet backup"),
    ],
)
async def test_a_bad_backup_changes_nothing(
    db: Database,
    database_url: str,
    database_backend: str,
    tmp_path: Path,
    clock: FixedClock,
    change: str,
    reason: str,
) -> None:
    await _venue_with_one_message(db, clock)
    data = _data_dir(tmp_path / "data")
    archive = tmp_path / "venue.tar.gz"
    await asyncio.to_thread(backup, database_url, data, archive, clock())
    bad = tmp_path / "bad.tar.gz"
    if change == "truncated":
        bad.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif change == "not a backup":
        with tarfile.open(bad, "w:gz") as tar:
            info = tarfile.TarInfo("hello.txt")
            tar.addfile(info, io.BytesIO(b""))
    else:
        _rewrite(archive, bad, change)

    restored = tmp_path / "restored"
    with pytest.raises(BackupError, match=reason):
        await asyncio.to_thread(restore, bad, database_url, restored, replace=True)
    assert await _messages(database_url) == [(1, "on garde ça")]
    assert not restored.exists()


async def test_a_backup_of_one_kind_does_not_go_into_the_other(
    db: Database, database_url: str, database_backend: str, tmp_path: Path, clock: FixedClock
) -> None:
    await _venue_with_one_message(db, clock)
    archive = tmp_path / "venue.tar.gz"
    await asyncio.to_thread(backup, database_url, _data_dir(tmp_path / "d"), archive, clock())
    other = "postgresql" if database_backend == "sqlite" else "sqlite"
    refused = pytest.raises(BackupError, match=f"backup is of a {database_backend} database")
    with fresh_database(other, tmp_path / "other", migrate=False) as target, refused:
        await asyncio.to_thread(restore, archive, target, tmp_path / "r", replace=True)


def test_the_commands_round_trip(
    database_url: str,
    database_backend: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("ESTAMINET_DATABASE_URL", database_url)
    monkeypatch.delenv("ESTAMINET_SECRET_KEY", raising=False)
    assert main(["--data-dir", str(data), "init"]) == 0
    key = (data / "secret_key").read_text()
    capsys.readouterr()

    assert main(["--data-dir", str(data), "backup"]) == 0
    out = capsys.readouterr().out
    written = sorted((data / "backups").glob("estaminet-*.tar.gz"))
    assert len(written) == 1 and f"Backup written: {written[0]}" in out

    with fresh_database(database_backend, tmp_path / "fresh", migrate=False) as target:
        monkeypatch.setenv("ESTAMINET_DATABASE_URL", target)
        elsewhere = tmp_path / "elsewhere"
        assert main(["--data-dir", str(elsewhere), "restore", str(written[0])]) == 0
        assert "Restored:" in capsys.readouterr().out
        assert (elsewhere / "secret_key").read_text() == key
        assert not (elsewhere / "backups").exists()
        # a second restore over the venue now there is refused without --force
        assert main(["--data-dir", str(elsewhere), "restore", str(written[0])]) == 2
        assert "--force" in capsys.readouterr().err
        assert main(["--data-dir", str(elsewhere), "restore", "--force", str(written[0])]) == 0
        upgrade(target)  # already at head: nothing to do, and no error


def test_a_missing_file_is_said(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ESTAMINET_DATABASE_URL", database_url)
    assert main(["--data-dir", str(tmp_path), "restore", str(tmp_path / "nope.tar.gz")]) == 2
    assert "no backup at" in capsys.readouterr().err
