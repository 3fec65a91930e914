"""The invite link shown again: only to the session that created it, for one invite, briefly."""

from __future__ import annotations

from datetime import timedelta

from estaminet.people.reveal import REVEAL_FOR, seal_link, unseal_link
from tests.conftest import FixedClock


def test_reveal_gives_the_token_back_to_its_session(clock: FixedClock) -> None:
    sealed = seal_link("secret", "inv1", "tok", "session-a", clock())
    assert unseal_link("secret", sealed, "inv1", "session-a", clock()) == "tok"
    later = clock() + REVEAL_FOR - timedelta(seconds=1)
    assert unseal_link("secret", sealed, "inv1", "session-a", later) == "tok"


def test_reveal_refuses_another_session_invite_or_secret(clock: FixedClock) -> None:
    sealed = seal_link("secret", "inv1", "tok", "session-a", clock())
    assert unseal_link("secret", sealed, "inv1", "session-b", clock()) is None
    assert unseal_link("secret", sealed, "inv1", None, clock()) is None
    assert unseal_link("secret", sealed, "inv2", "session-a", clock()) is None
    assert unseal_link("other", sealed, "inv1", "session-a", clock()) is None


def test_reveal_refuses_when_stale_or_tampered(clock: FixedClock) -> None:
    sealed = seal_link("secret", "inv1", "tok", "session-a", clock())
    assert unseal_link("secret", sealed, "inv1", "session-a", clock() + REVEAL_FOR) is None
    assert unseal_link("secret", sealed[:-3] + "abc", "inv1", "session-a", clock()) is None
    assert unseal_link("secret", "", "inv1", "session-a", clock()) is None
    assert unseal_link("secret", "garbage", "inv1", "session-a", clock()) is None
