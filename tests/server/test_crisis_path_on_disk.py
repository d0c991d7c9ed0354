"""What the crisis path leaves in Redis's files, with the append-only file the deployment
recipes turn on (fsynced on every write here, so nothing is still in memory only): a
private message's text never reaches the disk, because it travels by pub/sub alone, while
the room's chat (the check's control) is in the file while the room is open; once the room
closes and the file is rewritten, the chat and the pinned script are gone from the disk
too (the answers kept minutes for a repeat of an op carry no text). docs/admin.md#persistence
and docs/security.md say what is kept where."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from rooms.identity import Role
from tests.support import ADMIN_TOKEN, Client, RedisServer, ServerProcess, api, token

ROOM = "grove"


@pytest.fixture
async def aof_redis() -> AsyncIterator[RedisServer]:
    server = RedisServer(aof=True)
    yield server
    server.stop()


def on_disk(server: RedisServer) -> bytes:
    """Every byte of every file Redis keeps (the AOF's parts and manifest, any RDB)."""
    return b"".join(p.read_bytes() for p in sorted(Path(server.dir).rglob("*")) if p.is_file())


async def seated(clients: Any, process: ServerProcess, name: str, role: Role) -> tuple[Client, str]:
    client = await clients(process.url, {"token": token(name, role)})
    return client, (await client.join(ROOM))["you"]


async def rewritten(url: str) -> None:
    """BGREWRITEAOF, and wait until Redis says the rewrite is done."""
    redis = Redis.from_url(url)
    try:
        await redis.bgrewriteaof()
        for _ in range(200):
            info = await redis.info("persistence")
            if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the AOF rewrite did not finish")
    finally:
        await redis.aclose()


async def test_private_messages_never_reach_redis_files_and_chat_leaves_them_after_close(
    aof_redis: RedisServer, processes: Any, clients: Any
) -> None:
    env = {"HEARTH_ADMIN_TOKEN": ADMIN_TOKEN}
    a, b = processes(aof_redis.url, **env), processes(aof_redis.url, **env)
    room = {"id": ROOM, "name": "Grove", "allow_guests": False}
    assert (await api(a.url, "POST", "/api/v1/rooms", room)).status == 201
    assert (await api(a.url, "POST", f"/api/v1/rooms/{ROOM}/open")).status == 200
    fay, _ = await seated(clients, a, "Fay", Role.FACILITATOR)
    sam, sam_id = await seated(clients, b, "Sam", Role.PARTICIPANT)
    fay_id = (await fay.call("room:snapshot"))["snapshot"]["participants"][0]["id"]

    chat = f"chat-{uuid.uuid4().hex}"
    sent = {"text": chat, "op": uuid.uuid4().hex}  # its answer is kept for 10 minutes
    assert (await sam.call("chat:send", sent))["message"]["text"] == chat
    assert (await sam.call("chat:send", sent))["message"]["text"] == chat  # a repeat
    pinned = f"script-{uuid.uuid4().hex}"
    pin = await fay.call("script:pin", {"text": pinned, "op": uuid.uuid4().hex})
    assert pin["script"] == pinned, pin
    assert (await sam.call("support:request", {}))["reached"] == 1
    await fay.wait_for("support:requested")
    to_sam = f"private-{uuid.uuid4().hex}"
    to_fay = f"private-{uuid.uuid4().hex}"
    assert (await fay.call("private:send", {"to": sam_id, "text": to_sam}))["ok"]
    await sam.wait_for("private:message", lambda d: d["text"] == to_sam)
    assert (await sam.call("private:send", {"to": fay_id, "text": to_fay}))["ok"]
    await fay.wait_for("private:message", lambda d: d["text"] == to_fay)

    disk = on_disk(aof_redis)
    assert chat.encode() in disk  # the control: what the room's state holds is on disk
    assert pinned.encode() in disk
    assert to_sam.encode() not in disk
    assert to_fay.encode() not in disk

    assert (await api(b.url, "POST", f"/api/v1/rooms/{ROOM}/close")).status == 200
    await sam.wait_for("room:closed")
    await rewritten(aof_redis.url)
    for _ in range(200):  # Redis deletes the old parts of the file in the background
        if chat.encode() not in on_disk(aof_redis):
            break  # (the answers kept for repeats, held for minutes, carry no text)
        await asyncio.sleep(0.05)
    disk = on_disk(aof_redis)
    assert chat.encode() not in disk
    assert pinned.encode() not in disk
    assert to_sam.encode() not in disk
    assert b"Grove" in disk  # the room's definition stays, as it should
