"""Chromium joins a room's audio with its fake microphone: its voice reaches the server's
mixer (its quiet frames, which it marks as quiet, undecoded) and the mixed stream reaches
the page."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser

from rooms.room import RoomInfo
from server.app import AUDIO
from tests.server.media.peers import Participant, offer_through
from tests.support import Client, running_app, settings, token

JOIN_AUDIO = """async () => {
    const { io } = await import("/vendor/socket.io/socket.io.esm.min.js");
    const { startAudio } = await import("/static/audio.js");
    const socket = io({ auth: { name: "Browser" }, transports: ["websocket"] });
    await new Promise((resolve) => socket.on("connect", resolve));
    const join = await socket.emitWithAck("room:join", { room: "voices" });
    window.hearthAudio = await startAudio((event, data) => socket.emitWithAck(event, data));
    return join.you;
}"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.audio,
    pytest.mark.asyncio(loop_scope="session"),
]


async def test_chromium_sends_its_microphone_and_hears_the_mix(media_browser: Browser) -> None:
    async with running_app(settings()) as hub:
        await hub.store.open_room(RoomInfo("voices", "Voices", audio=True, allow_guests=True))
        ann = await Client(hub.url, {"token": token("Ann")}).connect()
        await ann.join("voices")
        tone = await Participant.connect(440, offer_through(ann))  # something to hear
        # The test drives the page with evaluated scripts, which the page's strict CSP
        # (tested in test_safety) would refuse.
        context = await media_browser.new_context(bypass_csp=True)
        try:
            page = await context.new_page()
            await page.goto(hub.url)
            browser_id = await page.evaluate(JOIN_AUDIO)
            mixer = hub.app[AUDIO].mixers["voices"]
            for _ in range(100):
                peer = mixer.peers.get(browser_id)
                if peer is not None and peer.received > 25 and peer.loudest > -60:
                    break
                await asyncio.sleep(0.05)
            assert peer is not None
            assert peer.received > 25  # frames from the page were decoded by the mixer
            assert peer.loudest > -60  # and they carry sound (Chromium's fake beep)
            # Between beeps Chromium says, in each packet (RFC 6464), that the frame is
            # quiet: the mixer does not decode those.
            for _ in range(100):
                if peer.quiet > 10:
                    break
                await asyncio.sleep(0.05)
            assert peer.quiet > 10
            for _ in range(100):
                got = await page.evaluate("window.hearthAudio.received()")
                if got["packets"] > 25 and got["energy"] > 0:
                    break
                await asyncio.sleep(0.05)
            assert got["packets"] > 25  # the mixed stream arrives in the page
            assert got["energy"] > 0  # and it is not silence: Ann's tone is in it
        finally:
            await context.close()
            await tone.close()
            await ann.close()
