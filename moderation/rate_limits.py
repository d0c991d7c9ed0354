"""Rate limits: how often one participant may chat, toggle a hand, react or report.

Each limit is a count per fixed window (``count`` actions per ``window_ms``), kept per
participant and per activity: a ``rooms.allowances.Allowance`` the store counts
atomically (one counter per window, on every process alike); this module names it and
words the refusal. Facilitators' moderation actions are never limited: a facilitator must
always be able to act. (What an address's people do together is limited too, on a
sliding window: ``server.socket.abuse``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rooms.allowances import Allowance
from rooms.errors import ErrorCode, Refused


class Activity(StrEnum):
    CHAT = "chat"
    HAND = "hand"
    REACTION = "reaction"
    REPORT = "report"
    AUDIO = "audio"  # frozen by a pause; not counted


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window_ms: int

    def __post_init__(self) -> None:
        if self.count < 1 or self.window_ms < 1:
            raise ValueError("a limit needs a positive count and window")


def allowance(room_id: str, member_id: str, activity: Activity, limit: Limit) -> Allowance:
    """Where one participant's actions of one kind are counted: per fixed window."""
    return Allowance(f"{room_id}:{member_id}:{activity}", limit.count, limit.window_ms)


def check(count: int, limit: Limit, activity: Activity) -> None:
    """Refuse the action that made ``count`` go over the limit."""
    if count > limit.count:
        seconds = max(1, limit.window_ms // 1000)
        raise Refused(
            f"slow down: at most {limit.count} {activity} actions every {seconds}s",
            ErrorCode.RATE_LIMITED,
        )
