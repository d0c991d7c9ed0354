"""Real parts for tests: redis-server, Hearth server processes and Socket.IO clients."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import redis as sync_redis
import socketio
from aiohttp import web

from moderation.ports import RoomStore
from rooms import roll
from rooms.clock import Clock
from rooms.identity import Role
from server import tokens
from server.app import HUB, STORE, create_app
from server.clock import SYSTEM_CLOCK
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-that-is-long-enough-for-hs256-keys"
ADMIN_TOKEN = "test-admin-token-that-is-long-enough-too"
EVENT_WAIT_S = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A real redis-server on a free loopback port, keeping nothing on disk unless asked."""

    def __init__(self, port: int | None = None, aof: bool = False) -> None:
        """``port``: an earlier server's, to restart it (empty) where clients look for it.
        ``aof``: log every write to an append-only file, fsynced before the write is
        answered, so that ``restart`` brings every acknowledged write back."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="hearth-redis-")
        persistence = ["yes", "--appendfsync", "always"] if aof else ["no"]
        self._command = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            *persistence,
            "--dir",
            self.dir,
            "--loglevel",
            "warning",
        ]
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(self._command, stdout=subprocess.DEVNULL)
        _wait_for_port(self.port, proc)
        return proc

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def crash(self) -> None:
        """kill -9: whatever was not on disk is gone."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        """Start again on the same port with the same directory (and so the same AOF)."""
        assert self.proc.poll() is not None, "crash or stop the running server first"
        self.proc = self._start()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _cluster_ports(count: int) -> list[int]:
    """Free ports for cluster nodes: each node also listens on its port + 10000 (the
    cluster bus), so both must be free, below the ephemeral range free_port draws from."""
    ports: list[int] = []
    while len(ports) < count:
        port = random.randrange(12000, 30000)
        try:
            for each in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", each))
        except OSError:
            continue
        if port not in ports:
            ports.append(port)
    return ports


class RedisClusterServers:
    """A real Redis Cluster on loopback: ``masters`` redis-server processes with
    ``--cluster-enabled yes`` joined by ``redis-cli --cluster create`` (each with
    ``replicas`` replicas, which take over a master that fails), keeping nothing on disk."""

    NODE_TIMEOUT_MS = 1000  # how soon a silent master counts as failed

    def __init__(self, masters: int = 3, replicas: int = 0) -> None:
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is not installed: run `make test`, which installs it")
        for attempt in range(3):  # a port found free may be taken before a node binds it
            self.dir = tempfile.mkdtemp(prefix="hearth-cluster-")
            self.ports = _cluster_ports(masters * (1 + replicas))
            self.procs: dict[int, subprocess.Popen[bytes]] = {}
            try:
                for port in self.ports:
                    self.procs[port] = self._start(port)
                    _wait_for_port(port, self.procs[port])
                break
            except RuntimeError:
                self.stop()
                if attempt == 2:
                    raise
        try:
            nodes = [f"127.0.0.1:{port}" for port in self.ports]
            create = ["--cluster-replicas", str(replicas), "--cluster-yes"]
            subprocess.run(
                [cli, "--cluster", "create", *nodes, *create], check=True, stdout=subprocess.DEVNULL
            )
            self.wait_until_ok(self.ports)
        except BaseException:
            self.stop()
            raise

    def _start(self, port: int) -> subprocess.Popen[bytes]:
        node_dir = Path(self.dir) / str(port)
        node_dir.mkdir()
        command = [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1",
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.NODE_TIMEOUT_MS),
            "--save", "", "--appendonly", "no", "--dir", str(node_dir), "--loglevel", "warning",
        ]  # fmt: skip
        return subprocess.Popen(command, stdout=subprocess.DEVNULL)

    def wait_until_ok(self, ports: list[int], timeout: float = 30.0) -> None:
        """Until every node of ``ports`` sees the cluster whole (every slot served)."""
        deadline = time.monotonic() + timeout
        for port in ports:
            client = sync_redis.Redis(port=port)
            try:
                while client.cluster("INFO")["cluster_state"] != "ok":
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the cluster is not ok on port {port}")
                    time.sleep(0.05)
            finally:
                client.close()

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def masters(self) -> list[int]:
        with sync_redis.Redis(port=self.alive()[0]) as client:
            nodes = client.cluster("NODES")
        return sorted(
            int(address.split(":")[1].split("@")[0])
            for address, node in nodes.items()
            if "master" in node["flags"] and "fail" not in node["flags"]
        )

    def alive(self) -> list[int]:
        return [port for port, proc in self.procs.items() if proc.poll() is None]

    def master_of(self, key: str) -> int:
        """The port of the master serving ``key``'s slot."""
        with sync_redis.Redis(port=self.alive()[0]) as client:
            slot = client.cluster("KEYSLOT", key)
            for start, end, master, *_ in client.cluster("SLOTS"):
                if start <= slot <= end:
                    return int(master[1])
        raise RuntimeError(f"no master serves {key!r}")

    def move_slot(self, key: str, to: int) -> None:
        """Migrate ``key``'s slot, with every key in it, to the master on port ``to``, as
        ``redis-cli --cluster reshard`` does it, step by step."""
        source = self.master_of(key)
        with sync_redis.Redis(port=source) as src, sync_redis.Redis(port=to) as dst:
            slot = src.cluster("KEYSLOT", key)
            src_id, dst_id = src.cluster("MYID"), dst.cluster("MYID")
            dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
            src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
            while keys := src.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100):
                src.execute_command("MIGRATE", "127.0.0.1", to, "", 0, 5000, "KEYS", *keys)
            for port in self.masters():
                with sync_redis.Redis(port=port) as node:
                    node.execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)

    def flush(self) -> None:
        for port in self.masters():
            with sync_redis.Redis(port=port) as client:
                client.flushall()

    def crash(self, port: int) -> None:
        """kill -9 one node."""
        self.procs[port].kill()
        self.procs[port].wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def sync_client(url: str) -> sync_redis.Redis:
    """A blocking client for ``url``, one server's or a cluster's (``redis+cluster://``)."""
    scheme, _, rest = url.partition("://")
    if scheme == "redis+cluster":
        return sync_redis.RedisCluster.from_url(f"redis://{rest}")  # type: ignore[return-value]
    return sync_redis.Redis.from_url(url)


