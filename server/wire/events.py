"""Every Socket.IO event name, both ways: the names are the protocol's vocabulary.

The web client's names are checked against these enums (``tests/web/test_event_names.py``),
and ``docs/protocol.md`` documents each one (``tests/test_protocol_doc.py``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

Payload = dict[str, Any]  # a JSON object as python-socketio sends and receives it


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
    UNMUTE_ALL = "moderation:unmute-all"
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
    # The crisis path (``server.socket.support``).
    SUPPORT_REQUEST = "support:request"
    SUPPORT_ACKNOWLEDGE = "support:acknowledge"
    PRIVATE_SEND = "private:send"
    # Attendance verifications (``server.socket.attendance``).
    ATTENDANCE_REQUEST = "attendance:request"
    ATTENDANCE_CONFIRM = "attendance:confirm"
    # The meeting script and resources (``server.socket.script``).
    SCRIPT_PIN = "script:pin"
    RESOURCES = "room:resources"
    # The meeting (``server.socket.meeting``): hands and the floor, rounds, service roles.
    LOWER_HAND = "moderation:lower-hand"
    LOWER_HANDS = "moderation:lower-hands"
    CALL_ON = "moderation:call-on"
    FLOOR_RELEASE = "floor:release"
    GIVE_SERVICE = "moderation:give-service"
    TAKE_SERVICE = "moderation:take-service"
    ROUND_START = "round:start"
    ROUND_PASS = "round:pass"
    ROUND_SKIP = "round:skip"
    ROUND_EXTEND = "round:extend"
    ROUND_MOVE = "round:move"
    ROUND_END = "round:end"


class ServerEvent(StrEnum):
    """Events the server sends; room events carry the room's sequence number."""

    PARTICIPANT_JOINED = "participant:joined"
    PARTICIPANT_LEFT = "participant:left"
    PARTICIPANT_AWAY = "participant:away"
    PARTICIPANT_BACK = "participant:back"
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
    SCRIPT = "room:script"
    # No seq: the room's history here went back (Redis was rolled back); take a snapshot.
    ROOM_REWOUND = "room:rewound"
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
    # Private: Redis lost the room (an empty restart); it was opened again, fresh.
    ROOM_RESET = "room:reset"
    # To every connection of a process that is stopping: move to another one.
    SERVER_DRAINING = "server:draining"
    # Private, the crisis path: a request to the moderators present, its first
    # acknowledgement to the person and the moderators, a private message to its two people.
    SUPPORT_REQUESTED = "support:requested"
    SUPPORT_SEEN = "support:seen"
    PRIVATE_MESSAGE = "private:message"
    # Private, to one person: a facilitator confirmed their attendance.
    ATTENDANCE_CONFIRMED = "attendance:confirmed"
    # The meeting: who has the floor, the sharing round and its timer, service roles.
    FLOOR = "floor:changed"
    ROUND = "round:changed"
    ROUND_WARNING = "round:warning"
    ROUND_TIME_UP = "round:time-up"
    SERVICE = "service:changed"
