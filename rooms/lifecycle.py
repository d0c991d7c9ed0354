"""A room's life around its meeting: the scheduled end, the warning before it, the close.

No policy of moderation applies to these (nobody is refused a scheduled end), so each is
the one public rule for its operation. Nothing here is announced but the warning and the
close: the scheduled end rides in snapshots.
"""

from __future__ import annotations

from dataclasses import replace

from rooms.change import Change, Recorder
from rooms.events import RoomClosed, RoomClosing
from rooms.state import RoomState


def schedule_end(state: RoomState, ends_at: int, starts_at: int | None = None) -> Change:
    """Record when a scheduled meeting ends (and starts, for attendance verifications), so
    everyone can see the time left. Nothing is announced: snapshots carry it, and
    ``room:closing`` warns before the end."""
    starts_at = state.starts_at if starts_at is None else starts_at
    if state.ends_at == ends_at and state.starts_at == starts_at:
        return Change(state)
    return Change(replace(state, ends_at=ends_at, starts_at=starts_at), quiet=True)


def warn_closing(state: RoomState, closes_at: int) -> Change:
    """Tell the room when it will close, so nobody is cut off mid-sentence."""
    rec = Recorder(state)
    rec.events.append(RoomClosing(rec.next_seq(), closes_at))
    return rec.done(replace(state, ends_at=closes_at))


def close(state: RoomState) -> Change:
    """The room closes: everyone's seat and all chat go with it."""
    rec = Recorder(state)
    rec.events.append(RoomClosed(rec.next_seq()))
    return rec.done(RoomState(state.room_id))
