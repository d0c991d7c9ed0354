"""A whole meeting with the keyboard alone, on two server processes: a facilitator and a
participant each join, the facilitator turns the waiting room on and lets someone in,
the participant skips to the message box and writes, raises a hand with its shortcut
and sends a reaction, the facilitator mutes the participant's chat from the person's
options and calls on the next hand, the participant opens and closes the shortcuts
dialog and leaves. No click: Tab, Shift+Tab, Enter, Space, Escape and the shortcuts, each
focused control showing its focus ring."""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page, expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson
from tests.web.people import Person, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def press_on(page: Page, target: str | Locator, key: str = "Enter") -> None:
    """Tab to ``target`` (a locator, or a button's name) and press ``key`` on it."""
    if isinstance(target, str):
        target = page.get_by_role("button", name=target, exact=True)
    await tab_to(page, target, most=120)
    await page.keyboard.press(key)


async def join_by_keyboard(person: Person, name: str | None = None) -> None:
    page = person.page
    if name is not None:
        await tab_to(page, page.get_by_label("Your first name"))
        await page.keyboard.type(name)
        await page.keyboard.press("Enter")  # submits the form: Continue
    else:
        await press_on(page, "Continue")
    await expect(page.get_by_role("heading", name="Room guidelines")).to_be_visible()
    await press_on(
        page, page.get_by_label("I have read the guidelines and agree to follow them"), "Space"
    )
    await press_on(page, "Enter the room")


async def test_a_whole_meeting_with_the_keyboard_alone(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await join_by_keyboard(kim)
    await expect(kim.page.get_by_role("heading", level=1)).to_be_focused()
    k = kim.page

    # The waiting room, turned on from the console's settings.
    await press_on(k, k.get_by_label("Waiting room: I let people in"), "Space")
    await expect(k.get_by_label("Waiting room: I let people in")).to_be_checked()

    sam = await (await people()).open(two.url)
    await join_by_keyboard(sam, "Sam")
    await expect(sam.waiting_position).to_have_text("You are next (1 of 1 waiting).")
    await expect(k.locator("#waiting-live")).to_have_text("Sam is in the waiting room.")
    await k.keyboard.press("Shift+Tab")  # back up the console to the waiting room
    await tab_to(k, k.get_by_role("button", name="Let in Sam"), most=120, key="Shift+Tab")
    await k.keyboard.press("Enter")
    s = sam.page
    await expect(s.locator("#room-view")).to_be_visible()
    await expect(s.get_by_role("heading", level=1)).to_be_focused()

    # The first Tab shows the skip link; it lands in the message box.
    await s.keyboard.press("Tab")
    await expect(s.get_by_role("link", name="Skip to the message box")).to_be_focused()
    await s.keyboard.press("Enter")
    await expect(s.get_by_label("Message", exact=True)).to_be_focused()
    await s.keyboard.type("Hello, I am new here.")
    await s.keyboard.press("Enter")
    await expect(kim.chat_texts).to_have_text(["Hello, I am new here."])

    # Typing in the message box, the hand shortcut does nothing (had it raised the hand,
    # the next one would lower it); outside it, it works.
    await s.keyboard.press("Alt+Shift+H")
    await s.keyboard.press("Tab")
    await s.keyboard.press("Alt+Shift+H")
    await expect(kim.hand_queue).to_have_text(["Sam"])
    await expect(s.get_by_role("button", name="Lower my hand")).to_be_visible()
    await press_on(s, "Heart")
    await expect(k.locator("#reactions-recent > li")).to_have_text(["Sam: heart"])

    # The facilitator mutes Sam's chat from Sam's options, then calls on the next hand.
    await tab_to(k, k.get_by_text("Options for Sam", exact=True), most=120)
    await k.keyboard.press("Enter")
    sams_options = kim.roster.filter(has_text="Sam")
    await press_on(k, sams_options.get_by_role("button", name="Mute chat", exact=True))
    await expect(kim.action_status).to_have_text("Sam's chat is muted.")
    await expect(s.get_by_text("A facilitator has muted your chat.")).to_be_visible()
    await tab_to(k, k.get_by_role("button", name="Call on Sam (next)"), most=120, key="Shift+Tab")
    await k.keyboard.press("Enter")
    await expect(kim.roster.filter(has_text="Sam")).to_contain_text("Has the floor")
    await expect(sam.roster.filter(has_text="Sam")).to_contain_text("Has the floor")

    # The shortcuts dialog opens with its keys and closes with Escape, focus going back.
    await s.keyboard.press("Alt+Shift+K")
    await expect(s.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    await s.keyboard.press("Escape")
    await expect(s.get_by_role("dialog")).to_be_hidden()
    await expect(s.get_by_role("button", name="Keys")).to_be_focused()

    await press_on(s, "Leave the room")
    await expect(s.get_by_role("heading", level=1)).to_have_text("You have left the room")
    await expect(kim.roster).to_have_count(1)
