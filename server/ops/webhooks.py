"""Signed webhooks: a room's lifecycle and head counts, posted to the operator's systems.

What is sent: ``room.opened`` (by the process that opened it: the admin API, a schedule,
the demo room; not ``hearth rooms create --open``, which runs outside any server),
``room.closed``, ``room.paused``, ``room.resumed`` and ``participant.count``
(how many are seated, away and waiting: counts only, never a name), each seen in the
room's event stream as this process delivers it; ``support.requested``, by the process
that took a request for support no moderator was present to receive, and
``schedule.missed``, by the scheduler that ended a scheduled meeting no facilitator came
to (``server.jobs.scheduler``, with its scheduled start and end): that fact only, the
room's id only if the room is public. Each is queued without waiting, so a slow or dead
receiver never holds up a room: the queue is bounded, and a full queue drops (and
counts) instead of blocking.

**Once across processes.** Every process hears every event of the kinds above (with
Redis, from the store's announcements on the control channel, ``server.socket.relay``:
a room's own channel reaches only the processes with its people); each claims the
event's id in the shared store (``Claims.claim``: ``SET NX`` on Redis) and only the winner
sends it. The id is a digest of the room and the event as published, the same bytes on
every process (for a support request: of the room, the request's member and instant; a
request repeated with its op id is answered from the store and queues nothing again).

**Signed, retried, de-duplicable.** The body is JSON; ``Hearth-Signature: t=<unix
seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under HEARTH_WEBHOOK_SECRET>`` (Stripe's
scheme). A receiver checks the HMAC and that ``t`` is recent, and de-duplicates on the
body's ``id`` (also in ``Hearth-Webhook-Id``): a delivery is retried, with doubling
waits from ``HEARTH_WEBHOOK_RETRY_MS``, until a 2xx or ``HEARTH_WEBHOOK_ATTEMPTS`` tries,
so it may arrive more than once. Retries live in the process that won the claim: one
that dies mid-retry loses what it had not delivered (``docs/operations.md``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from rooms.errors import RoomNotFound
from rooms.ports import Claims, RoomStates
from rooms.state import RoomState
from server.errors import StoreUnavailable
from server.ops import metrics
from server.settings import Settings
from server.wire.events import ServerEvent

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000
# Long enough for every process to have seen the event; short, since an id is a digest.
CLAIM_MS = 120_000
MAX_WAIT_S = 300.0
SEND_TIMEOUT_S = 10.0
SIGNATURE_HEADER = "Hearth-Signature"
ID_HEADER = "Hearth-Webhook-Id"

KINDS: dict[str, str] = {
    ServerEvent.ROOM_CLOSED: "room.closed",
    ServerEvent.PAUSED: "room.paused",
    ServerEvent.RESUMED: "room.resumed",
    ServerEvent.PARTICIPANT_JOINED: "participant.count",
    ServerEvent.PARTICIPANT_LEFT: "participant.count",
    ServerEvent.PARTICIPANT_AWAY: "participant.count",
    ServerEvent.PARTICIPANT_BACK: "participant.count",
}


class Store(RoomStates, Claims, Protocol):
    """What sending webhooks needs: a claim per event, and a room's state for its counts."""


