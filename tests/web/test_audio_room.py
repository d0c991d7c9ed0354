"""The room view's audio and schedule, in Chromium with a fake microphone (it beeps):
joining audio through the page, the roster showing who is in the audio and speaking,
self-mute silencing the person at the server's mixer, a facilitator's mute holding the
microphone off until they ask; no audio controls where the room has none; the time left
of a scheduled meeting and the notice when it is closing; axe on the audio view."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from rooms import lifecycle
from rooms.identity import Role
from rooms.room import RoomInfo
from server.app import AUDIO
from tests.server.media.peers import Participant, offer_through
from tests.support import Client, RunningHub, running_app, settings, token
from tests.web.conftest import DESKTOP, WAIT_MS
from tests.web.people import Person, axe_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.audio,
    pytest.mark.asyncio(loop_scope="session"),
]

VOICES = RoomInfo("voices", "Voices", audio=True, allow_guests=True, guidelines="Be kind.")
QUIET = RoomInfo("quiet", "Quiet room", allow_guests=True, guidelines="Be kind.")


@pytest_asyncio.fixture(loop_scope="session")
async def hub() -> AsyncIterator[RunningHub]:
    async with running_app(settings()) as running:
        await running.store.open_room(VOICES)
        await running.store.open_room(QUIET)
        yield running


async def frames_from(hub: RunningHub, member_id: str) -> int:
    return hub.app[AUDIO].mixers["voices"].peers[member_id].received


async def test_joining_audio_speaking_self_mute_and_a_facilitators_mute(
    hub: RunningHub, sam: Person
) -> None:
    """Audio connects through "Join audio", the roster shows Sam in the audio and speaking
    (the fake microphone beeps), "Mute my microphone" makes the mixer drop Sam, and a
    facilitator's mute leaves no way to unmute until they ask; another speaker is announced
    politely; ``audio:reconnect`` makes the
    page offer again; "Leave audio" closes it."""
    await sam.open(hub.url, token("Sam"), room="voices")
    await sam.join()
    panel = sam.page.get_by_role("region", name="Audio")
    await expect(panel.get_by_role("status")).to_have_text("You are not in the audio.")
    # No microphone to speak of before joining audio: no state, no mute button.
    await expect(panel.get_by_role("heading", name="Your microphone")).to_be_hidden()
    await expect(panel.get_by_role("button", name="Mute my microphone")).to_be_hidden()
    await panel.get_by_role("button", name="Join audio").click()
    await expect(panel.get_by_role("status")).to_have_text("Audio connected. You hear the room.")
    await expect(sam.page.locator("#mic-state")).to_have_text("On")
    await expect(panel.get_by_role("button", name="Leave audio")).to_be_visible()
    me = sam.roster.filter(has_text="Sam")
    await expect(me).to_contain_text("In audio")
    await expect(me).to_contain_text("Speaking")
    assert await axe_violations(sam.page) == []
    await sam.screenshot("room-audio-desktop")

    sam_id = await sam.member_id("Sam")
    mixer = hub.app[AUDIO].mixers["voices"]
    assert sam_id in mixer.heard
    await panel.get_by_role("button", name="Mute my microphone").click()
    await expect(sam.action_status).to_have_text("Your microphone is muted.")
    await expect(sam.page.locator("#mic-state")).to_have_text("Muted")
    await expect(me).not_to_contain_text("Speaking")
    assert sam_id not in mixer.heard  # the mixer drops Sam's voice...
    before = await frames_from(hub, sam_id)
    await asyncio.sleep(0.3)
    assert await frames_from(hub, sam_id) == before  # ...and no longer even decodes it
    await panel.get_by_role("button", name="Unmute my microphone").click()
    await expect(sam.action_status).to_have_text("Your microphone is on.")
    await expect(me).to_contain_text("Speaking")

    fay = await Client(hub.url, {"token": token("Fay", Role.FACILITATOR)}).connect()
    try:
        await fay.join("voices")
        muted = await fay.call("moderation:mute", {"target": sam_id, "audio": True})
        assert muted["ok"], muted
        unmute = panel.get_by_role("button", name="Unmute my microphone")
        await expect(unmute).to_be_disabled()
        await expect(sam.page.locator("#mic-state")).to_have_text(
            "Muted by a facilitator. You can unmute when they ask you to."
        )
        assert sam_id not in mixer.heard
        asked = await fay.call("moderation:unmute", {"target": sam_id, "audio": True})
        assert asked["ok"], asked
        await expect(unmute).to_be_enabled()
        await expect(sam.page.locator("#mic-state")).to_have_text(
            "Muted. A facilitator asked whether you would like to unmute."
        )
        await sam.page.get_by_role("button", name="Yes, unmute").click()
        await expect(sam.action_status).to_have_text("Your microphone is on.")
        await expect(me).to_contain_text("Speaking")
    finally:
        await fay.close()

    # Someone else starts speaking: screen readers hear it once, politely.
    ann = await Client(hub.url, {"token": token("Ann")}).connect()
    await ann.join("voices")
    tone = await Participant.connect(440, offer_through(ann))
    try:
        await expect(sam.roster.filter(has_text="Ann")).to_contain_text("Speaking")
        await expect(sam.announcer).to_contain_text("Ann speaking")
    finally:
        await tone.close()
        await ann.close()

    # The room's media host moved (its process stopped): the page offers again by itself.
    old_peer = mixer.peers[sam_id]
    sid = (await hub.store.snapshot("voices")).member(sam_id).connection.sid  # type: ignore[union-attr]
    await hub.app[AUDIO].notify("audio:reconnect", sid, {"room": "voices"})
    # The page gathers every ICE candidate before it offers (no trickle): on a loaded
    # machine, with another browser test beside it, that has taken over 5 s. Between the
    # page's hang-up and its new offer the lease round may close the emptied mixer and the
    # offer then opens a new one, so the room's mixer is looked up afresh each time.

    def new_peer() -> object:
        current = hub.app[AUDIO].mixers.get("voices")
        return None if current is None else current.peers.get(sam_id)

    for _ in range(300):
        if new_peer() not in (None, old_peer):
            break
        await asyncio.sleep(0.05)
    assert new_peer() not in (None, old_peer)
    await expect(panel.get_by_role("status")).to_have_text("Audio connected. You hear the room.")
    await expect(me).to_contain_text("Speaking")

    await panel.get_by_role("button", name="Leave audio").click()
    await expect(panel.get_by_role("status")).to_have_text("You are not in the audio.")
    await expect(me).not_to_contain_text("In audio")
    for _ in range(40):
        if new_peer() is None:
            break
        await asyncio.sleep(0.05)
    assert new_peer() is None  # the server closed Sam's peer connection


async def test_no_audio_controls_without_audio_and_the_time_left_and_closing_notice(
    hub: RunningHub, sam: Person
) -> None:
    """A room without audio shows no audio controls; a scheduled room shows when it ends
    and how long is left, and a calm notice when it says it is closing."""
    now_ms = int(time.time() * 1000)
    ends_at = now_ms + 25 * 60_000 + 30_000
    await hub.store.apply("quiet", lambda state, _: lifecycle.schedule_end(state, ends_at))
    await sam.open(hub.url, room="quiet")
    await sam.join("Sam")
    await expect(sam.page.get_by_role("button", name="Join audio")).to_have_count(0)
    await expect(sam.page.get_by_role("region", name="Audio")).to_be_hidden()
    at = await sam.page.evaluate(
        "ms => new Date(ms).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})", ends_at
    )
    await expect(sam.page.locator("#time-left")).to_have_text(f"Ends at {at} · 26 minutes left")

    closes_at = now_ms + 4 * 60_000 + 30_000
    await hub.store.apply("quiet", lambda state, _: lifecycle.warn_closing(state, closes_at))
    soon = await sam.page.evaluate(
        "ms => new Date(ms).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})",
        closes_at,
    )
    await expect(sam.page.locator("#closing-note")).to_have_text(
        f"This meeting ends at {soon}, in 5 minutes. There is time to finish what you are saying."
    )
    await expect(sam.page.locator("#time-left")).to_have_text(f"Ends at {soon} · 5 minutes left")
    await expect(sam.announcer).to_contain_text(f"The meeting ends at {soon}")


async def test_without_a_microphone_the_page_explains_and_chat_keeps_working(
    hub: RunningHub, browser: Browser
) -> None:
    """Chromium without a fake device has no microphone to give: "Join audio" says why in
    words, the audio stays off, and chat still works."""
    context = await browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(WAIT_MS)
    try:
        lee = Person(context, await context.new_page())
        await lee.open(hub.url, token("Lee"), room="voices")
        await lee.join()
        panel = lee.page.get_by_role("region", name="Audio")
        await panel.get_by_role("button", name="Join audio").click()
        await expect(panel.get_by_role("alert")).to_contain_text("Chat still works.")
        await expect(panel.get_by_role("status")).to_have_text("You are not in the audio.")
        await lee.say("Still here in the chat.")
        await expect(lee.chat_texts).to_have_text(["Still here in the chat."])
    finally:
        await context.close()
