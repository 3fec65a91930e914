"""The ``estaminet`` command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from estaminet.cli import DEMO_VENUE, main
from tests.support.databases import sqlite_database


@pytest.fixture(autouse=True)
def on_test_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each command works on this test's database (SQLite, then PostgreSQL)."""
    monkeypatch.setenv("ESTAMINET_DATABASE_URL", database_url)
    return database_url


def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(tmp_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_init_prints_a_sign_in_link(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, tmp_path, "init", "--admin-name", "Responsable")
    assert code == 0
    assert re.search(r"http://127\.0\.0\.1:8000/l/[\w-]{40,}", out)
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_cli_init_keeps_sqlite_in_the_data_dir_by_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ESTAMINET_DATABASE_URL")
    sqlite_database(tmp_path / "estaminet.db")  # this test is about SQLite's default file
    code, _, _ = run(capsys, tmp_path, "init")
    assert code == 0 and (tmp_path / "estaminet.db").exists()


def test_cli_invite_create(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, tmp_path, "init")
    code, out, _ = run(
        capsys, tmp_path, "invite", "create", "--role", "member", "--uses", "2", "--days", "1"
    )
    assert code == 0 and re.fullmatch(r"http://127\.0\.0\.1:8000/i/[\w-]{40,}\n", out)


def test_cli_invite_before_init_explains(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit, match="estaminet init"):
        main(["--data-dir", str(tmp_path), "invite", "create"])


def test_cli_venue_apply_reports_changes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, tmp_path, "init")
    venue = tmp_path / "venue.toml"
    text = DEMO_VENUE.read_text(encoding="utf-8")
    venue.write_text(text.replace('name = "le LAB"', 'name = "Le LAB de Mons"'), encoding="utf-8")
    code, out, _ = run(capsys, tmp_path, "venue", "apply", str(venue))
    assert code == 0 and "Le LAB de Mons" in out and "updated: hall, bar" in out


def test_cli_venue_apply_bad_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    venue = tmp_path / "venue.toml"
    venue.write_text("[venue]\nname = 'x'\n[[rooms]]\nslug = 'Bar!'\n", encoding="utf-8")
    code, _, err = run(capsys, tmp_path, "venue", "apply", str(venue))
    assert code == 2 and "'slug' must be" in err
    venue.write_text("not = toml = at all", encoding="utf-8")
    code, _, err = run(capsys, tmp_path, "venue", "apply", str(venue))
    assert code == 2 and "Venue file error" in err


def test_cli_db_upgrade(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, tmp_path, "db", "upgrade")
    assert code == 0 and "up to date" in out


@pytest.mark.parametrize("where", ["before", "after"])
def test_cli_data_dir_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str
) -> None:
    before = ["--data-dir", str(tmp_path)] if where == "before" else []
    after = ["--data-dir", str(tmp_path)] if where == "after" else []
    assert main([*before, "init", *after]) == 0
    assert main([*before, "invite", "create", *after]) == 0
    capsys.readouterr()
    assert (tmp_path / "secret_key").exists()  # the data folder named, wherever it was given


def test_cli_unknown_setting_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "estaminet.toml"
    config.write_text('base_ulr = "https://lab.example"\n', encoding="utf-8")
    monkeypatch.setenv("ESTAMINET_CONFIG", str(config))
    code, out, err = run(capsys, tmp_path, "init")
    assert code == 2 and out == ""
    assert "unknown setting `base_ulr`" in err and "did you mean `base_url`?" in err
    assert not (tmp_path / "estaminet.db").exists()


def test_cli_invalid_timezone_names_the_setting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESTAMINET_TIMEZONE", "Europe/Bruxelles")
    code, _, err = run(capsys, tmp_path, "init")
    assert code == 2
    assert "timezone" in err and "unknown time zone 'Europe/Bruxelles'" in err
    assert len(err.splitlines()) < 8  # a message, not a traceback
