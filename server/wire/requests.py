"""What clients send: one frozen value per event payload, parsed and checked here.

Each ``parse`` takes the raw payload python-socketio delivered (any JSON value, or none)
and returns the value or raises ``InvalidPayload``; handlers see only the values. A field
the event does not take is refused, so a typo is an error rather than silently ignored.

Every event that changes the room also takes an optional ``op``: an id the client chose
for this one operation (``_op``), reused when it sends the same operation again after a
timeout or a reconnect, so a repeat is answered as the first was and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moderation.audit import clean_reason
from moderation.bans import BanScope
from moderation.controls import NAMES as CONTROL_NAMES
from rooms.errors import InvalidPayload
from rooms.room import check_room_id
from rooms.state import Reaction
from rooms.text import check_text
from server.wire.events import Payload
from server.wire.limits import DEFAULT_AUDIT_ENTRIES, MAX_AUDIT_ENTRIES, MAX_ID, MAX_SDP_LENGTH

# 16 characters of a URL-safe alphabet are enough randomness for one member's operations;
# 64 hold a UUID with room to spare.
_OP = re.compile(r"[A-Za-z0-9_-]{16,64}")
# An opening's id as the server made it and sent it ('' for a room opened before ids).
_OPENING = re.compile(r"[A-Za-z0-9_-]{0,64}")


def _op(data: Payload) -> str | None:
    """The client's operation id, if it sent one."""
    if "op" not in data:
        return None
    value = data["op"]
    if not isinstance(value, str) or _OP.fullmatch(value) is None:
        raise InvalidPayload("'op' must be 16 to 64 letters, digits, '-' or '_'")
    return value


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
    """``room:join``, and ``room:info`` (which names a room the same way). ``since``: the
    last seq a rejoining client saw, to get the events after it instead of a snapshot;
    ``opening``: the opening of the room that seq belongs to, as the join ack or snapshot
    said (``server.socket.resume``)."""

    room: str
    since: int | None = None
    opening: str | None = None

    @classmethod
    def parse(cls, raw: object) -> JoinRequest:
        data = _mapping(raw, "room", "since", "opening")
        since = data.get("since")
        if since is not None and (
            not isinstance(since, int) or isinstance(since, bool) or not 0 <= since < 2**53
        ):
            raise InvalidPayload("since must be a whole number of at least 0")
        opening = data.get("opening")
        if opening is not None and (
            not isinstance(opening, str) or _OPENING.fullmatch(opening) is None
        ):
            raise InvalidPayload("'opening' must be the opening id the server sent")
        return cls(check_room_id(data.get("room")), since, opening)


@dataclass(frozen=True, slots=True)
class ChatRequest:
    text: str
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> ChatRequest:
        data = _mapping(raw, "text", "op")
        if isinstance(data.get("text"), str):
            # One newline convention, whichever system typed it.
            data = {**data, "text": data["text"].replace("\r\n", "\n")}
        return cls(_text(data, "text", newlines=True), _op(data))


@dataclass(frozen=True, slots=True)
class ReactionRequest:
    reaction: Reaction
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> ReactionRequest:
        data = _mapping(raw, "reaction", "op")
        value = _text(data, "reaction")
        try:
            return cls(Reaction(value), _op(data))
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
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> TargetRequest:
        data = _mapping(raw, "target", "reason", "op")
        return cls(_target(data), _reason(data), _op(data))


@dataclass(frozen=True, slots=True)
class MuteRequest:
    target: str
    chat: bool
    audio: bool
    reason: str = ""
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> MuteRequest:
        data = _mapping(raw, "target", "chat", "audio", "reason", "op")
        chat, audio = _flag(data, "chat"), _flag(data, "audio")
        if not (chat or audio):
            raise InvalidPayload("say which to change: 'chat', 'audio' or both")
        return cls(_target(data), chat, audio, _reason(data), _op(data))


@dataclass(frozen=True, slots=True)
class MuteAllRequest:
    """Mute everyone; ``allow_self_unmute`` unsaid (None): as the room's control says."""

    chat: bool
    audio: bool
    allow_self_unmute: bool | None
    reason: str = ""
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> MuteAllRequest:
        data = _mapping(raw, "chat", "audio", "allow_self_unmute", "reason", "op")
        chat, audio = _flag(data, "chat"), _flag(data, "audio", default=True)
        if not (chat or audio):
            raise InvalidPayload("say which to mute: 'chat', 'audio' or both")
        allow = _flag(data, "allow_self_unmute") if "allow_self_unmute" in data else None
        return cls(chat, audio, allow, _reason(data), _op(data))


