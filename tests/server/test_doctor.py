"""``hearth doctor`` against real Redis servers: a careless deployment gets one line to
fix per problem and exit 1; a careful one passes; an unreachable Redis is named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.cli_runs import hearth
from tests.support import RedisServer, free_port

STRONG = "k3J9-vQ2xLp8ZrT5nWb7YcH4mF6dGs1aE0uRiO_tyPNq"
CAREFUL = {
    "HEARTH_SECRET": STRONG,
    "HEARTH_PUBLIC_URL": "https://hearth.example.org",
    "HEARTH_TURN_URLS": "turn:localhost:3478",
    "HEARTH_TURN_SECRET": "turn-shared-secret",
}


@pytest.fixture
def aof_redis() -> Iterator[RedisServer]:
    server = RedisServer(aof=True)
    yield server
    server.stop()


def fixes(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("FIX")]


async def test_a_careless_deployment_is_told_what_to_fix(own_redis: RedisServer) -> None:
    result = await hearth(
        own_redis.url,
        "doctor",
        HEARTH_SECRET="a" * 40,
        HEARTH_ALLOWED_ORIGINS="http://intranet.example.org",
    )
    assert result.returncode == 1
    found = "\n".join(fixes(result.stdout))
    for subject in ("secret", "persistence", "public URL", "allowed origins"):
        assert f" {subject}: " in found, result.stdout
    assert "appendonly yes" in found
    assert "OK    redis: answers" in result.stdout
    assert "(Redis 7." in result.stdout  # sharded pub/sub: 7 or later, and no FIX for it
    assert "1 thing" not in result.stderr  # four things
    assert "4 thing(s) to fix" in result.stderr


async def test_a_careful_deployment_passes(aof_redis: RedisServer) -> None:
    result = await hearth(aof_redis.url, "doctor", **CAREFUL)
    assert result.returncode == 0, result.stdout
    assert fixes(result.stdout) == []
    assert "OK    persistence: append-only file on" in result.stdout
    assert "nothing to fix" in result.stdout


async def test_an_unreachable_redis_is_named() -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    result = await hearth(nowhere, "doctor", **CAREFUL)
    assert result.returncode == 1
    assert any("redis: REDIS_URL is unreachable" in line for line in fixes(result.stdout))
