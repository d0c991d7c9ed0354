"""Accessibility in the browser: axe-core (from npm) finds no serious or critical
violation on the join, guidelines, waiting, room and facilitator views (tools and dialog
open), on a desktop and at phone width; the pages fit a phone without sideways scrolling.
Screenshots of each view are saved in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import PHONE, MakePerson
from tests.web.people import check_view

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_every_view_passes_axe(
    size: str, scheme: str, servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """Join, guidelines, room, waiting room and left views; the room paused with a request
    to unmute; the facilitator's view with a person's options, the waiting queue, a report,
    bans and the audit log open; the ban dialog, the mute-everyone dialog, the keyboard
    shortcuts and the chat drawer; in the light and the dark colour scheme
    (``prefers-color-scheme``), with reduced motion asked for."""
    one, two = servers
    viewport: dict[str, object] = {"color_scheme": scheme, "reduced_motion": "reduce"}
    if size == "phone":
        viewport["viewport"] = PHONE
    size = f"{size}-{scheme}"
    kim = await (await people(**viewport)).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people(**viewport)).open(two.url)
    await check_view(sam, f"join-{size}")
    await sam.ask_to_join("Sam")
    await check_view(sam, f"guidelines-{size}")
    await sam.consent_and_enter()
    await sam.say("Hello everyone, glad to be here tonight.")
    await kim.say("Welcome, Sam. We start in a minute.")
    await sam.page.get_by_role("button", name="Raise my hand").click()
    await sam.page.get_by_role("button", name="Heart").click()
    await expect(kim.hand_queue).to_have_text(["Sam"])
    await expect(sam.chat_texts).to_have_count(2)
    await expect(sam.page.locator("#reactions-recent > li")).to_have_count(1)
    await check_view(sam, f"room-{size}")

    await sam.message_option("Kim", "Report")
    await sam.confirm("Send report", reason="testing the inbox")
    await expect(kim.page.locator("#reports > li")).to_have_count(1)
    await kim.page.get_by_label("Waiting room: I let people in").click()
    await expect(kim.page.get_by_label("Waiting room: I let people in")).to_be_checked()
    lee = await (await people(**viewport)).open(one.url, token("Lee"))
    await lee.ask_to_join()
    await lee.page.get_by_label("I have read the guidelines and agree to follow them").check()
    await lee.page.get_by_role("button", name="Enter the room").click()
    await expect(lee.waiting_position).to_have_text("You are next (1 of 1 waiting).")
    await check_view(lee, f"waiting-{size}")

    await kim.choose("Sam", "Mute microphone")
    await expect(kim.roster.filter(has_text="Sam")).to_contain_text("Microphone muted")
    await kim.choose("Sam", "Ask to unmute microphone")
    await expect(sam.page.get_by_role("heading", name="You are asked to unmute")).to_be_focused()
    await kim.page.get_by_role("button", name="Pause the room").click()
    await expect(sam.page.get_by_text("The room is paused.")).to_be_visible()
    await check_view(sam, f"room-paused-asked-{size}")

    await kim.page.get_by_role("button", name="Show bans").click()
    await kim.page.get_by_role("button", name="Show the audit log").click()
    await expect(kim.page.locator("#audit > li")).to_have_count(4)  # settings, mute, ask, pause
    await expect(kim.page.locator("#waiting-list > li")).to_have_count(1)
    await check_view(kim, f"facilitator-{size}")

    await kim.choose("Sam", "Ban Sam…")
    await expect(kim.page.get_by_role("dialog")).to_be_visible()
    await check_view(kim, f"confirm-ban-{size}")
    await kim.confirm("Cancel")
    await expect(kim.page.locator("#roster").get_by_text("Ban Sam…")).to_be_focused()
    await expect(kim.roster).to_have_count(2)

    await kim.page.get_by_role("button", name="Mute everyone…").click()
    await expect(kim.page.get_by_role("dialog", name="Mute everyone?")).to_be_visible()
    await check_view(kim, f"mute-everyone-{size}")
    await kim.page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    await expect(kim.page.get_by_role("dialog")).to_be_hidden()

    await sam.page.get_by_role("button", name="Keys").click()
    await expect(sam.page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    await check_view(sam, f"shortcuts-{size}")
    await sam.page.get_by_role("dialog").get_by_role("button", name="Close").click()
    if "phone" in size:
        await sam.open_chat()
        await check_view(sam, f"chat-drawer-{size}")
        await sam.close_chat()

    await sam.page.get_by_role("button", name="Leave the room").click()
    await check_view(sam, f"left-{size}")
