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
    await expect(sam.page.get_by_label("Message", exact=True)).to_be_disabled()
    await expect(sam.announcer).to_contain_text("Your chat is muted")
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
    await expect(sam.page.get_by_label("Message", exact=True)).to_be_disabled()
    await expect(kim.roster).to_have_count(2)

    await kim.choose("Sam", "Unmute chat")
    await expect(kim.action_status).to_have_text("Sam's chat is unmuted.")
    await expect(sam.page.get_by_label("Message", exact=True)).to_be_enabled()

    await kim.page.get_by_role("button", name="Pause the room").click()
    await expect(kim.action_status).to_have_text("The room is paused.")
    await expect(sam.page.get_by_text("The room is paused.")).to_be_visible()
    await expect(sam.announcer).to_contain_text("A facilitator paused the room")
    await expect(sam.page.get_by_role("button", name="Raise my hand")).to_be_disabled()
    await expect(sam.page.get_by_role("button", name="Heart")).to_be_disabled()
    await expect(sam.page.get_by_label("Message", exact=True)).to_be_disabled()
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
    await expect(sam.page.get_by_role("button", name="Join again")).to_be_hidden()
    await expect(kim.roster).to_have_count(1)
    await expect(sam.status).to_have_text("Not connected")


async def test_waiting_room_shows_each_place_and_the_facilitator_admits_or_turns_away(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    waiting_room = kim.page.get_by_label("Waiting room: I let people in")
    await waiting_room.click()  # ticked once the server has saved it
    await expect(kim.action_status).to_have_text("The room's settings are saved.")
    await expect(waiting_room).to_be_checked()

    sam = await (await people()).open(two.url)
    await sam.ask_to_join("Sam")
    await sam.page.get_by_label("I have read the guidelines and agree to follow them").check()
    await sam.page.get_by_role("button", name="Enter the room").click()
    await expect(sam.page.get_by_role("heading", level=1)).to_have_text("Waiting to be let in")
    await expect(sam.page.locator("#waiting-position")).to_have_text(
        "You are next (1 of 1 waiting)."
    )
    lee = await (await people()).open(one.url, token("Lee"))
    await lee.ask_to_join()
    await lee.page.get_by_label("I have read the guidelines and agree to follow them").check()
    await lee.page.get_by_role("button", name="Enter the room").click()
    await expect(lee.waiting_position).to_have_text("You are number 2 of 2 waiting.")
    await expect(kim.page.locator("#waiting-list > li")).to_have_count(2)
    await expect(kim.page.locator("#waiting-list > li").first).to_contain_text("Sam")
    await expect(kim.roster).to_have_count(1)  # waiting people are not in the room

    await kim.page.get_by_role("button", name="Turn away Sam").click()
    await expect(kim.action_status).to_have_text("Sam was turned away.")
    await expect(sam.page.get_by_role("heading", level=1)).to_have_text("You were not let in")
    await expect(lee.page.locator("#waiting-position")).to_have_text(
        "You are next (1 of 1 waiting)."
    )

    await kim.page.get_by_role("button", name="Let in Lee").click()
    await expect(kim.action_status).to_have_text("Lee was let in.")
    await expect(lee.page.get_by_role("heading", level=1)).to_have_text("Demo room")
    await expect(lee.roster).to_have_count(2)
    await expect(kim.roster.filter(has_text="Lee")).to_have_count(1)
    await expect(kim.page.locator("#waiting-list > li")).to_have_count(0)
    await lee.say("glad to be in")
    await expect(kim.chat_texts).to_have_text(["glad to be in"])


async def test_reactions_unmute_requests_and_co_facilitators(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """A reaction is shown as text and announced gathered; a request to unmute is the
    participant's to accept or decline; a co-facilitator gets the tools, but no audit log."""
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(two.url, token("Sam"))
    await sam.join()

    recent = kim.page.locator("#reactions-recent > li")
    # One click at a time: python-socketio runs each event as its own task, so three
    # clicks sent at once may be committed in any order (CI once saw clap first).
    for count, name in enumerate(("Heart", "Clap", "Heart"), start=1):
        await sam.page.get_by_role("button", name=name).click()
        await expect(recent).to_have_count(count)
    await expect(recent).to_have_text(["Sam: heart", "Sam: clap", "Sam: heart"])
    await expect(kim.announcer).to_contain_text("Reactions: 2 hearts and a clap")
    await expect(sam.page.locator("#reactions-recent > li")).to_have_count(3)

    await kim.choose("Sam", "Mute microphone")
    await expect(kim.action_status).to_have_text("Sam's microphone is muted.")
    await expect(sam.roster.filter(has_text="Sam")).to_contain_text("Microphone muted")
    # Sam is not in the audio: no microphone state, only what joining would do.
    await expect(sam.page.locator("#mic-state")).to_be_hidden()
    await expect(sam.page.locator("#audio-state")).to_have_text(
        "You are not in the audio. A facilitator muted your microphone: it stays muted if you join."
    )

    request = sam.page.get_by_role("region", name="You are asked to unmute")
    await kim.choose("Sam", "Ask to unmute microphone")
    await expect(kim.action_status).to_have_text("Sam was asked to unmute; they decide.")
    await expect(request).to_be_visible()
    await expect(request).to_contain_text("Kim asks whether you would like to unmute")
    await expect(sam.page.get_by_role("heading", name="You are asked to unmute")).to_be_focused()
    await request.get_by_role("button", name="No, stay muted").click()
    await expect(sam.action_status).to_have_text("You stayed muted.")
    await expect(request).to_be_hidden()
    await expect(kim.roster.filter(has_text="Sam")).to_contain_text("Microphone muted")

    await kim.choose("Sam", "Ask to unmute microphone")
    await request.get_by_role("button", name="Yes, unmute").click()
    await expect(sam.action_status).to_have_text(
        "You are unmuted: your microphone is on when you join the audio."
    )
    await expect(kim.roster.filter(has_text="Sam")).not_to_contain_text("Microphone muted")
    await expect(sam.page.locator("#audio-state")).to_have_text("You are not in the audio.")
    await kim.page.get_by_role("button", name="Mute everyone…").click()
    await kim.page.get_by_role("dialog").get_by_role("button", name="Mute everyone").click()
    await expect(kim.action_status).to_have_text(
        "Everyone's microphones are muted. They may unmute themselves."
    )
    await expect(sam.roster.filter(has_text="Sam")).to_contain_text("Microphone muted")
    await expect(sam.announcer).to_contain_text("A facilitator muted your microphone")
    await expect(kim.roster.filter(has_text="Kim")).not_to_contain_text("Microphone muted")

    await kim.choose("Sam", "Make co-facilitator")
    await expect(kim.action_status).to_have_text("Sam is now a co-facilitator.")
    await expect(sam.roster.filter(has_text="Sam")).to_contain_text("Co-facilitator")
    await expect(sam.tools).to_be_visible()
    await expect(sam.page.get_by_role("button", name="Show the audit log")).to_be_hidden()
    await kim.choose("Sam", "Stop co-facilitating")
    await expect(sam.tools).to_be_hidden()


async def test_reports_deletion_bans_and_the_audit_log(
    servers: tuple[ServerProcess, ServerProcess], people: MakePerson
) -> None:
    """A report reaches the facilitator's inbox and nobody else's; a deleted message goes
    from every page; a ban is listed and lifted; the audit log lists all of it."""
    one, two = servers
    kim = await (await people()).open(one.url, token("Kim", Role.FACILITATOR))
    await kim.join()
    sam = await (await people()).open(two.url, token("Sam"))
    await sam.join()
    lee = await (await people()).open(one.url, token("Lee"))
    await lee.join()
    await sam.say("call me on 555 0100")
    for person in (kim, sam, lee):
        await expect(person.chat_texts).to_have_text(["call me on 555 0100"])

    await lee.message_option("Sam", "Report")
    await lee.confirm("Send report", reason="a phone number")
    await expect(lee.action_status).to_have_text(
        "Thank you. Your report reached 1 facilitator; only they can see it."
    )
    await expect(kim.page.locator("#reports > li")).to_have_count(1)
    await expect(kim.page.locator("#reports > li")).to_contain_text(
        "Lee reported Sam's message “call me on 555 0100”: “a phone number”"
    )
    await expect(kim.announcer).to_contain_text("New report from Lee")
    for person in (sam, lee):
        await expect(person.page.locator("#reports > li")).to_have_count(0)
        await expect(person.tools).to_be_hidden()
        delete = person.page.get_by_role("button", name="Delete Sam's message", include_hidden=True)
        await expect(delete).to_have_count(0)

    await kim.message_option("Sam", "Delete")
    await expect(kim.action_status).to_have_text("The message was deleted for everyone.")
    for person in (kim, sam, lee):
        await expect(person.chat_texts).to_have_count(0)
    await expect(sam.announcer).to_contain_text("A facilitator deleted a message")
    # The report stays, but the deleted text is gone from the inbox too.
    await expect(kim.page.locator("#reports > li")).to_contain_text(
        "Lee reported a message from Sam, since deleted: “a phone number”"
    )
    await expect(kim.page.locator("#reports")).not_to_contain_text("555")

    await kim.choose("Lee", "Ban Lee…")
    await expect(kim.page.get_by_label("Ban from")).to_have_value("room")
    await kim.confirm("Ban Lee", reason="repeated harassment")
    await expect(kim.action_status).to_have_text("Lee is banned.")
    await expect(lee.page.get_by_role("heading", level=1)).to_have_text(
        "You have been banned from this room"
    )
    await expect(lee.page.get_by_role("button", name="Join again")).to_be_hidden()
    await kim.page.get_by_role("button", name="Show bans").click()
    bans = kim.page.locator("#bans > li")
    await expect(bans).to_have_text([re.compile(r"^Lee, banned from the room by Kim")])
    await kim.page.get_by_role("button", name="Unban Lee").click()
    await expect(kim.action_status).to_have_text("Lee is no longer banned.")
    await expect(bans).to_have_count(0)

    await kim.page.get_by_role("button", name="Show the audit log").click()
    entries = kim.page.locator("#audit > li")
    await expect(entries).to_have_count(3)
    await expect(entries.nth(0)).to_contain_text("Kim unbanned Lee")
    await expect(entries.nth(1)).to_contain_text("Kim banned Lee (room): “repeated harassment”")
    await expect(entries.nth(2)).to_contain_text("Kim deleted a message from Sam")
    await expect(kim.page.locator("#audit")).not_to_contain_text("555")
