"""The page never gives up on a room for a reason that passes: a rejoin refused because
Redis is out of reach, or a reconnect refused because its network holds too many
connections, is tried again, with backoff, until the page is back in its seat. It gives
up only when the visit really ended, and then says why: banned while away, it says so
and offers no way back in."""

from __future__ import annotations

import asyncio
import re
import signal
from typing import Any

import pytest
import socketio
from playwright.async_api import Request, Route, WebSocket, WebSocketRoute, expect
from redis.asyncio import Redis

from rooms.identity import Role
from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.support import Client, RedisServer, ServerProcess, token
from tests.web.conftest import MakePerson
from tests.web.people import ROOM, Person

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

BACK_WAIT_MS = 30_000
RECONNECTING = re.compile(r"^Connection lost\. Reconnecting… \(\d+ s\)$")
FULL = "The room is full right now. You will be let back in when a place is free; trying again…"
# A Redis that does not answer within 0.5 s refuses the rejoin (``unavailable``) quickly;
# the processes' heartbeats outlast the pause.
ENV = {
    "HEARTH_DEMO_ROOM": ROOM,
    "HEARTH_REDIS_TIMEOUT_MS": "500",
    "HEARTH_PROCESS_TTL_MS": "20000",
}


class Network:
    """Between one page and the server: its WebSockets can be cut, and while ``down``
    every new Socket.IO request fails, as when the Wi-Fi drops. What the server answers
    on any transport is read back (``heard``)."""

    def __init__(self) -> None:
        self.down = False
        self.sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        self.answers: list[str] = []
        self.heard = asyncio.Event()
        self.listening_for = ""

    async def install(self, person: Person) -> None:
        page = person.page
        await page.route_web_socket(re.compile(r"/socket\.io/"), self._socket)
        await page.route(re.compile(r"/socket\.io/"), self._request)
        page.on("websocket", self._watch)
        page.on("requestfinished", self._read)

    async def _socket(self, ws: WebSocketRoute) -> None:
        if self.down:
            await ws.close()
            return
        self.sockets.append((ws, ws.connect_to_server()))

    async def _request(self, route: Route) -> None:
        if self.down:
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framereceived", lambda frame: self._answer(str(frame)))

    async def _read(self, request: Request) -> None:
        response = await request.response()
        if response is not None and request.method == "GET":
            self._answer(await response.text())

    def _answer(self, text: str) -> None:
        self.answers.append(text)
        if self.listening_for and self.listening_for in text:
            self.heard.set()

    def listen_for(self, text: str) -> None:
        self.listening_for = text
        self.heard.clear()

    async def cut(self) -> None:
        """Drop every open WebSocket, at both ends."""
        for page_side, server_side in self.sockets:
            await server_side.close()
            await page_side.close()
        self.sockets.clear()


