"""Every Prometheus metric Hearth exposes, with ``prometheus-client``.

Only counts and timings. No label carries a room id, a name, an identity or an address:
each label's values come from a closed set (an enum of ours, a store kind, a transport),
so a process's series stay bounded however many rooms and people it serves. Each process
exposes its own numbers at ``/metrics``; Prometheus scrapes every process and sums
(``docs/operations.md`` names each metric and how to aggregate it).

The counters and histograms are module objects, incremented where the thing happens (a
hook line at each edge). They are created without a registry and registered into each
app's own registry with the gauges read from that app at scrape time, so two apps in one
test process do not collide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from moderation.rate_limits import Activity

NAMESPACE = "hearth"
# A ``_created`` series per counter doubles the page for nothing Prometheus needs.
disable_created_metrics()  # type: ignore[no-untyped-call]
# Room-changing commits: a Redis round trip is ~0.2-2 ms on one host; outages hit the timeout.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LAG_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
# One mixer tick has 20 ms; a frame that takes more than that falls behind.
FRAME_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05)

# Refusals by what was limited: the participant activities and the per-address limits.
LIMITED = (
    *(str(a) for a in Activity if a is not Activity.AUDIO),
    "join",
    "connection",
    "handshake",
)

CLIENT_EVENTS = Counter(
    "client_events",
    "Client events handled, by event name and outcome (ok, refused, failed)",
    ["event", "outcome"],
    namespace=NAMESPACE,
    registry=None,
)
ROOM_EVENTS = Counter(
    "room_events",
    "Room events delivered to this process's connections, by event name",
    ["event"],
    namespace=NAMESPACE,
    registry=None,
)
COMMIT_SECONDS = Histogram(
    "commit_seconds",
    "Time to commit one change of a room, by store (redis: the commit script's round trip)",
    ["store"],
    namespace=NAMESPACE,
    buckets=COMMIT_BUCKETS,
    registry=None,
)
COMMIT_CONFLICTS = Counter(
    "commit_conflicts",
    "Commits refused because another process changed the room first (the rule runs again)",
    ["store"],
    namespace=NAMESPACE,
    registry=None,
)
REDIS_ERRORS = Counter(
    "redis_errors",
    "Redis commands that failed (unreachable, timed out), by the part that sent them",
    ["part"],
    namespace=NAMESPACE,
    registry=None,
)
REDIS_RECONNECTS = Counter(
    "redis_reconnects",
    "Times the pub/sub subscription was lost and made again",
    namespace=NAMESPACE,
    registry=None,
)
PUBSUB_MESSAGES = Counter(
    "pubsub_messages",
    "Pub/sub messages this process received and decoded, by channel: a room's own (only "
    "while it has people of the room or hosts its audio), or control (the control "
    "channel and this process's own)",
    ["channel"],
    namespace=NAMESPACE,
    registry=None,
)
PUBSUB_LAG = Histogram(
    "pubsub_lag_seconds",
    "Time from a room event's commit to its delivery on this process (wall clocks of both)",
    namespace=NAMESPACE,
    buckets=LAG_BUCKETS,
    registry=None,
)
RATE_LIMITED = Counter(
    "rate_limit_refusals",
    "Requests refused as rate_limited, by what was limited",
    ["limit"],
    namespace=NAMESPACE,
    registry=None,
)
SCHEDULER_ACTIONS = Counter(
    "scheduler_actions",
    "Scheduled actions this process carried out (open, warn, close)",
    ["action"],
    namespace=NAMESPACE,
    registry=None,
)
MIXER_FRAME_SECONDS = Histogram(
    "mixer_frame_seconds",
    "Time to mix and encode one 20 ms audio frame of one room",
    namespace=NAMESPACE,
    buckets=FRAME_BUCKETS,
    registry=None,
)
MIXER_SKIPPED = Counter(
    "mixer_skipped_frames",
    "Audio frames skipped: input frames dropped to bound latency, or mixer ticks skipped "
    "when the loop fell behind",
    ["reason"],
    namespace=NAMESPACE,
    registry=None,
)

WEBHOOKS = Counter(
    "webhooks",
    "Webhook steps: claimed (this process sends it), claimed_elsewhere, delivered, failed "
    "(an attempt), gave_up (after the last attempt), dropped (the queue was full)",
    ["outcome"],
    namespace=NAMESPACE,
    registry=None,
)

SHARED = (
    CLIENT_EVENTS,
    ROOM_EVENTS,
    COMMIT_SECONDS,
    COMMIT_CONFLICTS,
    REDIS_ERRORS,
    REDIS_RECONNECTS,
    PUBSUB_MESSAGES,
    PUBSUB_LAG,
    RATE_LIMITED,
    SCHEDULER_ACTIONS,
    MIXER_FRAME_SECONDS,
    MIXER_SKIPPED,
    WEBHOOKS,
)


def _prime() -> None:
    """Every bounded label value exists from the start, at 0, so a rate has a baseline."""
    for limit in LIMITED:
        RATE_LIMITED.labels(limit)
    for reason in ("input_backlog", "late_tick"):
        MIXER_SKIPPED.labels(reason)
    for channel in ("room", "control"):
        PUBSUB_MESSAGES.labels(channel)
    for outcome in ("claimed", "claimed_elsewhere", "delivered", "failed", "gave_up", "dropped"):
        WEBHOOKS.labels(outcome)


_prime()


@dataclass(frozen=True, slots=True)
class Reading:
    """What this process holds right now, read from the app at each scrape."""

    rooms_open: int | None  # None: the store did not answer in time
    seated: int
    away: int
    connections: dict[str, int]  # transport -> count
    media_rooms: int
    audio_streams: int
    draining: bool


class _Gauges(Collector):
    def __init__(self, read: Callable[[], Reading]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        now = self._read()
        if now.rooms_open is not None:
            yield _gauge("rooms_open", "Rooms open, deployment-wide (take max)", now.rooms_open)
        people = GaugeMetricFamily(
            f"{NAMESPACE}_people",
            "People with a seat through this process: seated, or away (dropped, seat kept)",
            labels=["state"],
        )
        people.add_metric(["seated"], now.seated)
        people.add_metric(["away"], now.away)
        yield people
        connections = GaugeMetricFamily(
            f"{NAMESPACE}_connections",
            "Engine.IO connections open on this process, by transport",
            labels=["transport"],
        )
        for transport in ("websocket", "polling"):
            connections.add_metric([transport], now.connections.get(transport, 0))
        yield connections
        yield _gauge("media_rooms", "Rooms whose audio this process hosts", now.media_rooms)
        yield _gauge("audio_streams", "Audio peer connections on this process", now.audio_streams)
        yield _gauge("draining", "1 while this process drains (not ready)", int(now.draining))

    def describe(self) -> Iterable[Metric]:
        return []


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{NAMESPACE}_{name}", documentation, value=value)


def registry(read: Callable[[], Reading]) -> CollectorRegistry:
    """One app's registry: the shared counters and timings, and its own gauges."""
    made = CollectorRegistry(auto_describe=False)
    for metric in SHARED:
        made.register(metric)
    made.register(_Gauges(read))
    ProcessCollector(registry=made)  # CPU, memory, open files of this process
    return made
