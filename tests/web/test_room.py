"""The room in the browser: people on two server processes see each other, chat both ways
and keep one hand queue; what others see is what the server confirmed."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_participant_and_facilitator_chat_and_queue_hands_across_two_processes(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(two.url)
    await sam.join("Sam")

    for person in (kim, sam):
        await expect(person.roster).to_have_count(2)
    await expect(sam.roster.filter(has_text="Kim")).to_contain_text("Facilitator")
    await expect(kim.roster.filter(has_text="Sam")).not_to_contain_text("Facilitator")
    await expect(sam.roster.filter(has_text="Sam")).to_contain_text("(you)")

    await sam.say("Hello, first time here")
    await kim.say("Welcome, Sam")
    await sam.say("Thank you")
    for person in (kim, sam):
        await expect(person.chat_texts).to_have_text(
            ["Hello, first time here", "Welcome, Sam", "Thank you"]
        )
    # Newest at the bottom: the last message is the one furthest down the log.
    last = await sam.chat_texts.nth(2).bounding_box()
    first = await sam.chat_texts.nth(0).bounding_box()
    assert last is not None
    assert first is not None
    assert last["y"] > first["y"]

    await sam.page.get_by_role("button", name="Raise my hand").click()
    await expect(sam.page.get_by_role("button", name="Lower my hand")).to_be_visible()
    await kim.page.get_by_role("button", name="Raise my hand").click()
    for person in (kim, sam):
        await expect(person.hand_queue).to_have_text(["Sam", "Kim"])
    await expect(kim.roster.filter(has_text="Sam")).to_contain_text("Hand raised, 1st")
    await expect(kim.roster.filter(has_text="Kim")).to_contain_text("Hand raised, 2nd")

    await sam.page.get_by_role("button", name="Lower my hand").click()
    for person in (kim, sam):
        await expect(person.hand_queue).to_have_text(["Kim"])
    await expect(kim.page.locator("#announcer")).to_contain_text("Sam lowered a hand")

    await sam.page.get_by_role("button", name="Leave the room").click()
    await expect(sam.page.get_by_role("heading", name="You have left the room")).to_be_visible()
    await expect(kim.roster).to_have_count(1)
    await expect(kim.hand_queue).to_have_text(["Kim"])
