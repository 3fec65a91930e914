"""A real Janus (Debian's ``janus``) for the tests, and a browser's side of its HTTP API."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from estaminet.media.janus.client import JanusClient
from estaminet.media.janus.config import JanusLayout, janus_command, write_config
from tests.support.live_server import free_port

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_janus() -> str:
    """The ``janus`` executable; locally a test without it is skipped, in CI it fails."""
    found = shutil.which("janus")
    if found:
        return found
    if IN_CI:
        pytest.fail("janus is not installed (apt-get install -y janus); CI must run this test")
    pytest.skip("janus is not installed (apt-get install -y janus)")


@dataclass
class RunningJanus:
    """One Janus on free loopback ports, with its own configuration folder."""

    layout: JanusLayout
    executable: str
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        write_config(self.layout)
        self.process = subprocess.Popen(
            janus_command(self.layout, self.executable),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        with httpx.Client(timeout=1.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"janus exited:\n{self.log_tail()}")
                try:
                    if client.get(f"{self.layout.url}/info").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"janus did not answer info:\n{self.log_tail()}")
                time.sleep(0.05)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def kill(self) -> None:
        """End this Janus at once (``SIGKILL``, as a crash would): only the process we started."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.layout.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def client(self) -> JanusClient:
        return JanusClient(self.layout.url, self.layout.admin_url, self.layout.admin_secret)


def janus_layout(folder: Path) -> JanusLayout:
    return JanusLayout(
        folder=folder,
        http_port=free_port(),
        admin_port=free_port(),
        admin_secret=secrets.token_urlsafe(16),
        room_admin_key=secrets.token_urlsafe(16),
        rtp_ports=(42000, 44000),
    )


def venue_settings(janus: RunningJanus) -> dict[str, str]:
    """The settings a venue needs to use ``janus`` (as an admin would write them)."""
    layout = janus.layout
    return {
        "ESTAMINET_JANUS_URL": layout.url,
        "ESTAMINET_JANUS_ADMIN_URL": layout.admin_url,
        "ESTAMINET_JANUS_ADMIN_SECRET": layout.admin_secret,
        "ESTAMINET_JANUS_ROOM_ADMIN_KEY": layout.room_admin_key,
    }


def run_janus(folder: Path) -> Iterator[RunningJanus]:
    """Start a Janus in ``folder``; stop it afterwards, even on failure."""
    janus = RunningJanus(janus_layout(folder), require_janus())
    janus.start()
    try:
        yield janus
    finally:
        janus.stop()


class JanusRefusal(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code


class BrowserSide:
    """What ``voice-janus.js`` does over HTTP, without the WebRTC part (join only)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.http = httpx.AsyncClient(timeout=10.0)
        self.session: int | None = None
        self.handle: int | None = None

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"transaction": secrets.token_hex(6), "token": self.token, **body}
        answer: dict[str, Any] = (await self.http.post(self.url + path, json=body)).json()
        if answer["janus"] == "error":
            raise JanusRefusal(answer["error"]["code"], answer["error"]["reason"])
        return answer

    async def open(self) -> None:
        """Create a session and attach to the AudioBridge (Janus checks the core token)."""
        self.session = (await self._post("", {"janus": "create"}))["data"]["id"]
        attached = await self._post(
            f"/{self.session}", {"janus": "attach", "plugin": "janus.plugin.audiobridge"}
        )
        self.handle = attached["data"]["id"]

    async def message(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send a plugin request; returns the plugin's answer (from the long poll if async)."""
        answer = await self._post(
            f"/{self.session}/{self.handle}", {"janus": "message", "body": body}
        )
        if answer["janus"] == "success":
            data: dict[str, Any] = answer["plugindata"]["data"]
            return data
        transaction = answer["transaction"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            events = (
                await self.http.get(
                    f"{self.url}/{self.session}", params={"token": self.token, "maxev": 10}
                )
            ).json()
            for event in events if isinstance(events, list) else [events]:
                if event.get("transaction") == transaction and "plugindata" in event:
                    found: dict[str, Any] = event["plugindata"]["data"]
                    return found
        raise AssertionError("no answer to the plugin request")

    async def join(self, room: int, participant: int, token: str | None = None) -> dict[str, Any]:
        """Join a mixing room; raises :class:`JanusRefusal` with the plugin's error code."""
        body = {"request": "join", "room": room, "id": participant, "token": token or self.token}
        data = await self.message(body)
        if "error_code" in data:
            raise JanusRefusal(data["error_code"], data.get("error", ""))
        return data
