"""``hearth rooms`` and ``hearth invite`` as an operator runs them, against a live server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from tests.conftest import flush
from tests.support import ROOT, RedisServer, server_env


async def hearth(redis_url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env=server_env(redis_url),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


async def test_cli_creates_invites_lists_and_closes_rooms_of_a_running_server(
    redis_server: RedisServer, processes: Any, clients: Any
) -> None:
    await flush(redis_server.url)
    server = processes(redis_server.url)
    created = await hearth(
        redis_server.url, "rooms", "create", "family", "--name", "Family", "--open"
    )
    assert created.returncode == 0, created.stderr
    invited = await hearth(redis_server.url, "invite", "family", "--name", "Sam")
    assert invited.returncode == 0, invited.stderr
    sam = await clients(server.url, {"token": invited.stdout.strip()})
    await sam.join("family")
    listed = await hearth(redis_server.url, "rooms", "list")
    assert listed.stdout.splitlines() == ["family\tFamily\topen, 1 in"]
    closed = await hearth(redis_server.url, "rooms", "close", "family")
    assert closed.returncode == 0, closed.stderr
    await sam.wait_for("room:closed")
    again = await hearth(redis_server.url, "rooms", "close", "family")
    assert again.returncode != 0
    assert "not open" in again.stderr
    await sam.close()


async def test_cli_admin_commands_need_the_shared_store() -> None:
    result = await hearth(None, "rooms", "list")
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
