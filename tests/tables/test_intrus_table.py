"""L'Intrus through HTTP and the gateway: the host's options and translated refusals."""

from __future__ import annotations

import html
import re
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer
from tests.tables.test_tables_live import create_table, post, seat_topic

_WORD = re.compile(r'class="intrus-word-value[^"]*">([^<]*)<')
_SPEAKER = re.compile(r'class="intrus-order--now">([^<:]*)')


async def test_intrus_options_in_the_lobby_and_a_mix_too_big_refused(
    live: LiveServer, people: Any
) -> None:
    host = await people("Hôtesse", role=Role.MEMBER)
    table_id = await create_table(host, game="intrus")
    page = (await host.http.get(f"/t/{table_id}")).text
    assert 'name="option_blank"' in page and 'name="option_vote_seconds"' in page
    fields = {"option_intruders": "2", "option_blank": "maybe", "option_clue_seconds": "30"}
    assert await post(host, table_id, "options", **fields) == 303
    lobby = (await host.http.get(f"/t/{table_id}")).text
    assert "2 intrus · Peut-être un Monsieur Blanc" in lobby
    assert "30 s par indice" in lobby
    for name in ("Bruno", "Chloé", "David"):
        assert await post(await people(name), table_id, "join", role="player") == 303
    token = await host.csrf(f"/t/{table_id}")
    refused = await host.http.post(f"/t/{table_id}/start", data={"csrf": token})
    assert refused.status_code == 400
    assert "les civils doivent être plus nombreux que les intrus" in html.unescape(refused.text)


async def test_intrus_refusals_are_translated_and_change_nothing(
    live: LiveServer, people: Any
) -> None:
    host = await people("Hôte", role=Role.MEMBER)
    others = [await people("Bruno"), await people("Chloé"), await people("David", locale="en")]
    table_id = await create_table(host, game="intrus")
    for person in others:
        assert await post(person, table_id, "join", role="player") == 303
    assert await post(host, table_id, "start") == 303
    everyone = {"Hôte": host, "Bruno": others[0], "Chloé": others[1], "David": others[2]}
    pages = {name: (await p.http.get(f"/t/{table_id}")).text for name, p in everyone.items()}
    words = {name: html.unescape(_WORD.findall(page)[0]) for name, page in pages.items()}
    found = _SPEAKER.search(pages["Hôte"])
    assert found, pages["Hôte"][:400]
    speaker = found.group(1).strip()
    listener = next(name for name in everyone if name != speaker)
    person = everyone[speaker]
    async with person.socket() as s, everyone[listener].socket() as other:
        await s.sub(seat_topic(pages[speaker]))
        table = {"table": table_id}
        own = {"type": "clue", "word": words[speaker].upper()}
        refused = await s.act("table.act", {**table, "action": own})
        assert refused["code"] == "intrus/own_word"
        french = "C'est votre propre mot, ou trop proche : trouvez un autre indice."
        english = "This is your own word, or too close to it: find another clue."
        assert refused["message"] == (english if speaker == "David" else french)
        two = {"type": "clue", "word": "sable chaud"}
        refused = await s.act("table.act", {**table, "action": two}, ref="s2")
        assert refused["code"] == "intrus/one_word"
        early = {"type": "clue", "word": "bidule"}
        refused = await other.act("table.act", {**table, "action": early}, ref="o1")
        assert refused["code"] == "intrus/not_your_turn"
        vote = {"type": "vote", "seat": 0}
        refused = await other.act("table.act", {**table, "action": vote}, ref="o2")
        assert refused["code"] == "intrus/not_vote"
        ok = await s.act("table.act", {**table, "action": early}, ref="s3")
        assert ok["type"] == "ack"  # the connection is kept after the refusals
