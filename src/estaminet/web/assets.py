"""Static files under versioned addresses, cached by browsers for a year.

Every file of ``web/static`` is served at ``/static/<path>`` (short cache) and at
``/static/v/<version>/<path>``, where ``<version>`` is a digest of the whole static
tree. One version for the whole tree, not one per file: the JavaScript modules import
each other by relative address (``./live.js``), so a module loaded from a versioned
folder loads its imports from the same folder, and any change to any file gives every
file a new address. Only an address carrying the current version is ``immutable``; an
old page asking for an old version after an upgrade gets today's file, uncached.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

__all__ = [
    "IMMUTABLE",
    "SHELL",
    "STATIC",
    "VersionedStatic",
    "module_preloads",
    "screen_module",
    "static_url",
    "static_version",
]

STATIC = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
_SHORT = "no-cache"


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


_VERSION = _digest(STATIC)


def static_version() -> str:
    """The digest of the static tree as this process found it at import."""
    return _VERSION


def static_url(path: str) -> str:
    """The versioned address of a static file: ``static_url("css/estaminet.css")``."""
    return f"/static/v/{_VERSION}/{path.lstrip('/')}"


_STATIC_IMPORT = re.compile(r"""^\s*import\s+(?:[^'"]*?\sfrom\s+)?["'](\./[\w-]+\.js)["']""", re.M)
_SCREEN = re.compile(r"[a-z][a-z0-9-]*")
SHELL = "js/main.js"


def _closure(entry: str) -> list[str]:
    """``entry`` and every module it imports statically, directly or not, in order."""
    found = [entry]
    todo = [entry]
    while todo:
        path = todo.pop(0)
        folder = path.rpartition("/")[0]
        for name in _STATIC_IMPORT.findall((STATIC / path).read_text(encoding="utf-8")):
            target = f"{folder}/{name.removeprefix('./')}"
            if target not in found:
                found.append(target)
                todo.append(target)
    return found


@cache
def screen_module(name: str) -> str:
    """The file of a screen's module (``"chat"`` → ``js/chat.js``); an unknown name fails."""
    path = f"js/{name}.js"
    if not _SCREEN.fullmatch(name) or not (STATIC / path).is_file() or path == SHELL:
        raise ValueError(f"no screen module called {name!r}")
    return path


def module_preloads(screens: Iterable[str] = ()) -> tuple[str, ...]:
    """The modules a page needs, as versioned addresses, for ``<link rel="modulepreload">``.

    The shell's own (every module ``main.js`` imports statically, at any depth; not
    ``main.js``, which the page's ``<script>`` names) and those of the page's screens
    (``screens``: ``chat``, ``voice``...; each with what it imports statically), each
    once. Listed in the page's head, the browser fetches them all at once instead of
    discovering them one import level at a time (three round trips on a phone's 150 ms
    network). ``main.js`` imports a screen's module when a page declaring it arrives
    (``data-modules``), so a page that shows no chat never downloads the chat's script;
    a module imported only dynamically by another (the Janus adapter) stays lazy.
    """
    return _preloads(tuple(sorted(set(screens))))


@cache
def _preloads(screens: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for path in [SHELL, *(screen_module(name) for name in screens)]:
        found += [module for module in _closure(path) if module not in found]
    return tuple(static_url(path) for path in found if path != SHELL)


class VersionedStatic:
    """The static files, mounted at ``/static/v/{version}``; long cache for the current one."""

    def __init__(self, directory: Path = STATIC) -> None:
        self.files = StaticFiles(directory=directory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        current = scope.get("path_params", {}).get("version") == _VERSION
        cache = (IMMUTABLE if current else _SHORT).encode()

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", cache)]
            await send(message)

        await self.files(scope, receive, send_cached)
