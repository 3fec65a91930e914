"""The wire protocol as types: every frame a browser sends or receives on ``/ws``.

Each frame has a :class:`~typing.TypedDict`; the registries below say which
frame each ``type``, event ``kind``, voice ``kind``, op and action has, and
which event kinds each topic family carries. ``docs/protocol.md`` is checked
against these registries by a test (every topic, frame, field and action
documented, nothing documented that does not exist), and the frames sent in
live flows are checked against these types.

No ``from __future__ import annotations`` here: the types are read at run time
(``__required_keys__`` must see ``NotRequired``).

Nothing here runs on the hot path: features build plain dicts (their builders
are typed with these where it helps) and the tests hold the wire to them.
"""

from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "ACTIONS",
    "CLIENT_FRAMES",
    "EVENT_KINDS",
    "OPS",
    "SERVER_FRAMES",
    "TOPICS",
    "VOICE_KINDS",
    "AckFrame",
    "ActFrame",
    "ActionSchema",
    "CatchUpFrame",
    "ErrorFrame",
    "EventFrame",
    "InnerOp",
    "LeftFrame",
    "Op",
    "PatchOp",
    "PingFrame",
    "PongFrame",
    "RemoveOp",
    "ReplaceOp",
    "ResyncFrame",
    "SubFrame",
    "SubscribedFrame",
    "ToastOp",
    "TopicFamily",
    "UnsubFrame",
    "UpsertOp",
    "VoiceEventFrame",
]

# -- ops: how an event changes the page ----------------------------------------


class UpsertOp(TypedDict):
    op: Literal["upsert"]
    parent: str
    id: str
    html: str


class ReplaceOp(TypedDict):
    op: Literal["replace"]
    target: str
    html: str
    keep: NotRequired[bool]
    """The page keeps the text: the base of the ``patch`` ops that follow on the topic."""


class PatchOp(TypedDict):
    """Edits to the text of the target's last kept ``replace`` (``realtime/patch.py``)."""

    op: Literal["patch"]
    target: str
    edits: list[list[Any]]
    crc: int


class InnerOp(TypedDict):
    op: Literal["inner"]
    target: str
    html: str


class RemoveOp(TypedDict):
    op: Literal["remove"]
    target: str


class ToastOp(TypedDict):
    op: Literal["toast"]
    html: str


class StreamOp(TypedDict):
    """Data for a screen's script to fold in (a drawing's new strokes), not HTML."""

    op: Literal["stream"]
    target: str
    data: dict[str, Any]


Op = UpsertOp | ReplaceOp | PatchOp | InnerOp | RemoveOp | ToastOp | StreamOp

OPS: dict[str, type] = {
    "upsert": UpsertOp,
    "replace": ReplaceOp,
    "patch": PatchOp,
    "inner": InnerOp,
    "remove": RemoveOp,
    "toast": ToastOp,
    "stream": StreamOp,
}

# -- client → server --------------------------------------------------------------


class SubFrame(TypedDict):
    """``era``: the era ``after`` was numbered in (the topic's ``subscribed`` or the page said it)."""

    type: Literal["sub"]
    topic: str
    after: NotRequired[int]
    era: NotRequired[str]


class UnsubFrame(TypedDict):
    type: Literal["unsub"]
    topic: str


class ActFrame(TypedDict):
    type: Literal["act"]
    id: NotRequired[str | int]
    name: str
    data: NotRequired[dict[str, Any]]


class PingFrame(TypedDict):
    type: Literal["ping"]


CLIENT_FRAMES: dict[str, type] = {
    "sub": SubFrame,
    "unsub": UnsubFrame,
    "act": ActFrame,
    "ping": PingFrame,
}

# -- server → client ----------------------------------------------------------------


class VoiceMember(TypedDict):
    id: str
    name: str
    initials: str
    muted: bool
    speaking: bool


class VoiceState(TypedDict):
    members: list[VoiceMember]


class EventFrame(TypedDict):
    """A change on a topic: ops to apply, numbered by the topic's ``seq``."""

    type: Literal["event"]
    topic: str
    seq: int
    kind: str
    ops: list[Op]


