"""Running the ``hearth`` command as an operator does: in its own process, against the
test's Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.support import ROOT, server_env


async def hearth(redis_url: str | None, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env=server_env(redis_url, **env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