@dataclass(frozen=True, slots=True)
class UnmuteAllRequest:
    """Ask everyone to unmute: chat lifted at once, microphones asked."""

    chat: bool
    audio: bool
    reason: str = ""
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> UnmuteAllRequest:
        data = _mapping(raw, "chat", "audio", "reason", "op")
        chat, audio = _flag(data, "chat"), _flag(data, "audio", default=True)
        if not (chat or audio):
            raise InvalidPayload("say which to unmute: 'chat', 'audio' or both")
        return cls(chat, audio, _reason(data), _op(data))


@dataclass(frozen=True, slots=True)
class ReasonRequest:
    """Pause or resume: an optional reason only."""

    reason: str = ""
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> ReasonRequest:
        data = _mapping(raw, "reason", "op")
        return cls(_reason(data), _op(data))


@dataclass(frozen=True, slots=True)
class BanRequest:
    target: str
    scope: BanScope
    reason: str = ""
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> BanRequest:
        data = _mapping(raw, "target", "scope", "reason", "op")
        scope = data.get("scope", "room")
        # Checked as a string first: a list or object here is not hashable.
        if not isinstance(scope, str) or scope not in {str(s) for s in BanScope}:
            raise InvalidPayload("'scope' is 'room' or 'series'")
        return cls(_target(data), BanScope(scope), _reason(data), _op(data))


@dataclass(frozen=True, slots=True)
class UnbanRequest:
    ban: str
    reason: str = ""
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> UnbanRequest:
        data = _mapping(raw, "ban", "reason", "op")
        return cls(_target(data, "ban"), _reason(data), _op(data))


@dataclass(frozen=True, slots=True)
class ControlsRequest:
    changes: tuple[tuple[str, bool], ...]
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> ControlsRequest:
        data = _mapping(raw, *CONTROL_NAMES, "op")
        names = sorted(key for key in data if key != "op")
        if not names:
            raise InvalidPayload(f"change some of: {', '.join(sorted(CONTROL_NAMES))}")
        return cls(tuple((key, _flag(data, key)) for key in names), _op(data))


@dataclass(frozen=True, slots=True)
class WaitingRequest:
    """Admit or deny one waiting person (``target``) or everyone (``all``)."""

    target: str | None
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> WaitingRequest:
        data = _mapping(raw, "target", "all", "op")
        everyone = _flag(data, "all")
        if everyone == ("target" in data):
            raise InvalidPayload("send either 'target' or 'all': true")
        return cls(None if everyone else _target(data), _op(data))


@dataclass(frozen=True, slots=True)
class DeleteMessageRequest:
    message: int
    reason: str = ""
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> DeleteMessageRequest:
        data = _mapping(raw, "message", "reason", "op")
        return cls(_message_id(data), _reason(data), _op(data))


@dataclass(frozen=True, slots=True)
class ReportRequest:
    message: int | None
    participant: str | None
    reason: str = ""
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> ReportRequest:
        data = _mapping(raw, "message", "participant", "reason", "op")
        if ("message" in data) == ("participant" in data):
            raise InvalidPayload("report either a 'message' or a 'participant'")
        if "message" in data:
            return cls(_message_id(data), None, _reason(data), _op(data))
        return cls(None, _target(data, "participant"), _reason(data), _op(data))


@dataclass(frozen=True, slots=True)
class AuditRequest:
    limit: int = DEFAULT_AUDIT_ENTRIES

    @classmethod
    def parse(cls, raw: object) -> AuditRequest:
        data = _mapping(raw, "limit")
        limit = data.get("limit", DEFAULT_AUDIT_ENTRIES)
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise InvalidPayload("'limit' must be a whole number")
        if not 1 <= limit <= MAX_AUDIT_ENTRIES:
            raise InvalidPayload(f"'limit' is between 1 and {MAX_AUDIT_ENTRIES}")
        return cls(limit)


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


@dataclass(frozen=True, slots=True)
class OpRequest:
    """An event that changes the room and takes nothing but its optional ``op``."""

    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> OpRequest:
        return cls(_op(_mapping(raw, "op")))


def expect_nothing(raw: object) -> None:
    """For events that take no fields: ``{}``, ``null`` or no payload at all."""
    _mapping(raw)
