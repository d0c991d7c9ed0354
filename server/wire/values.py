"""Domain values as JSON: a participant, a chat message, a room, a snapshot, an ack.

Each ``dump_*`` is the one JSON form of its value, wherever it travels (an ack, a room
event, the admin API). ``ok`` is a successful ack; refusals are ``server.errors.ack``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from moderation.audit import AuditEntry
from moderation.bans import Ban
from moderation.controls import dump as dump_controls
from moderation.script import shown as shown_script
from rooms.history import visible_chat
from rooms.room import RoomInfo
from rooms.state import ChatMessage, Member, RoomState, Waiting
from server.settings import IceServer
from server.wire.events import Payload
from server.wire.meeting import dump_round, dump_service
from server.wire.support import dump_request


def ok(**fields: Any) -> Payload:
    return {"ok": True, **fields}


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
        "away": member.away,
        "colour": None if member.colour is None else str(member.colour),
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
        # Requests of people still here: someone who left is no longer to be looked for.
        "support": [dump_request(r) for r in state.support if state.member(r.member_id)],
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
        "history": str(info.history),
    }


def dump_snapshot(
    info: RoomInfo,
    state: RoomState,
    *,
    facilitator_present: bool,
    viewer: str,
    participants: object = None,
) -> Payload:
    """The room as ``viewer`` (a member id) sees it: the chat the room's history setting
    shows them (``rooms.history``). ``participants``: the seats encoded already
    (``server.wire.encoded.Rosters``)."""
    return {
        "room": {**dump_room(info), "ends_at": state.ends_at},
        "seq": state.seq,
        "opening": state.opening,
        "participants": (
            [dump_member(m, state) for m in state.members] if participants is None else participants
        ),
        "hands": list(state.hands),
        "chat": [dump_message(m) for m in visible_chat(state, info, viewer)],
        "script": shown_script(state, info),
        "paused": state.paused,
        "controls": dump_controls(state.controls),
        "facilitator_present": facilitator_present,
        "floor": state.floor,
        "round": dump_round(state.round),
        "service": dump_service(state.service),
    }


def dump_waiting_place(room_id: str, position: int, of: int) -> Payload:
    """A join that was put in the waiting room: where the person stands."""
    return {"room": room_id, "position": position, "of": of}


def dump_answer(sdp: str) -> Payload:
    """The media host's WebRTC answer to an ``audio:start`` offer."""
    return {"type": "answer", "sdp": sdp}
