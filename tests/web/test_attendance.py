"""Attendance in the browser: a facilitator confirms a participant's attendance, the
participant downloads the signed printable page, and anyone checks it on /verify (a
tampered copy is not genuine)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from server.attendance import make_key
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson
from tests.web.people import ROOM

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def server(redis_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """One ``hearth serve`` with an attendance key, and its own address as its public URL
    (for the QR code)."""
    key = tmp_path / "attendance.pem"
    make_key(key)
    process = ServerProcess(redis_url)
    process.extra_env = {
        "HEARTH_DEMO_ROOM": ROOM,
        "HEARTH_ATTENDANCE_KEYS": str(key),
        "HEARTH_ATTENDANCE_MIN_MINUTES": "0",
        "HEARTH_PUBLIC_URL": process.url,
    }
    process.start()
    yield process
    process.stop()


async def test_download_a_verification_and_check_it_on_verify(
    server: ServerProcess, people: MakePerson, tmp_path: Path
) -> None:
    kim = await (await people()).open(server.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people(accept_downloads=True)).open(server.url, token("Sam"))
    await sam.join()

    await kim.page.get_by_role("button", name="Confirm Sam's attendance").click()
    await expect(kim.action_status).to_have_text("You confirmed Sam's attendance.")
    await expect(sam.page.locator("#attendance-confirmed")).to_contain_text(
        "Kim confirmed your attendance"
    )

    await sam.page.get_by_label("Name to print on it").fill("Samuel Jones")
    async with sam.page.expect_download() as downloading:
        await sam.page.get_by_role("button", name="Download my verification").click()
    download = await downloading.value
    saved = tmp_path / "verification.html"
    await download.save_as(saved)
    printed = saved.read_text()
    assert "Samuel Jones" in printed
    assert "<svg" in printed
    signed = re.search(r"<pre>([A-Za-z0-9_.-]+)</pre>", printed)
    assert signed is not None
    await expect(kim.page.get_by_text("Samuel Jones")).to_have_count(0)  # never in the room

    checker = await people()
    await checker.page.goto(f"{server.url}/verify")
    await checker.page.get_by_label("Signed token").fill(signed.group(1))
    await checker.page.get_by_role("button", name="Check it").click()
    await expect(checker.page.locator("#verify-verdict")).to_have_text(
        "Genuine: signed by this server"
    )
    claims = checker.page.locator("#verify-claims")
    await expect(claims).to_contain_text("Samuel Jones")
    await expect(claims).to_contain_text("Kim")
    await expect(claims).to_contain_text("Demo room")

    # The QR code's address checks it at once; a changed token is not genuine.
    await checker.page.goto(f"{server.url}/verify#token={signed.group(1)}")
    await expect(checker.page.locator("#verify-verdict")).to_have_text(
        "Genuine: signed by this server"
    )
    head, payload, signature = signed.group(1).split(".")
    await checker.page.get_by_label("Signed token").fill(f"{head}.{payload}x.{signature}")
    await checker.page.get_by_role("button", name="Check it").click()
    await expect(checker.page.locator("#verify-verdict")).to_have_text("Not a genuine verification")
