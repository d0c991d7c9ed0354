"""The Redis store's remembered room state never outlives a change made elsewhere."""

from __future__ import annotations

import asyncio

import pytest

from rooms.identity import Role
from rooms.room import RoomInfo
from tests.support import Client, running_app, settings, token


def _circle(capacity: int) -> RoomInfo:
    return RoomInfo("circle", "Tuesday circle", capacity=capacity)


async def test_changes_from_another_process_are_never_overwritten(redis_url: str) -> None:
    """Each process remembers the room as it last wrote or read it; a change made meanwhile
    through the other process (a join, a chat, a new capacity) is still seen and kept."""
    async with (
        running_app(settings(redis_url)) as one,
        running_app(settings(redis_url)) as two,
    ):
        await one.store.open_room(_circle(2))
        people: dict[str, Client] = {}
        try:
            for name, hub in (("Sam", one), ("Kim", two), ("Lee", one), ("Ann", one)):
                people[name] = await Client(hub.url, {"token": token(name)}).connect()
            sam, kim, lee, ann = people.values()
            await sam.join("circle")  # process one remembers the room with Sam in it
            await kim.join("circle")  # ...and process two changed it since
            said = [await sam.call("chat:send", {"text": "from one"})]
            said.append(await kim.call("chat:send", {"text": "from two"}))
            said.append(await sam.call("chat:send", {"text": "one again"}))
            assert [ack["message"]["id"] for ack in said] == [3, 4, 5]
            snap = (await kim.call("room:snapshot"))["snapshot"]
            assert [m["text"] for m in snap["chat"]] == ["from one", "from two", "one again"]
            assert {p["name"] for p in snap["participants"]} == {"Sam", "Kim"}

            # One remembers capacity 2 (full); two raises it, which is no state change.
            await two.store.open_room(_circle(3))
            assert (await lee.call("room:join", {"room": "circle"}))["ok"]
            # One learns capacity 4, then two lowers it to 3 behind its back.
            await two.store.open_room(_circle(4))
            assert (await lee.call("room:snapshot"))["snapshot"]["room"]["capacity"] == 4
            await two.store.open_room(_circle(3))
            refused = await ann.call("room:join", {"room": "circle"})
            assert refused["ok"] is False
            assert refused["error"]["code"] == "room_full"
        finally:
            for person in people.values():
                await person.close()


async def test_a_rule_run_on_remembered_settings_is_redone_on_the_new_ones(
    redis_url: str,
) -> None:
    """Process one remembers the room at capacity 3 with its latest state: nothing about the
    state changed since, only the room's settings, behind its back, to capacity 2. Letting
    everyone in from the waiting room depends on the capacity: the commit must see the
    settings changed and redo the rule on the new ones, so only one of two waiting fits."""
    async with (
        running_app(settings(redis_url)) as one,
        running_app(settings(redis_url)) as two,
    ):
        await one.store.open_room(_circle(3))
        people: dict[str, Client] = {}
        try:
            fay = await Client(one.url, {"token": token("Fay", Role.FACILITATOR)}).connect()
            people["Fay"] = fay
            await fay.join("circle")
            assert (await fay.call("moderation:controls", {"waiting_room": True}))["ok"]
            for name in ("Sam", "Kim"):
                people[name] = await Client(one.url, {"token": token(name)}).connect()
                ack = await people[name].call("room:join", {"room": "circle"})
                assert "waiting" in ack, ack
            await two.store.open_room(_circle(2))  # the state's version is unchanged

            assert (await fay.call("moderation:admit", {"all": True}))["ok"]
            await people["Sam"].wait_for("waiting:admitted")
            await people["Kim"].wait_for("waiting:position", lambda d: d["position"] == 1)
            state = await two.store.snapshot("circle")
            assert [m.display_name for m in state.members] == ["Fay", "Sam"]
            assert [w.display_name for w in state.waiting] == ["Kim"]
            assert not people["Kim"].events("waiting:admitted")
        finally:
            for person in people.values():
                await person.close()


async def test_snapshots_racing_this_process_s_own_commits_are_no_rollback(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A snapshot read sent just before a commit of this same process can come back
    holding the state before it. That is an older state than the one remembered, but no
    rollback: it is neither announced nor remembered, and the next change commits on its
    first try from the newer state (the room ends with every chat, in order)."""
    async with running_app(settings(redis_url, chat_limit=1000)) as one:
        await one.store.open_room(_circle(3))
        sam = await Client(one.url, {"token": token("Sam")}).connect()
        try:
            await sam.join("circle")
            texts = [f"chat {i}" for i in range(40)]
            reads = [one.store.snapshot("circle") for _ in range(40)]
            sends = [sam.call("chat:send", {"text": text}) for text in texts]
            acks = (await asyncio.gather(*sends, *reads))[: len(texts)]
            assert all(ack["ok"] for ack in acks)
            snap = (await sam.call("room:snapshot"))["snapshot"]
            assert sorted(m["text"] for m in snap["chat"]) == sorted(texts)
        finally:
            await sam.close()
    assert not [r for r in caplog.records if "rolled back" in r.getMessage()]