class VoiceEventFrame(EventFrame):
    """``kind`` ``voice``: the ops, and who is in the conversation for scripts."""

    voice: VoiceState


class StagePerformer(TypedDict):
    id: str
    name: str
    feed: int
    live: bool
    cut: bool
    dropped: bool
    """Live, but every connection of theirs went away (« La connexion de X a lâché… »)."""


class StagePerson(TypedDict):
    id: str
    name: str


class StageSession(TypedDict):
    """What is on: an agenda event (its title, start and page) or a title given on the spot."""

    id: int
    title: str
    starts_at: str | None
    link: str | None


class StageTable(TypedDict):
    """The games-room table a stage shows: the topics of its spectator view and its board."""

    id: int
    view: str
    board: str


class StageState(TypedDict):
    performers: list[StagePerformer]
    audience: list[StagePerson]
    watchers: int
    hands: int
    """How many hands are raised (the names go to the animators only, on ``stagedesk:``)."""
    janus: bool
    # What the stage keeps (media/stage_sessions.py; never the RTMP address).
    session: NotRequired[StageSession | None]
    recording: NotRequired[Literal["off", "soon", "on"]]
    recording_failed: NotRequired[bool]
    restream: NotRequired[Literal["off", "waiting", "starting", "live", "retrying", "failed"]]
    takes: NotRequired[int]
    table: NotRequired[StageTable | None]
    """The games-room table the stage shows (media/stage_table.py)."""


class StageHand(TypedDict):
    """One watcher's own hand: raised or not, its place in line, declined by the animator."""

    raised: bool
    position: int | None
    declined: bool


class BoardFeed(TypedDict):
    feed: int
    name: str
    kind: Literal["camera", "voice"]
    id: str


class BoardState(TypedDict):
    feeds: list[BoardFeed]
    janus: bool


class BoardEventFrame(EventFrame):
    """``kind`` ``board``: the cameras on a table's board and its narrator's voice, live now."""

    board: BoardState


class StageEventFrame(EventFrame):
    """``kind`` ``stage``: who performs, who is live, the audience and how many watch."""

    stage: StageState


class StageHandsEventFrame(EventFrame):
    """``kind`` ``hands``: the raised hands in order with names (``stagedesk:``, animators)."""

    hands: list[StagePerson]


class StageHandEventFrame(EventFrame):
    """``kind`` ``hand``: one watcher's own hand (``stagehand:``, that person only)."""

    hand: StageHand


class ReactionsEventFrame(EventFrame):
    """``kind`` ``reactions``: the reactions counted over one window (500 ms), by reaction."""

    reactions: dict[str, int]


class CatchUpFrame(EventFrame):
    """``kind`` ``catch_up``: a resume; a voice topic's also carries ``voice``, a stage's
    ``stage``."""

    voice: NotRequired[VoiceState]
    stage: NotRequired[StageState]
    hands: NotRequired[list[StagePerson]]
    hand: NotRequired[StageHand]
    board: NotRequired[BoardState]


ClientRef = str | int | bool
"""An ``act`` frame's ``id`` as the client sent it, echoed back (a string or number of at
most 64 characters; JSON ``true``/``false`` pass as numbers, being ints in Python)."""


class SubscribedFrame(TypedDict):
    """``era``: on a topic the hub numbers (all but ``room:`` and ``user:``), the life of its
    numbers."""

    type: Literal["subscribed"]
    topic: str
    seq: int
    era: NotRequired[str]


class AckFrame(TypedDict):
    """``data`` is the action's ack (see :data:`ACTIONS`), absent when it has none."""

    type: Literal["ack"]
    id: ClientRef | None
    data: NotRequired[dict[str, Any]]


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    id: NotRequired[ClientRef]
    topic: NotRequired[str]


class ResyncFrame(TypedDict):
    type: Literal["resync"]
    topics: list[str]


class LeftFrame(TypedDict):
    type: Literal["left"]
    topic: str
    reason: Literal["kicked", "access"]


class PongFrame(TypedDict):
    type: Literal["pong"]


class VoiceFrame(TypedDict):
    """A voice message for one tab (not on a topic); ``kind`` picks the fields (:data:`VOICE_KINDS`)."""

    type: Literal["voice"]
    space: str
    kind: str


