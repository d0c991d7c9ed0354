"""The connection in the browser: a lost event is healed from a snapshot, a restarted
server process is rejoined by itself, and being replaced or the room closing is said
plainly."""

from __future__ import annotations

import re
import signal
from typing import Any

import pytest
from playwright.async_api import Route, WebSocketRoute, expect

from rooms.identity import Role
from server.app import STORE, create_app
from tests.support import ServerProcess, settings, token
from tests.web.conftest import PHONE, MakePerson
from tests.web.people import ROOM

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

RECONNECT_WAIT_MS = 20_000
# The status while out of the room counts the seconds since the drop.
RECONNECTING = re.compile(r"^Connection lost\. Reconnecting… \(\d+ s\)$")


async def test_a_lost_event_is_healed_from_a_snapshot(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """The network drops one chat frame on its way to Sam; the next event's sequence number
    shows the gap, and Sam's page fetches a snapshot that has the lost message."""
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await people()
    dropped: list[str] = []

    def lossy_network(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def deliver(message: str | bytes) -> None:
            if not dropped and isinstance(message, str) and "lost in transit" in message:
                dropped.append(message)
                return
            ws.send(message)

        server.on_message(deliver)

    await sam.page.route_web_socket(re.compile(r"/socket\.io/"), lossy_network)
    await sam.open(two.url)
    await sam.join("Sam")
    await kim.say("lost in transit")
    await expect(kim.chat_texts).to_have_text(["lost in transit"])
    await kim.say("after the gap")
    await expect(sam.chat_texts).to_have_text(["lost in transit", "after the gap"])
    assert len(dropped) == 1
    await expect(kim.chat_texts).to_have_text(["lost in transit", "after the gap"])


async def test_a_restarted_server_process_is_rejoined_without_help(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson, redis_url: str
) -> None:
    one, two = servers
    kim = await (await people()).open(two.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(one.url, token("Sam"))
    await sam.join()
    await sam.say("before")

    one.kill()
    await expect(sam.status).to_have_text(RECONNECTING)
    await kim.say("while you were away")
    again = ServerProcess(redis_url, {"HEARTH_DEMO_ROOM": ROOM}, port=one.port).start()
    try:
        await expect(sam.status).to_have_text("Back in the room", timeout=RECONNECT_WAIT_MS)
        await expect(sam.chat_texts).to_have_text(
            ["before", "while you were away"], timeout=RECONNECT_WAIT_MS
        )
        await sam.say("back again")
        await expect(kim.chat_texts).to_have_text(["before", "while you were away", "back again"])
        await expect(kim.roster).to_have_count(2)
        await expect(sam.roster).to_have_count(2)
    finally:
        # Sam's page goes first: a server stopping waits for its open connections.
        await sam.page.close()
        again.stop()


async def test_the_reconnect_banner_counts_the_seconds_in_view_and_says_back(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson, redis_url: str
) -> None:
    """At phone width, with the page scrolled: a dropped transport and then a process that
    died each put the banner at the top of the screen, drawn over nothing, counting the
    seconds since the drop (the count hidden from screen readers, which hear the words),
    then "Back in the room" when resumed."""
    one, two = servers
    kim = await (await people()).open(two.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await people(viewport=PHONE)
    sockets: list[WebSocketRoute] = []
    cut = False  # the network is down: every new connection fails

    async def through(ws: WebSocketRoute) -> None:
        if cut:
            await ws.close()
            return
        sockets.append(ws)
        server = ws.connect_to_server()
        server.on_message(ws.send)
        ws.on_message(server.send)

    async def polling(route: Route) -> None:
        await (route.abort() if cut else route.continue_())

    await sam.page.route_web_socket(re.compile(r"/socket\.io/"), through)
    await sam.page.route(re.compile(r"/socket\.io/"), polling)
    await sam.open(one.url, token("Sam"))
    await sam.join()
    await sam.page.mouse.wheel(0, 2000)
    banner = sam.status

    async def in_view_and_counting() -> None:
        await expect(banner).to_have_text(RECONNECTING)
        box = await banner.bounding_box()
        assert box is not None
        assert box["y"] >= 0, box  # at the top of the screen, however far it scrolled
        assert box["y"] + box["height"] <= 200, box
        drawn = await banner.evaluate(
            "b => { const r = b.getBoundingClientRect();"
            " return b.contains(document.elementFromPoint(r.x + 4, r.y + r.height / 2)); }"
        )
        assert drawn, "something covers the banner"
        first = await banner.text_content()
        await expect(banner).not_to_have_text(str(first), timeout=RECONNECT_WAIT_MS)
        await expect(banner).to_have_text(RECONNECTING)  # a later second, still counting
        await expect(banner.locator(".elapsed")).to_have_attribute("aria-hidden", "true")
        await expect(banner).to_match_aria_snapshot('- status: "Connection lost. Reconnecting…"')

    # The transport drops (the process lives on) and stays down for a while.
    cut = True
    await sockets[-1].close()
    await in_view_and_counting()
    cut = False
    await expect(banner).to_have_text("Back in the room", timeout=RECONNECT_WAIT_MS)
    await expect(banner).to_have_attribute("data-state", "back")
    await expect(banner).to_match_aria_snapshot('- status: "Back in the room"')  # no "●"

    one.kill()  # the process dies
    await in_view_and_counting()
    await kim.say("while you were away")
    again = ServerProcess(redis_url, {"HEARTH_DEMO_ROOM": ROOM}, port=one.port).start()
    try:
        await expect(banner).to_have_text("Back in the room", timeout=RECONNECT_WAIT_MS)
        await sam.open_chat()
        await expect(sam.chat_texts).to_have_text(["while you were away"])
    finally:
        await sam.page.close()
        again.stop()


async def test_joining_from_a_second_window_tells_the_first(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    first = await (await people()).open(one.url, token("Sam"))
    await first.join()
    second = await (await people()).open(two.url, token("Sam"))
    await second.join()
    await expect(first.page.get_by_role("heading", level=1)).to_have_text(
        "You joined from somewhere else"
    )
    await expect(first.page.locator("#ended-text")).to_have_text(
        "You are in this meeting in another tab or on another device. This page has let go"
        " of your seat. Carry on there, or close the other one and join again here."
    )
    await expect(second.roster).to_have_count(1)


async def test_the_room_closing_ends_the_meeting_on_screen(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson, redis_url: str
) -> None:
    sam = await (await people()).open(servers[0].url)
    await sam.join("Sam")
    store = create_app(settings(redis_url))[STORE]
    try:
        await store.close_room(ROOM)
    finally:
        await store.close()
    await expect(sam.page.get_by_role("heading", level=1)).to_have_text("The meeting has ended")
    await expect(sam.status).to_have_text("Not connected")


async def test_a_seat_freed_while_still_connected_is_taken_again(
    processes: Any, redis_url: str, people: MakePerson
) -> None:
    """Sam's server process freezes long enough for the other to judge it dead: Sam's seat
    is kept, marked away; when the process wakes, Sam's page takes it back by itself."""
    quick = {"HEARTH_HEARTBEAT_MS": "300", "HEARTH_PROCESS_TTL_MS": "900"}
    one = processes(redis_url, HEARTH_DEMO_ROOM=ROOM, **quick)
    two = processes(redis_url, HEARTH_DEMO_ROOM=ROOM, **quick)
    kim = await (await people()).open(two.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(one.url, token("Sam"))
    await sam.join()
    await expect(kim.roster).to_have_count(2)

    assert one.proc is not None
    one.proc.send_signal(signal.SIGSTOP)
    try:
        await expect(kim.page.locator("#announcer")).to_contain_text(
            "Sam lost the connection; their seat is kept"
        )
        await expect(kim.roster).to_have_count(2)  # the seat stays, away
    finally:
        one.proc.send_signal(signal.SIGCONT)
    await expect(kim.page.locator("#announcer")).to_contain_text("Sam is back")
    await expect(kim.roster).to_have_count(2)
    await expect(sam.roster).to_have_count(2)
    await expect(sam.page.locator("#room-view")).to_be_visible()
