"""The audit log: what facilitators did, to whom, when and why.

Every facilitator action yields one ``AuditEntry``: who acted, the action, its target and
an optional reason. An entry holds member ids and display names only: never the text of
a message, never an address. The server keeps a bounded, time-limited log per room (a
Redis stream) that facilitators and admins can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from rooms.change import Change
from rooms.errors import InvalidPayload
from rooms.state import Member, Waiting
from rooms.text import check_text

if TYPE_CHECKING:  # bans build on this module; only the type is needed here
    from moderation.bans import Ban

MAX_REASON = 200
DAY_MS = 24 * 3600 * 1000


class Action(StrEnum):
    PROMOTE = "promote"
    DEMOTE = "demote"
    MUTE = "mute"
    UNMUTE = "unmute"
    MUTE_ALL = "mute_all"
    UNMUTE_ALL = "unmute_all"
    PAUSE = "pause"
    RESUME = "resume"
    REMOVE = "remove"
    BAN = "ban"
    UNBAN = "unban"
    ADMIT = "admit"
    DENY = "deny"
    DELETE_MESSAGE = "delete_message"
    SETTINGS = "settings"
    SUPPORT_REQUEST = "support_request"  # someone asked for support (never what they wrote)
    SUPPORT_SEEN = "support_seen"
    CONFIRM_ATTENDANCE = "confirm_attendance"
    PIN_SCRIPT = "pin_script"  # never the text
    LOWER_HAND = "lower_hand"
    CALL_ON = "call_on"
    GIVE_SERVICE = "give_service"
    TAKE_SERVICE = "take_service"
    ROUND = "round"  # started, skipped, extended, moved, ended: the detail says which


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: int
    actor_id: str
    actor_name: str
    action: Action
    target_id: str | None = None
    target_name: str | None = None
    reason: str = ""
    detail: str = ""  # e.g. which mutes, which settings; never message text


@dataclass(frozen=True, slots=True)
class Moderated:
    """A facilitator's action: the room's change, the line it adds to the audit log, and
    the ban record it keeps or lifts. A store commits all of it in one step or none of
    it, so no action is ever taken without its line in the log."""

    change: Change
    entry: AuditEntry
    keeps: Ban | None = None  # a ban to keep beyond the room's session
    lifts: Ban | None = None  # a kept ban to lift, exactly as it was read


def clean_reason(raw: str) -> str:
    """One line of text (see ``rooms.text``), spaces collapsed, at most ``MAX_REASON``."""
    reason = " ".join(check_text(raw, "reason").split())
    if len(reason) > MAX_REASON:
        raise InvalidPayload(f"a reason is at most {MAX_REASON} characters")
    return reason


def entry(
    actor: Member,
    action: Action,
    now: int,
    target: Member | Waiting | None = None,
    *,
    reason: str = "",
    detail: str = "",
) -> AuditEntry:
    return AuditEntry(
        at=now,
        actor_id=actor.member_id,
        actor_name=actor.display_name,
        action=action,
        target_id=target.member_id if target else None,
        target_name=target.display_name if target else None,
        reason=reason,
        detail=detail,
    )
