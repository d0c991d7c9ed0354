"""A deploy in the browser: the process the page is on is stopped (SIGTERM) and started
again; the page says what is happening, moves by itself, and comes back in the same seat
(its raised hand in place) with nothing lost."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson
from tests.web.people import ROOM

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

BACK_WAIT_MS = 20_000
# The status while moving counts the seconds since the drop.
MOVING = re.compile(r"^The server is restarting; moving you… \(\d+ s\)$")
# Until seats outlive their connections for a grace window (away/back), a stopped
# process's seats last one heartbeat TTL after it exits: long enough here for a restart.
ENV = {"HEARTH_DEMO_ROOM": ROOM, "HEARTH_PROCESS_TTL_MS": "20000"}


async def test_a_restarted_process_moves_the_page_back_into_its_seat(
    processes: Any, redis_url: str, people: MakePerson
) -> None:
    one = processes(redis_url, **ENV)
    two = processes(redis_url, **ENV)
    kim = await (await people()).open(two.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(one.url, token("Sam"))
    await sam.join()
    await sam.page.get_by_role("button", name="Raise my hand").click()
    await expect(kim.hand_queue).to_have_text(["Sam"])
    await sam.say("before")

    assert one.proc is not None
    one.proc.terminate()  # a deploy stops the process Sam's page is on
    await expect(sam.status).to_have_text(MOVING)
    # Sam's page let go at once, so the process did not wait for its drain timeout.
    assert await asyncio.to_thread(one.proc.wait, 10) == 0
    await kim.say("during the restart")
    again = ServerProcess(redis_url, ENV, port=one.port).start()
    try:
        await expect(sam.status).to_have_text("Back in the room", timeout=BACK_WAIT_MS)
        await expect(sam.chat_texts).to_have_text(
            ["before", "during the restart"], timeout=BACK_WAIT_MS
        )
        await sam.say("back again")
        await expect(kim.chat_texts).to_have_text(["before", "during the restart", "back again"])
        # The same seat: no leave freed the hand, so it is still raised, in its place.
        await expect(kim.hand_queue).to_have_text(["Sam"])
        await expect(sam.hand_queue).to_have_text(["Sam"])
        await expect(kim.roster).to_have_count(2)
        await expect(sam.roster).to_have_count(2)
    finally:
        await sam.page.close()
        again.stop()
