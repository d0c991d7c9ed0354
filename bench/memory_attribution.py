"""Where a Hearth server's memory per idle joined connection goes, by source file and line.

The embedded-store app runs in this process under ``tracemalloc``; ``N`` guests (the
``bench.joins`` worker, in another process) join room ``idle-0`` and stay; the traced
allocations after, less before, are printed per connection, largest first. Traced Python
allocations only: RSS (``bench/joins.py --idle``) adds the allocator's own overhead.

    .venv/bin/python -m bench.memory_attribution [N]     # N guests, 500 by default
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
import tracemalloc

from rooms.room import RoomInfo
from tests.support import running_app, settings

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500


async def main() -> None:
    unlimited = {
        name: 10**9
        for name in (
            "connections_per_address",
            "handshakes_per_address",
            "refusals_before_disconnect",
            "join_attempts_per_address",
        )
    }
    async with running_app(settings(None, **unlimited)) as hub:
        await hub.store.open_room(RoomInfo("idle-0", "idle", capacity=500, allow_guests=True))
        await asyncio.sleep(0.5)
        gc.collect()
        tracemalloc.start(3)
        before = tracemalloc.take_snapshot()
        cmd = [sys.executable, "-m", "bench.joins", "--worker", "--first", "0"]
        cmd += ["--count", str(N), "--guests", str(N), "--room", "idle", "--rooms"]
        cmd += ["--start", str(time.time() + 0.5), "--within", "2", "--deadline", "30"]
        cmd += ["--url", hub.url]
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env={**os.environ}
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        await proc.stdout.readline()
        await asyncio.sleep(2)
        gc.collect()
        after = tracemalloc.take_snapshot()
        stats = after.compare_to(before, "filename")
        total = sum(s.size_diff for s in stats)
        print(f"total {total / N / 1024:.1f} KB per connection (traced python allocations)")
        for s in stats[:25]:
            where = s.traceback[0].filename
            print(f"{s.size_diff / N:8.0f} B/conn  {s.count_diff / N:6.1f} blocks/conn  {where}")
        stats = after.compare_to(before, "lineno")
        print("--- by line")
        for s in stats[:30]:
            print(
                f"{s.size_diff / N:8.0f} B/conn  {s.traceback[0].filename}:{s.traceback[0].lineno}"
            )
        proc.stdin.write(b"stop\n")
        await proc.stdin.drain()
        await proc.stdout.readline()
        await proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
