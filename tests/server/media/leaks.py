"""What audio may leave behind, looked at from inside the test's process: its UDP
sockets, and the tasks running aiortc, aioice or Hearth's media code."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from server import media

MEDIA = str(Path(media.__file__).parent)


def udp_sockets() -> int:
    """UDP sockets this process holds (its fds matched against /proc/net/udp{,6})."""
    inodes = set()
    for table in ("udp", "udp6"):
        for line in Path(f"/proc/self/net/{table}").read_text().splitlines()[1:]:
            inodes.add(line.split()[9])
    held = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


async def settled(check: Any, within: float = 3.0) -> None:
    for _ in range(int(within / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def audio_tasks() -> list[asyncio.Task[Any]]:
    """Live tasks running aiortc, aioice or our media code."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        name = code.co_filename if code is not None else ""
        if name.startswith(MEDIA) or any(p in name for p in ("/aiortc/", "/aioice/")):
            found.append(task)
    return found
