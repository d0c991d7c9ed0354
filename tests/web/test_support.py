"""The crisis path in the browser: a participant on one process asks for support, the
facilitator on the other is alerted, acknowledges, and they talk privately."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_the_alert_its_acknowledgement_and_a_private_conversation(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(two.url, token("Sam"))
    await sam.join()
    ann = await (await people()).open(two.url, token("Ann"))
    await ann.join()
    alerts = kim.page.locator("#support-alerts")
    await expect(alerts).to_be_hidden()

    await sam.page.get_by_role("button", name="I need support now").click()
    panel = sam.page.locator("#support-panel")
    await expect(panel).to_contain_text("A facilitator has been told privately")
    # No resources configured: the neutral line, never a hard-coded hotline.
    await expect(panel).to_contain_text("Contact your local emergency services")
    await expect(alerts).to_be_visible()
    await expect(alerts).to_contain_text("Sam asked for support")
    await expect(kim.page.locator("#support-live")).to_have_text("Sam needs support now")
    summary = kim.tools.locator("#support-summary")
    await expect(summary).to_have_text("Support requests: 1, 1 not answered yet (above).")

    await kim.page.get_by_role("button", name="I have seen Sam's request").click()
    await expect(panel).to_contain_text("Kim has seen your request")
    await expect(alerts).to_contain_text("Kim has seen it")
    await expect(summary).to_have_text("Support requests: 1, all answered.")

    await kim.page.get_by_role("button", name="Message Sam privately").click()
    await kim.page.get_by_label("Private message").fill("I am here. Would you like to talk?")
    await kim.page.get_by_role("button", name="Send privately").click()
    conversation = sam.page.locator("#private-panel")
    await expect(conversation).to_contain_text("Private conversation with Kim")
    await expect(conversation).to_contain_text("I am here. Would you like to talk?")
    await sam.page.get_by_label("Private message").fill("yes please")
    await sam.page.get_by_role("button", name="Send privately").click()
    await expect(kim.page.locator("#private-log")).to_contain_text("yes please")

    # Ann saw none of it: a chat message sent after everything reaches her first.
    await kim.say("welcome everyone")
    await expect(ann.chat_texts.last).to_have_text("welcome everyone")
    await expect(ann.page.locator("#support-alerts")).to_be_hidden()
    await expect(ann.page.locator("#private-panel")).to_be_hidden()
    await expect(ann.page.get_by_text("yes please")).to_have_count(0)
