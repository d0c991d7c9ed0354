"""A browser whose address is refused at the handshake (HTTP 429: a flood from its
network) keeps trying by itself and gets in once the window ends, without a false
"could not reach Hearth"."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from playwright.async_api import expect

from tests.web.conftest import MakePerson
from tests.web.people import ROOM

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

WINDOW_MS = 3000


async def test_a_handshake_refused_with_429_is_retried_until_it_gets_in(
    processes: Any, redis_url: str, people: MakePerson
) -> None:
    server = processes(
        redis_url,
        HEARTH_DEMO_ROOM=ROOM,
        HEARTH_HANDSHAKES_PER_ADDRESS="2",
        HEARTH_RATE_WINDOW_MS=str(WINDOW_MS),
    )
    sam = await (await people()).open(server.url)
    now_ms = time.time() * 1000  # a fresh window, so the two below fall in one
    await asyncio.sleep(((now_ms // WINDOW_MS + 1) * WINDOW_MS - now_ms + 20) / 1000)
    async with aiohttp.ClientSession() as http:  # the browser's address, 127.0.0.1
        statuses = []
        for _ in range(3):
            async with http.get(f"{server.url}/socket.io/?EIO=4&transport=polling") as response:
                statuses.append(response.status)
    assert statuses == [200, 200, 429]
    await sam.page.get_by_label("Your first name").fill("Sam")
    await sam.page.get_by_role("button", name="Continue").click()
    heading = sam.page.get_by_role("heading", name="Room guidelines")
    await expect(heading).to_be_visible(timeout=15_000)
    await expect(sam.page.get_by_role("alert")).to_have_count(0)
