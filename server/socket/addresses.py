"""Client addresses, for limits per address, never kept or logged in clear.

The address is the TCP peer, or behind a trusted reverse proxy (``HEARTH_TRUST_PROXY``)
the rightmost X-Forwarded-For hop: the one our own proxy appended, which the client
cannot forge (hops to its left are whatever the client sent). Counters are keyed by an
HMAC of the address with the server's secret, so Redis holds no address and two
deployments' tags for one address differ.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter as Tally
from typing import Any

from aiohttp import web

from moderation.rate_limits import Limit
from rooms.allowances import Allowance
from server.settings import Settings

UNKNOWN = "unknown"  # a peer aiohttp could not name (a UNIX socket); all share one tag


def client_address(request: web.BaseRequest, trust_proxy: bool) -> str:
    if trust_proxy:
        # Several X-Forwarded-For headers read as one list; the proxy's hop is last.
        hops = ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")
        if hops[-1].strip():
            return hops[-1].strip()
    return request.remote or UNKNOWN


def request_tag(settings: Settings, request: web.BaseRequest) -> str:
    """The tag of the address an HTTP request came from."""
    address = client_address(request, settings.trust_proxy)
    digest = hmac.new(settings.secret.encode(), b"address:" + address.encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


def address_tag(settings: Settings, environ: dict[str, Any]) -> str:
    """The tag of the address an Engine.IO request came from."""
    return request_tag(settings, environ["aiohttp.request"])


def address_allowance(tag: str, what: str, limit: Limit) -> Allowance:
    """Where one address's ``what`` (an activity, or joins) is counted, on a sliding
    window: what it allows comes evenly, not all at once at each window's start (a flood
    from one address then never lands its whole allowance on the other rooms at one
    moment). Room ids never start with ``@``, so these never meet a participant's."""
    return Allowance(f"@address:{tag}:{what}", limit.count, limit.window_ms, sliding=True)


class KnownOverLimit:
    """Allowances this process has been told are full, until the store said one more
    action would fit (``Counters.take``'s wait).

    Nothing is counted meanwhile by a refusal, so until then every request counted there
    is refused too: this process refuses it without the store round trip (a flood's
    refusals then cost a dict lookup, not a Redis call and its wait). The shared count
    stays the truth across processes: another process learns the same in one round trip
    of its own. Bounded: at ``capacity`` entries, ended waits are pruned and then the
    oldest entries dropped (a dropped one costs one more round trip, nothing else).
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._until: dict[str, int] = {}  # counter key -> when its window ends (ms)

    def __len__(self) -> int:
        return len(self._until)

    def known(self, key: str, now: int) -> bool:
        return self.left(key, now) > 0

    def left(self, key: str, now: int) -> int:
        """How long (ms) ``key`` stays known over its limit; 0 if it is not."""
        until = self._until.get(key)
        if until is None:
            return 0
        if until <= now:
            del self._until[key]
            return 0
        return until - now

    def remember(self, key: str, now: int, wait_ms: int) -> None:
        """``key`` is over its limit for ``wait_ms`` from ``now``."""
        if key not in self._until and len(self._until) >= self.capacity:
            self._until = {k: t for k, t in self._until.items() if t > now}
            while len(self._until) >= self.capacity:
                del self._until[next(iter(self._until))]
        self._until[key] = now + wait_ms


class Handshakes:
    """Engine.IO handshakes per address tag on this process, in fixed windows of
    ``limit.window_ms``: counting one is a dict update, so it can run before anything
    else is spent on the request. Bounded: at ``capacity`` tags in one window the oldest
    count is dropped (that address starts again from zero, nothing else)."""

    def __init__(self, limit: Limit, capacity: int = 10_000) -> None:
        self.limit = limit
        self.capacity = capacity
        self._window = -1
        self._counts: Tally[str] = Tally()

    def count(self, tag: str, now: int) -> int:
        """Count one handshake from ``tag``: how long (ms) until its window ends if this
        one is over the limit, else 0."""
        window = now // self.limit.window_ms
        if window != self._window:
            self._window = window
            self._counts.clear()
        if tag not in self._counts and len(self._counts) >= self.capacity:
            del self._counts[next(iter(self._counts))]
        self._counts[tag] += 1
        if self._counts[tag] <= self.limit.count:
            return 0
        return (window + 1) * self.limit.window_ms - now

    def just_over(self, tag: str) -> bool:
        """Whether the last handshake counted from ``tag`` was its first over the limit."""
        return self._counts.get(tag) == self.limit.count + 1
