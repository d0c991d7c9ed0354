"""The meeting layout: a facilitator runs a meeting of 15 at 1280x800 without scrolling
(the console's controls, the control bar and the chat's message box are all inside the
viewport, and the page itself does not scroll); someone arriving in the waiting room is
announced (banner, polite live region, the tab's title); at 390x844 nothing is lost (each
control is there and reachable, the control bar stays in view, the chat is a drawer).
Kim's page is on one server process, the 14 others on the other, over one Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Locator, Page, expect

from rooms.identity import Role
from tests.support import Client, ServerProcess, token
from tests.web.conftest import PHONE, MakePerson
from tests.web.people import ROOM, Person

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

LAPTOP = {"width": 1280, "height": 800}
NAMES = [
    "Ann",
    "Bo",
    "Cy",
    "Dee",
    "Eli",
    "Fran",
    "Gus",
    "Hal",
    "Ivy",
    "Jo",
    "Lu",
    "Mo",
    "Ned",
]  # 13 seated people, with Kim and Sam 15 in the room
# The tile colours some of them chose (None: initials on the plain tint).
COLOURS = ["sage", None, "sky", "rose", None, "sand", "lilac", "teal"]


@pytest_asyncio.fixture(loop_scope="session")
async def crowd(servers: tuple[ServerProcess, ServerProcess]) -> AsyncIterator[list[Client]]:
    _, two = servers
    seated: list[Client] = []
    try:
        for name, colour in zip(NAMES, COLOURS * 2, strict=False):
            auth = {"token": token(name)} | ({"colour": colour} if colour else {})
            client = await Client(two.url, auth).connect()
            await client.join(ROOM)
            seated.append(client)
        yield seated
    finally:
        for client in seated:
            await client.close()


async def in_viewport(page: Page, control: Locator) -> None:
    """The control is visible and wholly inside the viewport as the page is now."""
    await expect(control).to_be_visible()
    box = await control.bounding_box()
    assert box is not None
    size = page.viewport_size
    assert size is not None
    inside = (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )
    assert inside, f"{control} at {box} is outside {size}"
    # Nothing covers it or clips it away: what is at its centre is the control itself.
    seen = await control.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
        " return at !== null && (el === at || el.contains(at)); }"
    )
    assert seen, f"{control} is covered or clipped"


async def busy_meeting(
    servers: tuple[ServerProcess, ServerProcess],
    people: MakePerson,
    crowd: list[Client],
    **options: object,
) -> tuple[Person, Client]:
    """Kim facilitating 15 people: two hands up, a report, a waiting-room arrival."""
    one, two = servers
    kim = await (await people(**options)).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await Client(two.url, {"token": token("Sam")}).connect()
    await sam.join(ROOM)
    await expect(kim.roster).to_have_count(15)
    for client in crowd[:2]:
        assert (await client.call("hand:raise"))["ok"]
    said = await crowd[2].call("chat:send", {"text": "is anyone else finding tonight hard?"})
    report = await crowd[3].call("report:send", {"message": said["message"]["id"]})
    assert report["ok"], report
    await expect(kim.page.locator("#reports > li")).to_have_count(1)
    toggle = kim.page.get_by_label("Waiting room: I let people in")
    await toggle.click()
    await expect(toggle).to_be_checked()
    lee = await Client(two.url, {"token": token("Lee")}).connect()
    waiting = await lee.call("room:join", {"room": ROOM})
    assert waiting["waiting"], waiting
    return kim, lee


async def test_a_facilitator_runs_fifteen_people_at_1280x800_without_scrolling(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson, crowd: list[Client]
) -> None:
    kim, lee = await busy_meeting(servers, people, crowd, viewport=LAPTOP)
    try:
        page = kim.page
        console = kim.tools
        # The arrival: a banner, a polite announcement, the count in the tab's title.
        await expect(page.locator("#arrival-banner")).to_have_text(
            "Lee is in the waiting room. Let them in from the console."
        )
        await expect(page.locator("#waiting-live")).to_have_text("Lee is in the waiting room.")
        await expect(page).to_have_title("(1 waiting) Demo room")
        await expect(console.locator("#reports-count")).to_contain_text("1 new")
        await expect(console.locator("#hands-count")).to_have_text("(2 raised)")
        controls = [
            console.get_by_role("button", name="Let in Lee"),
            console.get_by_role("button", name="Turn away Lee"),
            console.get_by_role("button", name="Call on Ann (next)"),
            console.get_by_role("button", name="Lower all hands"),
            console.get_by_role("button", name="Pause the room"),
            console.get_by_role("button", name="Mute everyone…"),
            console.locator("#reports > li"),
            console.locator("#support-summary"),
            page.get_by_role("button", name="Raise my hand"),
            page.get_by_role("button", name="Heart"),
            page.get_by_role("button", name="Hide chat"),
            page.get_by_role("button", name="Leave the room"),
            page.get_by_role("button", name="Quick exit"),
            page.get_by_label("Message", exact=True),
        ]
        await page.evaluate("window.scrollTo(0, 0)")
        await kim.screenshot("console-1280x800-15-people")
        for control in controls:
            await in_viewport(page, control)
        scrolls = "document.scrollingElement.scrollHeight > window.innerHeight"
        assert not await page.evaluate(scrolls), "the page itself scrolls"

        # The console works from where it is: call on the next hand, let Lee in.
        await console.get_by_role("button", name="Call on Ann (next)").click()
        await expect(kim.action_status).to_have_text("Ann has the floor.")
        await expect(console.get_by_role("button", name="Call on Bo (next)")).to_be_visible()
        await console.get_by_role("button", name="Let in Lee").click()
        await expect(kim.roster).to_have_count(16)
        await expect(page.locator("#arrival-banner")).to_be_hidden()
        await expect(page).to_have_title("Demo room")

        # A participant's page in the same meeting: everything to take part is in view.
        nora = await (await people(viewport=LAPTOP)).open(servers[1].url, token("Nora"))
        await nora.ask_to_join()
        await nora.page.get_by_label("I have read the guidelines and agree to follow them").check()
        await nora.page.get_by_role("button", name="Enter the room").click()
        await console.get_by_role("button", name="Let in Nora").click()
        await expect(nora.page.get_by_role("heading", level=1)).to_have_text("Demo room")
        await expect(nora.roster).to_have_count(17)
        await nora.say("Thank you all for being here tonight.")
        await nora.page.get_by_role("button", name="Raise my hand").click()
        await expect(nora.page.get_by_role("button", name="Lower my hand")).to_be_visible()
        for control in (
            nora.page.get_by_role("button", name="Lower my hand"),
            nora.page.get_by_role("button", name="Hug"),
            nora.page.get_by_role("button", name="I need support now"),
            nora.page.get_by_role("button", name="Leave the room"),
            nora.page.get_by_label("Message", exact=True),
        ):
            await in_viewport(nora.page, control)
        await nora.screenshot("participant-1280x800-17-people")
    finally:
        await lee.close()


async def test_at_phone_width_nothing_is_lost(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson, crowd: list[Client]
) -> None:
    kim, lee = await busy_meeting(servers, people, crowd, viewport=PHONE, has_touch=True)
    try:
        page = kim.page
        bar = page.get_by_role("navigation", name="Meeting controls")
        await in_viewport(page, bar)
        for name in ("Let in Lee", "Call on Ann (next)", "Pause the room", "Mute everyone…"):
            control = kim.tools.get_by_role("button", name=name)
            await control.scroll_into_view_if_needed()
            await in_viewport(page, control)
            await in_viewport(page, bar)  # the control bar stays in view while scrolling
        await in_viewport(page, page.get_by_role("button", name="Quick exit"))
        # The chat is a drawer: closed until asked for, then the message box is in view.
        chat = page.get_by_role("button", name="Chat", exact=True)
        await expect(chat).to_have_attribute("aria-expanded", "false")
        await expect(page.get_by_label("Message", exact=True)).to_be_hidden()
        await chat.tap()
        await expect(page.get_by_label("Message", exact=True)).to_be_focused()
        await in_viewport(page, page.get_by_label("Message", exact=True))
        await page.get_by_role("button", name="Close chat").tap()
        await expect(page.get_by_label("Message", exact=True)).to_be_hidden()
        fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        assert await page.evaluate(fits), "the page scrolls sideways"
        await page.evaluate("window.scrollTo(0, 0)")
        await kim.screenshot("console-phone")
    finally:
        await lee.close()


async def test_the_keyboard_reaches_the_message_box_first_and_the_shortcuts_work(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """The first Tab in the room (focus starts on its name) is the skip link to the
    message box; the composer comes
    before the history; Alt+Shift+H raises the hand, Alt+Shift+K lists the shortcuts, and
    typing a capital H in the message box raises nothing."""
    one, _ = servers
    ann = await (await people()).open(one.url, token("Ann"))
    await ann.join()
    page = ann.page
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the message box")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_visible()
    await page.keyboard.press("Enter")
    message = page.get_by_label("Message", exact=True)
    await expect(message).to_be_focused()
    await page.keyboard.type("Hello, it is my first time")
    await page.keyboard.press("Alt+Shift+H")  # typing: no shortcut
    await page.keyboard.press("Enter")
    await expect(ann.chat_texts).to_have_text(["Hello, it is my first time"])
    await expect(page.get_by_role("button", name="Raise my hand")).to_be_visible()
    order = await page.evaluate(
        "[...document.querySelectorAll('#chat-panel input, #chat-panel button, #chat-log')]"
        ".map(el => el.id || el.textContent.trim())"
    )
    assert order[:3] == ["chat-text", "Send", "chat-log"], order
    await page.get_by_role("heading", level=1).focus()
    await page.keyboard.press("Alt+Shift+H")
    await expect(page.get_by_role("button", name="Lower my hand")).to_be_visible()
    await expect(ann.hand_queue).to_have_text(["Ann"])
    await page.keyboard.press("Alt+Shift+K")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(help_dialog).to_contain_text("Raise or lower your hand")
    await page.keyboard.press("Escape")
    await expect(help_dialog).to_be_hidden()
