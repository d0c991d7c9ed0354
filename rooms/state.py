"""The live state of one open room.

A room holds its members (one seat per identity), the queue of raised hands in the order
they went up, a bounded window of recent chat, and its sequence number. The state is a
value: every change makes a new one (see ``rooms.change``).

It also holds what facilitators decide (the rules are in ``moderation``): each member's
role in the room and mute flags, whether the room is paused, its live controls (lock,
waiting room, ...), the people waiting to be let in, and the subjects banned from it.
What a facilitator decided about a person (a chat mute, an audio hold, a promotion) is
kept twice: on the seat, where every rule reads it, and as a ``Standing`` keyed by the
room-scoped member id, which outlives the seat so that leaving and joining again (on any
process) cannot undo it. Both go when the room closes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from rooms.errors import NotInRoom
from rooms.identity import Role, TileColour
from rooms.meeting import MAX_SERVICE, Service, SharingRound
from rooms.presence import Presence
from rooms.support import Conversation, SupportRequest

CHAT_HISTORY = 100
MAX_HOSTS = 50
# Standings are made only by facilitators' actions, one per person acted on; the bound
# keeps a long session's state small. Past it, the oldest standing of someone not in the
# room is forgotten first (see ``moderation.standing``).
MAX_STANDINGS = 500


class Reaction(StrEnum):
    """The few quiet signals anyone can send: support without interrupting a share."""

    HEART = "heart"
    THANKS = "thanks"
    CLAP = "clap"
    HUG = "hug"
    SMILE = "smile"


@dataclass(frozen=True, slots=True)
class Connection:
    """Where a member is connected: the server process and its Socket.IO session id."""

    process_id: str
    sid: str


class AudioState(StrEnum):
    """Where a member's audio connection to the room's media host stands."""

    OFF = "off"
    CONNECTING = "connecting"
    CONNECTED = "connected"


@dataclass(frozen=True, slots=True)
class Member:
    member_id: str  # opaque, room-scoped: what other people's clients see
    subject: str  # the identity behind it: never sent to other clients
    display_name: str
    role: Role
    joined_at: int  # ms since the epoch
    connection: Connection
    guest: bool = False
    co_facilitator: bool = False  # promoted by a facilitator, for this room only
    chat_muted: bool = False
    audio_muted: bool = False
    audio_held: bool = False  # muted by a facilitator: may not unmute themselves
    unmute_asked: bool = False  # a facilitator asked them to unmute; they decide
    audio: AudioState = AudioState.OFF
    speaking: bool = False  # set by the media host, on change only
    # Their connection dropped: the seat is kept (hand, mutes, role) until then (ms), and
    # a join of the same identity from any process takes it back (``rooms.primitives``).
    away_until: int | None = None
    colour: TileColour | None = None  # the tile colour they chose on joining, if any

    @property
    def away(self) -> bool:
        return self.away_until is not None


@dataclass(frozen=True, slots=True)
class Standing:
    """What facilitators decided about one identity in this room, for as long as it is
    open: applied again whenever that identity takes a seat."""

    member_id: str  # room-scoped, stable per identity (the seat's id)
    chat_muted: bool = False
    audio_held: bool = False  # their audio muted, and they may not unmute it themselves
    co_facilitator: bool = False

    @property
    def empty(self) -> bool:
        return not (self.chat_muted or self.audio_held or self.co_facilitator)


@dataclass(frozen=True, slots=True)
class Waiting:
    """Someone in the waiting room: not a member yet, sees nothing of the room."""

    member_id: str
    subject: str
    display_name: str
    role: Role
    since: int
    connection: Connection
    guest: bool = False


@dataclass(frozen=True, slots=True)
class RoomControls:
    """What facilitators switch on and off while the room runs."""

    locked: bool = False  # no new joins
    waiting_room: bool = False  # joins wait until a facilitator admits them
    wait_for_facilitator: bool = False  # nobody gets in while no facilitator is present
    mute_on_join: bool = False  # newcomers' audio starts muted
    allow_self_unmute: bool = True  # with mute on join: may they unmute themselves
    pause_when_unattended: bool = False  # pause when the last facilitator leaves
    # Sharing rounds (``moderation.rounds``): at a share's end the floor moves on (hard)
    # or the sharer is told their time is up (soft); chat waits during shares; only the
    # sharer (and facilitators) are heard; people who join late go to the end of a
    # round ordered from the roster.
    round_hard_end: bool = False
    round_pause_chat: bool = False
    round_sharer_only_audio: bool = False
    round_add_late_joiners: bool = True


@dataclass(frozen=True, slots=True)
class ChatMessage:
    message_id: int  # the sequence number the message was posted at
    member_id: str
    display_name: str
    text: str
    sent_at: int
    # The speaker's role when they spoke, so no participant's message can look like a
    # facilitator's (whatever name they chose).
    role: Role = Role.PARTICIPANT
    co_facilitator: bool = False


@dataclass(frozen=True, slots=True)
class RoomState:
    room_id: str
    seq: int = 0
    members: tuple[Member, ...] = ()
    hands: tuple[str, ...] = ()  # member ids, first raised first
    chat: tuple[ChatMessage, ...] = ()
    controls: RoomControls = RoomControls()
    paused: bool = False
    paused_automatically: bool = False  # paused because no facilitator was present
    unattended_since: int | None = None  # the last facilitator left then, none came back
    waiting: tuple[Waiting, ...] = ()  # first come first
    banned: tuple[str, ...] = ()  # subjects refused while the room is open
    ends_at: int | None = None  # a scheduled meeting's end (ms); None when unscheduled
    starts_at: int | None = None  # its scheduled start (ms), for attendance verifications
    # Names of everyone who hosted (facilitator, admin, co-facilitator) this session, so
    # a guest cannot take one while its owner is briefly away. Bounded by MAX_HOSTS.
    hosts: tuple[str, ...] = ()
    standings: tuple[Standing, ...] = ()  # oldest first, none empty, one per member id
    # The crisis path (``moderation.support``): requests for support, oldest first, one
    # per member, and the private conversations moderators opened.
    support: tuple[SupportRequest, ...] = ()
    conversations: tuple[Conversation, ...] = ()
    # The meeting script a facilitator pinned ("" cleared it); None: the room's own.
    script: str | None = None
    # Each identity's time present this session (``rooms.attendance``), first seen first.
    attendance: tuple[Presence, ...] = ()
    # Which opening of the room this is: made by the store when the room opens, the same
    # for as long as it stays open. A room that closes and opens again counts seq from 0
    # again, so a seq means something only with its opening ('' in states from before).
    opening: str = ""
    floor: str | None = None  # who has the floor: called on, or sharing in the round
    round: SharingRound | None = None  # the sharing round under way (``rooms.meeting``)
    service: tuple[Service, ...] = ()  # service roles given for this room, by member id

    def __post_init__(self) -> None:
        ids = [m.member_id for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError("a member holds two seats")
        if not set(self.hands) <= set(ids):
            raise ValueError("a raised hand belongs to someone not in the room")
        if len(self.chat) > CHAT_HISTORY:
            raise ValueError("chat history is over its bound")
        if {w.member_id for w in self.waiting} & set(ids):
            raise ValueError("someone is both waiting and in the room")
        kept = [s.member_id for s in self.standings]
        if len(set(kept)) != len(kept) or len(kept) > MAX_STANDINGS:
            raise ValueError("standings repeat a member or are over their bound")
        if len(set(self.service)) != len(self.service) or len(self.service) > MAX_SERVICE:
            raise ValueError("service roles repeat or are over their bound")

    def with_host(self, name: str) -> RoomState:
        """This state, remembering ``name`` as a host's (newest kept, oldest dropped)."""
        if name in self.hosts:
            return self
        return replace(self, hosts=(*self.hosts, name)[-MAX_HOSTS:])

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.members if m.member_id == member_id), None)

    def member_by_sid(self, sid: str) -> Member | None:
        return next((m for m in self.members if m.connection.sid == sid), None)

    def seated(self, sid: str) -> Member:
        """The member behind the connection ``sid``; refused (``not_in_room``) without a seat."""
        member = self.member_by_sid(sid)
        if member is None:
            raise NotInRoom()
        return member

    def standing(self, member_id: str) -> Standing:
        """What facilitators decided about this identity (nothing, if they decided nothing)."""
        found = next((s for s in self.standings if s.member_id == member_id), None)
        return found or Standing(member_id)

    def waiting_by_sid(self, sid: str) -> Waiting | None:
        return next((w for w in self.waiting if w.connection.sid == sid), None)
