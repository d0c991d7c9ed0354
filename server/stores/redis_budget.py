"""The time budget of the Redis store's operations (``HEARTH_REDIS_TIMEOUT_MS``).

**One deadline per operation.** A change has one budget from the moment it is asked for,
shared by everything it waits on: the room's lock (an earlier change of this process may
be waiting on a stalled Redis), its reads (a room not remembered, a refusal on what was
remembered, a lost race), the backoffs and the commit, which must all be done by the last
``LEARN_SHARE`` of it; that last part is kept for learning an unanswered commit's outcome
(``server.stores.redis_commit``). So the answer, ``unavailable`` or ``unconfirmed``
included, comes within the budget however many Redis calls the change needed, never one
budget per call.

The budget is Redis's. Time a change spends queued behind this process's other changes to
the room counts against it only as far as they spent it waiting on Redis calls that then
went unanswered: behind changes Redis answered (two hundred people joining one room at
once, on a busy process), a change's budget starts when its turn comes; behind a change
that met a stall, it has used up that much of its budget already, and answers within it.
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
class Deadline:
    """One operation's deadline, shared by every Redis call it makes, on the event loop's
    monotonic clock: its reads and commit end by ``commit_by``, learning what an
    unanswered commit did by ``answer_by``. None: no budget (a test's store)."""

    commit_by: float | None
    answer_by: float | None

    def calls(self) -> asyncio.Timeout:
        """The time left for a read or the commit. Nothing is sent once it has run out:
        nothing may change after the operation has been answered."""
        if self.commit_by is not None and asyncio.get_running_loop().time() >= self.commit_by:
            raise StoreUnavailable(UNREACHABLE)
        return asyncio.timeout_at(self.commit_by)

    def learning(self) -> asyncio.Timeout:
        return asyncio.timeout_at(self.answer_by)


@dataclass(frozen=True, slots=True)
class Asked:
    """When a change was asked for, and how long Redis calls had gone unanswered by then."""

    at: float
    unanswered_s: float


class Budget:
    """Deadlines for one store's operations, and how long its Redis calls have waited in
    all before going unanswered."""

    def __init__(self, timeout_ms: int | None) -> None:
        self._budget_s = timeout_ms / 1000 if timeout_ms else None
        self._unanswered_s = 0.0

    def deadline(self, *, committing: bool) -> Deadline:
        """The deadline of an operation starting now: a read alone may take the whole
        budget, a change keeps its end for learning."""
        return self._from(asyncio.get_running_loop().time(), committing=committing)

    def asked(self) -> Asked:
        return Asked(asyncio.get_running_loop().time(), self._unanswered_s)

    def turn(self, asked: Asked) -> Deadline:
        """A change's deadline once its turn has come: its wait counts only as far as the
        changes ahead of it spent it on Redis calls that went unanswered (every process's
        call in a stall: a store-wide sum, never more than the wait itself)."""
        now = asyncio.get_running_loop().time()
        spent = min(now - asked.at, self._unanswered_s - asked.unanswered_s)
        return self._from(now - spent, committing=True)

    def _from(self, start: float, *, committing: bool) -> Deadline:
        if self._budget_s is None:
            return Deadline(None, None)
        answer_by = start + self._budget_s
        commit_by = answer_by - self._budget_s * LEARN_SHARE if committing else answer_by
        return Deadline(commit_by, answer_by)

    @contextlib.asynccontextmanager
    async def answered(self) -> AsyncIterator[None]:
        """Around one Redis call: how long it waited, should it go unanswered."""
        started = asyncio.get_running_loop().time()
        try:
            yield
        except LOST:
            self._unanswered_s += asyncio.get_running_loop().time() - started
            raise
