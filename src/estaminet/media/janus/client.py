"""A small async client for Janus's HTTP APIs: the public one (``info``) and the admin one.

Estaminet never holds a Janus session: rooms are managed with the admin API's
``message_plugin`` (guarded by the admin secret), and browsers get their own
short-lived tokens through ``add_token``/``remove_token``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["AUDIOBRIDGE", "VIDEOROOM", "JanusClient", "JanusDown", "JanusRefused"]

log = logging.getLogger(__name__)

AUDIOBRIDGE = "janus.plugin.audiobridge"
VIDEOROOM = "janus.plugin.videoroom"


class JanusDown(Exception):
    """Janus did not answer (connection refused, timeout, not a Janus answer)."""


class JanusRefused(Exception):
    """Janus answered with an error: ``code`` is Janus's (core) or the plugin's error code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class JanusClient:
    """Talks to one Janus server; ``transport`` lets tests answer without a network."""

    def __init__(
        self,
        url: str,
        admin_url: str,
        admin_secret: str,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.admin_url = admin_url.rstrip("/")
        self._secret = admin_secret
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, url: str, body: Mapping[str, Any]) -> dict[str, Any]:
        payload = {"transaction": secrets.token_hex(8), **body}
        try:
            response = await self._http.post(url, json=payload)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusDown(f"{url}: {exc!r}") from exc
        if not isinstance(answer, dict) or "janus" not in answer:
            raise JanusDown(f"{url}: not a Janus answer ({response.status_code})")
        if answer["janus"] == "error":
            error = answer.get("error") or {}
            raise JanusRefused(int(error.get("code", 0)), str(error.get("reason", "")))
        return answer

    async def info(self) -> dict[str, Any]:
        """The server's ``info`` (answered without a token, even with token auth on)."""
        try:
            response = await self._http.get(f"{self.url}/info")
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusDown(f"{self.url}/info: {exc!r}") from exc
        if not isinstance(answer, dict) or answer.get("janus") != "server_info":
            raise JanusDown(f"{self.url}/info: not a Janus answer")
        return answer

    async def admin(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        """One admin API request (``add_token``, ``remove_token``, ``ping``…)."""
        return await self._post(
            self.admin_url, {"janus": kind, "admin_secret": self._secret, **fields}
        )

    async def add_token(self, token: str, plugins: list[str]) -> None:
        """Let ``token`` open Janus sessions and attach only to ``plugins``."""
        await self.admin("add_token", token=token, plugins=plugins)

    async def remove_token(self, token: str) -> None:
        """Forget ``token``: new requests carrying it (keep-alives too) are refused."""
        try:
            await self.admin("remove_token", token=token)
        except JanusRefused as exc:
            log.debug("remove_token: %s", exc)  # already gone (a restarted Janus forgets tokens)

    async def plugin(self, request: Mapping[str, Any], plugin: str = AUDIOBRIDGE) -> dict[str, Any]:
        """A plugin request through the admin API; raises :class:`JanusRefused` on a plugin error."""
        answer = await self.admin("message_plugin", plugin=plugin, request=dict(request))
        response = answer.get("response")
        if not isinstance(response, dict):
            raise JanusDown(f"message_plugin: no response ({answer})")
        if "error_code" in response:
            raise JanusRefused(int(response["error_code"]), str(response.get("error", "")))
        return response
