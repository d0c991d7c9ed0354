"""Socket.IO emits across processes, through Redis, in msgpack.

python-socketio's Redis manager carries emits between processes; we keep it, with two
changes. Its messages are msgpack (it would otherwise switch to the server's JSON module
when it starts). And room events are not emitted by the process that made them: the
store's commit script publishes them, already framed by ``frame``, in the same atomic
step that stores the change, so every process receives them in sequence order. The
framed messages name a host id no process has, so every process, the author included,
delivers them to its own clients.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import socketio

from server.codec import MsgpackJson
from server.protocol import Payload

STORE_HOST_ID = "hearth-store"


class HearthRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    name = "hearth-redis"

    def __init__(self, url: str, channel: str, **kwargs: Any) -> None:
        super().__init__(url=url, channel=channel, json=MsgpackJson, **kwargs)

    def initialize(self) -> None:
        super().initialize()
        self.json = MsgpackJson

    async def shutdown(self) -> None:
        """Stop listening and close this manager's Redis connections."""
        thread = getattr(self, "thread", None)
        if isinstance(thread, asyncio.Task):
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await thread
        if getattr(self, "connected", False):
            await self.pubsub.aclose()
            await self.redis.aclose()


def frame(channel_room: str, event: str, payload: Payload) -> bytes:
    """One emit to a Socket.IO room, as the manager on every process reads it."""
    return MsgpackJson.dumps(
        {
            "method": "emit",
            "event": event,
            "data": [payload],
            "binary": False,
            "namespace": "/",
            "room": channel_room,
            "skip_sid": None,
            "callback": None,
            "host_id": STORE_HOST_ID,
        }
    )
