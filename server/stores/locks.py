"""Per-room locks that exist only while someone holds or waits for them.

A ``defaultdict(asyncio.Lock)`` keeps one lock for every room id it was ever asked about,
including ids of rooms that do not exist: a stream of refused joins grew it without end.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holding or waiting


class RoomLocks:
    """``async with locks[room_id]:`` — one writer per room in this process."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __getitem__(self, room_id: str) -> _RoomLock:
        return _RoomLock(self, room_id)

    def __len__(self) -> int:
        return len(self._entries)

    def _enter(self, room_id: str) -> _Entry:
        entry = self._entries.get(room_id)
        if entry is None:
            entry = self._entries[room_id] = _Entry()
        entry.users += 1
        return entry

    def _leave(self, room_id: str, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._entries[room_id]


class _RoomLock:
    __slots__ = ("_entry", "_locks", "_room_id")

    def __init__(self, locks: RoomLocks, room_id: str) -> None:
        self._locks = locks
        self._room_id = room_id
        self._entry: _Entry | None = None

    async def __aenter__(self) -> None:
        entry = self._locks._enter(self._room_id)
        try:
            await entry.lock.acquire()
        except BaseException:
            self._locks._leave(self._room_id, entry)
            raise
        self._entry = entry

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        entry = self._entry
        assert entry is not None
        entry.lock.release()
        self._locks._leave(self._room_id, entry)
