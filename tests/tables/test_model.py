"""The table's read model: what is derived from its participants is worked out once per read,
and whoever reads it cannot change what the next reader gets."""

from __future__ import annotations

from datetime import UTC, datetime

from estaminet.tables.model import Participant, Practice, TableInfo, watcher_id

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)


def _table(*people: Participant, practice: Practice | None = None) -> TableInfo:
    return TableInfo(
        7, "werewolf", "game", 1, "jeux", "T", "a", "running", {}, False, 500, NOW, None,
        people, practice=practice,
    )  # fmt: skip


def test_players_seats_and_names_come_from_the_participants_in_order() -> None:
    table = _table(
        Participant("c", "Chloé", "player", 2, 3),
        Participant("w", "Wout", "spectator", None, 1),
        Participant("a", "Anna", "player", 0, 0),
        Participant("n", "Nora", "narrator", None, 2),
        Participant("b", "Bram", "player", 1, 4),
    )
    assert [p.user_id for p in table.players] == ["a", "c", "b"]  # by the order they sat
    assert table.seat_count == 3
    assert table.seat_names() == {0: "Anna", 1: "Bram", 2: "Chloé"}
    assert table.participant("w") is not None and table.participant("w").role == "spectator"  # type: ignore[union-attr]
    assert table.participant("nobody") is None
    assert [p.user_id for p in table.spectators] == ["w"]
    assert table.narrator is not None and table.narrator.user_id == "n"


def test_what_a_reader_changes_in_the_lists_it_gets_does_not_reach_the_next_reader() -> None:
    table = _table(
        Participant("a", "Anna", "player", 0, 0), Participant("b", "Bram", "player", 1, 1)
    )
    players = table.players
    players.clear()
    names = table.seat_names()
    names[0] = "Mallory"
    assert [p.user_id for p in table.players] == ["a", "b"]
    assert table.seat_names() == {0: "Anna", 1: "Bram"}
    assert table.seat_count == 2


def test_a_practice_table_names_its_bots() -> None:
    table = _table(Participant("n", "Nora", "narrator", None, 0), practice=Practice(bots=3))
    assert table.seat_names() == {0: "Anna", 1: "Bram", 2: "Chloé"}
    assert table.seat_count == 3


def test_watchers_are_named_under_their_pseudonym_never_their_account() -> None:
    table = _table(Participant("u1", "Anna", "spectator", None, 0))
    pseudonym = watcher_id(7, "u1")
    assert table.watcher_names == {pseudonym: "Anna"}
    assert "u1" not in pseudonym and pseudonym != watcher_id(8, "u1")  # per table


def test_seated_players_user_ids_by_seat_for_the_circle() -> None:
    table = _table(
        Participant("c", "Chloé", "player", 1, 3),
        Participant("w", "Wout", "spectator", None, 1),
        Participant("n", "Nora", "narrator", None, 2),
        Participant("a", "Anna", "player", 0, 0),
        Participant("l", "Lou", "player", None, 4),  # in the lobby: no seat yet
    )
    assert table.seat_users == {0: "a", 1: "c"}
    assert table.seat_users is table.seat_users  # worked out once per read
