"""Joining in the browser: the invitation link, the guidelines and consent before anyone
sees you, and refusals shown in words."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

GUIDELINES = "Be kind. What is shared here stays here."


async def test_nobody_sees_you_until_you_agree_to_the_guidelines(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(two.url)
    await sam.ask_to_join("Sam")
    await expect(sam.page.locator("#guidelines-text")).to_have_text(GUIDELINES)
    await expect(sam.page.get_by_role("heading", level=1)).to_have_text(
        "Before you enter Demo room"
    )

    await sam.page.get_by_role("button", name="Enter the room").click()
    error = sam.page.get_by_role("alert").filter(has_text="tick the box")
    await expect(error).to_be_visible()
    await expect(sam.page.get_by_label("I have read the guidelines")).to_be_focused()
    await expect(sam.page.locator("#room-view")).to_be_hidden()
    await expect(kim.roster).to_have_count(1)

    await sam.consent_and_enter()
    await expect(kim.roster.filter(has_text="Sam")).to_have_count(1)
    await expect(sam.page.get_by_role("heading", level=1)).to_have_text("Demo room")


async def test_the_invitation_leaves_the_address_bar_and_names_you(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    lee = await (await people()).open(servers[0].url, token("Lee"))
    assert "token" not in lee.page.url
    await expect(lee.page.get_by_text("You are joining with your invitation.")).to_be_visible()
    await expect(lee.page.get_by_label("Your first name")).to_be_hidden()
    await lee.join()
    await expect(lee.roster).to_have_text(["Lee(you)"])


async def test_refusals_are_explained(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    url = servers[0].url
    elsewhere = await (await people()).open(url, token("Ada", rooms=("another-room",)))
    await elsewhere.page.get_by_role("button", name="Continue").click()
    await expect(elsewhere.page.get_by_role("alert")).to_have_text(
        "your invitation is not for this room"
    )
    expired = await (await people()).open(url, token("Bo", ttl_s=-60))
    await expired.page.get_by_role("button", name="Continue").click()
    await expect(expired.page.get_by_role("alert")).to_have_text("the token has expired")
    nameless = await (await people()).open(url)
    await nameless.page.get_by_role("button", name="Continue").click()
    await expect(nameless.page.get_by_role("alert")).to_contain_text("Enter the name")
    await expect(nameless.page.get_by_label("Your first name")).to_be_focused()


async def test_an_unreachable_server_is_explained_not_waited_on(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, _ = servers
    sam = await (await people()).open(one.url)
    one.kill()
    await sam.page.get_by_label("Your first name").fill("Sam")
    await sam.page.get_by_role("button", name="Continue").click()
    await expect(sam.page.get_by_role("alert")).to_have_text(
        "Could not reach Hearth. Check your connection and try again."
    )
    await expect(sam.page.get_by_role("button", name="Continue")).to_be_enabled()
