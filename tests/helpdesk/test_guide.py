"""The « comment ça marche » pages: each one opens, in both languages, for anyone; each
picture it shows is there (tests/e2e/test_guide_pictures.py takes them from the real pages)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from estaminet.helpdesk.routes import GUIDE
from tests.support.live_server import LiveServer, Person

STATIC = Path(__file__).resolve().parents[2] / "src" / "estaminet" / "web" / "static"


async def test_guide_pages_open_with_their_pictures(live: LiveServer, people: Any) -> None:
    stranger: Person = await people()
    index = await stranger.http.get("/guide")
    assert index.status_code == 200 and "Comment ça marche" in index.text
    shown: set[str] = set()
    for topic in GUIDE:
        assert f'href="/guide/{topic}"' in index.text
        for locale in ("fr", "en"):
            reader: Person = await people(locale=locale)
            found = await reader.http.get(f"/guide/{topic}")
            assert found.status_code == 200, (topic, locale)
            pictures = re.findall(
                r'<img src="/static/v/[^/]+/(img/guide/[\w-]+\.jpg)" alt="([^"]+)"', found.text
            )
            assert pictures, topic  # every page shows the venue as it is
            for path, alt in pictures:
                assert (STATIC / path).stat().st_size > 5_000, path
                assert len(alt) > 20, (topic, alt)  # a real description for screen readers
                shown.add(path)
    assert (await stranger.http.get("/guide/nowhere")).status_code == 404
    # Every picture the suite takes is shown somewhere.
    taken = {f"img/guide/{p.name}" for p in (STATIC / "img" / "guide").glob("*.jpg")}
    assert taken == shown
    # The footer of every page and the help page lead to the guide.
    guest: Person = await people("Gus Guide")
    assert 'href="/guide"' in (await guest.http.get("/")).text
    assert 'href="/guide"' in (await guest.http.get("/help")).text