async def _kim_and_sam_behind_a_network(
    people: MakePerson, kims: ServerProcess, sams: ServerProcess
) -> tuple[Person, Person, Network]:
    """Kim, a facilitator, in the room on one process; Sam on another, behind a Network."""
    kim = await (await people()).open(kims.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await people()
    network = Network()
    await network.install(sam)
    await sam.open(sams.url, token("Sam"))
    await sam.join()
    return kim, sam, network


async def test_a_rejoin_refused_while_redis_is_paused_is_tried_again_into_the_same_seat(
    processes: Any, own_redis: RedisServer, people: MakePerson
) -> None:
    one = processes(own_redis.url, **ENV)
    two = processes(own_redis.url, **ENV)
    kim, sam, network = await _kim_and_sam_behind_a_network(people, two, one)
    await sam.page.get_by_role("button", name="Raise my hand").click()
    await expect(kim.hand_queue).to_have_text(["Sam"])
    await sam.say("before")

    network.listen_for('"code":"unavailable"')
    own_redis.proc.send_signal(signal.SIGSTOP)
    try:
        await network.cut()
        # Sam's page reconnects to its process at once; its rejoin is refused, Redis
        # being out of reach: the page says it is reconnecting and stays in the room.
        await asyncio.wait_for(network.heard.wait(), 15)
        await expect(sam.status).to_have_text(RECONNECTING)
        await expect(sam.page.locator("#room-view")).to_be_visible()
        # And it is refused again while Redis stays paused: it keeps trying.
        network.listen_for('"code":"unavailable"')
        await asyncio.wait_for(network.heard.wait(), 15)
        await expect(sam.status).to_have_text(RECONNECTING)
        # The rejoin that lands resumes: it names the seq and the room's opening it saw.
        network.listen_for('"missed":')
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)

    await asyncio.wait_for(network.heard.wait(), BACK_WAIT_MS / 1000)
    await expect(sam.status).to_have_text("Back in the room", timeout=BACK_WAIT_MS)
    await expect(sam.page.locator("#room-view")).to_be_visible()
    # The same seat: its raised hand is still in its place, and nobody was seated twice.
    await expect(kim.hand_queue).to_have_text(["Sam"])
    await expect(sam.hand_queue).to_have_text(["Sam"])
    await expect(kim.roster).to_have_count(2)
    await expect(sam.roster).to_have_count(2)
    await sam.say("back again")
    await expect(kim.chat_texts).to_have_text(["before", "back again"])


