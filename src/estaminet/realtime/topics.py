"""Topic providers the platform itself offers: a person's private ``user:`` topic."""

from __future__ import annotations

from typing import ClassVar

from estaminet.kernel.errors import Forbidden
from estaminet.kernel.i18n import N_
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import encode
from estaminet.realtime.hub import Hub

__all__ = ["HubNumbered", "SnapshotTopics", "UserTopics"]


class SnapshotTopics:
    """Base for topics where following changes nothing else (no presence to count)."""

    async def joined(self, connection: Connection, topic: str) -> None:
        return None

    async def left(self, connection: Connection, topic: str) -> None:
        return None


class HubNumbered:
    """A topic family numbered by the hub (``hub.next_seq``), not by the database.

    The hub keeps its numbers only for its own life (see :mod:`estaminet.realtime.hub`):
    after a restart they start again, and a page's last number may then mean something
    else, or, by chance, the new current number. The gateway says the hub's era in each
    ``subscribed`` of such a topic, and a follower resuming with a number of another era
    is caught up from nothing (``after`` -1: the whole state), never sent this era's
    changes after that number, nor nothing because the numbers happen to meet. Every
    family but the room's chat and a person's inbox (numbered by the database) is one."""

    numbered_by_hub: ClassVar[bool] = True


class UserTopics(HubNumbered, SnapshotTopics):
    """``user:<id>``: notifications and control messages for one person, from a bounded buffer."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def authorize(self, principal: Principal, topic: str) -> None:
        if topic != f"user:{principal.user_id}":
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.hub.current_seq(topic)
        if after < 0 or after >= current:
            return current
        missed = await self.hub.recent(topic, after)
        if missed is None:
            connection.push(
                encode(
                    {"type": "event", "topic": topic, "seq": current, "kind": "reset", "ops": []}
                )
            )
            return current
        for frame in missed:
            if frame.control is None:
                connection.push(frame.text(connection.locale))
        return current
