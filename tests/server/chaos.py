"""The chaos tests' harness: people who keep a room's events as a client would, a ledger
of what senders were told, streams of chats with op ids, and the invariant.

Every acked chat is delivered exactly once, in one order, to every client present (the
same sequence for everyone, with no gap in the room's seqs), and nothing refused as not
done (``unavailable``) is ever delivered. A send whose outcome is unknown (no answer, or
``unconfirmed``) is sent again with its op id until it is acked or refused, as
``docs/protocol.md`` tells a client to. Used by ``test_chaos`` and ``test_drain``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import socketio
from redis.asyncio import Redis

from rooms.room import RoomInfo
from server.app import CHANNEL, frame_event
from server.stores.redis import RedisStore
from tests.support import Client, token

ROOM = "circle"
FAST_PRESENCE = {
    "HEARTH_REDIS_TIMEOUT_MS": "300",
    "HEARTH_HEARTBEAT_MS": "300",
    "HEARTH_PROCESS_TTL_MS": "1000",
    "HEARTH_CHAT_LIMIT": "1000",
}
CALL_S = 2.0  # a send with no answer by then has an unknown outcome
RECOVERY_S = 15.0  # the pub/sub listener's own resubscribe backoff is the slow part


async def open_room(url: str) -> None:
    store = RedisStore(
        Redis.from_url(url), prefix="hearth:", channel=f"hearth:{CHANNEL}", frame=frame_event
    )
    await store.open_room(RoomInfo(ROOM, "Tuesday circle"))
    await store.close()


def room_events(client: Client) -> list[tuple[int, str, Any]]:
    """The room's events this connection received live, in arrival order."""
    return [
        (data["seq"], event, data)
        for event, data in client.received
        if isinstance(data, dict) and data.get("room") == ROOM and "seq" in data
    ]


@dataclass
class Person:
    """One participant as a client that keeps the room's events would: the events it
    applied, in order, across its connections."""

    name: str
    client: Client
    last: int  # the seq applied last
    opening: str  # the room's opening that seq counts in
    applied: list[tuple[int, str, Any]] = field(default_factory=list)

    def take_live(self) -> None:
        """Apply what arrived live on the current connection after ``last``: each seq once,
        with no gap (events up to ``last`` came in a join ack and are dropped)."""
        live = [e for e in room_events(self.client) if e[0] > self.last]
        seqs = [seq for seq, _, _ in live]
        assert seqs == list(range(self.last + 1, self.last + 1 + len(seqs))), (self.name, seqs)
        self.applied.extend(live)
        if live:
            self.last = live[-1][0]

    async def resume(self, url: str) -> None:
        """Reconnect through ``url`` and join with ``since``: exactly the missed events."""
        self.take_live()
        self.client = await Client(url, {"token": token(self.name)}).connect()
        since = {"since": self.last, "opening": self.opening}
        ack = await self.client.call("room:join", {"room": ROOM, **since})
        assert ack["ok"], ack
        assert "snapshot" not in ack, f"{self.name} got a snapshot, not the missed events"
        missed = [(m["data"]["seq"], m["event"], m["data"]) for m in ack["missed"]]
        assert [seq for seq, _, _ in missed] == list(range(self.last + 1, ack["seq"] + 1))
        self.applied.extend(missed)
        self.last = ack["seq"]

    def chats(self) -> list[tuple[int, str]]:
        return [(seq, d["message"]["text"]) for seq, e, d in self.applied if e == "chat:message"]


@dataclass
class Ledger:
    """What the senders were told."""

    acked: dict[str, int] = field(default_factory=dict)  # text -> seq
    refused: set[str] = field(default_factory=set)  # told unavailable: nothing changed
    unknown: dict[str, str] = field(default_factory=dict)  # text -> op id
    disturbed: int = 0  # sends answered unavailable or unconfirmed, or not at all

    def note(self, text: str, op: str, ack: Any) -> None:
        if ack is None or (not ack["ok"] and ack["error"]["code"] == "unconfirmed"):
            self.unknown[text] = op
            self.disturbed += 1
            return
        self.unknown.pop(text, None)
        if ack["ok"]:
            assert ack["message"]["text"] == text, ack
            self.acked[text] = ack["message"]["id"]
        else:
            assert ack["error"]["code"] == "unavailable", ack
            self.refused.add(text)
            self.disturbed += 1


