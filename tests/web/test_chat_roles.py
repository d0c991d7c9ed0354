"""Chat shows who speaks with what role: a facilitator's message carries a badge, a
guest's never does, whatever name the guest chose."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_a_facilitators_message_has_the_badge_and_a_guests_does_not(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    guest = await (await people()).open(two.url)
    await guest.join("Kimberly")

    await kim.say("Welcome, everyone")
    await guest.say("Thanks, I am the facilitator now")
    for person in (kim, guest):
        messages = person.page.locator("#chat .message")
        await expect(messages).to_have_count(2)
        from_kim, from_guest = messages.nth(0), messages.nth(1)
        await expect(from_kim.locator(".message-head .badge")).to_have_text("Facilitator")
        await expect(from_guest.locator(".message-head .badge")).to_have_count(0)
        await expect(from_guest.locator(".message-head")).not_to_contain_text("Facilitator")
        # The badge is text in the message's heading: screen readers read it with the name.
        await expect(from_kim.locator(".message-head")).to_contain_text("Kim")
    await expect(guest.roster.filter(has_text="Kim").first).to_contain_text("Facilitator")
    await expect(kim.roster.filter(has_text="Kimberly")).not_to_contain_text("Facilitator")
