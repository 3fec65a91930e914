"""The games room's game picker: filters as a GET form, each game's card, its rules page."""

from __future__ import annotations

import html
import re
from typing import Any

from estaminet.games.kit import all_games, get
from estaminet.tables.picker import Filters, filters_from, pick
from tests.support.live_server import LiveServer


def keys(filters: Filters) -> set[str]:
    return {game.key for game in pick(all_games(), filters)}


def test_picker_filters_by_people_length_and_voice() -> None:
    everything = {game.key for game in all_games()}
    assert keys(Filters()) == everything
    assert "werewolf" not in keys(Filters(people=3))  # Loup-Garou needs more people
    assert "lowest_unique" not in keys(Filters(people=8))  # the example seats six at most
    assert keys(Filters(length="15")) == {g.key for g in all_games() if g.duration_minutes[0] <= 15}
    assert "werewolf" not in keys(Filters(length="15"))
    assert "werewolf" not in keys(Filters(voice="optional"))  # its day needs the voice
    assert "lowest_unique" in keys(Filters(voice="optional"))


def test_picker_reads_bad_filters_as_no_filter() -> None:
    assert filters_from({"people": "abc", "length": "99", "voice": "loud"}) == Filters()
    assert filters_from({"people": "99999999999999"}) == Filters()
    assert filters_from({"people": "0"}) == Filters()
    assert filters_from({"people": " 5 ", "length": "45", "voice": "optional"}) == Filters(
        5, "45", "optional"
    )


def cards(page: str) -> dict[str, bool]:
    """Each game card's open-a-table key, and whether it is shown."""
    found = re.findall(
        r'<li class="game-card"[^>]*?( hidden)?>.*?name="game" value="(\w+)"', page, re.S
    )
    return {key: not hidden for hidden, key in found}


async def test_picker_games_room_shows_cards_filtered_without_scripts(
    live: LiveServer, people: Any
) -> None:
    guest = await people("Pierrot")
    page = (await guest.http.get("/r/jeux")).text
    assert set(cards(page)) == {game.key for game in all_games()}
    assert all(cards(page).values())
    assert "/games/werewolf/rules?room=jeux" in page
    filtered = (await guest.http.get("/r/jeux?people=3&length=15&voice=optional")).text
    shown = {key for key, visible in cards(filtered).items() if visible}
    assert shown == keys(Filters(3, "15", "optional"))
    assert "werewolf" not in shown
    assert 'value="3"' in filtered  # the form keeps what was chosen
    # Opening a table from a card: a lobby of that game.
    token = await guest.csrf("/r/jeux")
    opened = await guest.http.post("/r/jeux/tables", data={"csrf": token, "game": "petit_bac"})
    assert opened.status_code == 303
    table = (await guest.http.get(opened.headers["location"])).text
    assert get("petit_bac").names["fr"] in table


async def test_picker_rules_page_of_each_game(live: LiveServer, people: Any) -> None:
    guest = await people("Rosine")
    for game in all_games():
        response = await guest.http.get(f"/games/{game.key}/rules?room=jeux")
        assert response.status_code == 200
        assert game.names["fr"] in html.unescape(response.text)  # L&#39;Intrus, as HTML
        assert 'href="/r/jeux"' in response.text
    werewolf = (await guest.http.get("/games/werewolf/rules")).text
    assert "Voyante" in werewolf  # the roles, in French
    missing = await guest.http.get("/games/nope/rules")
    assert missing.status_code == 404 and "Ce jeu n" in missing.text
    odd_room = (await guest.http.get('/games/werewolf/rules?room="><b>')).text
    assert 'href="/r/' not in odd_room.split("<main", 1)[1].split("</nav>", 1)[0]
