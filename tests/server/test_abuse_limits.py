"""Limits per client address, and state that refused requests must not grow: real
servers, real clients from two loopback source addresses (127.0.0.1 and 127.0.0.2)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import socketio

from rooms.identity import Role
from rooms.room import RoomInfo
from server.app import HUB, PRESENCE
from tests.conftest import flush
from tests.support import RedisServer, running_app, settings, token

HOUR_MS = 3_600_000  # one window for the whole test: no boundary splits the counts
OPEN = RoomInfo("open", "Open door", allow_guests=True)


class Guest:
    """A real Socket.IO client connecting from a chosen loopback source address."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sio: socketio.AsyncClient | None = None
        self.session: aiohttp.ClientSession | None = None
        self.refusal: Any = None

    async def connect(self, url: str, auth: dict[str, Any]) -> bool:
        connector = aiohttp.TCPConnector(local_addr=(self.source, 0))
        self.session = aiohttp.ClientSession(connector=connector)
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self.session)

        @self.sio.on("connect_error")
        async def refused(data: Any) -> None:
            self.refusal = data

        try:
            await self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            return False
        return True

    @property
    def connected(self) -> bool:
        return self.sio is not None and bool(self.sio.connected)

    async def call(self, event: str, data: Any = None) -> Any:
        assert self.sio is not None
        return await self.sio.call(event, data, timeout=5)

    async def close(self) -> None:
        if self.sio is not None and self.sio.connected:
            await self.sio.disconnect()
        if self.session is not None:
            await self.session.close()


@contextlib.asynccontextmanager
async def guests() -> AsyncIterator[Any]:
    made: list[Guest] = []

    async def connect(url: str, source: str, auth: dict[str, Any]) -> Guest:
        guest = Guest(source)
        made.append(guest)
        await guest.connect(url, auth)
        return guest

    try:
        yield connect
    finally:
        for guest in made:
            await guest.close()


async def test_connections_per_address_are_limited_and_other_addresses_are_not() -> None:
    async with running_app(settings(connections_per_address=3)) as running, guests() as connect:
        flood = [await connect(running.url, "127.0.0.2", {"name": f"G{n}"}) for n in range(4)]
        assert [g.connected for g in flood] == [True] * 3 + [False]
        assert flood[3].refusal["data"]["code"] == "too_many_connections"
        neighbour = await connect(running.url, "127.0.0.1", {"name": "Neighbour"})
        assert neighbour.connected
        kim = await connect(running.url, "127.0.0.2", {"token": token("Kim", Role.FACILITATOR)})
        assert kim.connected  # facilitators are never refused
        gone = asyncio.Event()
        running.app[HUB].on_disconnect.append(lambda _sid: gone.set())
        await flood[0].close()  # a place is free again, once the server has seen it go
        await asyncio.wait_for(gone.wait(), 5)
        again = await connect(running.url, "127.0.0.2", {"name": "Again"})
        assert again.connected


async def test_join_attempts_per_address_are_limited(redis_server: RedisServer) -> None:
    await flush(redis_server.url)
    app_settings = settings(redis_server.url, join_attempts_per_address=3, rate_window_ms=HOUR_MS)
    async with running_app(app_settings) as running, guests() as connect:
        await running.store.open_room(OPEN)
        flood = await connect(running.url, "127.0.0.2", {"name": "Flood"})
        codes = [
            (await flood.call("room:join", {"room": f"nowhere-{n}"}))["error"]["code"]
            for n in range(4)
        ]
        assert codes == ["room_not_found"] * 3 + ["rate_limited"]
        other = await connect(running.url, "127.0.0.2", {"name": "Same address"})
        assert (await other.call("room:join", {"room": "open"}))["error"]["code"] == "rate_limited"
        neighbour = await connect(running.url, "127.0.0.1", {"name": "Neighbour"})
        assert (await neighbour.call("room:join", {"room": "open"}))["ok"]


async def test_many_keyless_guests_from_one_address_share_a_chat_limit(
    redis_server: RedisServer,
) -> None:
    await flush(redis_server.url)
    app_settings = settings(
        redis_server.url, chat_limit=2, address_rate_factor=2, rate_window_ms=HOUR_MS
    )
    async with running_app(app_settings) as running, guests() as connect:
        await running.store.open_room(OPEN)
        flood = [await connect(running.url, "127.0.0.2", {"name": f"G{n}"}) for n in range(4)]
        for guest in flood:
            assert (await guest.call("room:join", {"room": "open"}))["ok"]
        acks = [await g.call("chat:send", {"text": "spam"}) for g in flood for _ in range(2)]
        accepted = [ack["ok"] for ack in acks]
        assert accepted.count(True) == 4  # 2 per participant, 2 x 2 per address
        assert {a["error"]["code"] for a in acks if not a["ok"]} == {"rate_limited"}
        neighbour = await connect(running.url, "127.0.0.1", {"name": "Neighbour"})
        await neighbour.call("room:join", {"room": "open"})
        assert (await neighbour.call("chat:send", {"text": "hello"}))["ok"]


async def test_refused_joins_leave_the_roll_and_the_lock_table_as_they_were(
    redis_server: RedisServer,
) -> None:
    await flush(redis_server.url)
    app_settings = settings(redis_server.url, join_attempts_per_address=10_000)
    async with running_app(app_settings) as running, guests() as connect:
        store = running.store
        await store.open_room(OPEN)
        await store.open_room(RoomInfo("members", "Members only"))
        process_id = running.app[PRESENCE].process_id
        guest = await connect(running.url, "127.0.0.1", {"name": "River"})
        for n in range(300):
            ack = await guest.call("room:join", {"room": f"nowhere-{n}"})
            assert ack["error"]["code"] == "room_not_found"
            ack = await guest.call("room:join", {"room": "members"})
            assert ack["error"]["code"] == "guests_not_allowed"
        assert await store.rooms_held_by(process_id) == set()
        assert len(store._locks) == 0  # type: ignore[attr-defined]
        # A granted seat holds the room; once the last seat here goes, the roll drops it.
        assert (await guest.call("room:join", {"room": "open"}))["ok"]
        assert await store.rooms_held_by(process_id) == {"open"}
        assert (await guest.call("room:leave"))["ok"]
        await running.app[HUB].settle_roll()
        assert await store.rooms_held_by(process_id) == set()
