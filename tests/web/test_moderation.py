"""Moderation in the browser: a facilitator and participants in separate browser contexts,
on two server processes sharing one Redis. What each page shows of an action comes from
the server (its ack or its event), and the server refuses a participant who forces a
facilitator's event from the page's own socket."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from rooms.identity import Role
from tests.support import ServerProcess, token
from tests.web.conftest import MakePerson
from tests.web.people import PageSocket

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SOCKET = re.compile(r"/socket\.io/")


async def test_facilitator_mutes_pauses_resumes_and_removes_and_the_participant_sees_each(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await people()
    socket = PageSocket()
    await sam.page.route_web_socket(SOCKET, socket.route)
    await sam.open(two.url, token("Sam"))
    await sam.join()
    await expect(kim.tools).to_be_visible()
    await expect(sam.tools).to_be_hidden()
    await expect(sam.roster.filter(has_text="Kim").get_by_role("button")).to_have_count(0)

    await kim.choose("Sam", "Mute chat")
    await expect(kim.action_status).to_have_text("Sam's chat is muted.")
    await expect(sam.roster.filter(has_text="Sam")).to_contain_text("Chat muted")
    await expect(sam.page.get_by_text("A facilitator has muted your chat.")).to_be_visible()
    await expect(sam.page.get_by_label("Message")).to_be_disabled()
    refused = await socket.call("chat:send", {"text": "let me talk"})
    assert refused["error"]["code"] == "chat_muted"

    # A participant forcing a facilitator's events from the page's own socket is refused,
    # and nothing changes for anyone.
    for event, payload in [
        ("moderation:pause", {}),
        ("moderation:remove", {"target": await kim.member_id("Kim")}),
        ("moderation:unmute", {"target": await sam.member_id("Sam"), "chat": True}),
        ("moderation:audit", {}),
    ]:
        ack = await socket.call(event, payload)
        assert ack["ok"] is False, event
        assert ack["error"]["code"] == "not_a_facilitator", event
    await expect(sam.page.get_by_label("Message")).to_be_disabled()
    await expect(kim.roster).to_have_count(2)

    await kim.choose("Sam", "Unmute chat")
    await expect(kim.action_status).to_have_text("Sam's chat is unmuted.")
    await expect(sam.page.get_by_label("Message")).to_be_enabled()

    await kim.page.get_by_role("button", name="Pause the room").click()
    await expect(kim.action_status).to_have_text("The room is paused.")
    await expect(sam.page.get_by_text("The room is paused.")).to_be_visible()
    await expect(sam.announcer).to_contain_text("A facilitator paused the room")
    await expect(sam.page.get_by_role("button", name="Raise my hand")).to_be_disabled()
    await expect(sam.page.get_by_role("button", name="Heart")).to_be_disabled()
    await expect(sam.page.get_by_label("Message")).to_be_disabled()
    refused = await socket.call("hand:raise", {})
    assert refused["error"]["code"] == "room_paused"

    await kim.page.get_by_role("button", name="Resume the room").click()
    await expect(kim.action_status).to_have_text("The room is resumed.")
    await expect(sam.page.get_by_text("The room is paused.")).to_be_hidden()
    await expect(sam.page.get_by_role("button", name="Raise my hand")).to_be_enabled()
    await sam.say("thank you")

    await kim.choose("Sam", "Remove Sam…")
    await expect(kim.page.get_by_role("dialog")).to_contain_text("Remove Sam?")
    await kim.confirm("Remove Sam", reason="needs a break")
    await expect(kim.action_status).to_have_text("Sam was removed.")
    await expect(sam.page.get_by_role("heading", level=1)).to_have_text(
        "You have been removed from the room"
    )
    await expect(kim.roster).to_have_count(1)
    await expect(sam.status).to_have_text("Not connected")
