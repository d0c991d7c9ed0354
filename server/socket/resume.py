"""Resuming a room after a reconnect: the events a client missed, from the room's log.

A client that rejoins sends the last seq it saw (``room:join`` ``since``) and the
opening it saw it in (``opening``, from its join ack or snapshot). Each opening of a room
has its own id, made when the room opens: a room that closes and opens again counts seq
from 0 again, so a ``since`` from an earlier opening could name an event of the new one
and would be read against the wrong log. A rollback of Redis that a process notices
gives the room a new opening too (``RedisStore.rolled_back``, and the commit that finds
the older copy): the room's seq may pass the client's again over a history the client never
saw. Unless the opening matches the room's current one, the ack holds a snapshot, never
replayed events.

Its join is committed like any other; then the room's log (``rooms.ports.RoomLog``,
appended in the same atomic step as each change) is read from ``since + 1`` up to the
seq the join's commit left the room at. If that run is whole, the ack carries those
events, in order (less deleted messages, below), instead of a snapshot; every event
after the join's commit reaches the connection live (the no-gap argument of
``Seats.take``), and anything older that arrives live too is dropped by the client by
its seq. If the run is not whole (``since`` fell out of the log, or Redis was rolled
back past it), the ack holds a snapshot, as for a first join.

A deleted message's text never reaches a client again: the replay leaves out every
``chat:message`` whose message is no longer in the room's chat at the join's commit, or
whose ``chat:deleted`` is in the log read (it may be newer than the join's commit). Its
``chat:deleted`` stays, harmless to a client that never had the message (it is the
room's event at that seq, and a client that did hold the message drops it). So the
replayed seqs may skip a dropped message's: a client applies ``missed`` in order and then
takes the ack's ``seq`` (``docs/protocol.md``). The log holds framed bytes; the replay
decodes the few it serves anyway, which is where it reads the event names and ids.
"""

from __future__ import annotations

from rooms.ports import RoomLog
from rooms.state import RoomState
from server.socket.fanout import unframe
from server.wire import JoinRequest, Payload, ServerEvent


async def missed_by(log: RoomLog, request: JoinRequest, state: RoomState) -> list[Payload] | None:
    """What a rejoin missed up to ``state`` (its join's commit), or None when it needs a
    snapshot: it named no ``since``, or its ``since`` is of another opening."""
    if request.since is None or request.opening != state.opening:
        return None
    in_chat = {m.message_id for m in state.chat}
    return await missed_events(log, state.room_id, request.since, state.seq, in_chat)


async def missed_events(
    log: RoomLog, room_id: str, since: int, upto: int, in_chat: set[int]
) -> list[Payload] | None:
    """Every event after ``since`` up to ``upto`` as ``{"event", "data"}``, less each
    ``chat:message`` not ``in_chat`` or deleted in the log, or None when the log cannot
    give all of them (the client needs a snapshot)."""
    if since > upto:
        return None  # the client saw a history this room no longer has
    if since == upto:
        return []
    entries = await log.events_after(room_id, since)
    if [seq for seq, _ in entries if seq <= upto] != list(range(since + 1, upto + 1)):
        return None
    # Read past ``upto`` too: a deletion committed since the join still hides its message.
    events: list[Payload] = []
    for _, framed in entries:
        name, payload = unframe(framed)
        events.append({"event": name, "data": payload})
    deleted = {e["data"]["message"] for e in events if e["event"] == ServerEvent.CHAT_DELETED}
    kept = in_chat - deleted
    return [e for e in events if e["data"]["seq"] <= upto and _shown(e, kept)]


def _shown(event: Payload, kept: set[int]) -> bool:
    """Whether a replayed event may go out: anything but a message no longer kept."""
    return event["event"] != ServerEvent.CHAT_MESSAGE or event["data"]["message"]["id"] in kept
