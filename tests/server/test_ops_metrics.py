"""``/metrics``: real Socket.IO traffic on a real server moves the numbers it should, on
the embedded store and on a real Redis, and no label carries a room id, a name or an
address; ``HEARTH_METRICS_TOKEN`` keeps the page to whoever holds it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from rooms.identity import Role
from rooms.room import RoomInfo
from server.app import SETTINGS
from tests.conftest import flush
from tests.server.scrapes import scrape, value
from tests.support import RedisServer, RunningHub, running_app, settings, token

PRIVATE = RoomInfo("private-circle-8812", "Thursday evening circle")
NAMES = ("Marigold Quince", "Ivy Thistlewood")
METRICS_TOKEN = "metrics-token-that-is-long-enough-1234"
HOUR_MS = 3_600_000


@pytest.fixture(params=["memory", "redis"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[RunningHub]:
    redis = None
    if request.param == "redis":
        redis_server: RedisServer = request.getfixturevalue("redis_server")
        redis = redis_server.url
        await flush(redis)
    app_settings = settings(redis, chat_limit=3, rate_window_ms=HOUR_MS)
    async with running_app(app_settings) as running:
        await running.store.open_room(PRIVATE)
        yield running


async def test_real_traffic_moves_the_numbers_and_no_label_names_a_room_person_or_address(
    server: RunningHub, clients: Any
) -> None:
    store = "redis" if server.app[SETTINGS].redis_url else "memory"
    _, before = await scrape(server.url)
    assert value(before, "hearth_rooms_open") == 1

    host = await clients(server.url, {"token": token(NAMES[0], Role.FACILITATOR)})
    ivy = await clients(server.url, {"token": token(NAMES[1])})
    await host.join(PRIVATE.room_id)
    await ivy.join(PRIVATE.room_id)
    for n in range(3):
        assert (await ivy.call("chat:send", {"text": f"hello {n}"}))["ok"]
    refused = await ivy.call("chat:send", {"text": "one too many"})
    assert refused["error"]["code"] == "rate_limited"
    assert (await ivy.call("no:such-event"))["error"]["code"] == "unknown_event"
    await host.wait_for("chat:message", lambda d: d["message"]["text"] == "hello 2")

    text, after = await scrape(server.url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("hearth_client_events_total", event="chat:send", outcome="ok") == 3
    assert grew("hearth_client_events_total", event="chat:send", outcome="refused") == 1
    assert grew("hearth_client_events_total", event="room:join", outcome="ok") == 2
    assert grew("hearth_client_events_total", event="unknown", outcome="refused") == 1
    assert grew("hearth_rate_limit_refusals_total", limit="chat") == 1
    assert grew("hearth_room_events_total", event="chat:message") >= 3
    # Two joins and three messages, at least, each one commit.
    assert grew("hearth_commit_seconds_count", store=store) >= 5
    assert value(after, "hearth_people", state="seated") == 2
    assert value(after, "hearth_connections", transport="websocket") == 2
    assert value(after, "hearth_rooms_open") == 1
    assert value(after, "hearth_draining") == 0
    if store == "redis":
        assert grew("hearth_pubsub_lag_seconds_count") >= 3

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for label in sample.labels.values():
                assert PRIVATE.room_id not in label
    assert PRIVATE.room_id not in text
    assert PRIVATE.name not in text
    for name in NAMES:
        assert name not in text
    assert "127.0.0.1" not in text
    assert "hello" not in text

    await ivy.close()  # a dropped connection: the seat is kept away
    await host.wait_for("participant:away")
    _, later = await scrape(server.url)
    assert value(later, "hearth_people", state="seated") == 1
    assert value(later, "hearth_people", state="away") == 1
    assert value(later, "hearth_connections", transport="websocket") == 1


async def test_the_metrics_token_keeps_the_page_to_whoever_holds_it() -> None:
    async with running_app(settings(metrics_token=METRICS_TOKEN)) as running:
        async with aiohttp.ClientSession() as http:
            wrong = ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN})
            for headers in wrong:
                async with http.get(f"{running.url}/metrics", headers=headers) as response:
                    assert response.status == 401, headers
                    assert "hearth_" not in await response.text()
        _, samples = await scrape(running.url, {"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert value(samples, "hearth_people", state="seated") == 0


DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


async def test_every_metric_hearth_exposes_is_documented() -> None:
    docs = DOCS.read_text()
    async with running_app(settings()) as running:
        text, _ = await scrape(running.url)
    names = {f.name for f in text_string_to_metric_families(text) if f.name.startswith("hearth_")}
    assert len(names) >= 15
    for name in names:
        documented = name if f"`{name}`" in docs else f"{name}_total"
        assert f"`{documented}`" in docs, f"{name} is not in docs/operations.md"
