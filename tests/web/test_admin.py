"""The admin page in Chromium, against two real ``hearth serve`` processes on one Redis with
the admin API enabled: signing in, rooms made and listed, schedules in a named time zone,
invite links that let a second person in, live counts, closing a room, and the same
accessibility and safety bars as the room page (axe-core, keyboard only, inert user text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.async_api import Locator, Page, expect
from redis import Redis

from tests.support import ADMIN_TOKEN, RedisServer, ServerProcess, api
from tests.web.conftest import PHONE, MakePerson
from tests.web.people import Person, check_view, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MARKUP = "<img src=x onerror=window.pwned=1>"
LIVE_MS = 12_000  # the list refreshes every 5 s
ANY_TEXT = re.compile(".")


@pytest.fixture(scope="module")
def hearth(redis_server: RedisServer) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two processes for the whole module (each test uses rooms of its own), on a Redis
    emptied of what earlier modules left."""
    with Redis.from_url(redis_server.url) as redis:
        redis.flushall()
    env = {"HEARTH_ADMIN_TOKEN": ADMIN_TOKEN}
    one = ServerProcess(redis_server.url, env).start()
    two = ServerProcess(redis_server.url, env).start()
    yield one, two
    one.stop()
    two.stop()


async def sign_in(person: Person, url: str) -> Page:
    page = person.page
    await page.goto(f"{url}/admin")
    await page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Rooms", exact=True)).to_be_focused()
    return page


def card(page: Page, name: str) -> Locator:
    return page.locator("#rooms-list > li").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


async def add_crisis_line(page: Page, title: str, phone: str) -> None:
    """One more row in the resource editor on screen, filled in as a crisis line."""
    await page.get_by_role("button", name="Add a resource").click()
    await page.get_by_label("Title, resource", exact=False).last.fill(title)
    await page.get_by_label("Kind, resource", exact=False).last.select_option("crisis")
    await page.get_by_label("Phone, resource", exact=False).last.fill(phone)


