"""The wire contract, written once: raw dicts stop here.

- ``events``: every Socket.IO event name, client to server and server to client;
- ``requests``: one frozen value per client payload, with its ``parse``;
- ``values``: the JSON form of each domain value (participant, message, room, snapshot);
- ``meeting``: the floor, sharing rounds and service roles (requests and values);
- ``broadcasts``: each room event and connection notice the server sends, with its dump;
- ``limits``: the bounds the Socket.IO payloads and the admin API share.

Refusals are not here: ``server/errors.py`` maps every code to every edge.
``docs/protocol.md`` is the human copy; tests fail when the two disagree.
"""

from __future__ import annotations

from server.wire.broadcasts import (
    AudioReconnect,
    RoomReset,
    ServerDraining,
    SessionEnded,
    SessionReplaced,
    dump_event,
    recipients,
)
from server.wire.events import ClientEvent, Payload, ServerEvent
from server.wire.limits import MAX_AUDIT_ENTRIES
from server.wire.meeting import (
    ExtendRequest,
    MoveRequest,
    RoundStartRequest,
    ServiceRequest,
    dump_round,
    dump_service,
)
from server.wire.requests import (
    AudioOffer,
    AuditRequest,
    BanRequest,
    ChatRequest,
    ControlsRequest,
    DeleteMessageRequest,
    JoinRequest,
    MuteAllRequest,
    MuteRequest,
    OpRequest,
    ReactionRequest,
    ReasonRequest,
    ReportRequest,
    TargetRequest,
    UnbanRequest,
    UnmuteAllRequest,
    WaitingRequest,
    expect_nothing,
)
from server.wire.values import (
    dump_answer,
    dump_audio,
    dump_audit,
    dump_ban,
    dump_ice_servers,
    dump_member,
    dump_message,
    dump_moderation,
    dump_mutes,
    dump_room,
    dump_snapshot,
    dump_waiting,
    dump_waiting_place,
    ok,
)

__all__ = [
    "MAX_AUDIT_ENTRIES",
    "AudioOffer",
    "AudioReconnect",
    "AuditRequest",
    "BanRequest",
    "ChatRequest",
    "ClientEvent",
    "ControlsRequest",
    "DeleteMessageRequest",
    "ExtendRequest",
    "JoinRequest",
    "MoveRequest",
    "MuteAllRequest",
    "MuteRequest",
    "OpRequest",
    "Payload",
    "ReactionRequest",
    "ReasonRequest",
    "ReportRequest",
    "RoomReset",
    "RoundStartRequest",
    "ServerDraining",
    "ServerEvent",
    "ServiceRequest",
    "SessionEnded",
    "SessionReplaced",
    "TargetRequest",
    "UnbanRequest",
    "UnmuteAllRequest",
    "WaitingRequest",
    "dump_answer",
    "dump_audio",
    "dump_audit",
    "dump_ban",
    "dump_event",
    "dump_ice_servers",
    "dump_member",
    "dump_message",
    "dump_moderation",
    "dump_mutes",
    "dump_room",
    "dump_round",
    "dump_service",
    "dump_snapshot",
    "dump_waiting",
    "dump_waiting_place",
    "expect_nothing",
    "ok",
    "recipients",
]
