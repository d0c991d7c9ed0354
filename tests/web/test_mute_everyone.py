"""Mute everyone, done right, and the words on the participant's page after each
moderation event: Kim facilitates on one server process, Sam is in the audio (Chromium's
fake microphone) on the other, both on one Redis. After every event the line under
"Your microphone" says only what is true, and the server holds what the dialog chose."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson
from tests.web.people import Person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.audio,
    pytest.mark.asyncio(loop_scope="session"),
]

HELD = "Muted by a facilitator. You can unmute when they ask you to."
ASKED = "Muted. A facilitator asked whether you would like to unmute."


async def test_the_mute_everyone_dialog_its_undo_and_the_words_after_each_event(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson, sam: Person
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    await sam.open(two.url, token("Sam"))
    await sam.join()
    mic = sam.page.locator("#mic-state")
    unmute = sam.page.get_by_role("button", name="Unmute my microphone")
    message = sam.page.get_by_label("Message", exact=True)
    await expect(mic).to_be_hidden()  # no microphone state before joining audio
    await sam.page.get_by_role("button", name="Join audio").click()
    await expect(sam.page.locator("#audio-state")).to_have_text(
        "Audio connected. You hear the room."
    )
    await expect(mic).to_have_text("On")

    # The dialog: microphones ticked, "may unmute themselves" as the room says (on).
    await kim.page.get_by_role("button", name="Mute everyone…").click()
    dialog = kim.page.get_by_role("dialog", name="Mute everyone?")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Microphones", exact=True)).to_be_checked()
    await expect(dialog.get_by_label("Chat", exact=True)).not_to_be_checked()
    self_unmute = dialog.get_by_label("People may unmute their microphones themselves")
    await expect(self_unmute).to_be_checked()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    await expect(kim.page.get_by_role("button", name="Mute everyone…")).to_be_focused()
    await expect(mic).to_have_text("On")  # cancelled: nothing was sent

    # Chat and microphones, and nobody may unmute themselves: held.
    await kim.page.get_by_role("button", name="Mute everyone…").click()
    await dialog.get_by_label("Chat", exact=True).check()
    await self_unmute.uncheck()
    await dialog.get_by_role("button", name="Mute everyone").click()
    await expect(kim.action_status).to_have_text("Everyone's chat and microphones are muted.")
    await expect(mic).to_have_text(HELD)
    await expect(unmute).to_be_disabled()
    await expect(message).to_be_disabled()
    await expect(sam.page.get_by_text("A facilitator has muted your chat.")).to_be_visible()
    await expect(kim.roster.filter(has_text="Kim")).not_to_contain_text("Microphone muted")

    # One action undoes it: chat at once, microphones asked; Sam decides.
    await kim.page.get_by_role("button", name="Ask everyone to unmute").click()
    await expect(kim.action_status).to_have_text(
        "Everyone muted was asked to unmute; they decide. Chat is open again."
    )
    await expect(sam.page.get_by_role("region", name="You are asked to unmute")).to_be_visible()
    await expect(mic).to_have_text(ASKED)
    await expect(message).to_be_enabled()
    await sam.page.get_by_role("button", name="Yes, unmute").click()
    await expect(sam.action_status).to_have_text("Your microphone is on.")
    await expect(mic).to_have_text("On")
    await expect(kim.page.get_by_role("button", name="Ask everyone to unmute")).to_be_hidden()

    # The room's setting left as it is: muted, and Sam may unmute himself.
    await kim.page.get_by_role("button", name="Mute everyone…").click()
    await dialog.get_by_role("button", name="Mute everyone").click()
    await expect(kim.action_status).to_have_text(
        "Everyone's microphones are muted. They may unmute themselves."
    )
    await expect(mic).to_have_text("Muted")
    await expect(unmute).to_be_enabled()
    await unmute.click()
    await expect(mic).to_have_text("On")

    # One person's mute holds; the floor lifts it for the share, and it comes back after.
    await kim.choose("Sam", "Mute microphone")
    await expect(mic).to_have_text(HELD)
    await kim.choose("Sam", "Call on Sam")
    await expect(mic).to_have_text("Muted. It is your turn to share: unmute when you are ready.")
    await unmute.click()
    await expect(mic).to_have_text("On. It is your turn to share.")
    await sam.page.get_by_role("button", name="I am done sharing").click()
    await expect(mic).to_have_text(HELD)

    # A pause: nobody but facilitators is heard, and the line says so.
    await kim.choose("Sam", "Ask to unmute microphone")
    await sam.page.get_by_role("button", name="Yes, unmute").click()
    await expect(mic).to_have_text("On")
    await kim.page.get_by_role("button", name="Pause the room").click()
    await expect(mic).to_have_text(
        "On, but the room is paused: nobody hears you until a facilitator resumes."
    )
    await kim.page.get_by_role("button", name="Resume the room").click()
    await expect(mic).to_have_text("On")

    # Leaving the audio: no microphone state again.
    await sam.page.get_by_role("button", name="Leave audio").click()
    await expect(mic).to_be_hidden()
    await expect(sam.page.locator("#audio-state")).to_have_text("You are not in the audio.")