async def test_banned_while_away_the_page_says_so_and_offers_no_way_back(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim, sam, network = await _kim_and_sam_behind_a_network(people, two, one)
    await expect(kim.roster).to_have_count(2)

    network.down = True
    await network.cut()
    await expect(sam.status).to_have_text(RECONNECTING)
    await expect(kim.announcer).to_contain_text("Sam lost the connection; their seat is kept")
    await kim.choose("Sam", "Ban Sam…")
    await kim.confirm("Ban Sam", reason="threats")
    await expect(kim.action_status).to_have_text("Sam is banned.")
    await expect(kim.roster).to_have_count(1)

    network.listen_for('"code":"banned"')
    network.down = False  # Sam's page reconnects by itself and asks for its seat back
    await asyncio.wait_for(network.heard.wait(), 20)
    await expect(sam.page.get_by_role("heading", level=1)).to_have_text(
        "You have been banned from this room"
    )
    await expect(sam.page.get_by_role("button", name="Join again")).to_be_hidden()
    await expect(sam.status).to_have_text("Not connected")


async def _connect_once_there_is_room(url: str, name: str) -> Client:
    """A connection from the page's address (127.0.0.1), once the server has let go of
    one it was counting (it is refused until then)."""
    for _ in range(100):
        try:
            return await Client(url, {"token": token(name)}).connect()
        except socketio.exceptions.ConnectionError:  # the closed one not yet counted out
            await asyncio.sleep(0.05)
    raise AssertionError("the server never let go of the closed connection")


async def test_a_reconnect_refused_for_too_many_connections_is_tried_again(
    processes: Any, redis_url: str, people: MakePerson
) -> None:
    """Two connections per address: Sam's page and one other. While Sam's page is cut off,
    a third takes its place; the page's reconnect is refused (``too_many_connections``, a
    refusal of the connection itself, after which socket.io-client stops trying), and
    the page asks again until the place is free, then is back in its seat."""
    one = processes(redis_url, HEARTH_DEMO_ROOM=ROOM, HEARTH_CONNECTIONS_PER_ADDRESS="2")
    sam = await people()
    network = Network()
    await network.install(sam)
    await sam.open(one.url, token("Sam"))
    await sam.join()
    others = [await Client(one.url, {"token": token("Lee")}).connect()]
    try:
        network.down = True
        await network.cut()
        await expect(sam.status).to_have_text(RECONNECTING)
        others.append(await _connect_once_there_is_room(one.url, "Max"))

        network.listen_for('"too_many_connections"')
        network.down = False
        await asyncio.wait_for(network.heard.wait(), 20)
        await expect(sam.status).to_have_text(RECONNECTING)
        await expect(sam.page.locator("#room-view")).to_be_visible()
        await others.pop().close()
        await expect(sam.status).to_have_text("Back in the room", timeout=BACK_WAIT_MS)
        await expect(sam.roster).to_have_text([re.compile("Sam")])
    finally:
        for other in others:
            await other.close()


async def test_a_resume_after_a_deletion_never_shows_the_deleted_text_and_needs_no_snapshot(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """Sam's page is away while Fay posts three messages and deletes the middle one. The
    resume leaves that message out (its seq is skipped): the page applies the rest as
    they are, never sees the deleted text, and asks for no snapshot over the gap."""
    one, two = servers
    kim, sam, network = await _kim_and_sam_behind_a_network(people, two, one)
    network.down = True
    await network.cut()
    await expect(sam.status).to_have_text(RECONNECTING)
    fay = await Client(two.url, {"token": token("Fay", Role.FACILITATOR)}).connect()
    try:
        await fay.join(ROOM)
        sent = [await fay.call("chat:send", {"text": t}) for t in ("before", "secret", "after")]
        secret = sent[1]["message"]["id"]
        assert (await fay.call("moderation:delete-message", {"message": secret}))["ok"]
    finally:
        await fay.close()
    await expect(kim.chat_texts).to_have_text(["before", "after"])

    heard_before = len(network.answers)
    network.listen_for('"missed":')
    network.down = False
    await asyncio.wait_for(network.heard.wait(), 20)
    await expect(sam.status).to_have_text("Back in the room", timeout=BACK_WAIT_MS)
    await expect(sam.chat_texts).to_have_text(["before", "after"])
    await kim.say("later")  # a later event: a snapshot asked for over the gap is in by then
    await expect(sam.chat_texts).to_have_text(["before", "after", "later"])
    since_back = network.answers[heard_before:]
    assert not any('"secret"' in answer for answer in since_back)
    assert not any('"snapshot":' in answer for answer in since_back)


async def test_a_rejoin_refused_for_a_full_room_says_so_and_is_tried_again(
    processes: Any, redis_url: str, people: MakePerson
) -> None:
    """A room of two: Sam's page is cut off past the away grace, so his seat goes, and Max
    takes the free place. The page's rejoin is refused ``room_full``: it says the room is
    full (not "reconnecting"), stays in the room's view and keeps asking; once Max
    leaves, it is back in."""
    small = RoomInfo("small", "Small circle", capacity=2, allow_guests=True)
    store = RedisStore(
        Redis.from_url(redis_url), prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=frame_event
    )
    await store.open_room(small)
    await store.close()
    one = processes(redis_url, HEARTH_AWAY_GRACE_MS="1000")
    lee = await Client(one.url, {"token": token("Lee")}).connect()
    others = [lee]
    try:
        await lee.join(small.room_id)
        sam = await people()
        network = Network()
        await network.install(sam)
        await sam.open(one.url, token("Sam"), room=small.room_id)
        await sam.join()
        network.down = True
        await network.cut()
        await expect(sam.status).to_have_text(RECONNECTING)
        await lee.wait_for("participant:left", within=20)
        max_ = await Client(one.url, {"token": token("Max")}).connect()
        others.append(max_)
        await max_.join(small.room_id)

        network.listen_for('"room_full"')
        network.down = False
        await asyncio.wait_for(network.heard.wait(), 20)
        await expect(sam.status).to_have_text(FULL)
        await expect(sam.page.locator("#room-view")).to_be_visible()
        network.listen_for('"room_full"')  # and asked again, calmly, while it stays full
        await asyncio.wait_for(network.heard.wait(), 20)
        await expect(sam.status).to_have_text(FULL)

        assert (await max_.call("room:leave", {}))["ok"]
        await expect(sam.status).to_have_text("Back in the room", timeout=BACK_WAIT_MS)
        await expect(sam.roster).to_have_text([re.compile("Lee"), re.compile("Sam")])
    finally:
        for other in others:
            await other.close()
