"""Resuming a room after a reconnect: the events a client missed, from the room's log.

A client that rejoins sends the last seq it saw (``room:join`` ``since``) and the
opening it saw it in (``opening``, from its join ack or snapshot). Each opening of a room
has its own id, made when the room opens: a room that closes and opens again counts seq
from 0 again, so a ``since`` from an earlier opening could name an event of the new one
and would be read against the wrong log. Unless the opening matches the room's current
one, the ack holds a snapshot, never replayed events.

Its join is committed like any other; then the room's log (``rooms.ports.RoomLog``,
appended in the same atomic step as each change) is read from ``since + 1`` up to the
seq the join's commit left the room at. If that run is whole, the ack carries exactly
those events, in order, instead of a snapshot; every event after the join's commit
reaches the connection live (the no-gap argument of ``Seats.take``), and anything older
that arrives live too is dropped by the client by its seq. If the run is not whole
(``since`` fell out of the log, or Redis was rolled back past it), the ack holds a
snapshot, as for a first join.
"""

from __future__ import annotations

from rooms.ports import RoomLog
from rooms.state import RoomState
from server.socket.fanout import unframe
from server.wire import JoinRequest, Payload


async def missed_by(log: RoomLog, request: JoinRequest, state: RoomState) -> list[Payload] | None:
    """What a rejoin missed up to ``state`` (its join's commit), or None when it needs a
    snapshot: it named no ``since``, or its ``since`` is of another opening."""
    if request.since is None or request.opening != state.opening:
        return None
    return await missed_events(log, state.room_id, request.since, state.seq)


async def missed_events(log: RoomLog, room_id: str, since: int, upto: int) -> list[Payload] | None:
    """Every event after ``since`` up to ``upto`` as ``{"event", "data"}``, or None when
    the log cannot give all of them (the client needs a snapshot)."""
    if since > upto:
        return None  # the client saw a history this room no longer has
    if since == upto:
        return []
    entries = await log.events_after(room_id, since)
    wanted = [(seq, framed) for seq, framed in entries if seq <= upto]
    if [seq for seq, _ in wanted] != list(range(since + 1, upto + 1)):
        return None
    events = []
    for _, framed in wanted:
        name, payload = unframe(framed)
        events.append({"event": name, "data": payload})
    return events
