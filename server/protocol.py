"""The wire contract, written once: every Socket.IO event name, how each client payload is
parsed and checked, and how domain values are dumped to JSON. Raw dicts stop here.

``docs/protocol.md`` is the human copy; a test fails when the two disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from moderation.audit import AuditEntry, clean_reason
from moderation.bans import Ban, BanScope
from moderation.controls import NAMES as CONTROL_NAMES
from moderation.controls import dump as dump_controls
from moderation.roles import facilitator_present
from rooms.errors import HearthError, InvalidPayload
from rooms.events import (
    Admitted,
    AudioChanged,
    ChatDeleted,
    ChatPosted,
    ControlsChanged,
    Denied,
    FacilitatorPresence,
    HandQueueChanged,
    MemberJoined,
    MemberLeft,
    MutesChanged,
    ReactionSent,
    Removed,
    Reported,
    RoleChanged,
    RoomClosed,
    RoomClosing,
    RoomEvent,
    RoomPaused,
    RoomResumed,
    SpeakersChanged,
    UnmuteAsked,
    WaitingPlace,
    WaitingQueue,
)
from rooms.room import RoomInfo, check_room_id
from rooms.state import ChatMessage, Member, Reaction, RoomState, Waiting
from rooms.text import check_text
from server.settings import IceServer

Payload = dict[str, Any]


class ClientEvent(StrEnum):
    """Events a client sends; every one is acknowledged."""

    INFO = "room:info"
    JOIN = "room:join"
    LEAVE = "room:leave"
    SNAPSHOT = "room:snapshot"
    CHAT = "chat:send"
    HAND_RAISE = "hand:raise"
    HAND_LOWER = "hand:lower"
    REACT = "reaction:send"
    AUDIO_MUTE = "audio:mute"
    AUDIO_UNMUTE = "audio:unmute"
    AUDIO_STAY_MUTED = "audio:stay-muted"
    REPORT = "report:send"
    PROMOTE = "moderation:promote"
    DEMOTE = "moderation:demote"
    MUTE = "moderation:mute"
    UNMUTE = "moderation:unmute"
    MUTE_ALL = "moderation:mute-all"
    PAUSE = "moderation:pause"
    RESUME = "moderation:resume"
    REMOVE = "moderation:remove"
    BAN = "moderation:ban"
    UNBAN = "moderation:unban"
    BANS = "moderation:bans"
    CONTROLS = "moderation:controls"
    ADMIT = "moderation:admit"
    DENY = "moderation:deny"
    DELETE_MESSAGE = "moderation:delete-message"
    AUDIT = "moderation:audit"
    AUDIO_START = "audio:start"
    AUDIO_STOP = "audio:stop"


class ServerEvent(StrEnum):
    """Events the server sends; room events carry the room's sequence number."""

    PARTICIPANT_JOINED = "participant:joined"
    PARTICIPANT_LEFT = "participant:left"
    CHAT_MESSAGE = "chat:message"
    REACTION = "reaction"
    HAND_QUEUE = "hand:queue"
    ROOM_CLOSING = "room:closing"
    ROOM_CLOSED = "room:closed"
    SESSION_REPLACED = "session:replaced"
    SESSION_ENDED = "session:ended"
    CHAT_DELETED = "chat:deleted"
    MUTES = "participant:mutes"
    ROLE = "participant:role"
    FACILITATORS = "room:facilitators"
    PAUSED = "room:paused"
    RESUMED = "room:resumed"
    CONTROLS = "room:controls"
    # Private: only to the connections concerned, without seq.
    UNMUTE_REQUESTED = "audio:unmute-requested"
    REMOVED = "moderation:removed"
    WAITING_QUEUE = "waiting:queue"
    WAITING_POSITION = "waiting:position"
    ADMITTED = "waiting:admitted"
    DENIED = "waiting:denied"
    REPORT = "report:received"
    # Audio presence (public, with seq) and a private nudge to reconnect audio.
    AUDIO_STATE = "audio:state"
    AUDIO_SPEAKING = "audio:speaking"
    AUDIO_RECONNECT = "audio:reconnect"


