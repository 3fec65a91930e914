"""The gateway ends a socket with the close code of the error that ends it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden, RateLimited, SignInRequired
from estaminet.realtime.connection import Principal
from estaminet.realtime.gateway import Gateway
from estaminet.realtime.hub import MemoryHub

ORIGIN = "https://estaminet.example"


class RefusedSocket:
    """Just enough of a Starlette WebSocket to be refused: accepted, then closed."""

    def __init__(self, origin: str) -> None:
        self.scope = {"type": "websocket", "headers": [(b"origin", origin.encode())]}
        self.steps: list[tuple[str, int | None]] = []

    async def accept(self) -> None:
        self.steps.append(("accept", None))

    async def close(self, code: int = 1000) -> None:
        self.steps.append(("close", code))


def gateway(signed_in: bool) -> Gateway:
    async def authenticate(websocket: Any) -> tuple[Principal, str] | None:
        return (Principal("u1", "Someone", "member"), "fr") if signed_in else None

    return Gateway(
        MemoryHub(),
        authenticate=authenticate,
        translate=lambda locale, message, params: message,
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
        allowed_origins=frozenset({ORIGIN}),
    )


@pytest.mark.parametrize(
    ("origin", "signed_in", "error"),
    [("https://evil.example", True, Forbidden), (ORIGIN, False, SignInRequired)],
)
async def test_gateway_close_codes_come_from_the_refusing_error(
    origin: str, signed_in: bool, error: type[EstaminetError]
) -> None:
    socket = RefusedSocket(origin)
    await gateway(signed_in).serve(socket)  # type: ignore[arg-type]
    assert socket.steps == [("accept", None), ("close", error.close_code)]


def test_gateway_close_codes_are_the_documented_ones() -> None:
    assert (SignInRequired.close_code, Forbidden.close_code) == (4401, 4403)
    # A refusal that keeps the connection open has no code of its own to close with.
    assert BadInput.close_code == RateLimited.close_code == EstaminetError.close_code