SERVER_FRAMES: dict[str, type] = {
    "event": EventFrame,
    "subscribed": SubscribedFrame,
    "ack": AckFrame,
    "error": ErrorFrame,
    "resync": ResyncFrame,
    "left": LeftFrame,
    "pong": PongFrame,
    "voice": VoiceFrame,
}

EVENT_KINDS: dict[str, type] = {
    "chat": EventFrame,
    "presence": EventFrame,
    "occupancy": EventFrame,
    "notice": EventFrame,
    "agenda": EventFrame,
    "tables": EventFrame,
    "lobby": EventFrame,
    "view": EventFrame,
    "stream": EventFrame,
    "voice": VoiceEventFrame,
    "help": EventFrame,
    "hat": EventFrame,
    "soiree": EventFrame,
    "soirees": EventFrame,
    "stage": StageEventFrame,
    "board": BoardEventFrame,
    "reactions": ReactionsEventFrame,
    "hands": StageHandsEventFrame,
    "hand": StageHandEventFrame,
    "catch_up": CatchUpFrame,
}
"""Every event ``kind`` and the frame it comes in."""

# -- voice frames (one tab's own) --------------------------------------------------------


class Peer(TypedDict):
    id: str
    name: str


class CrowdTicketData(TypedDict):
    server: str
    room: int
    participant: int
    token: str
    expires_at: str


class Channel(TypedDict):
    name: str
    members: list[str]
    ticket: NotRequired[CrowdTicketData]


class Allow(TypedDict):
    send_to: list[str]
    night: bool
    muted_by_moderator: bool
    silenced: bool
    channels: list[Channel]


class VoicePeerFrame(TypedDict):
    type: Literal["voice"]
    space: str
    kind: Literal["peer"]
    peer: Peer
    present: bool
    offer: NotRequired[bool]


# ``from`` is a Python keyword: the functional form names it.
VoiceSignalFrame = TypedDict(
    "VoiceSignalFrame",
    {
        "type": Literal["voice"],
        "space": str,
        "kind": Literal["signal"],
        "from": str,
        "signal": dict[str, Any],
    },
)


class VoiceAllowFrame(Allow):
    type: Literal["voice"]
    space: str
    kind: Literal["allow"]


class VoiceSpeakingFrame(TypedDict):
    type: Literal["voice"]
    space: str
    kind: Literal["speaking"]
    user: str
    speaking: bool


class VoiceFloorFrame(TypedDict):
    type: Literal["voice"]
    space: str
    kind: Literal["floor"]
    handover: Literal["open", "ask", "moderated"]


class VoiceRejoinFrame(TypedDict):
    type: Literal["voice"]
    space: str
    kind: Literal["rejoin"]


class VoiceBackFrame(TypedDict):
    type: Literal["voice"]
    space: str
    kind: Literal["back"]


class VoiceMovedFrame(TypedDict):
    type: Literal["voice"]
    space: str
    kind: Literal["moved"]
    message: str


class VoiceEndedFrame(TypedDict):
    type: Literal["voice"]
    space: str
    kind: Literal["ended"]
    reason: Literal["removed", "elsewhere"]
    message: NotRequired[str]


class VoiceSeatFrame(TypedDict):
    """The stage without Janus (space ``stage:<slug>``): does this tab receive the stage,
    and if not, its place in line."""

    type: Literal["voice"]
    space: str
    kind: Literal["seat"]
    seated: bool
    waiting: int
    seats: int
    ice_servers: list[dict[str, Any]]


VOICE_KINDS: dict[str, type] = {
    "peer": VoicePeerFrame,
    "signal": VoiceSignalFrame,
    "allow": VoiceAllowFrame,
    "speaking": VoiceSpeakingFrame,
    "floor": VoiceFloorFrame,
    "rejoin": VoiceRejoinFrame,
    "back": VoiceBackFrame,
    "moved": VoiceMovedFrame,
    "ended": VoiceEndedFrame,
    "seat": VoiceSeatFrame,
}

# -- actions: ``act`` data and the ``ack`` data that answers it ---------------------------


class ChatSend(TypedDict):
    room: str
    body: str
    client_id: NotRequired[str]


