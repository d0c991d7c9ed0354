"""The meeting script and resources in the browser: a facilitator pins the script, the
participant on the other process sees it at the top, and a newcomer reads it with the
deployment's resources before consenting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson
from tests.web.people import ROOM

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

WELCOME = "Welcome. We read the preamble, then share for three minutes each."


@pytest.fixture
def pair(redis_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    listed = tmp_path / "resources.json"
    line = {"title": "Local crisis line", "category": "crisis", "phone": "+44 116 123"}
    reading = {"title": "Daily reflection", "category": "reading", "link": "https://example.org/r"}
    listed.write_text(json.dumps([line, reading]))
    env = {"HEARTH_DEMO_ROOM": ROOM, "HEARTH_RESOURCES_FILE": str(listed)}
    started = [ServerProcess(redis_url, env).start(), ServerProcess(redis_url, env).start()]
    yield started[0], started[1]
    for process in started:
        process.stop()


async def test_a_pinned_script_and_the_resources_in_the_room_and_before_joining(
    pair: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = pair
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(two.url, token("Sam"))
    await sam.join()
    resources = sam.page.locator("#resources-panel")
    await expect(resources).to_contain_text("Local crisis line")
    await expect(resources).to_contain_text("Daily reflection")
    await expect(sam.page.locator("#script-panel")).to_be_hidden()
    await expect(sam.page.locator("#script-tools")).to_be_hidden()

    await kim.page.get_by_label("Text everyone sees at the top").fill(WELCOME)
    await kim.page.get_by_role("button", name="Pin the script").click()
    await expect(kim.action_status).to_have_text("The meeting script is pinned for everyone.")
    await expect(sam.page.locator("#script-text")).to_have_text(WELCOME)

    ann = await (await people()).open(two.url, token("Ann"))
    await ann.ask_to_join()
    await expect(ann.page.locator("#guidelines-script")).to_have_text(WELCOME)
    await expect(ann.page.locator("#guidelines-resources")).to_contain_text("Local crisis line")
    await ann.consent_and_enter()
    await expect(ann.page.locator("#script-text")).to_have_text(WELCOME)

    await kim.page.get_by_role("button", name="Clear it").click()
    await expect(sam.page.locator("#script-panel")).to_be_hidden()
    await expect(ann.page.locator("#script-panel")).to_be_hidden()
