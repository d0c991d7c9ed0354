"""A sharing round in the browser: a facilitator makes a participant timekeeper, who
starts a round from the raised hands; two people share (the first to the warning and
the end of their time, counted down from the server's timestamps) and one passes, on two
server processes sharing one Redis. Each page shows what the server's events say."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson
from tests.web.people import Person

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_a_round_with_two_shares_and_a_pass(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(two.url, token("Sam"))
    await sam.join()
    lee = await (await people()).open(two.url, token("Lee"))
    await lee.join()
    await expect(lee.page.get_by_role("heading", name="Run a sharing round")).to_be_hidden()

    await kim.choose("Lee", "Make timekeeper")
    await expect(kim.action_status).to_have_text("Lee is now a timekeeper.")
    await expect(sam.roster.filter(has_text="Lee")).to_contain_text("Timekeeper")
    await expect(lee.page.get_by_role("heading", name="Run a sharing round")).to_be_visible()

    for person in (sam, kim, lee):  # the hand queue: Sam, Kim, Lee
        await person.page.get_by_role("button", name="Raise my hand").click()
        await expect(person.page.get_by_role("button", name="Lower my hand")).to_be_visible()
    await expect(lee.hand_queue).to_have_count(3)

    # Six seconds a share, the warning three seconds before the end.
    await lee.page.get_by_label("Order").select_option("hands")
    await lee.page.get_by_label("Minutes per share").fill("0.1")
    await lee.page.get_by_label("Warning, minutes before the end (0: none)").fill("0.05")
    await lee.page.get_by_role("button", name="Start the round").click()
    await expect(lee.action_status).to_have_text("The round has started.")
    for person in (kim, sam, lee):
        await expect(person.page.locator("#round-sharer")).to_have_text(
            "Sharing now: You" if person is sam else "Sharing now: Sam"
        )
    await expect(sam.page.locator("#floor-note")).to_have_text("You have the floor.")
    await expect(kim.roster.filter(has_text="Sam")).to_contain_text("Has the floor")
    await expect(kim.page.locator("#round-next")).to_have_text("Next: You")
    await expect(kim.hand_queue).to_have_count(0)  # the round took the hands
    await expect(sam.page.locator("#round-time")).to_have_text(re.compile(r"^0:0[1-6] left$"))
    await lee.screenshot("round-timekeeper")

    # The server's clock, on every page: the warning, then the end (a soft end).
    for person in (sam, kim):
        await expect(person.page.locator("#round-alert")).to_have_text("3 seconds left for Sam.")
    for person in (sam, kim):
        await expect(person.page.locator("#round-alert")).to_have_text("Time is up for Sam.")
    await expect(sam.page.locator("#round-time")).to_have_text("Time is up")
    await expect(sam.page.locator("#round-sharer")).to_have_text("Sharing now: You")

    # Lee, waiting in line, passes; Sam finishes; Kim shares; then nobody is left.
    await lee.page.get_by_role("button", name="Pass my turn").click()
    await expect(lee.action_status).to_have_text("You passed.")
    await expect(lee.page.get_by_role("button", name="Pass my turn")).to_be_hidden()
    await sam.page.get_by_role("button", name="I am done sharing").click()
    for person in (kim, sam, lee):
        await expect(person.page.locator("#round-sharer")).to_have_text(
            "Sharing now: You" if person is kim else "Sharing now: Kim"
        )
    await expect(sam.page.locator("#round-next")).to_have_text("Nobody is next.")
    await kim.page.get_by_role("button", name="I am done sharing").click()
    for person in (kim, sam, lee):
        await expect(person.page.locator("#round-status")).to_be_hidden()
        await expect(person.page.locator("#floor-note")).to_have_text("Nobody has the floor.")
    await expect(sam.announcer).to_contain_text("The sharing round has ended")

    await kim.page.get_by_role("button", name="Show the audit log").click()
    audit = kim.page.locator("#audit")
    await expect(audit).to_contain_text("Kim gave a service role to Lee (timekeeper)")
    await expect(audit).to_contain_text("Lee ran the round (started: hands, 3 in line, 6 s each)")


async def _kim_starts_a_round_for_sam(
    one: ServerProcess, two: ServerProcess, people: MakePerson
) -> tuple[Person, Person]:
    """Kim, a facilitator on one process, starts a round of Sam alone (on the other) with
    the default three minutes a share."""
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(two.url, token("Sam"))
    await sam.join()
    await kim.page.get_by_label("Order").select_option("list")
    await kim.page.get_by_label("Sam", exact=True).check()
    await kim.page.get_by_role("button", name="Start the round").click()
    return kim, sam


async def test_a_facilitator_chooses_who_shares_and_ends_the_round(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim, sam = await _kim_starts_a_round_for_sam(one, two, people)
    await expect(sam.page.locator("#round-sharer")).to_have_text("Sharing now: You")
    await expect(sam.page.locator("#round-next")).to_have_text("Nobody is next.")
    await expect(sam.page.locator("#round-time")).to_have_text(re.compile(r"^[23]:\d\d left$"))
    await kim.page.get_by_role("button", name="End the round").click()
    await expect(kim.action_status).to_have_text("The round has ended.")
    await expect(sam.page.locator("#round-status")).to_be_hidden()


async def test_a_facilitator_moves_people_up_down_next_and_back_into_the_line(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """The round's line as a facilitator reorders it from each person's options, on two
    processes: moved up, moved down, to share next, and added back after sharing."""
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam, lee, ann = [await (await people()).open(two.url, token(n)) for n in ("Sam", "Lee", "Ann")]
    for person in (sam, lee, ann):
        await person.join()
    await kim.page.get_by_label("Order").select_option("list")
    for name in ("Kim (you)", "Sam", "Lee", "Ann"):  # in the order they joined
        await kim.page.get_by_label(name, exact=True).check()
    await kim.page.get_by_role("button", name="Start the round").click()
    line = kim.page.locator("#round-queue > li")
    await expect(line).to_have_text(["Sam", "Lee", "Ann"])  # Kim shares first

    await kim.choose("Ann", "Move up one place")
    await expect(kim.action_status).to_have_text("Ann is number 2 in line.")
    await expect(line).to_have_text(["Sam", "Ann", "Lee"])
    await kim.choose("Sam", "Move down one place")
    await expect(kim.action_status).to_have_text("Sam is number 2 in line.")
    await expect(line).to_have_text(["Ann", "Sam", "Lee"])
    await expect(ann.page.locator("#round-next")).to_have_text("Next: You")
    await kim.choose("Lee", "Share next")
    await expect(line).to_have_text(["Lee", "Ann", "Sam"])
    await expect(lee.page.locator("#round-next")).to_have_text("Next: You")

    await kim.page.get_by_role("button", name="I am done sharing").click()
    await expect(lee.page.locator("#round-sharer")).to_have_text("Sharing now: You")
    await lee.page.get_by_role("button", name="I am done sharing").click()
    await expect(ann.page.locator("#round-sharer")).to_have_text("Sharing now: You")
    await expect(line).to_have_text(["Sam"])
    await kim.choose("Lee", "Add to the end of the line")
    await expect(kim.action_status).to_have_text("Lee is last in line.")
    await expect(line).to_have_text(["Sam", "Lee"])
    await expect(lee.page.get_by_role("button", name="Pass my turn")).to_be_visible()


# A page whose own clock runs 90 s fast: without the server's `now` it would show a
# share's time left 90 s short until the next round change.
FAST_CLOCK = "(() => { const real = Date.now; Date.now = () => real() + 90000; })();"


def _seconds_left(text: str) -> int:
    found = re.fullmatch(r"(\d+):(\d\d) left", text)
    assert found, text
    return int(found[1]) * 60 + int(found[2])


async def test_a_page_joining_mid_round_with_a_skewed_clock_shows_the_servers_time_left(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """Kim starts a three-minute share for Sam; Lee's page, its clock 90 s fast, joins
    mid-round through the other process. Its countdown agrees with Kim's at once (from the
    snapshot's ``now``), not 90 s short."""
    one, two = servers
    kim, _ = await _kim_starts_a_round_for_sam(one, two, people)
    await expect(kim.page.locator("#round-sharer")).to_have_text("Sharing now: Sam")

    lee = await people()
    await lee.page.add_init_script(FAST_CLOCK)
    await lee.open(two.url, token("Lee"))
    await lee.join()
    await expect(lee.page.locator("#round-sharer")).to_have_text("Sharing now: Sam")
    assert await lee.page.evaluate("Date.now() - new Date().getTime()") > 80_000
    await expect(lee.page.locator("#round-time")).to_have_text(re.compile(r"^\d+:\d\d left$"))
    lees = _seconds_left(await lee.page.locator("#round-time").inner_text())
    kims = _seconds_left(await kim.page.locator("#round-time").inner_text())
    assert abs(lees - kims) <= 2, (lees, kims)
    assert lees > 150, lees  # a three-minute share, just started
