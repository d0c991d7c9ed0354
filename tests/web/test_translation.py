"""A translation is one file: a browser whose first language is Welsh gets
``/static/words/cy.js`` (served here by the test, as a deployment would add the file), and
the page's labels, a refusal, a room event and a plural are said in its words, with
English for whatever it leaves out. No code changes."""

from __future__ import annotations

import pytest
from playwright.async_api import Route, expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

WELSH = """export default {
  page: { join_title: "Ymuno â chyfarfod", continue: "Ymlaen", send: "Anfon",
          control_bar_label: "Rheolaethau'r cyfarfod" },
  events: { joined: "{name} wedi ymuno", reactions: "Ymatebion: {list}",
            reaction: { heart: { other: "{count} calon" } } },
  errors: { room_not_found: "Does dim cyfarfod ar agor gyda'r enw hwnnw ar hyn o bryd." },
};
"""


async def test_a_translation_file_says_the_page_in_its_language(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers

    async def welsh(route: Route) -> None:
        await route.fulfill(body=WELSH, content_type="text/javascript")

    sam = await people(locale="cy-GB")
    await sam.page.route("**/static/words/cy.js", welsh)
    await sam.open(one.url, token("Sam"))
    await expect(sam.page.get_by_role("heading", level=1)).to_have_text("Ymuno â chyfarfod")
    await expect(sam.page.get_by_label("Room", exact=True)).to_be_visible()  # left out: English
    await sam.page.get_by_role("button", name="Ymlaen").click()
    await expect(sam.page.get_by_role("heading", name="Room guidelines")).to_be_visible()
    await sam.consent_and_enter()
    await expect(sam.page.get_by_role("button", name="Anfon", exact=True)).to_be_visible()
    await expect(sam.page.get_by_role("navigation", name="Rheolaethau'r cyfarfod")).to_be_visible()

    kim = await (await people()).open(two.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    await expect(sam.announcer).to_contain_text("Kim wedi ymuno")
    # A plural entry is taken whole: Welsh's forms are never mixed with English ones
    # (English has "a heart" for one; this file has only "other").
    await kim.page.get_by_role("button", name="Heart").click()
    await expect(sam.announcer).to_contain_text("Ymatebion: 1 calon")

    refused = await people(locale="cy")
    await refused.page.route("**/static/words/cy.js", welsh)
    await refused.open(one.url, room="nowhere")
    await refused.page.get_by_label("Your first name").fill("Lee")
    await refused.page.get_by_role("button", name="Ymlaen").click()
    await expect(refused.page.locator("#join-error")).to_have_text(
        "Does dim cyfarfod ar agor gyda'r enw hwnnw ar hyn o bryd."
    )
