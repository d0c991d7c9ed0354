from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from server.stores.redis_client import connect
from tests.support import (
    Client,
    RedisClusterServers,
    RedisServer,
    RunningHub,
    ServerProcess,
    running_app,
    settings,
    token,
)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> str:
    """A clean database on the shared test redis-server."""
    await flush(redis_server.url)
    return redis_server.url


async def flush(url: str) -> None:
    """Empty the Redis (every master of a cluster) at ``url``."""
    client = connect(url)
    await client.flushall()
    await client.aclose()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterServers]:
    """A real 3-master Redis Cluster, shared by the session's tests."""
    cluster = RedisClusterServers()
    yield cluster
    cluster.stop()


@pytest.fixture
def own_cluster() -> Iterator[RedisClusterServers]:
    """A Redis Cluster of this test's own, 3 masters with a replica each, which the
    test may break."""
    cluster = RedisClusterServers(replicas=1)
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_url(redis_cluster: RedisClusterServers) -> str:
    """A clean shared Redis Cluster (``redis+cluster://``)."""
    redis_cluster.flush()
    return redis_cluster.url


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which the test may stop."""
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
async def clients() -> AsyncIterator[Any]:
    made: list[Client] = []

    async def connect(url: str, auth: dict[str, Any] | None) -> Client:
        client = await Client(url, auth).connect()
        made.append(client)
        return client

    yield connect
    for client in made:
        if client.sio.connected:
            await client.close()


@pytest.fixture
def processes() -> Iterator[Any]:
    started: list[ServerProcess] = []

    def start(redis_url: str | None, **env: str) -> ServerProcess:
        process = ServerProcess(redis_url, env).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@dataclass
class Pair:
    """Ann on process A and Bo on process B, both seated in 'circle' on one Redis."""

    store: RedisStore
    a: ServerProcess
    b: ServerProcess
    ann: Client
    bo: Client
    ann_id: str
    bo_id: str


@pytest.fixture(params=["redis"])
def shared_url(request: pytest.FixtureRequest) -> str:
    """Where server processes share their store: a clean database on one redis-server,
    or (for a test marked ``ON_REDIS_AND_CLUSTER``) also on a 3-master Redis Cluster."""
    return str(
        request.getfixturevalue("cluster_url" if request.param == "cluster" else "redis_url")
    )


# Runs a test on one Redis and again on a Redis Cluster (through ``shared_url``).
ON_REDIS_AND_CLUSTER = pytest.mark.parametrize("shared_url", ["redis", "cluster"], indirect=True)


@pytest.fixture
async def shared_store(shared_url: str) -> AsyncIterator[RedisStore]:
    """The Redis store the server processes use, with 'circle' open."""
    store = RedisStore(
        connect(shared_url), prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=frame_event
    )
    await store.open_room(RoomInfo("circle", "Tuesday circle"))
    yield store
    await store.close()


@pytest.fixture
def two_processes(
    shared_url: str, shared_store: RedisStore, processes: Any, clients: Any
) -> Callable[..., Awaitable[Pair]]:
    async def start(**env: str) -> Pair:
        a, b = processes(shared_url, **env), processes(shared_url, **env)
        ann = await clients(a.url, {"token": token("Ann")})
        bo = await clients(b.url, {"token": token("Bo")})
        ann_id = (await ann.join("circle"))["you"]
        bo_id = (await bo.join("circle"))["you"]
        return Pair(shared_store, a, b, ann, bo, ann_id, bo_id)

    return start


CIRCLE = RoomInfo("circle", "Tuesday circle", capacity=3)
OPEN = RoomInfo("open", "Open door", allow_guests=True)


@pytest.fixture(params=["memory", "redis"])
async def hub(request: pytest.FixtureRequest) -> AsyncIterator[RunningHub]:
    """A Hearth server in this process, on the embedded store and on a real Redis, with
    rooms 'circle' (invited only, capacity 3) and 'open' (guests welcome) open."""
    redis = None
    if request.param == "redis":
        redis = request.getfixturevalue("redis_server").url
        await flush(redis)
    async with running_app(settings(redis)) as running:
        await running.store.open_room(CIRCLE)
        await running.store.open_room(OPEN)
        yield running
