"""Seats kept away for their people to come back, and the sweep that frees them after.

A connection that drops without ``room:leave`` leaves its seat *away* for the away grace
(``HEARTH_AWAY_GRACE_MS``): the hub marks it on disconnect (through the releases queue,
so a Redis stall leaves no ghost), a reaper marks every seat of a silent process. The
process that marked a seat away keeps the room on its roll (a claim per away seat) and
sweeps it once the deadline passes: ``moderation.admission.leave_overdue`` frees every
seat whose deadline passed. The rule is idempotent and reads only the state and ``now``,
so no claim between processes is needed: two sweeps at once free a seat once.

Should the marking process die before the deadline, its roll still names the room, so
the process that reaps it finds the away seats (held through the dead process), keeps
their deadlines and sweeps them itself.
"""

from __future__ import annotations

import logging

from moderation import admission
from rooms.change import Change
from rooms.clock import Clock
from rooms.errors import RoomNotFound
from rooms.ports import RoomStates
from rooms.roll import seats_held_through
from rooms.state import RoomState
from server.socket.claims import RoomClaims

log = logging.getLogger(__name__)


class AwaySeats:
    """The away seats this process marked, by room: when each one's grace ends."""

    def __init__(self, store: RoomStates, claims: RoomClaims, clock: Clock, grace_ms: int) -> None:
        self.store = store
        self.claims = claims
        self.clock = clock
        self.grace_ms = grace_ms
        self._rooms: dict[str, dict[str, int]] = {}  # room id -> sid -> away until (ms)

    def deadline(self) -> int:
        """Until when a seat that drops now is kept."""
        return self.clock.ms() + self.grace_ms

    def kept(self) -> int:
        """How many seats this process keeps away now."""
        return sum(len(seats) for seats in self._rooms.values())

    def note(self, room_id: str, sid: str, until: int) -> None:
        """The seat ``sid`` held is away until ``until``: sweep it then. The caller has
        claimed the room for ``sid``; the claim stays until the seat leaves or is back."""
        self._rooms.setdefault(room_id, {})[sid] = until

    async def take_over(self, room_id: str, process_id: str) -> Change:
        """A silent process's seats in the room go away (their deadlines kept if they
        already were); this process sweeps them from now on."""
        placeholder = f"reaping:{process_id}"
        self.claims.claim(room_id, placeholder)
        try:
            await self.claims.hold(room_id)
            now = self.clock.ms()
            until = now + self.grace_ms
            change = await self.store.apply(
                room_id, lambda state, _: admission.drop_process(state, process_id, until, now)
            )
            for member in seats_held_through(change.state, process_id):
                if member.away_until is not None:
                    self.claims.claim(room_id, member.connection.sid)
                    self.note(room_id, member.connection.sid, member.away_until)
            return change
        finally:
            self.claims.unclaim(room_id, placeholder)

    async def sweep(self) -> None:
        """Free the seats whose grace has ended, in every room where one has."""
        now = self.clock.ms()
        for room_id, seats in list(self._rooms.items()):
            if min(seats.values()) > now:
                continue
            try:
                change = await self.store.apply(
                    room_id, lambda state, _: admission.leave_overdue(state, now)
                )
            except RoomNotFound:
                self._settle(room_id, None)
                continue
            if change.events:
                log.info("a seat left after its away grace")
            self._settle(room_id, change.state)

    def _settle(self, room_id: str, state: RoomState | None) -> None:
        """Forget (and unclaim) the seats that are no longer away in the room."""
        seats = self._rooms.get(room_id, {})
        for sid in list(seats):
            member = state.member_by_sid(sid) if state is not None else None
            if member is None or not member.away:
                del seats[sid]
                self.claims.unclaim(room_id, sid)
        if not seats:
            self._rooms.pop(room_id, None)
