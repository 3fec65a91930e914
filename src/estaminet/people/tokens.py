"""Secret tokens and identifiers: random, URL-safe; only their hashes are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

__all__ = ["hash_token", "new_id", "new_token", "same_token"]


def new_id() -> str:
    return uuid.uuid4().hex


def new_token() -> str:
    """A 256-bit URL-safe secret."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the database keeps of a token: a leaked table gives no working link."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
