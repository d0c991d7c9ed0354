"""The one error map: every refusal code, and what each edge of the server says for it.

A refusal is a ``rooms.errors.HearthError`` carrying a stable code: the rules' own
(``ErrorCode``) or the server's (``ServerCode``, below: the transport's refusals, which the
domain never raises). Each edge turns it into its own form here and nowhere else:

- a Socket.IO ack, ``{"ok": false, "error": {"code", "message"}}`` (``ack``), and the same
  detail on a refused connection (``connection_refused``);
- an admin API problem+json status (``http_status``);
- a media-RPC reply between processes and back (``rpc_reply``, ``from_rpc_reply``): a code
  this process does not know (another version) arrives as ``internal_error``;
- the ``hearth`` command's exit status (``exit_status``, sysexits.h values, so a script can
  tell "fix the input" from "try again later").

``tests/server/test_error_map.py`` fails when a code has no entry; ``docs/protocol.md``
lists every code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from http import HTTPStatus

import socketio

from rooms.errors import ErrorCode, HearthError
from server.wire.events import Payload


class ServerCode(StrEnum):
    """The server's own refusals: its transport, stores and media, not any room rule."""

    UNKNOWN_EVENT = "unknown_event"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    MEDIA_UNAVAILABLE = "media_unavailable"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    UNCONFIRMED = "unconfirmed"
    DRAINING = "draining"
    ATTENDANCE_OFF = "attendance_off"  # no signing key is configured
    INTERNAL = "internal_error"


Code = ErrorCode | ServerCode


class ServerError(HearthError):
    """A refusal by the server itself (not a rule of the room). Nothing was changed."""

    code: ServerCode = ServerCode.INTERNAL


class StoreUnavailable(ServerError):
    """The shared store cannot be reached; nothing was changed. Try again shortly."""

    code = ServerCode.UNAVAILABLE


class OutcomeUnknown(ServerError):
    """The store took the change but never said whether it applied it, and could not be
    asked in time: it may have. A repeat with the same op id returns what happened."""

    code = ServerCode.UNCONFIRMED


class Draining(ServerError):
    """This process is stopping and takes no new connections: connect again, and the load
    balancer sends you to another."""

    code = ServerCode.DRAINING


class NotOpenYet(HearthError):
    """A scheduled room, closed now, whose next meeting opens at ``opens_at`` (epoch ms):
    the ack says when, so a page can tell someone with an early invite link."""

    code = ErrorCode.ROOM_NOT_OPEN

    def __init__(self, message: str, opens_at: int) -> None:
        super().__init__(message)
        self.opens_at = opens_at


