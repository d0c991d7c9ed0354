"""The wire contract, written once: every Socket.IO event name, how each client payload is
parsed and checked, and how domain values are dumped to JSON. Raw dicts stop here.

``docs/protocol.md`` is the human copy; a test fails when the two disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rooms.errors import HearthError, InvalidPayload
from rooms.events import (
    AudioChanged,
    ChatPosted,
    HandQueueChanged,
    MemberJoined,
    MemberLeft,
    PauseChanged,
    RoomClosed,
    RoomEvent,
    SpeakersChanged,
)
from rooms.room import RoomInfo, check_room_id
from rooms.state import ChatMessage, Member, RoomState

Payload = dict[str, Any]


class ClientEvent(StrEnum):
    """Events a client sends; every one is acknowledged."""

    JOIN = "room:join"
    LEAVE = "room:leave"
    SNAPSHOT = "room:snapshot"
    CHAT = "chat:send"
    HAND_RAISE = "hand:raise"
    HAND_LOWER = "hand:lower"
    AUDIO_START = "audio:start"
    AUDIO_STOP = "audio:stop"
    AUDIO_MUTE = "audio:mute"
    AUDIO_UNMUTE = "audio:unmute"


class ServerEvent(StrEnum):
    """Events the server sends; room events carry the room's sequence number."""

    PARTICIPANT_JOINED = "participant:joined"
    PARTICIPANT_LEFT = "participant:left"
    CHAT_MESSAGE = "chat:message"
    HAND_QUEUE = "hand:queue"
    ROOM_CLOSED = "room:closed"
    SESSION_REPLACED = "session:replaced"
    AUDIO_STATE = "audio:state"
    AUDIO_SPEAKING = "audio:speaking"
    PAUSED = "room:paused"
    AUDIO_RECONNECT = "audio:reconnect"


def _mapping(raw: object, *allowed: str) -> Payload:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidPayload("the payload must be an object")
    extra = set(raw) - set(allowed)
    if extra:
        raise InvalidPayload(f"unexpected fields: {', '.join(sorted(map(str, extra)))}")
    return raw


def _text(data: Payload, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise InvalidPayload(f"'{key}' must be a string")
    return value


@dataclass(frozen=True, slots=True)
class JoinRequest:
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
        return cls(_text(_mapping(raw, "text"), "text"))


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
        sdp = _text(data, "sdp")
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
        "audio": dump_audio(member),
    }


def dump_audio(member: Member) -> Payload:
    return {
        "state": str(member.audio),
        "muted": member.audio_muted,
        "held": member.audio_held,
        "speaking": member.speaking,
    }


def dump_message(message: ChatMessage) -> Payload:
    return {
        "id": message.message_id,
        "from": message.member_id,
        "name": message.display_name,
        "text": message.text,
        "sent_at": message.sent_at,
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
        "room": dump_room(info),
        "seq": state.seq,
        "paused": state.paused,
        "participants": [dump_member(m, state) for m in state.members],
        "hands": list(state.hands),
        "chat": [dump_message(m) for m in state.chat],
    }


def dump_event(room_id: str, event: RoomEvent) -> tuple[ServerEvent, Payload]:
    head: Payload = {"room": room_id, "seq": event.seq}
    match event:
        case MemberJoined(member=member):
            joined = {**head, "participant": dump_member(member, RoomState(room_id))}
            return ServerEvent.PARTICIPANT_JOINED, joined
        case MemberLeft(member=member, reason=reason):
            left = {**head, "participant": member.member_id, "reason": str(reason)}
            return ServerEvent.PARTICIPANT_LEFT, left
        case ChatPosted(message=message):
            return ServerEvent.CHAT_MESSAGE, {**head, "message": dump_message(message)}
        case HandQueueChanged(queue=queue):
            return ServerEvent.HAND_QUEUE, {**head, "hands": list(queue)}
        case RoomClosed():
            return ServerEvent.ROOM_CLOSED, head
        case AudioChanged(member=member):
            audio = {**head, "participant": member.member_id, "audio": dump_audio(member)}
            return ServerEvent.AUDIO_STATE, audio
        case SpeakersChanged(speakers=speakers):
            return ServerEvent.AUDIO_SPEAKING, {**head, "speakers": list(speakers)}
        case PauseChanged(paused=paused):
            return ServerEvent.PAUSED, {**head, "paused": paused}
