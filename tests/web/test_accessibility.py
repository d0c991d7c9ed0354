"""Accessibility in the browser: axe-core (from npm) finds no serious or critical
violation on the join, guidelines, room and facilitator views, on a desktop and at phone
width; the pages fit a phone without sideways scrolling. Screenshots of each view are
saved in test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import PHONE, MakePerson
from tests.web.people import AXE, Person

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

BLOCKING = {"serious", "critical"}


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; serious and critical violations only.

    The script is evaluated through the DevTools protocol, which the page's CSP does not
    govern, so the page keeps its strict policy while being checked."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())
    result = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    return [v for v in result if v["impact"] in BLOCKING]


async def check_view(person: Person, name: str) -> None:
    await person.screenshot(name)
    assert await axe_violations(person.page) == [], name
    fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert await person.page.evaluate(fits), f"{name} scrolls sideways"


@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_every_view_passes_axe(
    size: str, servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    viewport = {"viewport": PHONE} if size == "phone" else {}
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
    await expect(kim.hand_queue).to_have_text(["Sam"])
    await expect(sam.chat_texts).to_have_count(2)
    await check_view(sam, f"room-{size}")
    await expect(kim.page.get_by_role("heading", name="Facilitator tools")).to_be_visible()
    await check_view(kim, f"facilitator-{size}")
    await sam.page.get_by_role("button", name="Leave the room").click()
    await check_view(sam, f"left-{size}")