class Exit(IntEnum):
    """sysexits.h: what a script calling ``hearth`` can do about a refusal."""

    DATA = 65  # EX_DATAERR: the input is wrong; fix it
    NOT_FOUND = 66  # EX_NOINPUT: no such room or series
    INTERNAL = 70  # EX_SOFTWARE: a fault, logged
    CONFLICT = 73  # EX_CANTCREAT: it exists already, or is not in the state asked for
    TEMPORARY = 75  # EX_TEMPFAIL: try again shortly
    DENIED = 77  # EX_NOPERM: these credentials may not do it
    CONFIG = 78  # EX_CONFIG: the server is not configured for it


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the edges other than Socket.IO say for one code (every ack has one shape)."""

    http: HTTPStatus
    exit: Exit


_S = HTTPStatus
_OUTCOMES: dict[Code, Outcome] = {
    ErrorCode.INVALID_PAYLOAD: Outcome(_S.UNPROCESSABLE_ENTITY, Exit.DATA),
    ErrorCode.UNAUTHORIZED: Outcome(_S.UNAUTHORIZED, Exit.DENIED),
    ErrorCode.TOKEN_EXPIRED: Outcome(_S.UNAUTHORIZED, Exit.DENIED),
    ErrorCode.ROOM_NOT_FOUND: Outcome(_S.NOT_FOUND, Exit.NOT_FOUND),
    ErrorCode.SERIES_NOT_FOUND: Outcome(_S.NOT_FOUND, Exit.NOT_FOUND),
    ErrorCode.ALREADY_EXISTS: Outcome(_S.CONFLICT, Exit.CONFLICT),
    ErrorCode.ROOM_NOT_OPEN: Outcome(_S.CONFLICT, Exit.CONFLICT),
    ErrorCode.NOT_INVITED: Outcome(_S.FORBIDDEN, Exit.DENIED),
    ErrorCode.GUESTS_NOT_ALLOWED: Outcome(_S.FORBIDDEN, Exit.DENIED),
    ErrorCode.ROOM_FULL: Outcome(_S.CONFLICT, Exit.TEMPORARY),
    ErrorCode.ALREADY_IN_ROOM: Outcome(_S.CONFLICT, Exit.CONFLICT),
    ErrorCode.NOT_IN_ROOM: Outcome(_S.CONFLICT, Exit.CONFLICT),
    ErrorCode.CHAT_EMPTY: Outcome(_S.UNPROCESSABLE_ENTITY, Exit.DATA),
    ErrorCode.CHAT_TOO_LONG: Outcome(_S.UNPROCESSABLE_ENTITY, Exit.DATA),
    ErrorCode.NOT_A_FACILITATOR: Outcome(_S.FORBIDDEN, Exit.DENIED),
    ErrorCode.TARGET_NOT_IN_ROOM: Outcome(_S.NOT_FOUND, Exit.NOT_FOUND),
    ErrorCode.TARGET_PROTECTED: Outcome(_S.FORBIDDEN, Exit.DENIED),
    ErrorCode.CHAT_MUTED: Outcome(_S.FORBIDDEN, Exit.DENIED),
    ErrorCode.AUDIO_HELD: Outcome(_S.FORBIDDEN, Exit.DENIED),
    ErrorCode.ROOM_PAUSED: Outcome(_S.CONFLICT, Exit.TEMPORARY),
    ErrorCode.ROOM_LOCKED: Outcome(_S.LOCKED, Exit.DENIED),
    ErrorCode.BANNED: Outcome(_S.FORBIDDEN, Exit.DENIED),
    ErrorCode.NOT_WAITING: Outcome(_S.NOT_FOUND, Exit.NOT_FOUND),
    ErrorCode.MESSAGE_NOT_FOUND: Outcome(_S.NOT_FOUND, Exit.NOT_FOUND),
    ErrorCode.BAN_NOT_FOUND: Outcome(_S.NOT_FOUND, Exit.NOT_FOUND),
    # 400, not 422: an invite's name refused by the name rules has always answered 400.
    ErrorCode.NAME_NOT_ALLOWED: Outcome(_S.BAD_REQUEST, Exit.DATA),
    ErrorCode.RATE_LIMITED: Outcome(_S.TOO_MANY_REQUESTS, Exit.TEMPORARY),
    ErrorCode.AUDIO_DISABLED: Outcome(_S.CONFLICT, Exit.CONFLICT),
    ErrorCode.NO_SUPPORT_REQUEST: Outcome(_S.NOT_FOUND, Exit.NOT_FOUND),
    ErrorCode.PRIVATE_MESSAGES_OFF: Outcome(_S.FORBIDDEN, Exit.DENIED),
    ErrorCode.ATTENDANCE_TOO_SOON: Outcome(_S.CONFLICT, Exit.TEMPORARY),
    ServerCode.ATTENDANCE_OFF: Outcome(_S.SERVICE_UNAVAILABLE, Exit.CONFIG),
    ErrorCode.NO_ROUND: Outcome(_S.CONFLICT, Exit.CONFLICT),
    ErrorCode.ROUND_RUNNING: Outcome(_S.CONFLICT, Exit.CONFLICT),
    ErrorCode.ROUND_EMPTY: Outcome(_S.UNPROCESSABLE_ENTITY, Exit.DATA),
    ErrorCode.NOT_IN_ROUND: Outcome(_S.CONFLICT, Exit.CONFLICT),
    ErrorCode.SHARE_IN_PROGRESS: Outcome(_S.CONFLICT, Exit.TEMPORARY),
    ServerCode.UNKNOWN_EVENT: Outcome(_S.NOT_FOUND, Exit.DATA),
    ServerCode.TOO_MANY_CONNECTIONS: Outcome(_S.TOO_MANY_REQUESTS, Exit.TEMPORARY),
    ServerCode.MEDIA_UNAVAILABLE: Outcome(_S.SERVICE_UNAVAILABLE, Exit.TEMPORARY),
    ServerCode.BUSY: Outcome(_S.SERVICE_UNAVAILABLE, Exit.TEMPORARY),
    ServerCode.UNAVAILABLE: Outcome(_S.SERVICE_UNAVAILABLE, Exit.TEMPORARY),
    ServerCode.UNCONFIRMED: Outcome(_S.SERVICE_UNAVAILABLE, Exit.TEMPORARY),
    ServerCode.DRAINING: Outcome(_S.SERVICE_UNAVAILABLE, Exit.TEMPORARY),
    ServerCode.INTERNAL: Outcome(_S.INTERNAL_SERVER_ERROR, Exit.INTERNAL),
}
# Every code by its wire name; a name in both enums would make a reply ambiguous.
CODES: dict[str, Code] = {str(code): code for code in _OUTCOMES}

INTERNAL_MESSAGE = "something went wrong on our side"


def internal() -> ServerError:
    """What a client is told of an unexpected failure (logged with context, never shown)."""
    return ServerError(INTERNAL_MESSAGE, ServerCode.INTERNAL)


def outcome(code: object) -> Outcome:
    """The entry for ``code``; a code from outside both enums is an internal error."""
    found = CODES.get(str(code))
    return _OUTCOMES[found if found is not None else ServerCode.INTERNAL]


def _detail(error: HearthError) -> Payload:
    detail: Payload = {"code": str(error.code), "message": error.message}
    if isinstance(error, NotOpenYet):
        detail["opens_at"] = error.opens_at
    return detail


def ack(error: HearthError) -> Payload:
    """The Socket.IO ack of a refused event."""
    return {"ok": False, "error": _detail(error)}


def connection_refused(error: HearthError) -> socketio.exceptions.ConnectionRefusedError:
    """A refused connection: the client's ``connect_error`` carries the same detail."""
    return socketio.exceptions.ConnectionRefusedError(error.message, _detail(error))


def http_status(error: HearthError) -> int:
    return int(outcome(error.code).http)


def exit_status(error: HearthError) -> int:
    return int(outcome(error.code).exit)


def rpc_reply(error: HearthError) -> Payload:
    """The media host's reply to another process's request it refused."""
    return ack(error)


def from_rpc_reply(reply: Payload) -> HearthError:
    """The refusal in another process's reply, raised here as if it were ours."""
    detail = reply.get("error")
    detail = detail if isinstance(detail, dict) else {}
    code = CODES.get(str(detail.get("code")), ServerCode.INTERNAL)
    message = detail.get("message")
    return HearthError(message if isinstance(message, str) else "audio failed", code)