def _wait_for_port(port: int, proc: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout}s")


def settings(redis_url: str | None = None, **overrides: Any) -> Settings:
    # Refused handshakes are answered at once unless a test asks for the hold (its own
    # tests in test_abuse_limits.py): a short window's counts must not outlast it.
    overrides.setdefault("refusal_delay_ms", 0)
    return Settings(secret=SECRET, redis_url=redis_url, **overrides)


def token(
    name: str = "Sam",
    role: Role = Role.PARTICIPANT,
    rooms: tuple[str, ...] = ("*",),
    subject: str | None = None,
    ttl_s: int = 3600,
) -> str:
    return tokens.mint(
        settings(),
        subject=subject or f"subject-{name}",
        name=name,
        role=role,
        rooms=list(rooms),
        ttl_s=ttl_s,
    )


# A load generator is one address with hundreds of people: the per-address limits, which
# exist for exactly that shape, are lifted for benchmarks (their own tests cover them).
LOAD_FROM_ONE_ADDRESS = {
    name: "1000000000"
    for name in (
        "HEARTH_CONNECTIONS_PER_ADDRESS",
        "HEARTH_HANDSHAKES_PER_ADDRESS",
        "HEARTH_JOIN_ATTEMPTS_PER_ADDRESS",
        "HEARTH_REFUSALS_BEFORE_DISCONNECT",
    )
}


def server_env(redis_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEARTH_", "REDIS_"))}
    env.update({"HEARTH_SECRET": SECRET, "HEARTH_LOG_LEVEL": "WARNING", **extra})
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@dataclass
class ServerProcess:
    """``hearth serve`` in its own OS process."""

    redis_url: str | None
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None  # where its stdout and stderr go; unset: the test's own
    root: Path = ROOT  # the source tree it runs (a benchmark may run an older one)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        log = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=self.root,
            env=server_env(self.redis_url, **self.extra_env),
            stdout=log,
            stderr=log,
        )
        if log is not None:
            log.close()  # the child holds its own copy
        _wait_for_port(self.port, self.proc)
        return self

    def kill(self) -> None:
        """kill -9: no goodbye, no cleanup."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class RunningHub:
    url: str
    app: web.Application

    @property
    def store(self) -> RoomStore:
        return self.app[STORE]


async def silent(store: RoomStore) -> list[str]:
    """The processes a reaper (of no process on the roll, with a steady view) would reap now."""
    now = SYSTEM_CLOCK.ms()
    steady = roll.Watch(0, now)
    return roll.silent_processes(await store.heartbeats(now), now, me="", watch=steady, ttl_ms=0)


async def forgotten(hub: RunningHub, sid: str | None) -> None:
    """Until the server has handled this connection's disconnect (forgotten its session).
    Whatever that frees is then applied before any later change to the room."""
    sessions = hub.app[HUB].sessions
    for _ in range(200):
        if sid not in sessions:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the server still holds the session {sid!r}")


async def after_everything_sent(sender: Client, *receivers: Client) -> None:
    """Until a message ``sender`` posts now reaches every one of ``receivers``: an event
    sent to them before it has arrived by then (one order per room, on any process)."""
    text = f"later {uuid.uuid4().hex}"
    ack = await sender.call("chat:send", {"text": text})
    assert ack["ok"], ack
    for receiver in receivers:
        await receiver.wait_for("chat:message", lambda d: d["message"]["text"] == text)


class SetClock:
    """A clock the test moves by hand; every app given it sees the same instant."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at

    def ms(self) -> int:
        return int(self.at.timestamp() * 1000)

    def set(self, now: datetime) -> None:
        self.at = now

    def advance(self, by: timedelta) -> None:
        self.at += by


