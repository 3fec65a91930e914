"""Screens rendered with shared pieces are exactly the screens each viewer gets alone."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

from estaminet.kernel.activity import Viewer
from estaminet.live.engine import Live
from estaminet.tables import screen as screen_module
from estaminet.tables.model import Participant, TableInfo
from estaminet.tables.screen import Fragments
from estaminet.tables.service import TableService
from estaminet.web.templating import Templates

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


def _service() -> TableService:
    service = object.__new__(TableService)  # only the rendering half is used here
    service.templates = Templates()
    service.view_templates = {}
    return service


def _table(seats: int) -> TableInfo:
    people = (
        *(Participant(f"u{i}", f"Joueur <{i}>", "player", i, i) for i in range(seats)),
        Participant("fan", "Fan", "spectator", None, seats),
    )
    return TableInfo(
        1, "werewolf", "game", 1, "jeux", "T", "u0", "running", {}, False, 50, NOW, None, people
    )


def test_shared_pieces_change_no_screen_and_leak_nothing() -> None:
    from estaminet.games.werewolf.game import GAME

    seats = 12
    table, service = _table(seats), _service()
    state = GAME.setup(seats, GAME.default_options(), 5, NOW)
    rng = random.Random(3)
    viewers = [Viewer.player(s) for s in range(seats)] + [Viewer.spectator()]
    checked, pieces, moved = 0, 0, 0
    for _ in range(60):
        live = Live(1, "werewolf", GAME, state, 0, "running")
        for locale in ("fr", "en"):
            shared = Fragments()
            for viewer in viewers:
                view: Any = GAME.view(state, viewer)
                together = service.render_view(table, live, view, viewer, locale, shared)
                alone = service.render_view(table, live, view, viewer, locale, Fragments())
                assert together == alone
                checked += 1
            pieces += len(shared._done)
        moves = [(s, a) for s in range(seats) for a in GAME.legal_actions(state, s)]
        if not moves:  # waiting on a timer
            break
        seat, action = rng.choice(moves)
        events = GAME.apply(state, seat, action, NOW)
        assert isinstance(events, list | tuple)
        for event in events:
            state = GAME.evolve(state, event)
        moved += 1
    # Many screens, far fewer pieces: most of each screen was rendered once for everyone.
    assert moved > 5 and checked > 100
    assert pieces < checked * 4


def test_a_piece_is_shared_only_for_inputs_that_would_render_it_the_same() -> None:
    """Flat inputs are their own key with their types: 1 and True, or 0 and False, equal in
    Python but written differently, never share a piece; a tuple of them and lists or dicts
    (keyed by their JSON) find their piece again, and nothing else does."""
    from markupsafe import Markup

    shared = Fragments()
    shared.keep(Markup("<i>one</i>"), "seat", (3, 1, None, "Anna"))
    shared.keep(Markup("<i>log</i>"), "log", [{"msgid": "x", "params": {"seat": 1}}])
    shared.keep(Markup("<i>flag</i>"), "flag", 1, "x")
    assert shared.get("seat", (3, 1, None, "Anna")) == "<i>one</i>"
    assert shared.get("seat", (3, True, None, "Anna")) is None
    assert shared.get("seat", (3, 1, None, "Anne")) is None
    assert shared.get("seat", (3, 1, False, "Anna")) is None
    assert shared.get("seat", (3, 1.0, None, "Anna")) is None
    assert shared.get("other", (3, 1, None, "Anna")) is None
    assert shared.get("log", [{"params": {"seat": 1}, "msgid": "x"}]) == "<i>log</i>"
    assert shared.get("log", [{"msgid": "x", "params": {"seat": True}}]) is None
    assert shared.get("flag", 1, "x") == "<i>flag</i>"
    assert shared.get("flag", True, "x") is None and shared.get("flag", 0, "x") is None


def test_an_input_object_is_written_out_once_and_keyed_as_its_json() -> None:
    """Every viewer's view holds the same log object: it is written out as JSON once per set of
    screens, and the key is the JSON of the inputs as before, so an equal log in another
    object finds the same piece, and a log that differs (even in a type) does not."""
    from markupsafe import Markup

    shared = Fragments()
    log = [{"msgid": "x", "params": {"seat": 1}}]
    shared.keep(Markup("<i>log</i>"), "log", log, 3)
    writes: list[object] = []
    real = json.dumps

    def counted(value: object, **options: object) -> str:
        writes.append(value)
        return real(value, **options)  # type: ignore[arg-type]

    with patch.object(screen_module.json, "dumps", counted):
        for _ in range(19):
            assert shared.get("log", log, 3) == "<i>log</i>"
        assert writes == []  # written out when the piece was kept, not again
        assert shared.get("log", [{"params": {"seat": 1}, "msgid": "x"}], 3) == "<i>log</i>"
        assert shared.get("log", [{"msgid": "x", "params": {"seat": True}}], 3) is None
        assert shared.get("log", log, 4) is None
    key = shared._key("log", (log, 3))
    assert key == "log" + real([log, 3], sort_keys=True, default=str, separators=(",", ":"))


def test_pieces_kept_from_move_to_move_change_no_screen() -> None:
    """The table service keeps pieces from one move to the next (a player's buttons, most
    seats): over whole games, with one store per language for all their moves, every
    viewer's screen is exactly the screen they get alone; and the store does serve pieces
    of earlier moves."""
    from estaminet.games.werewolf.game import GAME

    seats = 12
    table, service = _table(seats), _service()
    viewers = [Viewer.player(s) for s in range(seats)] + [Viewer.spectator(), Viewer.narrator()]
    checked, added, per_move = 0, 0, 0
    for seed in (5, 6):
        state = GAME.setup(seats, GAME.default_options(), seed, NOW)
        rng = random.Random(seed)
        kept: dict[str, dict[Any, Any]] = {"fr": {}, "en": {}}
        for _ in range(120):
            live = Live(1, "werewolf", GAME, state, 0, "running")
            for locale in ("fr", "en"):
                before = len(kept[locale])
                shared, this_move = Fragments(kept[locale]), Fragments()
                for viewer in viewers:
                    view: Any = GAME.view(state, viewer)
                    together = service.render_view(table, live, view, viewer, locale, shared)
                    alone = service.render_view(table, live, view, viewer, locale, Fragments())
                    assert together == alone
                    service.render_view(table, live, view, viewer, locale, this_move)
                    checked += 1
                added += len(kept[locale]) - before
                per_move += len(this_move._done)
            moves = [(s, a) for s in range(seats) for a in GAME.legal_actions(state, s)]
            due = GAME.deadline(state)
            if not moves and due is None:
                break
            seat, action = rng.choice(moves) if moves else (-1, {"type": "timeout"})
            events = GAME.apply(state, seat, action, due if not moves and due else NOW)
            assert isinstance(events, list | tuple)
            for event in events:
                state = GAME.evolve(state, event)
    assert checked > 1000
    # Most of each move's pieces were found among earlier moves' rather than rendered anew.
    assert added < per_move / 2, (added, per_move)


def test_each_gives_every_item_with_its_piece_or_none() -> None:
    from markupsafe import Markup

    from estaminet.games.werewolf import VillageSeat

    shared = Fragments()
    anna = VillageSeat(0, True, False, False, None, 2, False, False, None)
    bram = VillageSeat(1, True, False, False, None, None, False, True, 0)
    shared.keep(Markup("<li>Anna</li>"), "seat", anna)
    assert shared.each("seat", [anna, bram]) == [(anna, "<li>Anna</li>"), (bram, None)]
    # A named tuple is keyed by its values and their types, as a plain tuple of them is.
    assert shared.get("seat", anna._replace(votes=True)) is None
    assert shared.get("seat", anna._replace(votes=2.0)) is None
    assert shared.get("seat", VillageSeat(*anna)) == "<li>Anna</li>"


def test_the_service_keeps_pieces_per_table_and_language_with_the_same_names(
    monkeypatch: Any,
) -> None:
    """A piece's key leaves out the names and the language: the pieces are kept per table and
    language, started afresh when a name changes, and bounded."""
    import dataclasses

    from markupsafe import Markup

    from estaminet.tables import service as service_module

    service, table = _service(), _table(4)
    service._pieces = {}
    french = service._kept_pieces(table, "fr")
    french["piece"] = Markup("<i>1</i>")
    assert service._kept_pieces(table, "fr") is french
    assert service._kept_pieces(table, "en") == {}
    assert service._kept_pieces(dataclasses.replace(table, id=2), "fr") == {}
    renamed = dataclasses.replace(
        table, participants=(Participant("u0", "Anna", "player", 0, 0), *table.participants[1:])
    )
    assert service._kept_pieces(renamed, "fr") == {}  # "Joueur <0>" became "Anna"
    monkeypatch.setattr(service_module, "PIECES_KEPT", 3)
    kept = service._kept_pieces(renamed, "fr")
    kept.update({n: Markup(str(n)) for n in range(4)})
    assert service._kept_pieces(renamed, "fr") == {}
    # Tables too are bounded: the one least recently started goes first.
    monkeypatch.setattr(service_module, "KEPT_TABLES", 2)
    for table_id in range(3, 8):
        service._kept_pieces(dataclasses.replace(table, id=table_id), "fr")
    assert len(service._pieces) == 4
    assert (7, "fr") in service._pieces and (1, "fr") not in service._pieces


def test_a_players_moves_are_kept_apart_by_the_step_they_are_for() -> None:
    """The same list of moves is "Vote for …" in the Captain's election and "Vote against …"
    in a day's vote: a piece kept from the election never stands for the day's buttons."""
    import copy

    from estaminet.games.werewolf.game import GAME

    table, service = _table(8), _service()
    state = GAME.setup(8, GAME.default_options(), 5, NOW)
    live = Live(1, "werewolf", GAME, state, 0, "running")
    election: Any = GAME.view(state, Viewer.player(3))
    assert election["step"] == "election" and election["actions"]
    day = copy.deepcopy(election)
    day["step"] = "vote"
    kept: dict[Any, Any] = {}
    for view in (election, day):
        together = service.render_view(table, live, view, Viewer.player(3), "en", Fragments(kept))
        alone = service.render_view(table, live, view, Viewer.player(3), "en", Fragments())
        assert together == alone
    assert "Vote against" in alone and "Vote for" not in alone