def _mapping(raw: object, *allowed: str) -> Payload:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidPayload("the payload must be an object")
    extra = set(raw) - set(allowed)
    if extra:
        # Named only when they are plain: the message goes back to the client and to logs.
        shown = sorted(k if _plain(k) else "(unprintable)" for k in map(str, extra))[:10]
        raise InvalidPayload(f"unexpected fields: {', '.join(shown)}")
    return raw


def _plain(key: str) -> bool:
    return len(key) <= 40 and key.isascii() and key.isprintable()


def _text(data: Payload, key: str, *, newlines: bool = False) -> str:
    """A string field, refused unless it is text (see ``rooms.text``)."""
    value = data.get(key)
    if not isinstance(value, str):
        raise InvalidPayload(f"'{key}' must be a string")
    return check_text(value, key, newlines=newlines)


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """``room:join``, and ``room:info`` (which names a room the same way)."""

    room: str

    @classmethod
    def parse(cls, raw: object) -> JoinRequest:
        data = _mapping(raw, "room")
        return cls(check_room_id(data.get("room")))


@dataclass(frozen=True, slots=True)
class ChatRequest:
    text: str

    @classmethod
    def parse(cls, raw: object) -> ChatRequest:
        data = _mapping(raw, "text")
        if isinstance(data.get("text"), str):
            # One newline convention, whichever system typed it.
            data = {"text": data["text"].replace("\r\n", "\n")}
        return cls(_text(data, "text", newlines=True))


@dataclass(frozen=True, slots=True)
class ReactionRequest:
    reaction: Reaction

    @classmethod
    def parse(cls, raw: object) -> ReactionRequest:
        value = _text(_mapping(raw, "reaction"), "reaction")
        try:
            return cls(Reaction(value))
        except ValueError:
            allowed = ", ".join(r.value for r in Reaction)
            raise InvalidPayload(f"'reaction' must be one of: {allowed}") from None