class ChatEdit(TypedDict):
    room: str
    message: int
    body: str


class ChatMessageRef(TypedDict):
    room: str
    message: int


class ChatChanged(TypedDict):
    message: int
    seq: int


class ChatSource(TypedDict):
    message: int
    body: str


class RoomSanction(TypedDict):
    room: str
    user: str
    minutes: int
    reason: NotRequired[str]


class Until(TypedDict):
    until: str


class VoiceSpace(TypedDict):
    space: str


class VoiceJoined(TypedDict):
    space: str
    transport: Literal["mesh", "janus"]
    ice_servers: list[dict[str, Any]]
    allow: Allow
    peers: NotRequired[list[Peer]]
    ticket: NotRequired[CrowdTicketData]


class VoiceSignal(TypedDict):
    space: str
    to: str
    signal: dict[str, Any]


class VoiceSpeaking(TypedDict):
    space: str
    speaking: bool


class VoiceMute(TypedDict):
    space: str
    muted: bool


class VoiceMuted(TypedDict):
    muted: bool


class VoiceModerate(TypedDict):
    space: str
    user: str
    action: Literal["mute", "unmute", "remove"]
    reason: NotRequired[str]


class VoiceModerated(TypedDict):
    user: str
    action: Literal["mute", "unmute", "remove"]


class TableRef(TypedDict):
    table: int


class KeyShare(TypedDict):
    box: str
    part: int
    share: str


class KeyShares(TypedDict):
    keys: list[KeyShare]


class BallotKey(TypedDict):
    table: int
    box: str
    part: int
    share: str


class Unlocked(TypedDict):
    unlocked: bool


class TableAct(TypedDict):
    table: int
    action: dict[str, Any]


class TableActed(TypedDict):
    events: int


class TableChat(TypedDict):
    table: int
    channel: str
    body: str


class TableChatted(TypedDict):
    """``message`` is ``None`` when the game took the message as a move (a guess)."""

    message: int | None


class HelpSay(TypedDict):
    request: int
    body: str


class HelpSaid(TypedDict):
    message: int


class StageTicket(TypedDict):
    room: str
    role: Literal["watch", "perform"]


class StageTicketed(TypedDict):
    ticket: CrowdTicketData
    ice_servers: list[dict[str, Any]]


class StageLive(TypedDict):
    room: str
    live: bool


class StageLived(TypedDict):
    live: bool


class StagePerform(TypedDict):
    room: str
    user: str
    performer: bool


class StagePerformed(TypedDict):
    user: str
    performer: bool


class StageCut(TypedDict):
    room: str
    user: str
    cut: bool


class StageCutDone(TypedDict):
    user: str
    cut: bool


class StageReact(TypedDict):
    room: str
    reaction: Literal["applause", "heart", "laugh", "wow"]


class StageOpen(TypedDict):
    room: str
    title: NotRequired[str]


class StageOpened(TypedDict):
    session: StageSession


class StageRoom(TypedDict):
    room: str


class StageMeshJoined(TypedDict):
    seats: int


class StageSignal(TypedDict):
    room: str
    to: str
    signal: dict[str, Any]


class StageHandRaise(TypedDict):
    room: str
    raised: bool


class StageHandRaised(TypedDict):
    raised: bool
    position: int | None


class StageAnswer(TypedDict):
    room: str
    user: str
    accept: bool


class StageAnswered(TypedDict):
    user: str
    accept: bool


class StageClosed(TypedDict):
    closed: bool


class StageRecord(TypedDict):
    room: str
    record: bool


class StageRecorded(TypedDict):
    recording: Literal["off", "soon", "on"]


class StageRestream(TypedDict):
    room: str
    restream: bool
    address: NotRequired[str]


class StageRestreamed(TypedDict):
    restream: Literal["off", "waiting", "starting", "live", "retrying", "failed"]


class StageShowTable(TypedDict):
    room: str
    table: int


class StageTableShown(TypedDict):
    table: int | None


class StageHideTable(TypedDict):
    room: str


class BoardTicket(TypedDict):
    table: int
    role: Literal["watch", "camera", "voice"]


class BoardLive(TypedDict):
    table: int
    live: bool
    kind: Literal["camera", "voice"]


