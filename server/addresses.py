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
from typing import Any

from aiohttp import web

from moderation.rate_limits import Counter, Limit
from server.settings import Settings

UNKNOWN = "unknown"  # a peer aiohttp could not name (a UNIX socket); all share one tag


def client_address(request: web.Request, trust_proxy: bool) -> str:
    if trust_proxy:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
        if hops and hops[-1]:
            return hops[-1]
    return request.remote or UNKNOWN


def address_tag(settings: Settings, environ: dict[str, Any]) -> str:
    """The tag of the address an Engine.IO request came from."""
    address = client_address(environ["aiohttp.request"], settings.trust_proxy)
    digest = hmac.new(settings.secret.encode(), b"address:" + address.encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


def address_counter(tag: str, what: str, limit: Limit, now: int) -> Counter:
    """Where one address's ``what`` (an activity, or joins) is counted this window. Room
    ids never start with ``@``, so these never meet a participant's counters."""
    window = now // limit.window_ms
    return Counter(f"@address:{tag}:{what}:{window}", (window + 1) * limit.window_ms - now)
