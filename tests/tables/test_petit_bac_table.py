"""Le Petit Bac through HTTP and the gateway: the host's options and translated refusals."""

from __future__ import annotations

from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer
from tests.tables.test_tables_live import create_table, post, seat_topic


async def test_petit_bac_options_in_the_lobby_text_and_checkboxes(
    live: LiveServer, people: Any
) -> None:
    host = await people("Hôtesse", role=Role.MEMBER)
    table_id = await create_table(host, game="petit_bac")
    page = (await host.http.get(f"/t/{table_id}")).text
    assert 'name="option_category_brand"' in page and 'name="option_custom_categories"' in page
    fields = {
        "option_category_first_name": "on",
        "option_category_animal": "on",
        "option_category_object": "on",
        "option_custom_categories": "Fromage, Chanteur ou chanteuse",
        "option_excluded_letters": "KQWXYZ",
        "option_rounds": "2",
    }
    assert await post(host, table_id, "options", **fields) == 303
    lobby = (await host.http.get(f"/t/{table_id}")).text
    assert "Prénom · Animal · Objet · Fromage · Chanteur ou chanteuse" in lobby
    assert "Lettres écartées : KQWXYZ" in lobby
    player = await people("Joueur")
    assert await post(player, table_id, "join", role="player") == 303
    # Too few categories: the rules refuse the start and the page says why, in French.
    only_one = {"option_category_first_name": "on", "option_custom_categories": ""}
    assert await post(host, table_id, "options", **only_one) == 303
    token = await host.csrf(f"/t/{table_id}")
    refused = await host.http.post(f"/t/{table_id}/start", data={"csrf": token})
    assert refused.status_code == 400
    assert "Choisissez de 3 à 12 catégories (il y en a 1 maintenant)." in refused.text


async def test_petit_bac_refusals_are_translated_and_change_nothing(
    live: LiveServer, people: Any
) -> None:
    host, guest = await people("Hôte", role=Role.MEMBER), await people("Invitée", locale="en")
    table_id = await create_table(host, game="petit_bac")
    assert await post(guest, table_id, "join", role="player") == 303
    assert await post(host, table_id, "start") == 303
    topic = seat_topic((await host.http.get(f"/t/{table_id}")).text)
    async with host.socket() as h, guest.socket() as g:
        await h.sub(topic)
        long = {"type": "answers", "answers": ["R" * 41, "", "", "", "", ""]}
        refused = await h.act("table.act", {"table": table_id, "action": long})
        assert refused["code"] == "petit_bac/too_long"
        assert refused["message"] == (
            "La réponse pour « Prénom » est trop longue : 40 caractères au plus."
        )
        stop = {"type": "answers", "answers": ["A", "", "", "", "", ""], "stop": True}
        refused = await g.act("table.act", {"table": table_id, "action": stop}, ref="g1")
        assert refused["message"] == "Fill in every category before saying stop."
        early = {"type": "contest", "seat": 0, "category": 0}
        refused = await g.act("table.act", {"table": table_id, "action": early}, ref="g2")
        assert refused["code"] == "petit_bac/not_review"
        ok = await h.act("table.act", {"table": table_id, "action": {**long, "answers": [""] * 6}})
        assert ok["type"] == "ack"  # the connection is kept after the refusals
