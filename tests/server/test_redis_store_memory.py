"""The Redis store's remembered room state never outlives a change made elsewhere."""

from __future__ import annotations

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
