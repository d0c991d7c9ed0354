"""Joining in the browser: the invitation link, the guidelines and consent before anyone
sees you, and refusals shown in words."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ADMIN_TOKEN, ServerProcess, api, token
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
    """Each refusal in the catalogue's words (web_client/static/words/en.js), never the
    server's English."""
    url = servers[0].url
    elsewhere = await (await people()).open(url, token("Ada", rooms=("another-room",)))
    await elsewhere.page.get_by_role("button", name="Continue").click()
    await expect(elsewhere.page.get_by_role("alert")).to_have_text(
        "Your invitation is for a different meeting."
    )
    expired = await (await people()).open(url, token("Bo", ttl_s=-60))
    await expired.page.get_by_role("button", name="Continue").click()
    await expect(expired.page.get_by_role("alert")).to_have_text(
        "Your invitation link has expired. Ask the person who invited you for a new one."
    )
    nowhere = await (await people()).open(url, room="nowhere")
    await nowhere.ask_to_join_refused("Cy")
    await expect(nowhere.page.get_by_role("alert")).to_have_text(
        "There is no meeting open by that name right now. Check the room name in your invitation."
    )
    nameless = await (await people()).open(url)
    await nameless.page.get_by_role("button", name="Continue").click()
    await expect(nameless.page.get_by_role("alert")).to_contain_text("Enter the name")
    await expect(nameless.page.get_by_label("Your first name")).to_be_focused()


async def test_a_locked_room_is_explained_at_the_door(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    await kim.page.get_by_label("Lock the room: no new joins").click()
    await expect(kim.page.get_by_label("Lock the room: no new joins")).to_be_checked()
    sam = await (await people()).open(two.url)
    await sam.ask_to_join("Sam")
    await sam.page.get_by_label("I have read the guidelines and agree to follow them").check()
    await sam.page.get_by_role("button", name="Enter the room").click()
    await expect(sam.page.get_by_role("alert")).to_have_text(
        "The facilitator has closed this meeting to new arrivals."
    )


async def test_an_early_invite_link_says_when_the_meeting_opens(
    processes: Any, redis_url: str, people: MakePerson
) -> None:
    """A scheduled room between meetings: the page says, in the visitor's own time zone,
    when the next one opens (its lobby), from the refusal's ``opens_at``."""
    one = processes(redis_url, HEARTH_ADMIN_TOKEN=ADMIN_TOKEN)
    room = {"id": "tuesday-family-group", "name": "Tuesday family group", "allow_guests": True}
    assert (await api(one.url, "POST", "/api/v1/rooms", room)).status == 201
    series = {
        "id": "tuesdays",
        "room": "tuesday-family-group",
        "starts": "2030-01-01T19:00",
        "ends": "2030-01-01T20:00",
        "timezone": "Europe/London",
        "rule": "FREQ=WEEKLY",
        "lobby_minutes": 10,
    }
    made = await api(one.url, "POST", "/api/v1/series", series)
    assert made.status == 201, made.body
    ann = await (await people(timezone_id="America/New_York")).open(
        one.url, token("Ann"), room="tuesday-family-group"
    )
    await ann.page.get_by_role("button", name="Continue").click()
    await expect(ann.page.get_by_role("alert")).to_have_text(
        "This meeting is not open yet. It opens Tuesday, January 1 at 1:50 PM. Please come"
        " back then."
    )


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


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_a_tile_colour_chosen_on_joining_is_what_everyone_sees(
    scheme: str, servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """Sam, a guest, picks teal on the join form; Kim, on the other process, sees Sam's
    initials on teal (the scheme's shade of it) and her own on the plain tint; after a
    reload Sam's page still has teal chosen."""
    one, two = servers
    kim = await (await people(color_scheme=scheme)).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people(color_scheme=scheme)).open(two.url)
    await sam.page.get_by_label("Teal").check()
    await sam.join("Sam")
    tile = kim.roster.filter(has_text="Sam")
    await expect(tile).to_have_attribute("data-colour", "teal")
    circle = await tile.evaluate(
        "t => { const s = getComputedStyle(t, '::before');"
        " return [s.backgroundColor, s.color, s.content]; }"
    )
    teal = await kim.page.evaluate(
        "() => { const p = document.createElement('p');"
        " p.style.background = 'var(--tile-teal)'; p.style.color = 'var(--tile-teal-ink)';"
        " document.body.append(p); const s = getComputedStyle(p);"
        " const c = [s.backgroundColor, s.color]; p.remove(); return c; }"
    )
    assert circle == [*teal, '"S"']
    assert await kim.roster.filter(has_text="Kim").get_attribute("data-colour") is None
    await expect(sam.roster.filter(has_text="Sam")).to_have_attribute("data-colour", "teal")

    await sam.page.reload()
    await expect(sam.page.get_by_label("Teal")).to_be_checked()
