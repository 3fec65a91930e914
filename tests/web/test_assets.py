"""Weight on the wire: compressed text, versioned static files cached for a year."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

import estaminet
from estaminet.web.assets import IMMUTABLE, STATIC, module_preloads, static_url, static_version
from tests.support.live_server import LiveServer, Person

_GZIP = {"accept-encoding": "gzip"}


async def _raw(http: httpx.AsyncClient, path: str, **headers: str) -> tuple[httpx.Response, int]:
    """The response (its content decoded) and the bytes it took on the wire."""
    async with http.stream("GET", path, headers=headers) as response:
        wire = b"".join([chunk async for chunk in response.aiter_raw()])
    compressed = response.headers.get("content-encoding") == "gzip"
    response._content = gzip.decompress(wire) if compressed else wire
    return response, len(wire)


async def test_assets_pages_are_compressed(live: LiveServer, people: Any) -> None:
    person: Person = await people("Jo")
    page, wire = await _raw(person.http, "/r/bar", **_GZIP)
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in page.headers["vary"].lower()
    assert wire * 2 < len(page.content)
    # A browser that does not ask for gzip gets the page as it is.
    plain, plain_wire = await _raw(person.http, "/r/bar", **{"accept-encoding": "identity"})
    assert "Au coin du bar" in page.text and "Au coin du bar" in plain.text
    assert "content-encoding" not in plain.headers and plain_wire == len(plain.content)


async def test_assets_css_and_js_are_compressed_and_cached_for_a_year(
    live: LiveServer, people: Any
) -> None:
    person: Person = await people()
    # estaminet.css carries the quiz editor, the soirée, the hat and practice tables too (the
    # pages' weights against their budgets are measured by bench/phone.py).
    budgets = {"css/estaminet.css": 13_000, "js/voice.js": 10_000, "js/live.js": 4_000}
    for path, budget in budgets.items():
        response, wire = await _raw(person.http, static_url(path), **_GZIP)
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["cache-control"] == IMMUTABLE
        assert wire < budget and wire * 2.5 < len(response.content), (path, wire)
        same = (await person.http.get(f"/static/{path}")).content
        assert response.content == same


async def test_assets_only_the_current_version_is_immutable(live: LiveServer, people: Any) -> None:
    person: Person = await people()
    old = await person.http.get("/static/v/000000000000/css/estaminet.css")
    assert old.status_code == 200 and "immutable" not in old.headers["cache-control"]
    plain = await person.http.get("/static/css/estaminet.css")
    assert plain.status_code == 200 and "immutable" not in plain.headers.get("cache-control", "")
    missing = await person.http.get(static_url("css/nothing.css"))
    assert missing.status_code == 404 and "immutable" not in missing.headers.get(
        "cache-control", ""
    )
    escape = await person.http.get(f"/static/v/{static_version()}/../../app.py")
    assert escape.status_code == 404


async def test_assets_pages_link_versioned_files_only(live: LiveServer, people: Any) -> None:
    person: Person = await people("Jo")
    for path in ("/", "/r/bar", "/agenda", "/me", "/voice/test"):
        html = (await person.http.get(path)).text
        addresses = re.findall(r'(?:href|src)="(/static/[^"]*)"', html)
        assert addresses, path
        for address in addresses:
            if "/img/roles/" in address:
                continue
            assert address.startswith(f"/static/v/{static_version()}/"), (path, address)
            assert (await person.http.get(address)).status_code == 200
    # The style sheets reach their pictures relative to their own (versioned) folder.
    css = (await person.http.get(static_url("css/voice.css"))).text
    assert "/static/img/" not in css and 'url("../img/mic.svg")' in css


async def test_assets_conditional_requests_still_answer_304_when_compressed(
    live: LiveServer, people: Any
) -> None:
    person: Person = await people("Jo")
    css, _ = await _raw(person.http, "/venue/plan.css", **_GZIP)
    again = await person.http.get(
        "/venue/plan.css", headers={"if-none-match": css.headers["etag"], **_GZIP}
    )
    assert again.status_code == 304 and again.content == b""
    feed, _ = await _raw(person.http, "/agenda/public.ics", **_GZIP)
    assert feed.status_code == 200 and "etag" in feed.headers
    unchanged = await person.http.get(
        "/agenda/public.ics", headers={"if-none-match": feed.headers["etag"], **_GZIP}
    )
    assert unchanged.status_code == 304 and unchanged.content == b""
    static = await person.http.get(static_url("js/live.js"), headers=_GZIP)
    cached = await person.http.get(
        static_url("js/live.js"), headers={"if-none-match": static.headers["etag"], **_GZIP}
    )
    assert cached.status_code == 304


async def test_assets_form_token_differs_on_every_page_and_each_works(
    live: LiveServer, people: Any
) -> None:
    """A compressed page never repeats the same secret bytes (BREACH): the form token is
    masked afresh on each page, and every masked copy is accepted."""
    person: Person = await people("Jo")
    first, second = await person.csrf("/me"), await person.csrf("/me")
    assert first != second
    for token, name in ((first, "Jo A"), (second, "Jo B")):
        done = await person.http.post(
            "/me/name", data={"csrf": token, "name": name}, follow_redirects=False
        )
        assert done.status_code == 303
    forged = first[:-2] + ("00" if not first.endswith("00") else "11")
    for bad in (forged, first[:64], "zz" * 64, ""):
        refused = await person.http.post("/me/name", data={"csrf": bad, "name": "Pirate"})
        assert refused.status_code == 403
    assert "Pirate" not in (await person.http.get("/me")).text


_PRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)">')
_MODULES = re.compile(r'<div id="page"[^>]* data-modules="([^"]*)">')
_SHELL = {"live.js", "ops.js", "shell.js", "inbox.js"}


def _names(addresses: Any) -> set[str]:
    return {address.rsplit("/", 1)[1] for address in addresses}


def test_assets_a_screen_brings_what_it_imports_and_unknown_screens_fail() -> None:
    """The shell's modules are every page's; a screen adds its own and what it imports
    statically, never the Janus adapter (imported only when a room uses it)."""
    assert _names(module_preloads()) == _SHELL
    voice = module_preloads(["voice"])
    assert _names(voice) == _SHELL | {"voice.js", "voice-dock.js", "mic.js"}
    assert len(voice) == len(set(voice))
    both = module_preloads(["voice", "mic", "voice"])
    assert sorted(both) == sorted(voice)  # each module once
    assert _names(module_preloads(["table", "sitting"])) == _SHELL | {
        *("table.js", "table-sound.js", "sitting.js", "ballot-keys.js"),
    }
    for wrong in ("nope", "main", "../js/chat", "Chat", ""):
        with pytest.raises(ValueError):
            module_preloads([wrong])


def test_assets_every_declared_screen_is_one_main_js_knows() -> None:
    """What the templates declare (``needs_module``) is what ``main.js`` can import and
    wire: one name, one module of the same name, nothing declared that it ignores."""
    main = (STATIC / "js/main.js").read_text(encoding="utf-8")
    known = dict(
        re.findall(
            r'^  "?([\w-]+)"?: \{\n    load: \(\) => import\("\./([\w-]+)\.js"\)', main, re.M
        )
    )
    assert known and all(name == file for name, file in known.items())
    templates = Path(estaminet.__file__).parent
    declared = {
        name
        for path in templates.rglob("*.html")
        for call in re.findall(r"needs_module\(([^)]*)\)", path.read_text(encoding="utf-8"))
        for name in re.findall(r'"([\w-]+)"', call)
    }
    assert declared == set(known)


async def test_assets_each_page_preloads_the_shell_and_its_own_screens_only(
    live: LiveServer, people: Any
) -> None:
    """Inside the venue, a page's head announces the shell's modules and those of the
    screens it shows (``#page``'s ``data-modules``), so a phone fetches them in one go and
    nothing else. A stranger's pages (the invite) carry no script at all: the phone's
    first page stays light (docs/performance.md, the phone budget)."""
    names = {address.rsplit("/", 1)[1] for address in module_preloads(["stage"])}
    assert "stage.js" in names and "stage-janus.js" not in names  # Janus's adapter stays lazy
    jo: Person = await people("Jo Preload")
    expected = {
        "/": "tour",  # a first visit: the floor plan and its tour
        "/r/bar": "chat voice",
        "/agenda": "",
        "/me": "",
        "/help": "help",
        "/voice/test": "mic",
    }
    for path, modules in expected.items():
        page = (await jo.http.get(path)).text
        found = _MODULES.search(page)
        assert found is not None and found.group(1) == modules, path
        preloads = _PRELOAD.findall(page)
        assert tuple(preloads) == module_preloads(modules.split()), path
    for address in module_preloads(["chat", "voice", "tour", "help", "mic"]):
        assert (await jo.http.get(address)).status_code == 200
    stranger: Person = await people()
    invite = (await stranger.http.get(await live.invite())).text
    assert "<script" not in invite and "modulepreload" not in invite
