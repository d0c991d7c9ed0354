"""The time budget of the Redis store's operations (``HEARTH_REDIS_TIMEOUT_MS``).

**One budget per operation.** An operation's budget is the time it may wait on Redis
without an answer, and it is shared by everything it waits on from the moment it is asked
for: the room's lock (an earlier change of this process may be waiting on a stalled
Redis), its reads (a room not remembered, a refusal on what was remembered, a lost race)
and its commit, which may use all but the last ``LEARN_SHARE`` of it; that last part is
kept for learning an unanswered commit's outcome (``server.stores.redis_commit``). So in
a stall the answer, ``unavailable`` or ``unconfirmed``, comes within one budget of the
operation's start however many Redis calls it needed, never one budget per call.

The budget is Redis's: only waiting that went unanswered spends it. Time spent on calls
Redis answered, and time queued behind changes Redis answered (two hundred people joining
one room at once on a busy process, retries after lost races), is this process's own load
and is not refused for; behind a change that met a stall, a change has spent that much of
its budget already, and answers within the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from server.errors import StoreUnavailable
from server.stores.redis_access import LOST, UNREACHABLE

# Of a change's budget: what is kept at its end for learning an unanswered commit's
# outcome; the lock, the reads and the commit share the rest.
LEARN_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class Operation:
    """One store operation: when it was asked for, how long Redis calls had waited
    unanswered in all by then, and whether it commits (and so keeps time to learn)."""

    at: float
    unanswered_s: float
    committing: bool


class Budget:
    """The budget of one store's operations, and how long its Redis calls have waited in
    all before going unanswered (a store-wide sum: in a stall every call waits)."""

    def __init__(self, timeout_ms: int | None) -> None:
        self._budget_s = timeout_ms / 1000 if timeout_ms else None  # None: no budget
        self._unanswered_s = 0.0

    def start(self, *, committing: bool) -> Operation:
        return Operation(asyncio.get_running_loop().time(), self._unanswered_s, committing)

    def _spent(self, op: Operation) -> float:
        """What ``op`` has spent: the unanswered waiting since it was asked for (its own,
        and that of the changes it queued behind), never more than it has waited."""
        waited = asyncio.get_running_loop().time() - op.at
        return min(waited, self._unanswered_s - op.unanswered_s)

    def calls(self, op: Operation) -> asyncio.Timeout:
        """The time left for a read or the commit. Nothing is sent once it has run out:
        nothing may change after the operation has been answered."""
        if self._budget_s is None:
            return asyncio.timeout(None)
        left = self._budget_s * (1 - LEARN_SHARE if op.committing else 1) - self._spent(op)
        if left <= 0:
            raise StoreUnavailable(UNREACHABLE)
        return asyncio.timeout(left)

    def learning(self, op: Operation) -> asyncio.Timeout:
        """The time left for learning what an unanswered commit did."""
        if self._budget_s is None:
            return asyncio.timeout(None)
        return asyncio.timeout(max(0.0, self._budget_s - self._spent(op)))

    @contextlib.asynccontextmanager
    async def answered(self) -> AsyncIterator[None]:
        """Around one Redis call: how long it waited, should it go unanswered."""
        started = asyncio.get_running_loop().time()
        try:
            yield
        except LOST:
            self._unanswered_s += asyncio.get_running_loop().time() - started
            raise
