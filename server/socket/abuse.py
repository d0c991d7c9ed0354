"""Limits that keep one address, or one connection, from wearing a room or a process down.

Per address (an HMAC tag, never the address): how many connections it holds on this
process, how many joins it attempts and how often its people chat, react, raise hands and
report, counted in the store so every process shares one count, over a sliding window
(``rooms.allowances``): a flood gets its allowance evenly, not all of it at each window's
start. Per connection: how many
``rate_limited`` refusals it ignored in one window: from the second, its refusals are
answered only after ``HEARTH_REFUSAL_DELAY_MS`` (a script awaiting its acks can then ask
about once a second, not hundreds of times), and one that keeps sending is ended and its
address refused for the rest of the window. An address ended again within a window of
its block's end is blocked twice as long each time, up to ``HEARTH_MAX_BLOCK_WINDOWS``
windows: a flood that comes back at every window's start would otherwise cost the burst
of a fresh window every window. Allowances this process has seen full are remembered
for as long as the store said (``KnownOverLimit``), so a flood's refusals cost a dict
lookup, not a store round trip. Facilitators and admins are never limited: they must
always be able to reach and keep a room safe.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

from moderation import rate_limits
from moderation.rate_limits import Activity, check
from rooms.allowances import Allowance
from rooms.errors import ErrorCode, Refused
from rooms.identity import Identity
from rooms.ports import Counters
from server import tokens
from server.errors import ServerCode, ServerError
from server.ops import metrics
from server.settings import Settings
from server.socket.addresses import KnownOverLimit, address_allowance

_MAX_OFFENDERS = 10_000


def unlimited(identity: Identity) -> bool:
    """Facilitators and admins must always be able to reach and keep a room safe."""
    return identity.role.keeps_room_safe


class AbuseLimits:
    def __init__(self, settings: Settings, store: Counters, clock: Callable[[], int]) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock  # epoch ms
        self._connections: Counter[str] = Counter()  # per address tag, on this process
        self._over = KnownOverLimit()
        # Per connection: (window, rate_limited refusals in it), to end connections that
        # keep sending after being told to slow down.
        self._strikes: dict[str, tuple[int, int]] = {}
        # Per address ended: (when its block ends, how many blocks in a row), to lengthen
        # the block of an address that comes back for more. Bounded like ``_over``.
        self._offences: dict[str, tuple[int, int]] = {}

    def blocked_for(self, address: str, now: int) -> int:
        """How long (ms) this process refuses new connections from an address over a
        limit: one over its join attempts (a new connection could not join anyway) or that
        had a connection ended for ignoring refusals, until its block ends; 0 if not.
        A dict lookup: the handshake gate (``server.socket.gate``) asks it of every handshake."""
        joins = address_allowance(address, "join", self.settings.join_limit)
        return max(self._over.left(joins.key, now), self._over.left(self._ended(address), now))

    def connect(self, identity: Identity, address: str) -> None:
        """Count a new connection from ``address``, or refuse it in-process when the
        address is over a limit (its handshake passed the gate before it was blocked).
        Synchronous: two connects cannot both take the last place."""
        if unlimited(identity):
            return
        if self.blocked_for(address, self.clock()):
            metrics.RATE_LIMITED.labels("connection").inc()
            raise Refused(
                "too many requests from your network; wait a few seconds", ErrorCode.RATE_LIMITED
            )
        if self._connections[address] >= self.settings.connections_per_address:
            metrics.RATE_LIMITED.labels("connection").inc()
            raise ServerError(
                "too many connections from your network; close some and try again",
                ServerCode.TOO_MANY_CONNECTIONS,
            )
        self._connections[address] += 1

    def forget(self, sid: str) -> None:
        """Forget a closed connection's strikes."""
        self._strikes.pop(sid, None)

    def disconnect(self, identity: Identity, address: str) -> None:
        """Give back a signed-in connection's place."""
        if unlimited(identity):
            return
        self._connections[address] -= 1
        if self._connections[address] <= 0:
            del self._connections[address]

    @staticmethod
    def _ended(address: str) -> str:
        # One key for every window: a lengthened block outlasts the window it began in.
        return f"@address:{address}:ended"

    def _offend(self, address: str, now: int) -> None:
        """Block ``address`` to the end of this window, or, when its last block ended less
        than a window ago, for twice as many windows as that one (up to the cap)."""
        window_ms = self.settings.rate_window_ms
        until, blocks = self._offences.get(address, (0, 0))
        blocks = blocks + 1 if now <= until + window_ms else 1
        windows = min(2 ** (blocks - 1), self.settings.max_block_windows)
        block_ms = (now // window_ms + windows) * window_ms - now
        if address not in self._offences and len(self._offences) >= _MAX_OFFENDERS:
            self._offences = {a: o for a, o in self._offences.items() if o[0] + window_ms > now}
            while len(self._offences) >= _MAX_OFFENDERS:
                del self._offences[next(iter(self._offences))]
        self._offences[address] = (now + block_ms, blocks)
        self._over.remember(self._ended(address), now, block_ms)

    def hold_ms(self, sid: str) -> int:
        """How long to hold back this connection's latest refusal: from its second in one
        window (the first is answered at once, so a person who typed too fast learns it
        at once)."""
        _, strikes = self._strikes.get(sid, (0, 0))
        return self.settings.refusal_delay_ms if strikes >= 2 else 0

    def strike(self, sid: str, address: str) -> bool:
        """Count a ``rate_limited`` refusal; True when the connection was refused more than
        ``refusals_before_disconnect`` times in one window and must be ended. Its address
        may then not connect again until the window ends."""
        now = self.clock()
        window = now // self.settings.rate_window_ms
        seen, strikes = self._strikes.get(sid, (window, 0))
        strikes = strikes + 1 if seen == window else 1
        self._strikes[sid] = (window, strikes)
        if strikes <= self.settings.refusals_before_disconnect:
            return False
        self._offend(address, now)
        return True

    def count_join(self, identity: Identity, address: str) -> Coroutine[Any, Any, None] | None:
        """Join attempts per address (every process alike): refused joins cost reads, so
        one address may not make them without end. Refused here, before anything is sent,
        while this process knows the address is over; else the count in the store, for
        the join to await together with its first read (``Seats.take``): None for those
        never limited."""
        if unlimited(identity):
            return None
        now = self.clock()
        place = address_allowance(address, "join", self.settings.join_limit)
        if self._over.known(place.key, now):
            metrics.RATE_LIMITED.labels("join").inc()
            raise Refused(
                "too many joins from your network; wait a few seconds", ErrorCode.RATE_LIMITED
            )
        return self._take_join(place, now)

    async def _take_join(self, place: Allowance, now: int) -> None:
        (wait_ms,) = await self.store.take([place], now)
        if wait_ms:
            self._over.remember(place.key, now, wait_ms)
            metrics.RATE_LIMITED.labels("join").inc()
            raise Refused(
                "too many joins from your network; wait a few seconds", ErrorCode.RATE_LIMITED
            )

    async def limit(
        self, identity: Identity, address: str, room_id: str, activity: Activity
    ) -> None:
        try:
            await self._count(identity, address, room_id, activity)
        except Refused:
            metrics.RATE_LIMITED.labels(activity).inc()
            raise

    async def _count(
        self, identity: Identity, address: str, room_id: str, activity: Activity
    ) -> None:
        """Count one ``activity`` of this participant and of their address (so many
        keyless guests from one address share a limit too), in one store round trip;
        refused beyond either (and then counted in neither), and without the round trip
        while this process knows either is full."""
        if unlimited(identity):
            return
        now = self.clock()
        limit = self.settings.limit(activity)
        shared = self.settings.address_limit(activity)
        member_id = tokens.member_id(self.settings, room_id, identity.subject)
        mine = rate_limits.allowance(room_id, member_id, activity, limit)
        ours = address_allowance(address, str(activity), shared)
        places = ((mine, limit), (ours, shared))
        for place, bound in places:
            if self._over.known(place.key, now):
                check(bound.count + 1, bound, activity)
        waits = await self.store.take([mine, ours], now)
        for wait_ms, (place, bound) in zip(waits, places, strict=True):
            if wait_ms:
                self._over.remember(place.key, now, wait_ms)
                check(bound.count + 1, bound, activity)
