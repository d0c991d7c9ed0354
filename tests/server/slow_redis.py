"""A loopback TCP proxy in front of a real redis-server that can hold Redis's answers back,
so that a test can tell a client's round trips apart.

Redis's MONITOR lists the commands it ran, not how they were sent: two commands sent
together (one pipeline, or two connections written in the same turn of the event loop)
look just like two sent one after the other, the second waiting for the first's answer.
While ``answer_delay_s`` is set, every answer reaches the client that long after Redis
gave it: a command that needed an earlier command's answer then runs at least that long
after it, while commands sent together run within a moment of each other. Grouping the
commands MONITOR saw by that gap counts round trips, pipelines and all
(``round_trips``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class SlowRedis:
    def __init__(self, redis_port: int) -> None:
        self.redis_port = redis_port
        self.answer_delay_s = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"redis://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/0"

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, answers: bool
    ) -> None:
        loop = asyncio.get_running_loop()
        due: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                at, data = await due.get()
                await asyncio.sleep(at - loop.time())
                sink.write(data)
                if not data:
                    sink.close()
                    return

        delivering = asyncio.create_task(deliver())
        try:
            while True:
                data = await source.read(65536)
                # Held back in order: each answer as long after it came as asked then.
                await due.put((loop.time() + (self.answer_delay_s if answers else 0), data))
                if not data:
                    break
            await delivering
        finally:
            delivering.cancel()

    async def _serve(self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            redis, to_redis = await asyncio.open_connection("127.0.0.1", self.redis_port)
            await asyncio.gather(
                self._pipe(client, to_redis, answers=False),
                self._pipe(redis, to_client, answers=True),
            )
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            to_client.close()
            self._tasks.discard(task)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[SlowRedis]:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        try:
            yield self
        finally:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()


def round_trips(commands: list[tuple[float, list[str]]], answer_delay_s: float) -> list[list[str]]:
    """Commands (Redis's time, the command and any its script ran), one list per round
    trip, when every answer was held back ``answer_delay_s``: one run at least half that
    after the first of its trip could have waited for an answer, and starts the next."""
    trips: list[list[str]] = []
    started = -float("inf")
    for at, names in commands:
        if at - started >= answer_delay_s / 2:
            trips.append([])
            started = at
        trips[-1].extend(names)
    return trips
