"""The crisis path's part of the wire: what clients send for support requests and private
messages, and the JSON of requests, private messages and resources.

Private messages and requests are private events: they go to their few connections only,
carry no ``seq`` and are never in the room's log (``server.app.log_entry``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms.resources import Resource
from rooms.support import PrivateMessage, SupportRequest
from server.wire.events import Payload, ServerEvent
from server.wire.requests import _mapping, _op, _target, _text


@dataclass(frozen=True, slots=True)
class SupportSeenRequest:
    """``support:acknowledge``: a moderator has seen ``target``'s request."""

    target: str
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> SupportSeenRequest:
        data = _mapping(raw, "target", "op")
        return cls(_target(data), _op(data))


@dataclass(frozen=True, slots=True)
class PrivateRequest:
    """``private:send``: a private message to the member ``to``."""

    to: str
    text: str
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> PrivateRequest:
        data = _mapping(raw, "to", "text", "op")
        if isinstance(data.get("text"), str):
            data = {**data, "text": data["text"].replace("\r\n", "\n")}
        return cls(_target(data, "to"), _text(data, "text", newlines=True), _op(data))


def dump_resource(resource: Resource) -> Payload:
    return {
        "title": resource.title,
        "category": str(resource.category),
        "description": resource.description,
        "link": resource.link,
        "phone": resource.phone,
        "language": resource.language,
    }


def dump_request(request: SupportRequest) -> Payload:
    seen = None
    if request.seen_by_id is not None:
        seen = {"id": request.seen_by_id, "name": request.seen_by_name, "at": request.seen_at}
    return {
        "participant": {"id": request.member_id, "name": request.member_name},
        "asked_at": request.asked_at,
        "seen_by": seen,
    }


def dump_asked(room: Payload, request: SupportRequest) -> tuple[ServerEvent, Payload]:
    return ServerEvent.SUPPORT_REQUESTED, {**room, **dump_request(request)}


def dump_seen(room: Payload, request: SupportRequest) -> tuple[ServerEvent, Payload]:
    return ServerEvent.SUPPORT_SEEN, {**room, **dump_request(request)}


def dump_private(room: Payload, message: PrivateMessage) -> tuple[ServerEvent, Payload]:
    return ServerEvent.PRIVATE_MESSAGE, {
        **room,
        "from": {"id": message.from_id, "name": message.from_name},
        "to": message.to_id,
        "text": message.text,
        "sent_at": message.sent_at,
    }