@dataclass(frozen=True, slots=True)
class Seen:
    """A room event that calls for a webhook, as this process delivered it."""

    kind: str
    room_id: str
    event_id: str
    at_ms: int
    named: bool = True  # the body names the room (a private room's id is left out)
    facts: tuple[tuple[str, int], ...] = ()  # its ``data``, but for a head count


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Hearth-Signature`` header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _event_id(room_id: str, event: str, payload: object) -> str:
    canonical = json.dumps([room_id, event, payload], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _counts(state: RoomState) -> dict[str, int]:
    away = sum(1 for member in state.members if member.away)
    return {"seated": len(state.members) - away, "away": away, "waiting": len(state.waiting)}


class Webhooks:
    """This process's webhook sender: ``observe`` from the delivery path, ``run`` as a task."""

    def __init__(self, settings: Settings, store: Store, now_ms: Callable[[], int]) -> None:
        self.urls = settings.webhook_urls
        self.secret = settings.webhook_secret or ""
        self.attempts = settings.webhook_attempts
        self.first_wait_s = settings.webhook_retry_ms / 1000
        self.store = store
        self.now_ms = now_ms
        self.queue: asyncio.Queue[Seen] = asyncio.Queue(QUEUE_LIMIT)
        self._sending: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        return bool(self.urls)

    def observe(self, room_id: str, event: str, payload: object) -> None:
        """A room event was delivered here. Never waits."""
        kind = KINDS.get(event)
        if kind is None or not self.enabled:
            return
        self._enqueue(Seen(kind, room_id, _event_id(room_id, event, payload), self.now_ms()))

    def room_opened(self, room_id: str) -> None:
        """This process opened a room (the admin API, a schedule, the demo room)."""
        if not self.enabled:
            return
        now = self.now_ms()
        self._enqueue(Seen("room.opened", room_id, _event_id(room_id, "opened", now), now))

    def support_requested(self, room_id: str, public: bool, member_id: str, asked_at: int) -> None:
        """This process took a request for support that reached no moderator."""
        if not self.enabled:
            return
        event_id = _event_id(room_id, "support.requested", [member_id, asked_at])
        self._enqueue(Seen("support.requested", room_id, event_id, self.now_ms(), public))

    def schedule_missed(self, room_id: str, public: bool, start_ms: int, end_ms: int) -> None:
        """This process's scheduler ended a scheduled meeting no facilitator came to."""
        if not self.enabled:
            return
        event_id = _event_id(room_id, "schedule.missed", [start_ms, end_ms])
        facts = (("scheduled_start", start_ms), ("scheduled_end", end_ms))
        self._enqueue(Seen("schedule.missed", room_id, event_id, self.now_ms(), public, facts))

    def _enqueue(self, seen: Seen) -> None:
        try:
            self.queue.put_nowait(seen)
        except asyncio.QueueFull:
            metrics.WEBHOOKS.labels("dropped").inc()
            log.warning("webhook queue full: dropped a %s", seen.kind)

    async def run(self) -> None:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_S)
        ) as http:
            try:
                while True:
                    await self._prepare(http, await self.queue.get())
            finally:
                for task in self._sending:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*self._sending, return_exceptions=True)

    async def _prepare(self, http: aiohttp.ClientSession, seen: Seen) -> None:
        """Claim and build one webhook; while the store is out of reach, retry as a
        delivery is retried (the event is not lost to an outage shorter than that)."""
        wait = self.first_wait_s
        for attempt in range(1, self.attempts + 1):
            try:
                await self._handle(http, seen)
                return
            except StoreUnavailable:
                if attempt == self.attempts:
                    break
                await asyncio.sleep(wait)
                wait = min(wait * 2, MAX_WAIT_S)
            except Exception:
                log.exception("could not prepare a %s webhook", seen.kind)
                return
        metrics.WEBHOOKS.labels("gave_up").inc()
        log.warning("gave up a %s webhook: the store was out of reach", seen.kind)

    async def _handle(self, http: aiohttp.ClientSession, seen: Seen) -> None:
        if not await self.store.claim(f"webhook:{seen.event_id}", CLAIM_MS):
            metrics.WEBHOOKS.labels("claimed_elsewhere").inc()
            return
        data: dict[str, Any] = dict(seen.facts)
        if seen.kind == "participant.count":
            try:
                data = _counts(await self.store.snapshot(seen.room_id))
            except RoomNotFound:
                data = {"seated": 0, "away": 0, "waiting": 0}
        body = json.dumps(
            {
                "id": seen.event_id,
                "type": seen.kind,
                "created_at": seen.at_ms,
                "room": seen.room_id if seen.named else None,
                "data": data,
            }
        ).encode()
        metrics.WEBHOOKS.labels("claimed").inc()
        for url in self.urls:
            task = asyncio.create_task(self._deliver(http, url, seen, body), name="webhook")
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _deliver(
        self, http: aiohttp.ClientSession, url: str, seen: Seen, body: bytes
    ) -> None:
        wait = self.first_wait_s
        for attempt in range(1, self.attempts + 1):
            timestamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                ID_HEADER: seen.event_id,
                SIGNATURE_HEADER: sign(self.secret, timestamp, body),
            }
            try:
                async with http.post(url, data=body, headers=headers) as response:
                    if 200 <= response.status < 300:
                        metrics.WEBHOOKS.labels("delivered").inc()
                        return
                    problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = type(error).__name__
            metrics.WEBHOOKS.labels("failed").inc()
            if attempt == self.attempts:
                break
            log.info("webhook %s not delivered (%s); retrying in %.1fs", seen.kind, problem, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, MAX_WAIT_S)
        metrics.WEBHOOKS.labels("gave_up").inc()
        log.warning("gave up a %s webhook after %d attempts", seen.kind, self.attempts)