def _flag(data: Payload, key: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InvalidPayload(f"'{key}' must be true or false")
    return value


def _reason(data: Payload) -> str:
    return clean_reason(_text(data, "reason")) if "reason" in data else ""


def _target(data: Payload, key: str = "target") -> str:
    value = _text(data, key)
    if not value:
        raise InvalidPayload(f"'{key}' must name someone")
    return value


MAX_ID = 2**53  # the largest integer every JSON client reads exactly


def _message_id(data: Payload, key: str = "message") -> int:
    value = data.get(key)
    # Bounded: an id travels in events, and a huge int has no msgpack or JSON form.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < MAX_ID:
        raise InvalidPayload(f"'{key}' must be a message id")
    return value


@dataclass(frozen=True, slots=True)
class TargetRequest:
    """Promote, demote or remove one participant."""

    target: str
    reason: str = ""

    @classmethod
    def parse(cls, raw: object) -> TargetRequest:
        data = _mapping(raw, "target", "reason")
        return cls(_target(data), _reason(data))


@dataclass(frozen=True, slots=True)
class MuteRequest:
    target: str
    chat: bool
    audio: bool
    reason: str = ""

    @classmethod
    def parse(cls, raw: object) -> MuteRequest:
        data = _mapping(raw, "target", "chat", "audio", "reason")
        chat, audio = _flag(data, "chat"), _flag(data, "audio")
        if not (chat or audio):
            raise InvalidPayload("say which to change: 'chat', 'audio' or both")
        return cls(_target(data), chat, audio, _reason(data))


@dataclass(frozen=True, slots=True)
class MuteAllRequest:
    chat: bool
    audio: bool
    allow_self_unmute: bool
    reason: str = ""

    @classmethod
    def parse(cls, raw: object) -> MuteAllRequest:
        data = _mapping(raw, "chat", "audio", "allow_self_unmute", "reason")
        chat, audio = _flag(data, "chat"), _flag(data, "audio", default=True)
        if not (chat or audio):
            raise InvalidPayload("say which to mute: 'chat', 'audio' or both")
        return cls(chat, audio, _flag(data, "allow_self_unmute"), _reason(data))


@dataclass(frozen=True, slots=True)
class ReasonRequest:
    """Pause or resume: an optional reason only."""

    reason: str = ""

    @classmethod
    def parse(cls, raw: object) -> ReasonRequest:
        return cls(_reason(_mapping(raw, "reason")))


@dataclass(frozen=True, slots=True)
class BanRequest:
    target: str
    scope: BanScope
    reason: str = ""

    @classmethod
    def parse(cls, raw: object) -> BanRequest:
        data = _mapping(raw, "target", "scope", "reason")
        scope = data.get("scope", "room")
        # Checked as a string first: a list or object here is not hashable.
        if not isinstance(scope, str) or scope not in {str(s) for s in BanScope}:
            raise InvalidPayload("'scope' is 'room' or 'series'")
        return cls(_target(data), BanScope(scope), _reason(data))


@dataclass(frozen=True, slots=True)
class UnbanRequest:
    ban: str
    reason: str = ""

    @classmethod
    def parse(cls, raw: object) -> UnbanRequest:
        data = _mapping(raw, "ban", "reason")
        return cls(_target(data, "ban"), _reason(data))


@dataclass(frozen=True, slots=True)
class ControlsRequest:
    changes: tuple[tuple[str, bool], ...]

    @classmethod
    def parse(cls, raw: object) -> ControlsRequest:
        data = _mapping(raw, *CONTROL_NAMES)
        if not data:
            raise InvalidPayload(f"change some of: {', '.join(sorted(CONTROL_NAMES))}")
        return cls(tuple((key, _flag(data, key)) for key in sorted(data)))


@dataclass(frozen=True, slots=True)
class WaitingRequest:
    """Admit or deny one waiting person (``target``) or everyone (``all``)."""

    target: str | None

    @classmethod
    def parse(cls, raw: object) -> WaitingRequest:
        data = _mapping(raw, "target", "all")
        everyone = _flag(data, "all")
        if everyone == ("target" in data):
            raise InvalidPayload("send either 'target' or 'all': true")
        return cls(None if everyone else _target(data))


@dataclass(frozen=True, slots=True)
class DeleteMessageRequest:
    message: int
    reason: str = ""

    @classmethod
    def parse(cls, raw: object) -> DeleteMessageRequest:
        data = _mapping(raw, "message", "reason")
        return cls(_message_id(data), _reason(data))


@dataclass(frozen=True, slots=True)
class ReportRequest:
    message: int | None
    participant: str | None
    reason: str = ""

    @classmethod
    def parse(cls, raw: object) -> ReportRequest:
        data = _mapping(raw, "message", "participant", "reason")
        if ("message" in data) == ("participant" in data):
            raise InvalidPayload("report either a 'message' or a 'participant'")
        if "message" in data:
            return cls(_message_id(data), None, _reason(data))
        return cls(None, _target(data, "participant"), _reason(data))


MAX_AUDIT_ENTRIES = 500


@dataclass(frozen=True, slots=True)
class AuditRequest:
    limit: int = 100

    @classmethod
    def parse(cls, raw: object) -> AuditRequest:
        data = _mapping(raw, "limit")
        limit = data.get("limit", 100)
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise InvalidPayload("'limit' must be a whole number")
        if not 1 <= limit <= MAX_AUDIT_ENTRIES:
            raise InvalidPayload(f"'limit' is between 1 and {MAX_AUDIT_ENTRIES}")
        return cls(limit)


MAX_SDP_LENGTH = 32 * 1024


@dataclass(frozen=True, slots=True)
class AudioOffer:
    """A WebRTC offer with every ICE candidate in it (gathering complete: no trickle)."""

    sdp: str

    @classmethod
    def parse(cls, raw: object) -> AudioOffer:
        data = _mapping(raw, "sdp", "type")
        if data.get("type") != "offer":
            raise InvalidPayload("'type' must be 'offer'")
        sdp = data.get("sdp")
        if not isinstance(sdp, str):
            raise InvalidPayload("'sdp' must be a string")
        check_text(sdp.replace("\r\n", "\n"), "sdp", newlines=True)  # SDP lines end in CRLF
        if not sdp.startswith("v=0") or len(sdp) > MAX_SDP_LENGTH:
            raise InvalidPayload(f"'sdp' must be an SDP offer of at most {MAX_SDP_LENGTH} bytes")
        return cls(sdp)


def expect_nothing(raw: object) -> None:
    """For events that take no fields: ``{}``, ``null`` or no payload at all."""
    _mapping(raw)


def ok(**fields: Any) -> Payload:
    return {"ok": True, **fields}


def refusal(error: HearthError) -> Payload:
    return {"ok": False, "error": {"code": str(error.code), "message": error.message}}


def dump_member(member: Member, state: RoomState) -> Payload:
    return {
        "id": member.member_id,
        "name": member.display_name,
        "role": str(member.role),
        "guest": member.guest,
        "hand": member.member_id in state.hands,
        "joined_at": member.joined_at,
        "co_facilitator": member.co_facilitator,
        "chat_muted": member.chat_muted,
        "audio_muted": member.audio_muted,
        "audio": dump_audio(member),
    }


def dump_audio(member: Member) -> Payload:
    """Audio presence; whether they are muted is ``audio_muted`` beside it."""
    return {"state": str(member.audio), "held": member.audio_held, "speaking": member.speaking}


def dump_mutes(member: Member) -> Payload:
    return {
        "id": member.member_id,
        "chat_muted": member.chat_muted,
        "audio_muted": member.audio_muted,
        "audio_held": member.audio_held,
    }


def dump_ice_servers(servers: Sequence[IceServer]) -> list[Payload]:
    """The ICE servers a browser may use: their public URLs. A TURN server's long-lived
    credentials never leave the server, so a server that needs them is left out."""
    return [{"urls": list(s.urls)} for s in servers if s.username is None and s.credential is None]


def dump_waiting(waiting: Waiting) -> Payload:
    return {"id": waiting.member_id, "name": waiting.display_name, "since": waiting.since}


def dump_moderation(state: RoomState, unattended_since: int | None) -> Payload:
    """What only facilitators and co-facilitators see in their snapshot."""
    return {
        "waiting": [dump_waiting(w) for w in state.waiting],
        "unattended_since": unattended_since,
    }


def dump_audit(entry: AuditEntry) -> Payload:
    return {
        "at": entry.at,
        "actor": {"id": entry.actor_id, "name": entry.actor_name},
        "action": str(entry.action),
        "target": {"id": entry.target_id, "name": entry.target_name} if entry.target_id else None,
        "reason": entry.reason,
        "detail": entry.detail,
    }


def dump_ban(ban: Ban) -> Payload:
    return {
        "id": ban.ban_id,
        "name": ban.display_name,
        "scope": str(ban.scope),
        "at": ban.at,
        "by": ban.by_name,
        "reason": ban.reason,
    }


def dump_message(message: ChatMessage) -> Payload:
    return {
        "id": message.message_id,
        "from": message.member_id,
        "name": message.display_name,
        "text": message.text,
        "sent_at": message.sent_at,
        "role": str(message.role),
        "co_facilitator": message.co_facilitator,
    }


def dump_room(info: RoomInfo) -> Payload:
    return {
        "id": info.room_id,
        "name": info.name,
        "capacity": info.capacity,
        "allow_guests": info.allow_guests,
        "guidelines": info.guidelines,
        "audio": info.audio,
    }


def dump_snapshot(info: RoomInfo, state: RoomState) -> Payload:
    return {
        "room": {**dump_room(info), "ends_at": state.ends_at},
        "seq": state.seq,
        "participants": [dump_member(m, state) for m in state.members],
        "hands": list(state.hands),
        "chat": [dump_message(m) for m in state.chat],
        "paused": state.paused,
        "controls": dump_controls(state.controls),
        "facilitator_present": facilitator_present(state),
    }


def recipients(event: RoomEvent) -> tuple[str, ...] | None:
    """The connections a private event goes to; ``None`` for the whole room."""
    return getattr(event, "audience", None)


def dump_event(room_id: str, event: RoomEvent) -> tuple[ServerEvent, Payload]:
    room: Payload = {"room": room_id}
    match event:
        case MemberJoined(seq=seq, member=member):
            joined = {**room, "seq": seq, "participant": dump_member(member, RoomState(room_id))}
            return ServerEvent.PARTICIPANT_JOINED, joined
        case MemberLeft(seq=seq, member=member, reason=reason):
            left = {**room, "seq": seq, "participant": member.member_id, "reason": str(reason)}
            return ServerEvent.PARTICIPANT_LEFT, left
        case ChatPosted(seq=seq, message=message):
            return ServerEvent.CHAT_MESSAGE, {**room, "seq": seq, "message": dump_message(message)}
        case ReactionSent(seq=seq, member_id=member_id, reaction=reaction):
            sent = {"from": member_id, "reaction": str(reaction)}
            return ServerEvent.REACTION, {**room, "seq": seq, **sent}
        case HandQueueChanged(seq=seq, queue=queue):
            return ServerEvent.HAND_QUEUE, {**room, "seq": seq, "hands": list(queue)}
        case RoomClosing(seq=seq, closes_at=closes_at):
            return ServerEvent.ROOM_CLOSING, {**room, "seq": seq, "closes_at": closes_at}
        case RoomClosed(seq=seq):
            return ServerEvent.ROOM_CLOSED, {**room, "seq": seq}
        case ChatDeleted(seq=seq, message_id=message_id):
            return ServerEvent.CHAT_DELETED, {**room, "seq": seq, "message": message_id}
        case MutesChanged(seq=seq, members=members):
            mutes = [dump_mutes(m) for m in members]
            return ServerEvent.MUTES, {**room, "seq": seq, "participants": mutes}
        case RoleChanged(seq=seq, member=member):
            role = {"id": member.member_id, "co_facilitator": member.co_facilitator}
            return ServerEvent.ROLE, {**room, "seq": seq, "participant": role}
        case FacilitatorPresence(seq=seq, present=present, covering=covering):
            presence = {"present": present, "covering": list(covering)}
            return ServerEvent.FACILITATORS, {**room, "seq": seq, **presence}
        case RoomPaused(seq=seq, automatically=automatically):
            return ServerEvent.PAUSED, {**room, "seq": seq, "automatically": automatically}
        case RoomResumed(seq=seq):
            return ServerEvent.RESUMED, {**room, "seq": seq}
        case ControlsChanged(seq=seq, controls=controls):
            return ServerEvent.CONTROLS, {**room, "seq": seq, "controls": dump_controls(controls)}
        case UnmuteAsked(by=by):
            return ServerEvent.UNMUTE_REQUESTED, {**room, "by": by}
        case Removed(reason=reason):
            verb = "banned" if reason == "banned" else "removed"
            notice = {"reason": str(reason), "message": f"a facilitator has {verb} you"}
            return ServerEvent.REMOVED, {**room, **notice}
        case WaitingQueue(waiting=waiting):
            return ServerEvent.WAITING_QUEUE, {
                **room,
                "waiting": [dump_waiting(w) for w in waiting],
            }
        case WaitingPlace(position=position, of=of):
            return ServerEvent.WAITING_POSITION, {**room, "position": position, "of": of}
        case Admitted():
            return ServerEvent.ADMITTED, room
        case Denied():
            return ServerEvent.DENIED, room
        case Reported():
            return ServerEvent.REPORT, {**room, **_dump_report(event)}
        case AudioChanged(seq=seq, member=member):
            audio = {"participant": member.member_id, "audio_muted": member.audio_muted}
            return ServerEvent.AUDIO_STATE, {
                **room,
                "seq": seq,
                **audio,
                "audio": dump_audio(member),
            }
        case SpeakersChanged(seq=seq, speakers=speakers):
            return ServerEvent.AUDIO_SPEAKING, {**room, "seq": seq, "speakers": list(speakers)}


def _dump_report(report: Reported) -> Payload:
    about = None
    if report.member_id is not None:
        about = {"id": report.member_id, "name": report.member_name}
    return {
        "from": {"id": report.reporter_id, "name": report.reporter_name},
        "at": report.at,
        "reason": report.reason,
        "message": report.message_id,
        "participant": about,
    }