class BoardLived(TypedDict):
    live: bool
    kind: Literal["camera", "voice"]


@dataclass(frozen=True, slots=True)
class ActionSchema:
    """What an action takes (``data``) and what its ``ack`` carries (``None``: no data)."""

    data: type
    ack: type | None


ACTIONS: dict[str, ActionSchema] = {
    "chat.send": ActionSchema(ChatSend, ChatChanged),
    "chat.edit": ActionSchema(ChatEdit, ChatChanged),
    "chat.delete": ActionSchema(ChatMessageRef, ChatChanged),
    "chat.source": ActionSchema(ChatMessageRef, ChatSource),
    "room.mute": ActionSchema(RoomSanction, Until),
    "room.kick": ActionSchema(RoomSanction, Until),
    "voice.join": ActionSchema(VoiceSpace, VoiceJoined),
    "voice.leave": ActionSchema(VoiceSpace, VoiceSpace),
    "voice.signal": ActionSchema(VoiceSignal, None),
    "voice.speaking": ActionSchema(VoiceSpeaking, None),
    "voice.mute": ActionSchema(VoiceMute, VoiceMuted),
    "voice.moderate": ActionSchema(VoiceModerate, VoiceModerated),
    "ballot.keys": ActionSchema(TableRef, KeyShares),
    "ballot.key": ActionSchema(BallotKey, Unlocked),
    "table.act": ActionSchema(TableAct, TableActed),
    "table.chat": ActionSchema(TableChat, TableChatted),
    "help.say": ActionSchema(HelpSay, HelpSaid),
    "stage.ticket": ActionSchema(StageTicket, StageTicketed),
    "stage.live": ActionSchema(StageLive, StageLived),
    "stage.perform": ActionSchema(StagePerform, StagePerformed),
    "stage.cut": ActionSchema(StageCut, StageCutDone),
    "stage.react": ActionSchema(StageReact, None),
    "stage.mesh": ActionSchema(StageRoom, StageMeshJoined),
    "stage.signal": ActionSchema(StageSignal, None),
    "stage.hand": ActionSchema(StageHandRaise, StageHandRaised),
    "stage.answer": ActionSchema(StageAnswer, StageAnswered),
    "stage.open": ActionSchema(StageOpen, StageOpened),
    "stage.close": ActionSchema(StageRoom, StageClosed),
    "stage.record": ActionSchema(StageRecord, StageRecorded),
    "stage.restream": ActionSchema(StageRestream, StageRestreamed),
    "stage.show_table": ActionSchema(StageShowTable, StageTableShown),
    "stage.hide_table": ActionSchema(StageHideTable, StageTableShown),
    "board.ticket": ActionSchema(BoardTicket, StageTicketed),
    "board.live": ActionSchema(BoardLive, BoardLived),
}

# -- topics ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicFamily:
    """Topics named ``<prefix>:…`` and the event kinds they carry."""

    prefix: str
    kinds: tuple[str, ...]


TOPICS: dict[str, TopicFamily] = {
    family.prefix: family
    for family in (
        TopicFamily("user", ("notice", "tables", "catch_up")),
        TopicFamily("room", ("chat", "catch_up")),
        TopicFamily("presence", ("presence", "catch_up")),
        TopicFamily("plan", ("occupancy", "catch_up")),
        TopicFamily("agenda", ("agenda", "catch_up")),
        TopicFamily("tables", ("tables", "catch_up")),
        TopicFamily("table", ("lobby", "view", "stream", "chat", "catch_up")),
        TopicFamily("voice", ("voice", "catch_up")),
        TopicFamily("help", ("help", "catch_up")),
        TopicFamily("helpdesk", ("help", "catch_up")),
        TopicFamily("hat", ("hat", "catch_up")),
        TopicFamily("soiree", ("soiree", "catch_up")),
        TopicFamily("soirees", ("soirees", "catch_up")),
        TopicFamily("stage", ("stage", "reactions", "catch_up")),
        TopicFamily("stagedesk", ("hands", "catch_up")),
        TopicFamily("stagehand", ("hand", "catch_up")),
        TopicFamily("board", ("board", "catch_up")),
    )
}
