"""How each server under test is spoken to: Estaminet, bare websockets, python-socketio.

* **Estaminet**: guests sign up through the invite link over HTTP (a device
  cookie, the form's CSRF token, then a session cookie), open ``/ws`` with those
  cookies and follow ``room:bar``; the poster runs ``chat.send`` actions.
* **websockets**: connect to ``/``; every text message is broadcast to the others.
* **python-socketio**: the Engine.IO v4 / Socket.IO v5 protocol spoken directly
  over the same lean WebSocket client (``40`` to connect the namespace,
  ``42["join","bar"]`` with an ack, ``42["chat",{…}]`` to post, ``3`` to answer
  the server's ``2`` pings). The python-socketio ``AsyncClient`` would run
  several tasks per connection in the load generator; the packets are the same.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field

import httpx

from bench.load import Client

__all__ = ["EstaminetDialect", "SocketioDialect", "WebsocketsDialect"]

ROOM = "bar"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class SignUpFailed(Exception):
    """A guest could not sign up through the invite link."""


@dataclass
class EstaminetDialect:
    invite_path: str
    """``/i/<token>``, as printed by ``estaminet demo``."""
    name: str = "estaminet"
    path: str = "/ws"
    concurrency: int = 16
    also: tuple[str, ...] = ()
    """Topics a listener follows besides the room's chat (``presence:bar``: a room page)."""
    _cookies: dict[int, str] = field(default_factory=dict)

    async def prepare(self, base_url: str, count: int) -> None:
        """Sign up guests 0…count-1 through the invite, ``concurrency`` at a time."""
        pending = iter(range(count))

        async def worker() -> None:
            # One HTTP client per worker, used for one guest at a time: its cookie jar is that
            # guest's browser.
            async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as http:
                for index in pending:
                    http.cookies.clear()
                    self._cookies[index] = await self._sign_up(http, base_url, index)

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, count))))

    async def _sign_up(self, http: httpx.AsyncClient, base_url: str, index: int) -> str:
        page = await http.get(self.invite_path)
        token = _CSRF.search(page.text)
        if page.status_code != 200 or token is None:
            raise SignUpFailed(f"invite page answered {page.status_code}")
        done = await http.post(
            self.invite_path,
            data={"csrf": token[1], "name": f"Bench {index:04d}"},
            headers={"Origin": base_url},
        )
        if done.status_code != 303 or "estaminet_session" not in http.cookies:
            raise SignUpFailed(f"sign-up answered {done.status_code}")
        return "; ".join(f"{name}={value}" for name, value in http.cookies.items())

    def headers(self, index: int) -> dict[str, str]:
        return {"Cookie": self._cookies[index]}

    async def join(self, client: Client, *, listen: bool) -> None:
        # The gateway subscribes every socket to its person's topic first: that answer says
        # the socket is signed in.
        await client.expect(lambda d: b'"subscribed"' in d and b'"user:' in d)
        if not listen:
            return
        client.send(json.dumps({"type": "sub", "topic": f"room:{ROOM}", "after": 0}))
        topic = f'"room:{ROOM}"'.encode()
        answer = await client.expect(
            lambda d: topic in d and (b'"subscribed"' in d or b'"error"' in d)
        )
        if b'"subscribed"' not in answer:
            raise SignUpFailed(f"could not follow the room: {answer[:200]!r}")
        for extra in self.also:
            client.send(json.dumps({"type": "sub", "topic": extra}))
            quoted = f'"{extra}"'.encode()
            answer = await client.expect(
                lambda d, q=quoted: q in d and (b'"subscribed"' in d or b'"error"' in d)
            )
            if b'"subscribed"' not in answer:
                raise SignUpFailed(f"could not follow {extra}: {answer[:200]!r}")

    def post(self, message_id: int, body: str) -> str:
        return json.dumps(
            {
                "type": "act",
                "id": f"a{message_id}",
                "name": "chat.send",
                "data": {"room": ROOM, "body": body, "client_id": f"bench-{message_id}"},
            }
        )

    def reply(self, data: bytes | bytearray) -> str | None:
        return None  # WebSocket pings are answered by the protocol layer


@dataclass
class WebsocketsDialect:
    name: str = "websockets"
    path: str = "/"

    async def prepare(self, base_url: str, count: int) -> None:
        return None

    def headers(self, index: int) -> dict[str, str]:
        return {}

    async def join(self, client: Client, *, listen: bool) -> None:
        return None  # connected is joined; the warm-up checks that everyone receives

    def post(self, message_id: int, body: str) -> str:
        return json.dumps({"type": "chat", "room": ROOM, "body": body})

    def reply(self, data: bytes | bytearray) -> str | None:
        return None


@dataclass
class SocketioDialect:
    name: str = "socketio"
    path: str = "/socket.io/?EIO=4&transport=websocket"

    async def prepare(self, base_url: str, count: int) -> None:
        return None

    def headers(self, index: int) -> dict[str, str]:
        return {}

    async def join(self, client: Client, *, listen: bool) -> None:
        await client.expect(lambda d: d.startswith(b"0{"))  # Engine.IO open
        client.send("40")  # Socket.IO connect to the default namespace
        await client.expect(lambda d: d.startswith(b"40"))
        if listen:
            client.send("420" + json.dumps(["join", ROOM]))  # event with ack id 0
            await client.expect(lambda d: d.startswith(b"430"))

    def post(self, message_id: int, body: str) -> str:
        return "42" + json.dumps(["chat", {"room": ROOM, "body": body}])

    def reply(self, data: bytes | bytearray) -> str | None:
        return "3" if data == b"2" else None
