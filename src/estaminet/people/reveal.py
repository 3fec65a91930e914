"""Showing a new invite link again, briefly, to the person who created it.

The database keeps only a hash of an invite's token, so after the create
form redirects (Post/Redirect/Get) the page cannot read the link back. The
create answer therefore hands the creator's browser a short-lived cookie
holding the link's token, signed with the venue's secret and bound to the
creator's session and to that one invite. The invite's page shows the link
only while that cookie is valid; the database never holds the token.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from estaminet.people.tokens import hash_token, same_token

__all__ = ["REVEAL_COOKIE", "REVEAL_FOR", "REVEAL_PATH", "seal_link", "unseal_link"]

REVEAL_COOKIE = "estaminet_invite_reveal"
REVEAL_PATH = "/admin/invites"
REVEAL_FOR = timedelta(minutes=10)
_SALT = "estaminet.invite-reveal"


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def seal_link(secret: str, invite_id: str, token: str, session_id: str, now: datetime) -> str:
    """The cookie value that lets this session see this invite's token until ``now + REVEAL_FOR``."""
    until = int((now + REVEAL_FOR).timestamp())
    payload = {"i": invite_id, "t": token, "s": hash_token(session_id), "u": until}
    return str(_serializer(secret).dumps(payload))


def unseal_link(
    secret: str, sealed: str | None, invite_id: str, session_id: str | None, now: datetime
) -> str | None:
    """The token if ``sealed`` is genuine, for this invite and session, and not stale."""
    if not sealed or not session_id:
        return None
    try:
        payload = _serializer(secret).loads(sealed)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    token, until = payload.get("t"), payload.get("u")
    if (
        payload.get("i") != invite_id
        or not isinstance(token, str)
        or not isinstance(until, int)
        or not same_token(str(payload.get("s", "")), hash_token(session_id))
        or now.timestamp() >= until
    ):
        return None
    return token
