"""Schemathesis, driven by the served OpenAPI document, fuzzes a live ``hearth serve``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import flush
from tests.support import ADMIN_TOKEN, RedisServer

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


async def test_fuzzing_the_api_finds_no_server_error_or_undocumented_response(
    redis_server: RedisServer, processes: Any, tmp_path: Path
) -> None:
    """Every response has a documented status and matches its schema, nothing answers 500,
    and input that breaks the schema is refused. (Schema-valid input may still break a
    rule the schema cannot say, like 30 February, so that check is left out.)"""
    await flush(redis_server.url)
    server = processes(redis_server.url, HEARTH_ADMIN_TOKEN=ADMIN_TOKEN)
    result = await asyncio.to_thread(
        subprocess.run,
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.url}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {ADMIN_TOKEN}",
            "--max-examples",
            "8",
            "--seed",
            "20260101",
            "--exclude-checks",
            "positive_data_acceptance",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:]
