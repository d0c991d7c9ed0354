"""What the server sends: each room event's name and payload, and the notices of one
connection that no rule makes (``SessionReplaced``, ``SessionEnded``, ``AudioReconnect``,
``RoomReset``, ``ServerDraining``).

Room events are the domain's frozen values (``rooms.events``); ``dump_event`` is the
only place they become JSON, and mypy checks its ``match`` covers every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderation.controls import dump as dump_controls
from rooms.events import (
    Admitted,
    AttendanceConfirmed,
    AudioChanged,
    ChatDeleted,
    ChatPosted,
    ControlsChanged,
    Denied,
    FacilitatorPresence,
    FloorChanged,
    HandQueueChanged,
    MemberAway,
    MemberBack,
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
    RoundChanged,
    ScriptPinned,
    ServiceChanged,
    ShareTimeUp,
    ShareWarning,
    SpeakersChanged,
    UnmuteAsked,
    WaitingPlace,
    WaitingQueue,
)
from rooms.state import RoomState
from rooms.support import PrivateMessage, SupportAsked, SupportSeen
from server.wire import support
from server.wire.events import Payload, ServerEvent
from server.wire.meeting import dump_round, dump_service
from server.wire.values import dump_audio, dump_member, dump_message, dump_mutes, dump_waiting


@dataclass(frozen=True, slots=True)
class SessionReplaced:
    """The same person joined from another window or device: this connection is closed."""

    message: str = "you joined from another window or device; this one has left the room"

    def dump(self) -> tuple[ServerEvent, Payload]:
        return ServerEvent.SESSION_REPLACED, {"message": self.message}


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The server is closing this connection, and why (``code``: an error code)."""

    code: str
    message: str

    def dump(self) -> tuple[ServerEvent, Payload]:
        return ServerEvent.SESSION_ENDED, {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class AudioReconnect:
    """The room's media host changed: offer audio again (to one connection, no seq)."""

    room_id: str

    def dump(self) -> tuple[ServerEvent, Payload]:
        return ServerEvent.AUDIO_RECONNECT, {"room": self.room_id}


@dataclass(frozen=True, slots=True)
class RoomReset:
    """The store lost the room (an empty Redis restart) and it was opened again with this
    connection seated anew: ``snapshot`` (and ``moderation``, for a moderator) is the new
    state, whose ``seq`` starts again from a small number."""

    room_id: str
    you: str
    snapshot: Payload
    moderation: Payload | None = None
    message: str = "The server lost this room's recent history; earlier chat is gone."

    def dump(self) -> tuple[ServerEvent, Payload]:
        reset: Payload = {
            "room": self.room_id,
            "message": self.message,
            "you": self.you,
            "snapshot": self.snapshot,
        }
        if self.moderation is not None:
            reset["moderation"] = self.moderation
        return ServerEvent.ROOM_RESET, reset


@dataclass(frozen=True, slots=True)
class ServerDraining:
    """This process is stopping (a deploy or a scale-down): reconnect, and another process
    takes over the same seat. ``retry_after_ms``: when this process stops answering."""

    retry_after_ms: int
    reason: str = "restarting"
    message: str = "The server is restarting; moving you to another one."

    def dump(self) -> tuple[ServerEvent, Payload]:
        return ServerEvent.SERVER_DRAINING, {
            "reason": self.reason,
            "message": self.message,
            "retry_after_ms": self.retry_after_ms,
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
        case MemberAway(seq=seq, member=member, until=until):
            away = {**room, "seq": seq, "participant": member.member_id, "until": until}
            return ServerEvent.PARTICIPANT_AWAY, away
        case MemberBack(seq=seq, member=member):
            return ServerEvent.PARTICIPANT_BACK, {
                **room,
                "seq": seq,
                "participant": member.member_id,
            }
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
        case SupportAsked(request=request):
            return support.dump_asked(room, request)
        case SupportSeen(request=request):
            return support.dump_seen(room, request)
        case PrivateMessage():
            return support.dump_private(room, event)
        case ScriptPinned(seq=seq, text=text):
            return ServerEvent.SCRIPT, {**room, "seq": seq, "script": text}
        case AttendanceConfirmed(by=by):
            return ServerEvent.ATTENDANCE_CONFIRMED, {**room, "by": by}
        case FloorChanged(seq=seq, member_id=member_id):
            return ServerEvent.FLOOR, {**room, "seq": seq, "participant": member_id}
        case RoundChanged(seq=seq, round=rnd, at=at):
            return ServerEvent.ROUND, {**room, "seq": seq, "round": dump_round(rnd), "at": at}
        case ShareWarning(seq=seq, share=share, member_id=member_id, ends_at=ends_at):
            warning = {"share": share, "participant": member_id, "ends_at": ends_at}
            return ServerEvent.ROUND_WARNING, {**room, "seq": seq, **warning}
        case ShareTimeUp(seq=seq, share=share, member_id=member_id, ends_at=ends_at, hard=hard):
            up = {"share": share, "participant": member_id, "ends_at": ends_at, "hard": hard}
            return ServerEvent.ROUND_TIME_UP, {**room, "seq": seq, **up}
        case ServiceChanged(seq=seq, service=service):
            return ServerEvent.SERVICE, {**room, "seq": seq, "service": dump_service(service)}


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
