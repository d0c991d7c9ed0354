"""/meetings: the public meetings of the Meeting Guide feed, each at its next time in the
visitor's own time zone (a browser in New York sees a London meeting at New York time),
filterable by day and time of day, with its join link and guidelines; a private room is
not listed; no request leaves the server's origin; axe finds nothing serious in the light
or the dark scheme."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from tests.support import ADMIN_TOKEN, api
from tests.web.conftest import MakePerson
from tests.web.people import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


async def schedule(
    url: str, room: str, name: str, public: bool, first: date, audio: bool = False
) -> None:
    body = {"id": room, "name": name, "allow_guests": True, "public": public, "audio": audio,
            "guidelines": "Cameras off. Share for three minutes; no cross-talk."}  # fmt: skip
    made = await api(url, "POST", "/api/v1/rooms", body)
    assert made.status == 201, made.body
    series = {
        "id": f"{room}-weekly",
        "room": room,
        "starts": f"{first.isoformat()}T19:00",
        "ends": f"{first.isoformat()}T20:00",
        "timezone": "Europe/London",
        "rule": "FREQ=WEEKLY",
    }
    made = await api(url, "POST", "/api/v1/series", series)
    assert made.status == 201, made.body


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_public_meetings_in_the_visitors_own_time_zone(
    scheme: str, processes: Any, redis_url: str, people: MakePerson
) -> None:
    server = processes(redis_url, HEARTH_ADMIN_TOKEN=ADMIN_TOKEN)
    today = datetime.now(LONDON).date()
    tuesday = today + timedelta(
        days=(1 - today.weekday()) % 7 or 7
    )  # on a Tuesday, a series that starts next week is not shown as meeting today
    await schedule(server.url, "tuesday-family-group", "Tuesday family group", True, tuesday)
    await schedule(server.url, "private-circle", "Private circle", False, tuesday)
    wednesday = tuesday + timedelta(days=1)
    await schedule(server.url, "voices", "Voices", True, wednesday, audio=True)
    start = datetime(tuesday.year, tuesday.month, tuesday.day, 19, tzinfo=LONDON).astimezone(
        NEW_YORK
    )
    end = start + timedelta(hours=1)

    ann = await people(timezone_id="America/New_York", color_scheme=scheme)
    elsewhere: list[str] = []
    ann.page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if not request.url.startswith((server.url, "data:"))
            else None
        ),
    )
    await ann.page.goto(f"{server.url}/meetings")
    listed = ann.page.get_by_role("list", name="Meetings").get_by_role("listitem")
    await expect(listed).to_have_count(2)
    meeting = listed.first
    await expect(meeting.get_by_role("heading", level=2)).to_have_text("Tuesday family group")
    await expect(meeting.locator(".when")).to_have_text(
        f"{start:%A}, {start:%B} {start.day}, {clock(start)} to {clock(end)} (your time)"
    )
    await expect(meeting).to_contain_text("The group's own time: 19:00 to 20:00, Europe/London.")
    await expect(meeting).to_contain_text("Cameras off. Share for three minutes; no cross-talk.")
    await expect(meeting.locator(".taking-part")).to_have_text(
        "Text chat only: the meeting is held in writing, with no audio."
    )
    await expect(listed.nth(1).locator(".taking-part")).to_have_text(
        "Voice and text chat: you may join the audio, or take part in writing only."
    )
    join = meeting.get_by_role("link", name="Join Tuesday family group")
    assert await join.get_attribute("href") == "/?room=tuesday-family-group"
    await expect(ann.page.get_by_text("America/New_York")).to_be_visible()
    assert await axe_violations(ann.page) == []
    await ann.screenshot(f"meetings-{scheme}")

    status = ann.page.get_by_role("status")
    await ann.page.get_by_label("Voice or text").select_option(label="With voice (audio)")
    await expect(listed.get_by_role("heading", level=2)).to_have_text(["Voices"])
    await ann.page.get_by_label("Voice or text").select_option(label="Text chat only")
    await expect(listed.get_by_role("heading", level=2)).to_have_text(["Tuesday family group"])
    await ann.page.get_by_label("Day", exact=True).select_option(
        label=f"{(start - timedelta(days=1)):%A}"
    )
    await expect(status).to_have_text("No meeting matches these choices.")
    await expect(listed).to_have_count(0)
    await ann.page.get_by_label("Day", exact=True).select_option(label=f"{start:%A}")
    await expect(listed).to_have_count(1)
    await ann.page.get_by_label("Time of day").select_option("morning")
    await expect(listed).to_have_count(0)
    await ann.page.get_by_label("Time of day").select_option("afternoon")
    await expect(listed).to_have_count(1)
    await ann.page.get_by_label("Kind of meeting").select_option(label="Online")
    await expect(status).to_have_text("1 meeting shown.")

    await join.click()
    await expect(ann.page.get_by_label("Room", exact=True)).to_have_value("tuesday-family-group")
    assert elsewhere == []