async def send_chat(client: Client, ledger: Ledger, text: str, op: str) -> bool:
    """One chat with an op id; False once the connection is gone."""
    try:
        ack = await client.sio.call("chat:send", {"text": text, "op": op}, timeout=CALL_S)
    except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
        ledger.note(text, op, None)
        return client.sio.connected
    ledger.note(text, op, ack)
    return True


async def stream_chats(client: Client, ledger: Ledger, name: str, count: int) -> None:
    for i in range(count):
        if not await send_chat(client, ledger, f"{name} {i}", f"{name}-{i}-{uuid.uuid4().hex}"):
            return
        await asyncio.sleep(0.03)


async def settle(ledger: Ledger, senders: Mapping[str, Client]) -> None:
    """Send each unknown outcome of these senders (``{"ann": client}``: the texts are
    ``"ann 7"``) again with its op id, through the person who sent it, until it is acked
    or refused. An op id is its sender's: sent again by someone else it is another chat
    (a chaos run once resent Bo's unknown chat through Ann and saw it twice)."""
    deadline = asyncio.get_running_loop().time() + RECOVERY_S

    def pending() -> dict[str, str]:
        return {t: op for t, op in ledger.unknown.items() if t.split(" ")[0] in senders}

    while unsettled := pending():
        assert asyncio.get_running_loop().time() < deadline, unsettled
        for text, op in unsettled.items():
            await send_chat(senders[text.split(" ")[0]], ledger, text, op)
        await asyncio.sleep(0.1)


async def everyone_has(people: list[Person], sender: Client, ledger: Ledger) -> None:
    """A last chat, acked once the store answers again; once every person has it, every
    event before it has had its chance to arrive (one order per room)."""
    deadline = asyncio.get_running_loop().time() + RECOVERY_S
    while "the end" not in ledger.acked:
        assert asyncio.get_running_loop().time() < deadline, "the store never answered"
        ledger.refused.discard("the end")  # not yet: the same op id again
        await send_chat(sender, ledger, "the end", "the-end-of-the-chaos-test")
        await asyncio.sleep(0.1)
    for person in people:
        await person.client.wait_for(
            "chat:message", lambda d: d["message"]["text"] == "the end", within=RECOVERY_S
        )
        person.take_live()


async def both_listening(url: str) -> None:
    """Both processes' pub/sub listeners are subscribed again (a state Redis reports)."""
    redis = Redis.from_url(url)
    try:
        deadline = asyncio.get_running_loop().time() + RECOVERY_S
        while True:
            (_, count), *_ = await redis.pubsub_numsub(f"hearth:{CHANNEL}")
            if count >= 2:
                return
            assert asyncio.get_running_loop().time() < deadline, "listeners did not return"
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()


def assert_invariant(people: list[Person], ledger: Ledger, start: int) -> None:
    """The invariant, for every person present from ``start`` to the end."""
    sequences = [[(s, e) for s, e, _ in p.applied if s > start] for p in people]
    end = ledger.acked["the end"]
    for person, sequence in zip(people, sequences, strict=True):
        assert [s for s, _ in sequence] == list(range(start + 1, end + 1)), person.name
    assert all(sequence == sequences[0] for sequence in sequences), "one order for everyone"
    chats = [[c for c in p.chats() if c[0] > start] for p in people]
    assert all(c == chats[0] for c in chats)
    delivered = chats[0]
    texts = [text for _, text in delivered]
    assert len(texts) == len(set(texts)), ("a chat delivered twice", delivered)
    assert sorted(delivered) == sorted((seq, text) for text, seq in ledger.acked.items()), (
        "every acked chat, at its acked seq, and nothing else"
    )
    assert not ledger.refused & set(texts), "a refused chat was delivered"


async def join_person(name: str, url: str) -> Person:
    client = await Client(url, {"token": token(name)}).connect()
    ack = await client.call("room:join", {"room": ROOM})
    assert ack["ok"], ack
    return Person(name, client, ack["seq"], ack["opening"])


async def seat_people(people: list[Person], joined: list[tuple[str, str]]) -> int:
    """Seat everyone, then a first chat all have: the seq the checked stream starts after."""
    for name, url in joined:
        people.append(await join_person(name, url))
    first = await people[0].client.call("chat:send", {"text": "start"})
    assert first["ok"], first
    for person in people:
        await person.client.wait_for("chat:message", lambda d: d["message"]["text"] == "start")
        person.take_live()
    return int(first["message"]["id"])