@contextlib.asynccontextmanager
async def running_app(
    app_settings: Settings, clock: Clock = SYSTEM_CLOCK
) -> AsyncIterator[RunningHub]:
    """The Hearth app in this process, on a real loopback port."""
    app = create_app(app_settings, clock)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield RunningHub(f"http://127.0.0.1:{port}", app)
    finally:
        await runner.cleanup()


class Client:
    """A real python-socketio client that records every event it receives."""

    def __init__(self, url: str, auth: dict[str, Any] | None) -> None:
        self.url = url
        self.auth = auth
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self._arrived = asyncio.Event()
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any = None) -> None:
        self.received.append((event, data))
        self._arrived.set()

    async def connect(self) -> Client:
        await self.sio.connect(self.url, auth=self.auth, transports=["websocket"], wait_timeout=5)
        return self

    async def call(self, event: str, data: Any = None) -> Any:
        if data is None:
            return await self.sio.call(event, timeout=EVENT_WAIT_S)
        return await self.sio.call(event, data, timeout=EVENT_WAIT_S)

    async def join(self, room: str) -> dict[str, Any]:
        ack = await self.call("room:join", {"room": room})
        assert ack["ok"], ack
        return ack  # type: ignore[no-any-return]

    def events(self, name: str) -> list[Any]:
        return [data for event, data in self.received if event == name]

    async def wait_for(
        self,
        name: str,
        match: Callable[[Any], bool] = lambda _: True,
        within: float = EVENT_WAIT_S,
    ) -> Any:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            for event, data in self.received:
                if event == name and match(data):
                    return data
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(
                    f"no {name!r} event matching within {within}s: {self.received[-5:]}"
                )
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def close(self) -> None:
        await self.sio.disconnect()


@dataclass(frozen=True)
class ApiResponse:
    status: int
    content_type: str
    body: Any


async def api(
    url: str, method: str, path: str, body: Any = None, token: str | None = ADMIN_TOKEN
) -> ApiResponse:
    """One admin API request, as an operator's HTTP client would send it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{url}{path}", json=body, headers=headers) as response,
    ):
        text = await response.text()
        parsed = None if not text else await response.json(content_type=None)
        return ApiResponse(response.status, response.content_type, parsed)


async def health(url: str) -> bool:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as response:
        return response.status == 200


async def raw_http(url: str, request: bytes) -> bytes:
    """Bytes written to the server as they are, as an attacker's script would, and the
    server's whole answer (up to the close, or five seconds)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), EVENT_WAIT_S)
    finally:
        writer.close()
        await writer.wait_closed()


class ErrorLog(logging.Handler):
    """Every log record that is an error or carries a traceback, from anywhere in this
    process: add it to the root logger to prove a server logged no crash."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)

    def take(self) -> list[str]:
        """The records so far, as lines, forgetting them."""
        found = [f"{r.levelname} {r.name}: {r.getMessage()} {r.exc_info!r}" for r in self.records]
        self.records.clear()
        return found


async def seat(
    hub: RunningHub, clients: Any, name: str, role: Role = Role.PARTICIPANT, room: str = "open"
) -> tuple[Client, str]:
    client = await clients(hub.url, {"token": token(name, role)})
    return client, (await client.join(room))["you"]


async def gone(client: Client) -> None:
    for _ in range(100):
        if not client.sio.connected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the connection stayed open")


# Every facilitator action, as a participant would try it.
PARTICIPANT_ATTEMPTS = [
    ("moderation:promote", {"target": "T"}),
    ("moderation:demote", {"target": "T"}),
    ("moderation:mute", {"target": "T", "chat": True}),
    ("moderation:unmute", {"target": "T", "audio": True}),
    ("moderation:mute-all", {"audio": True}),
    ("moderation:unmute-all", {"audio": True}),
    ("moderation:pause", None),
    ("moderation:resume", None),
    ("moderation:remove", {"target": "T"}),
    ("moderation:ban", {"target": "T"}),
    ("moderation:unban", {"ban": "T"}),
    ("moderation:bans", None),
    ("moderation:controls", {"locked": True}),
    ("moderation:admit", {"all": True}),
    ("moderation:deny", {"all": True}),
    ("moderation:delete-message", {"message": 1}),
    ("moderation:audit", None),
]
