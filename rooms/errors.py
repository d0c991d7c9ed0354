"""The errors a room can refuse with.

Every refusal carries a stable code: the rules' own are ``ErrorCode`` here; the server adds
the codes of its transport (an unknown event, a busy or unreachable store, the media host)
in ``server/errors.py``, which maps every code to each edge in one place. Codes are part of
the public protocol: never rename one.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_PAYLOAD = "invalid_payload"
    UNAUTHORIZED = "unauthorized"
    TOKEN_EXPIRED = "token_expired"
    ROOM_NOT_FOUND = "room_not_found"
    SERIES_NOT_FOUND = "series_not_found"
    ALREADY_EXISTS = "already_exists"
    ROOM_NOT_OPEN = "room_not_open"
    NOT_INVITED = "not_invited"
    GUESTS_NOT_ALLOWED = "guests_not_allowed"
    ROOM_FULL = "room_full"
    ALREADY_IN_ROOM = "already_in_room"
    NOT_IN_ROOM = "not_in_room"
    CHAT_EMPTY = "chat_empty"
    CHAT_TOO_LONG = "chat_too_long"
    NOT_A_FACILITATOR = "not_a_facilitator"
    TARGET_NOT_IN_ROOM = "target_not_in_room"
    TARGET_PROTECTED = "target_protected"
    CHAT_MUTED = "chat_muted"
    AUDIO_HELD = "audio_held"
    ROOM_PAUSED = "room_paused"
    ROOM_LOCKED = "room_locked"
    BANNED = "banned"
    NOT_WAITING = "not_waiting"
    MESSAGE_NOT_FOUND = "message_not_found"
    BAN_NOT_FOUND = "ban_not_found"
    NAME_NOT_ALLOWED = "name_not_allowed"
    RATE_LIMITED = "rate_limited"
    AUDIO_DISABLED = "audio_disabled"
    NO_SUPPORT_REQUEST = "no_support_request"
    PRIVATE_MESSAGES_OFF = "private_messages_off"
    ATTENDANCE_TOO_SOON = "attendance_too_soon"
    NO_ROUND = "no_round"
    ROUND_RUNNING = "round_running"
    ROUND_EMPTY = "round_empty"
    NOT_IN_ROUND = "not_in_round"
    SHARE_IN_PROGRESS = "share_in_progress"


class HearthError(Exception):
    """A refusal the client is told about. Nothing was changed.

    ``code`` is an ``ErrorCode`` for every refusal the rules make; it is typed as any
    ``StrEnum`` so the server's own refusals (``server.errors.ServerCode``) share the one
    hierarchy without the domain naming them."""

    code: StrEnum

    def __init__(self, message: str, code: StrEnum | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        elif not hasattr(self, "code"):
            raise TypeError(f"{type(self).__name__} needs a code")


class InvalidPayload(HearthError):
    code = ErrorCode.INVALID_PAYLOAD


class Unauthorized(HearthError):
    code = ErrorCode.UNAUTHORIZED


class RoomNotFound(HearthError):
    code = ErrorCode.ROOM_NOT_FOUND


class Refused(HearthError):
    """A rule of the room says no (full, not invited, not in the room, ...)."""


class NotInRoom(Refused):
    """The connection holds no seat in the room it acts on."""

    code = ErrorCode.NOT_IN_ROOM

    def __init__(self, message: str = "you are not in this room") -> None:
        super().__init__(message)