async def test_a_wrong_token_is_refused_in_words_and_the_right_one_kept_for_the_tab_only(
    hearth: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    person = await people()
    page = person.page
    await page.goto(f"{hearth[0].url}/admin")
    await page.get_by_label("Admin token").fill("not-the-admin-token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "The server did not accept this admin token. Check it and sign in again."
    )
    assert await page.evaluate("sessionStorage.length") == 0  # a wrong token is not kept
    await check_view(person, "admin-signin")

    await page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Rooms", exact=True)).to_be_visible()
    assert ADMIN_TOKEN not in page.url
    await page.reload()  # the tab keeps it
    await expect(page.get_by_role("heading", name="Rooms", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert await page.evaluate("sessionStorage.length") == 0
    headers = (await page.request.get(f"{hearth[0].url}/admin")).headers
    assert "script-src 'self';" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]


async def test_a_room_made_by_keyboard_alone_is_listed_and_the_views_pass_axe(
    hearth: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    person = await people()
    page = await sign_in(person, hearth[0].url)
    keys = page.keyboard
    await tab_to(page, page.get_by_role("button", name="New room"))
    await keys.press("Enter")
    await expect(page.get_by_role("heading", name="New room")).to_be_focused()
    await check_view(person, "admin-room-form")
    await tab_to(page, page.get_by_label("Name", exact=True))
    await keys.type("Morning check-in")
    await expect(page.get_by_label("Room id", exact=True)).to_have_value("morning-check-in")
    await tab_to(page, page.get_by_label("Guests may join without an invite"))
    await keys.press("Space")
    await tab_to(page, page.get_by_role("button", name="Create room"))
    await keys.press("Enter")

    await expect(page.locator("#rooms-status")).to_have_text(
        "Morning check-in is created (room id morning-check-in)."
    )
    room = card(page, "Morning check-in")
    await expect(room).to_contain_text("Closed")
    await expect(room).to_contain_text("Anyone with the link")
    saved = await api(hearth[1].url, "GET", "/api/v1/rooms/morning-check-in")
    assert saved.body["allow_guests"] is True
    await check_view(person, "admin-rooms")


async def test_markup_in_a_room_name_stays_inert_text_through_edit_refusal_and_delete(
    hearth: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    made = await api(hearth[0].url, "POST", "/api/v1/rooms", {"id": "inert", "name": MARKUP})
    assert made.status == 201
    person = await people(viewport=PHONE)
    page = await sign_in(person, hearth[0].url)
    await expect(card(page, MARKUP)).to_have_count(1)
    await page.get_by_role("button", name="New room").click()
    await page.get_by_label("Name", exact=True).fill("Another")
    await page.get_by_label("Room id", exact=True).fill("inert")
    await page.get_by_role("button", name="Create room").click()
    await expect(page.get_by_role("alert")).to_have_text("Room 'inert' already exists.")
    await page.get_by_role("button", name="Cancel").click()
    await page.get_by_role("button", name=f"Edit {MARKUP}").click()
    await expect(page.get_by_role("heading", name=f"Edit {MARKUP}")).to_be_visible()
    await expect(page.get_by_label("Name", exact=True)).to_have_value(MARKUP)
    assert await page.locator("main img").count() == 0
    assert await page.evaluate("window.pwned") is None
    await page.get_by_label("Guidelines").fill("Be kind.")
    await page.get_by_label("People may talk with audio").check()
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#rooms-status")).to_have_text(f"{MARKUP} is saved.")
    saved = await api(hearth[1].url, "GET", "/api/v1/rooms/inert")
    assert saved.body["guidelines"] == "Be kind."
    assert saved.body["audio"] is True
    await page.get_by_role("button", name=f"Edit {MARKUP}").click()  # audio survives an edit
    await expect(page.get_by_label("People may talk with audio")).to_be_checked()
    await page.get_by_role("button", name="Cancel").click()
    assert await page.locator("main img").count() == 0
    await check_view(person, "admin-rooms-phone")
    await card(page, MARKUP).get_by_role("button", name="Delete").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete the room").click()
    await expect(page.locator("#rooms-status")).to_have_text(f"{MARKUP} is deleted.")
    await expect(card(page, MARKUP)).to_have_count(0)
    assert (await api(hearth[1].url, "GET", "/api/v1/rooms/inert")).status == 404


def next_tuesday() -> date:
    """A Tuesday at least two days away, so it is still ahead in every time zone."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


async def test_a_weekly_schedule_in_a_named_zone_is_made_edited_skipped_moved_and_deleted(
    hearth: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    body = {"id": "tuesday-group", "name": "Tuesday group"}
    assert (await api(hearth[0].url, "POST", "/api/v1/rooms", body)).status == 201
    person = await people()
    page = await sign_in(person, hearth[0].url)
    await page.get_by_role("button", name="Schedules").click()
    await page.get_by_role("button", name="New schedule").click()
    await page.get_by_label("Room", exact=True).select_option("tuesday-group")
    await page.get_by_label("Tuesday", exact=True).check()
    first = next_tuesday()
    await page.get_by_label("Starting from").fill(first.isoformat())
    await page.get_by_label("Start time").fill("19:00")
    await page.get_by_label("Length in minutes").fill("90")
    await page.get_by_label("Time zone").select_option("America/New_York")
    await check_view(person, "admin-schedule-form")
    await page.get_by_role("button", name="Save schedule").click()

    await expect(page.get_by_role("heading", name="Meetings of Tuesday group")).to_be_visible()
    meetings = page.locator("#meetings-list > li .meeting")
    await expect(meetings.first).to_have_text(f"{long_date(first)}, 19:00 to 20:30")
    await page.get_by_role("button", name=f"Skip the meeting of {long_date(first)}").click()
    await page.get_by_role("dialog").get_by_role("button", name="Skip the meeting").click()
    await expect(page.get_by_text(f"The meeting of {long_date(first)} is skipped.")).to_be_visible()
    second = first + timedelta(days=7)
    await expect(meetings.first).to_have_text(f"{long_date(second)}, 19:00 to 20:30")

    await page.get_by_role("button", name=f"Move the meeting of {long_date(second)}").click()
    wednesday = second + timedelta(days=1)
    await page.get_by_label(f"New start for the meeting of {long_date(second)}").fill(
        f"{wednesday.isoformat()}T18:00"
    )
    await page.get_by_role("button", name="Move the meeting", exact=True).click()
    moved = f"{long_date(wednesday)}, 18:00 to 19:30"
    await expect(page.locator("#meetings-status")).to_have_text(
        f"The meeting of {long_date(second)} is now on {moved}."
    )
    await page.get_by_role("button", name=f"Bring back the meeting of {long_date(first)}").click()
    await expect(page.locator("#meetings-status")).to_have_text(
        f"The meeting of {long_date(first)} is back."
    )
    await expect(meetings).to_have_text(
        [f"{long_date(first)}, 19:00 to 20:30", moved, *[ANY_TEXT] * 3]
    )
    await check_view(person, "admin-meetings")
    await page.get_by_role("button", name="Back to schedules").click()
    schedule = page.locator("#series-list > li").filter(has_text="Tuesday group")
    await expect(schedule).to_contain_text("Weekly on Tuesday at 19:00 for 90 min")
    await expect(schedule).to_contain_text(f"Next meeting: {long_date(first)}, 19:00 to 20:30")

    await schedule.get_by_role("button", name="Edit").click()
    await expect(page.get_by_label("Tuesday", exact=True)).to_be_checked()
    await expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    await page.get_by_label("Length in minutes").fill("60")
    await page.get_by_role("button", name="Save schedule").click()
    await expect(page.locator("#meetings-status")).to_have_text(
        "The schedule of Tuesday group is saved."
    )
    # An edit keeps the moved meeting, which takes the new length.
    await expect(meetings.nth(1)).to_have_text(f"{long_date(wednesday)}, 18:00 to 19:00")
    stored = await api(hearth[1].url, "GET", "/api/v1/series/tuesday-group")
    assert stored.body["ends"] == f"{first.isoformat()}T20:00"
    assert stored.body["skipped"] == []
    assert stored.body["moved"] == [
        {"occurrence": second.isoformat(), "starts": f"{wednesday.isoformat()}T18:00"}
    ]

    await page.get_by_role("button", name="Back to schedules").click()
    await schedule.get_by_role("button", name="Delete").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete the schedule").click()
    await expect(page.locator("#series-status")).to_have_text(
        "The schedule of Tuesday group is deleted."
    )
    await expect(schedule).to_have_count(0)
    assert (await api(hearth[1].url, "GET", "/api/v1/series/tuesday-group")).status == 404


async def test_an_invite_lets_a_second_person_in_counted_live_and_closing_ends_their_meeting(
    hearth: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = hearth
    body = {"id": "evening-circle", "name": "Evening circle"}
    assert (await api(one.url, "POST", "/api/v1/rooms", body)).status == 201
    admin = await people()
    await admin.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await sign_in(admin, one.url)
    room = card(page, "Evening circle")
    await room.get_by_role("button", name="Open now").click()
    await expect(page.locator("#rooms-status")).to_have_text("Evening circle is open.")
    await room.get_by_role("button", name="Invite").click()
    await page.get_by_label("Their name").fill("Sam")
    await page.get_by_role("button", name="Create invite link").click()
    await expect(page.get_by_role("heading", name="Invite link ready")).to_be_focused()
    link = page.get_by_label("Invite link", exact=True)
    await expect(link).to_be_hidden()  # shown only on request
    await check_view(admin, "admin-invite")
    await page.get_by_role("button", name="Copy link").click()
    await expect(page.get_by_text("The invite link is copied.", exact=False)).to_be_visible()
    copied = await page.evaluate("navigator.clipboard.readText()")
    await page.get_by_role("button", name="Show link").click()
    await expect(link).to_have_value(copied)
    assert copied.startswith(f"{one.url}/?room=evening-circle#token=")
    await page.get_by_role("button", name="Back to rooms").click()

    close = room.get_by_role("button", name="Close now")
    await close.focus()
    sam = await people()
    await sam.page.goto(copied.replace(one.url, two.url))  # the other process
    await sam.join()
    await expect(room).to_contain_text("1 person in the room", timeout=LIVE_MS)
    await expect(page.locator("#announcer")).to_contain_text("Evening circle: 1 person")
    await expect(close).to_be_focused()  # the refresh left the keyboard where it was
    await admin.screenshot("admin-rooms-live")

    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(dialog.get_by_role("button", name="Close the room")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#rooms-status")).to_have_text("Evening circle is closed.")
    await expect(sam.page.get_by_role("heading", name="The meeting has ended")).to_be_visible()
    await expect(room).to_contain_text("Closed")


async def test_a_rooms_crisis_line_script_and_history_set_on_the_page_reach_the_api(
    hearth: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    person = await people()
    page = await sign_in(person, hearth[0].url)
    await page.get_by_role("button", name="New room").click()
    await page.get_by_label("Name", exact=True).fill("Night owls")
    await page.get_by_label("Meeting script", exact=True).fill("We read the preamble, then share.")
    await page.get_by_label("What latecomers see of the chat").select_option("recent")
    await add_crisis_line(page, "Samaritans", "116 123")
    await page.get_by_role("button", name="Create room").click()
    await expect(page.locator("#rooms-status")).to_contain_text("Night owls is created")
    saved = (await api(hearth[1].url, "GET", "/api/v1/rooms/night-owls")).body
    assert saved["script"] == "We read the preamble, then share."
    assert saved["history"] == "recent"
    assert saved["resources"][0]["title"] == "Samaritans"
    assert saved["resources"][0]["category"] == "crisis"
    assert saved["resources"][0]["phone"] == "116 123"

    # Editing keeps them (a PUT replaces the room's settings), and a bad phone is refused.
    await card(page, "Night owls").get_by_role("button", name="Edit").click()
    await expect(page.get_by_label("Title, resource", exact=False).last).to_have_value("Samaritans")
    await page.get_by_label("Phone, resource", exact=False).last.fill("call me")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#room-form-error")).to_contain_text("phone")
    await page.get_by_label("Phone, resource", exact=False).last.fill("116 123")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_role("heading", name="Rooms", exact=True)).to_be_visible()
    again = (await api(hearth[1].url, "GET", "/api/v1/rooms/night-owls")).body
    assert again["resources"] == saved["resources"]
    assert again["script"] == saved["script"]


async def test_the_deployments_resources_set_on_the_page_are_what_the_other_process_serves(
    hearth: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    person = await people()
    page = await sign_in(person, hearth[0].url)
    await page.get_by_role("button", name="Resources", exact=True).click()
    await expect(
        page.get_by_role("heading", name="Resources for every meeting", exact=True)
    ).to_be_focused()
    await expect(page.locator("#resources-source")).to_contain_text("HEARTH_RESOURCES_FILE")
    await expect(page.get_by_role("button", name="Use the server's file again")).to_be_hidden()
    try:
        await add_crisis_line(page, "Night line", "call me")
        await page.get_by_role("button", name="Save resources").click()
        await expect(page.locator("#resources-error")).to_contain_text("phone")
        refused = (await api(hearth[1].url, "GET", "/api/v1/resources")).body
        assert refused == {"resources": [], "source": "settings"}  # nothing changed

        await page.get_by_label("Phone, resource", exact=False).last.fill("988")
        await page.get_by_role("button", name="Save resources").click()
        await expect(page.locator("#resources-status")).to_have_text(
            "The resources are saved for every meeting."
        )
        saved = (await api(hearth[1].url, "GET", "/api/v1/resources")).body
        assert saved["source"] == "admin"
        assert [(r["title"], r["category"], r["phone"]) for r in saved["resources"]] == [
            ("Night line", "crisis", "988")
        ]
        await check_view(person, "admin-resources")

        await page.get_by_role("button", name="Use the server's file again").click()
        await expect(page.locator("#resources-status")).to_have_text(
            "The server's file is used again."
        )
        await expect(page.get_by_label("Title, resource", exact=False)).to_have_count(0)
        back = (await api(hearth[1].url, "GET", "/api/v1/resources")).body
        assert back == {"resources": [], "source": "settings"}
    finally:
        await api(hearth[0].url, "DELETE", "/api/v1/resources")
