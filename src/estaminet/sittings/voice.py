"""A sitting's hold on its assembly room's voice: the shell of ``assembly.floor``.

The sitting page carries the assembly room's own conversation (``room:<slug>``,
the same voice and chat as the room page). After each commit of a sitting,
this module asks the pure rules who may be heard (``voice_floor``: ``None``
unless the facilitator asked for silence) and who was just given the floor
(``floor_given_to``), turns seats into people and hands both to the voice
service, which carries them out (``VoiceService.hold_floor``/``hand_floor``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from estaminet.assembly import ASSEMBLY, AssemblyState, floor_given_to, voice_floor
from estaminet.kernel.activity import Event
from estaminet.live.engine import Live
from estaminet.media.voice import VoiceService
from estaminet.sittings import actions
from estaminet.tables.model import TableInfo
from estaminet.tables.service import TableService
from estaminet.venue.rooms import room_by_slug

__all__ = ["SittingVoice", "holder_of", "space_of"]


def space_of(sitting: TableInfo) -> str:
    """The voice conversation a sitting uses: its room's."""
    return f"room:{sitting.room_slug}"


def holder_of(sitting_id: int) -> str:
    """How the voice service names a sitting's hold."""
    return f"sitting:{sitting_id}"


def _speakers(sitting: TableInfo, state: AssemblyState) -> frozenset[str] | None:
    seats = voice_floor(state)
    if seats is None:
        return None
    return frozenset(p.user_id for p in sitting.players if p.seat in seats)


class SittingVoice:
    """Follows every sitting's commits and tells its room's voice who may be heard."""

    def __init__(self, tables: TableService, voice: VoiceService) -> None:
        self.tables = tables
        self.voice = voice
        tables.engine.on_change(self._changed)
        voice.holds.source = self.holds

    async def _changed(self, live: Live, events: Sequence[Event]) -> None:
        if live.key != ASSEMBLY.key:
            return
        sitting = await self.tables.table(live.id)
        key = space_of(sitting)
        await self.voice.hold_floor(key, holder_of(live.id), _speakers(sitting, live.state))
        seat = floor_given_to(events)
        if seat is None:
            return
        for person in sitting.players:
            if person.seat == seat:
                self.voice.hand_floor(key, person.user_id)

    async def holds(self, key: str, fresh: bool = False) -> Mapping[str, frozenset[str]]:
        """The silences the room's running sittings ask for now, newest first (read once after a
        restart; ``fresh``: again after another instance committed, past the cached states)."""
        family, _, slug = key.partition(":")
        async with self.tables.db.read() as conn:
            room = await room_by_slug(conn, slug) if family == "room" else None
            sittings = await actions.list_sittings(conn, room) if room is not None else []
        found: dict[str, frozenset[str]] = {}
        for sitting in sittings:
            if sitting.status != "running":
                continue
            if fresh:
                self.tables.engine.forget(sitting.id)  # it may be behind another's commit
            live = await self.tables.engine.get(sitting.id)
            speakers = _speakers(sitting, live.state)
            if speakers is not None:
                found[holder_of(sitting.id)] = speakers
        return found
