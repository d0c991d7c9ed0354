"""Safety in the browser: other people's text is only ever text, and quick exit (a button,
or Escape twice) leaves the room at once for a neutral page that keeps nothing."""

from __future__ import annotations

import asyncio
import contextlib
import re

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Route, expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

NAME = "<img src=x onerror=window.pwned=1>"
MESSAGE = "<img src=x onerror=window.pwned=2><b>bold?</b>"
WAIT_S = 10


async def test_markup_in_a_name_and_a_message_stays_inert_text(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    mallory = await (await people()).open(two.url)
    await mallory.join(NAME)
    await mallory.say(MESSAGE)
    await mallory.page.get_by_role("button", name="Raise my hand").click()
    for person in (kim, mallory):
        await expect(person.chat_texts).to_have_text([MESSAGE])
        await expect(person.page.locator("#chat .name")).to_contain_text(NAME)
        await expect(person.roster.filter(has_text=NAME)).to_have_count(1)
        await expect(person.hand_queue).to_have_text([NAME])
        # Rendered as text, not parsed: no element was made from it (the CSP would also
        # stop the handler, but this proves the page never built the element at all).
        assert await person.page.locator("main img, main b").count() == 0
        assert await person.page.evaluate("window.pwned") is None
    policy = (await kim.page.request.get(one.url)).headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy


async def test_escape_twice_leaves_for_a_neutral_page_by_keyboard_alone(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(two.url)
    keys = sam.page.keyboard
    await sam.page.get_by_label("Your first name").focus()
    await keys.type("Sam")
    await keys.press("Enter")
    await expect(sam.page.get_by_role("heading", name="Room guidelines")).to_be_visible()
    await keys.press("Tab")
    consent = sam.page.get_by_label("I have read the guidelines")
    await expect(consent).to_be_focused()
    outline = await consent.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"  # focus is visible
    await keys.press("Space")
    await keys.press("Tab")
    await expect(sam.page.get_by_role("button", name="Enter the room")).to_be_focused()
    await keys.press("Enter")
    await expect(sam.status).to_have_text("Connected")
    await expect(kim.roster).to_have_count(2)

    await keys.press("Escape")
    await expect(sam.page.get_by_text("Press Escape again to leave quickly.")).to_be_visible()
    await keys.press("Escape")
    await sam.page.wait_for_url("**/static/neutral.html")
    assert await sam.page.title() == "New tab"
    assert await sam.page.locator("body").inner_text() == ""
    await expect(kim.roster).to_have_count(1)
    await expect(kim.page.locator("#announcer")).to_contain_text("Sam left")


async def test_quick_exit_button_forgets_the_invitation(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    url = servers[0].url
    lee = await (await people()).open(url, token("Lee"))
    await lee.join()
    await lee.page.get_by_role("button", name="Quick exit").click()
    await lee.page.wait_for_url("**/static/neutral.html")
    assert await lee.page.evaluate("sessionStorage.length") == 0
    await lee.page.go_back()  # the room's page was replaced, not stacked
    assert "room=" not in lee.page.url
    await lee.open(url)
    await expect(lee.page.get_by_label("Your first name")).to_be_visible()


async def test_quick_exit_works_while_the_language_is_still_loading(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """The page's translation (a Welsh browser's words/cy.js) never arrives: the quick
    exit must not wait for it."""
    stalled, released = asyncio.Event(), asyncio.Event()

    async def never(route: Route) -> None:
        stalled.set()
        await released.wait()
        with contextlib.suppress(PlaywrightError):  # the page it was for is gone
            await route.abort()

    sam = await people(locale="cy")
    await sam.page.route("**/static/words/cy.js", never)
    await sam.page.goto(f"{servers[0].url}/?room=circle")
    await asyncio.wait_for(stalled.wait(), WAIT_S)
    try:
        await sam.page.get_by_role("button", name="Quick exit").click()
        await expect(sam.page).to_have_url(re.compile(r"/static/neutral\.html$"))
    finally:
        released.set()
