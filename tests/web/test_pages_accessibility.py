"""Accessibility of the pages around the room: axe-core finds no serious or critical
violation on /verify (empty, a genuine and a changed verification), /meetings and every
view of the admin page (signing in, rooms, a room's form, an invite, schedules, a
schedule's form, its meetings, the deployment's resources), on a desktop and at phone
width, in the light and the dark colour scheme, with reduced motion asked for; none
scrolls sideways. (The room's own views: test_accessibility.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from rooms.attendance import Attendance
from server.attendance import AttendanceKeys, make_key
from tests.support import ADMIN_TOKEN, ServerProcess, api
from tests.web.conftest import PHONE, MakePerson
from tests.web.people import check_view

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "attendance.pem"
    make_key(path)
    return path


@pytest.fixture
def server(redis_url: str, key: Path) -> Iterator[ServerProcess]:
    """One ``hearth serve`` with the admin API and an attendance key."""
    process = ServerProcess(
        redis_url, {"HEARTH_ADMIN_TOKEN": ADMIN_TOKEN, "HEARTH_ATTENDANCE_KEYS": str(key)}
    )
    process.start()
    yield process
    process.stop()


def viewport(size: str, scheme: str) -> dict[str, Any]:
    options: dict[str, Any] = {"color_scheme": scheme, "reduced_motion": "reduce"}
    if size == "phone":
        options["viewport"] = PHONE
    return options


def verification(key: Path) -> str:
    now = int(time.time() * 1000)
    attended = Attendance(
        meeting="Tuesday family group",
        first_seen=now - 3_600_000,
        scheduled_start=now - 3_600_000,
        scheduled_end=now,
        minutes_present=58,
        name="Samuel Jones",
        confirmed_by="Kim",
        issued_at=now,
    )
    return AttendanceKeys((str(key),)).sign(attended, "http://hearth.test", "Europe/London")


async def schedule(url: str) -> None:
    room = {"id": "family", "name": "Family group", "public": True, "guidelines": "Be kind."}
    assert (await api(url, "POST", "/api/v1/rooms", room)).status == 201
    first = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=1)
    series = {
        "id": "family-weekly",
        "room": "family",
        "starts": f"{first.isoformat()}T19:00",
        "ends": f"{first.isoformat()}T20:00",
        "timezone": "Europe/London",
        "rule": "FREQ=WEEKLY",
    }
    assert (await api(url, "POST", "/api/v1/series", series)).status == 201


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_verify_meetings_and_admin_pass_axe(
    size: str, scheme: str, server: ServerProcess, key: Path, people: MakePerson
) -> None:
    await schedule(server.url)
    person = await people(**viewport(size, scheme))
    page = person.page
    name = f"{size}-{scheme}"

    await page.goto(f"{server.url}/verify")
    await check_view(person, f"verify-{name}")
    genuine = verification(key)
    await page.goto("about:blank")  # else only the fragment changes, and the page stays
    await page.goto(f"{server.url}/verify#token={genuine}")
    await expect(page.locator("#verify-verdict")).to_have_text("Genuine: signed by this server")
    await expect(page.locator("#verify-claims")).to_contain_text("Samuel Jones")
    await check_view(person, f"verify-genuine-{name}")
    head, claims, signature = genuine.split(".")
    await page.get_by_label("Signed token").fill(f"{head}.{claims}x.{signature}")
    await page.get_by_role("button", name="Check it").click()
    await expect(page.locator("#verify-verdict")).to_have_text("Not a genuine verification")
    await expect(page.locator("#verify-reason")).to_have_text(  # words, not the server's
        "This server's key did not sign this token as it is: it was changed, copied"
        " incompletely, or made elsewhere. Ask for the original document, or scan its QR code."
    )
    await check_view(person, f"verify-changed-{name}")

    await page.goto(f"{server.url}/meetings")
    await expect(page.get_by_role("heading", name="Family group")).to_be_visible()
    await check_view(person, f"meetings-{name}")

    await page.goto(f"{server.url}/admin")
    await check_view(person, f"admin-signin-{name}")
    await page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Rooms", exact=True)).to_be_focused()
    await expect(page.locator("#rooms-list > li")).to_have_count(1)
    await check_view(person, f"admin-rooms-{name}")
    await page.get_by_role("button", name="Edit Family group").click()
    await expect(page.get_by_role("heading", name="Edit Family group")).to_be_focused()
    await check_view(person, f"admin-room-form-{name}")
    await page.get_by_role("button", name="Cancel").click()
    await page.get_by_role("button", name="Invite Family group").click()
    await page.get_by_label("Their name").fill("Sam")
    await page.get_by_role("button", name="Create invite link").click()
    await expect(page.get_by_role("heading", name="Invite link ready")).to_be_focused()
    await check_view(person, f"admin-invite-{name}")
    await page.get_by_role("button", name="Back to rooms").click()

    await page.get_by_role("button", name="Schedules").click()
    await expect(page.locator("#series-list > li")).to_have_count(1)
    await check_view(person, f"admin-schedules-{name}")
    await page.get_by_role("button", name="New schedule").click()
    await check_view(person, f"admin-schedule-form-{name}")
    await page.get_by_role("button", name="Cancel").click()
    await page.get_by_role("button", name="Meetings of Family group").click()
    await expect(page.get_by_role("heading", name="Meetings of Family group")).to_be_visible()
    await expect(page.locator("#meetings-list > li").first).to_be_visible()
    await check_view(person, f"admin-meetings-{name}")

    await page.get_by_role("button", name="Resources", exact=True).click()
    await expect(page.get_by_role("heading", name="Resources for every meeting")).to_be_focused()
    await page.get_by_role("button", name="Add a resource").click()
    await check_view(person, f"admin-resources-{name}")
