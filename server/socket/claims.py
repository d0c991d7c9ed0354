"""This process's part of the process roll: which rooms it tells the store it seats people
in, and which of its connections hold (or are taking) a seat or a place in each.

A room is held before its first seat here is taken, so a reaper always finds every seat
of ours if this process dies (``server.jobs.presence``), and dropped by ``settle`` once
nobody here claims it: the last seat left, or every join was refused. Holds and drops go
to the store one at a time, so a drop never overtakes a hold.
"""

from __future__ import annotations

import asyncio

from rooms.ports import ProcessRoll


class RoomClaims:
    def __init__(self, store: ProcessRoll, process_id: str) -> None:
        self.store = store
        self.process_id = process_id
        self._claims: dict[str, set[str]] = {}  # room id -> connections here that claim it
        self._held: set[str] = set()  # rooms on the roll for this process
        self._roll = asyncio.Lock()

    def claim(self, room_id: str, sid: str) -> None:
        self._claims.setdefault(room_id, set()).add(sid)

    def unclaim(self, room_id: str, sid: str) -> None:
        claims = self._claims.get(room_id)
        if claims is not None:
            claims.discard(sid)
            if not claims:
                del self._claims[room_id]

    def holds(self, room_id: str) -> bool:
        """Whether the room is on this process's roll already (no I/O)."""
        return room_id in self._held

    async def hold(self, room_id: str) -> None:
        """Put the room on this process's roll before its first seat here is taken."""
        if room_id in self._held:
            return
        async with self._roll:
            if room_id not in self._held and room_id in self._claims:
                await self.store.hold(self.process_id, room_id)
                self._held.add(room_id)

    def forget_holds(self) -> None:
        """The store lost the roll (an empty restart): every room is held afresh, by the
        next seat taken in it."""
        self._held.clear()

    async def settle(self) -> None:
        """Take off the roll each room where nobody here holds or is taking a seat. Runs
        with the heartbeat."""
        for room_id in sorted(self._held - set(self._claims)):
            async with self._roll:
                if room_id in self._held and room_id not in self._claims:
                    await self.store.drop_hold(self.process_id, room_id)
                    self._held.discard(room_id)
