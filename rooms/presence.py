"""One identity's time in a room this session, as ``rooms.attendance`` counts it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Presence:
    """One identity's time in the room this session."""

    member_id: str
    present_ms: int = 0  # the stretches that ended
    since: int | None = None  # present now, since then
    first_seen: int = 0
    first_seq: int = 0  # the room's seq just before they first took a seat this session
    confirmed_by: str | None = None  # the facilitator who confirmed their attendance

    def total_ms(self, now: int) -> int:
        return self.present_ms + (max(0, now - self.since) if self.since is not None else 0)
