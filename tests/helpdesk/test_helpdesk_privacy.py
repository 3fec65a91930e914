"""A person's help desk data is theirs: in their export, and gone with their account (the
whole database is scanned, as in the privacy tests)."""

from __future__ import annotations

import json
from typing import Any

from estaminet.people.model import Role
from tests.privacy.test_deletion import scan
from tests.support.live_server import LiveServer, Person
from tests.web.test_access_changes import user_id


async def test_help_data_is_exported_and_forgotten(live: LiveServer, people: Any) -> None:
    live.settings.account_deletion_messages = "remove"
    try:
        rita: Person = await people("Rita Demande")
        helper: Person = await people("Hector Aide", Role.MEMBER)
        token = await rita.csrf("/help")
        asked = await rita.http.post(
            "/help",
            data={"csrf": token, "topic": "vote", "words": "vote de Rita perdu", "page": "/r/ag"},
        )
        request_path = asked.headers["location"]
        request_id = int(request_path.rsplit("/", 1)[1])
        token = await helper.csrf(request_path)
        assert (
            await helper.http.post(f"{request_path}/take", data={"csrf": token})
        ).status_code == 303
        async with rita.socket() as sock:
            said = await sock.act("help.say", {"request": request_id, "body": "mots de Rita ici"})
            assert said["type"] == "ack"
        # Her export lists what she asked and wrote.
        exported = json.loads((await rita.http.get("/me/data.json")).text)
        assert exported["help"][0]["words"] == "vote de Rita perdu"
        assert exported["help"][0]["page"] == "/r/ag"
        assert exported["help_messages"][0]["body"] == "mots de Rita ici"
        readable = (await rita.http.get("/me/data")).text
        assert "Tes demandes d&#39;aide" in readable and "vote de Rita perdu" in readable
        rita_id = await user_id(rita)
        # She deletes her account: nothing of hers stays anywhere in the database.
        token = await rita.csrf("/me/delete")
        done = await rita.http.post("/me/delete", data={"csrf": token, "confirm": "supprimer"})
        assert done.status_code == 200
        assert await scan(live, ["vote de Rita", "mots de Rita", "Rita Demande", rita_id]) == []
        assert (await helper.http.get(request_path)).status_code == 404
    finally:
        live.settings.account_deletion_messages = "anonymize"
