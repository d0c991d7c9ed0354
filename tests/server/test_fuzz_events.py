"""Hypothesis fuzzes every client event (``ClientEvent``: a new one is fuzzed without
being named here) through real Socket.IO clients against real servers: one on the
embedded store, one on a real Redis.

Each example sends one event, with zero, one or two arguments of arbitrary JSON (payload
objects mix the event's own field names with random ones), from a participant, a
facilitator or a signed-in connection that sits in no room. Whatever is sent:

- the ack is ``{"ok": true, ...}`` or a refusal whose code is documented and is not
  ``internal_error``;
- a refusal changes nothing: the room's state and bans are as before, and no event
  reached anyone in the room before a later barrier event that must come after it;
- the server logs no error and no traceback;
- the server still answers (the barrier, and a fresh join at the end).

Every example goes to the same room on both stores, which must answer alike. A valid
action may change the room (leave, mute, remove, ban, pause...): afterwards the test undoes
the everyday changes as the people's clients would, or builds fresh rooms with fresh
people, so each example starts from the same place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import socketio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from moderation.bans import ban_keys
from moderation.controls import NAMES as CONTROL_NAMES
from rooms.identity import Role
from rooms.room import RoomInfo
from rooms.state import Reaction, RoomState
from server.errors import ServerCode
from server.wire import ClientEvent
from tests.conftest import flush
from tests.support import (
    Client,
    ErrorLog,
    RedisServer,
    RunningHub,
    health,
    running_app,
    token,
)
from tests.support import settings as hearth_settings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
DOCUMENTED_CODES = set(re.findall(r"^\| `([a-z_]+)` \|", DOC, re.MULTILINE))
MAX_EXAMPLES = 100
ACK_WAIT_S = 5.0
# The fuzzed people are never rate limited, so every example reaches the rules.
UNLIMITED = 10**9


@dataclass(frozen=True)
class Live:
    """Stands for a value that exists only once the room is built: someone's participant
    id (one of ``PEOPLE``), the ``room`` id, or the id of a ``message`` posted in it."""

    what: str


# --- what to send -----------------------------------------------------------------------

_SURROGATES = st.characters(categories=["Cs"])
_AWKWARD = st.sampled_from(["", " ", "\x00", "\x1b[2J", "\u202e", "\ufeff", "\n\t", "\ud800"])
SHORT_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=12),
    st.text(st.one_of(_SURROGATES, st.characters(codec="ascii")), min_size=1, max_size=6),
    _AWKWARD,
)
# Lone surrogates and control characters, and lengths either side of each bound.
TEXT = st.one_of(SHORT_TEXT, st.sampled_from([200, 201, 1000, 1001]).map(lambda n: "x" * n))
INTS = st.one_of(
    st.integers(-3, 600),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**63) - 1]),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    INTS,
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(SHORT_TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)
PEOPLE = ["dummy", "participant", "facilitator", "newcomer"]
PERSON = st.one_of(st.sampled_from([Live(who) for who in PEOPLE]), TEXT)
ROOM = st.one_of(st.just(Live("room")), st.just("circle"), TEXT)
MESSAGE = st.one_of(st.just(Live("message")), INTS)
REACTION = st.one_of(st.sampled_from([str(r) for r in Reaction]), TEXT)
FLAG = st.booleans()
REASON = TEXT
# Plausible values for each field an event knows; every field also gets arbitrary JSON.
FIELDS: dict[ClientEvent, dict[str, st.SearchStrategy[Any]]] = {
    ClientEvent.INFO: {"room": ROOM},
    ClientEvent.JOIN: {"room": ROOM},
    ClientEvent.CHAT: {"text": TEXT},
    ClientEvent.REACT: {"reaction": REACTION},
    ClientEvent.REPORT: {"message": MESSAGE, "participant": PERSON, "reason": REASON},
    ClientEvent.PROMOTE: {"target": PERSON, "reason": REASON},
    ClientEvent.DEMOTE: {"target": PERSON, "reason": REASON},
    ClientEvent.REMOVE: {"target": PERSON, "reason": REASON},
    ClientEvent.MUTE: {"target": PERSON, "chat": FLAG, "audio": FLAG, "reason": REASON},
    ClientEvent.UNMUTE: {"target": PERSON, "chat": FLAG, "audio": FLAG, "reason": REASON},
    ClientEvent.MUTE_ALL: {
        "chat": FLAG,
        "audio": FLAG,
        "allow_self_unmute": FLAG,
        "reason": REASON,
    },
    ClientEvent.UNMUTE_ALL: {"chat": FLAG, "audio": FLAG, "reason": REASON},
    ClientEvent.PAUSE: {"reason": REASON},
    ClientEvent.RESUME: {"reason": REASON},
    ClientEvent.BAN: {
        "target": PERSON,
        "scope": st.one_of(st.sampled_from(["room", "series"]), JSON),
        "reason": REASON,
    },
    ClientEvent.UNBAN: {"ban": TEXT, "reason": REASON},
    ClientEvent.CONTROLS: {name: FLAG for name in sorted(CONTROL_NAMES)},
    ClientEvent.ADMIT: {"target": PERSON, "all": FLAG},
    ClientEvent.DENY: {"target": PERSON, "all": FLAG},
    ClientEvent.DELETE_MESSAGE: {"message": MESSAGE, "reason": REASON},
    ClientEvent.AUDIT: {"limit": INTS},
    ClientEvent.AUDIO_START: {
        "type": st.sampled_from(["offer", "answer"]),
        "sdp": st.one_of(TEXT, TEXT.map(lambda t: "v=0\r\n" + t)),
    },
    ClientEvent.SUPPORT_ACKNOWLEDGE: {"target": PERSON},
    ClientEvent.PRIVATE_SEND: {"to": PERSON, "text": TEXT},
    ClientEvent.ATTENDANCE_REQUEST: {"name": TEXT},
    ClientEvent.ATTENDANCE_CONFIRM: {"target": PERSON, "reason": REASON},
    ClientEvent.SCRIPT_PIN: {"text": TEXT},
    ClientEvent.RESOURCES: {"room": ROOM},
}


def payload_object(event: ClientEvent) -> st.SearchStrategy[dict[Any, Any]]:
    """The event's own fields: mostly all of them with plausible values, some left out (so
    examples get past parsing to the rules); or any of them with arbitrary JSON, sometimes
    beside fields the event does not know."""
    plausible = FIELDS.get(event, {})
    if not plausible:
        return st.one_of(st.just({}), st.dictionaries(SHORT_TEXT, JSON, min_size=1, max_size=2))
    names = sorted(plausible)
    full = st.fixed_dictionaries(plausible)
    # Some fields left out, or only some kept: either/or fields (admit's target or all,
    # a report's message or participant) need the second.
    some = st.sets(st.sampled_from(names))
    fitting = st.one_of(
        st.builds(lambda data, out: {k: v for k, v in data.items() if k not in out}, full, some),
        st.builds(
            lambda data, kept: {k: v for k, v in data.items() if k in kept},
            full,
            st.sets(st.sampled_from(names), min_size=1),
        ),
    )
    known = {name: st.one_of(values, JSON) for name, values in plausible.items()}
    rough = st.fixed_dictionaries({}, optional=known)
    extra = st.dictionaries(
        st.one_of(st.sampled_from(names), SHORT_TEXT), JSON, min_size=1, max_size=2
    )
    return st.one_of(
        fitting, fitting, fitting, rough, st.builds(lambda a, b: {**b, **a}, rough, extra)
    )


def arguments(event: ClientEvent) -> st.SearchStrategy[tuple[Any, ...]]:
    """Zero, one or two arguments; one is what a client means to send, so most often."""
    one = st.one_of(*[payload_object(event)] * 4, JSON)
    count = st.sampled_from([1] * 8 + [0, 2])  # zero or two are refused whatever they hold
    return count.flatmap(lambda n: st.tuples(*[one] * n))


# A participant and a facilitator, and a signed-in connection in no room (less often).
SENDERS = st.sampled_from(["participant", "facilitator"] * 3 + ["stranger"])


# --- the rooms under fire ---------------------------------------------------------------


@dataclass
class FuzzRoom:
    """A room on one server with a facilitator, a participant, a dummy to aim at, a watcher
    who sends the barrier reaction, a newcomer in its waiting room, and a stranger who is
    signed in but sits in no room."""

    hub: RunningHub
    room: str = ""
    info: RoomInfo | None = None
    people: dict[str, Client] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    baseline: RoomState | None = None

    @property
    def seated(self) -> list[Client]:
        return [c for who, c in self.people.items() if who not in {"stranger", "newcomer"}]

    async def build(self, number: int) -> None:
        await self.close()
        self.room = f"fuzz-{number}"
        self.info = RoomInfo(
            self.room, "Fuzz circle", allow_guests=True, series_id="fuzz-series", audio=True
        )
        await self.hub.store.open_room(self.info)
        for who in ("facilitator", "participant", "dummy", "watcher", "stranger"):
            role = Role.FACILITATOR if who == "facilitator" else Role.PARTICIPANT
            # Fresh subjects each build: a series ban from an earlier build does not follow.
            auth = {"token": token(who, role, subject=f"{who}-{number}")}
            self.people[who] = client = await Client(self.hub.url, auth).connect()
            if who != "stranger":
                self.ids[who] = (await client.join(self.room))["you"]
        for text in ("first", "second"):  # messages a report or a deletion can name
            assert (await self.people["watcher"].call("chat:send", {"text": text}))["ok"]
        controls = {"waiting_room": True}  # so admitting and denying have someone to act on
        assert (await self.people["facilitator"].call("moderation:controls", controls))["ok"]
        auth = {"token": token("newcomer", subject=f"newcomer-{number}")}
        self.people["newcomer"] = newcomer = await Client(self.hub.url, auth).connect()
        self.ids["newcomer"] = (await newcomer.call("room:join", {"room": self.room}))["you"]
        await self.barrier()
        self.baseline = await self.hub.store.snapshot(self.room)

    async def close(self) -> None:
        for client in self.people.values():
            if client.sio.connected:
                await client.close()
        self.people.clear()
        self.ids.clear()

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Live):
            assert self.baseline is not None
            live = {**self.ids, "room": self.room, "message": self.baseline.chat[0].message_id}
            return live[value.what]
        if isinstance(value, dict):
            return {self.resolve(k): self.resolve(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.resolve(v) for v in value)
        return value

    async def barrier(self) -> list[list[tuple[str, Any]]]:
        """The watcher reacts; once everyone seated has seen it, return what each saw
        before it, and forget it all."""
        ack = await self.people["watcher"].call("reaction:send", {"reaction": "heart"})
        assert ack["ok"], ack
        before = []
        for client in self.seated:
            mark = await client.wait_for("reaction", lambda d: d["seq"] == ack["seq"])
            before.append(client.received[: client.received.index(("reaction", mark))])
            client.received.clear()
        self.people["newcomer"].received.clear()  # its place in the queue, unordered
        return before

    async def evidence(self) -> tuple[RoomState, list[str]]:
        """What a refusal must leave alone: the room's state and its bans."""
        assert self.info is not None
        bans = await self.hub.store.bans(ban_keys(self.info))
        return await self.hub.store.snapshot(self.room), sorted(b.ban_id for b in bans)

    async def as_built(self) -> bool:
        """The room is as it was built, but for chat, seq and when people (re)joined."""
        assert self.baseline is not None
        return _settled(await self.hub.store.snapshot(self.room)) == _settled(self.baseline)

    async def repair(self) -> bool:
        """Undo the everyday changes an accepted event makes (someone left, raised a hand,
        muted themselves) the way their clients would; whether the room is as built now.
        Cheaper than building it again, which the other changes need."""
        state = await self.hub.store.snapshot(self.room)
        for who, member_id in self.ids.items():
            client, member = self.people[who], state.member(member_id)
            if not client.sio.connected:
                return False
            if who == "newcomer":
                continue  # waits; if it no longer does, the room is built again
            if member is None:
                ack = await client.call("room:join", {"room": self.room})
                if "waiting" in ack:
                    admit = {"target": member_id}
                    await self.people["facilitator"].call("moderation:admit", admit)
                    await client.call("room:join", {"room": self.room})
            elif member_id in state.hands:
                await client.call("hand:lower")
            elif member.audio_muted and not member.audio_held:
                await client.call("audio:unmute")
        return await self.as_built()

    async def send(self, sender: str, event: ClientEvent, args: tuple[Any, ...]) -> Any:
        return await self.people[sender].sio.call(
            str(event), self.resolve(args), timeout=ACK_WAIT_S
        )

    async def check_refusal(self, what: str, before: tuple[RoomState, list[str]]) -> None:
        assert await self.evidence() == before, f"{what}: the refusal changed the room"
        seen = await self.barrier()
        assert seen == [[] for _ in seen], f"{what}: the refusal reached the room: {seen}"
        assert self.people["stranger"].received == [], f"{what}: the stranger got events"


def _settled(state: RoomState) -> RoomState:
    members = sorted((replace(m, joined_at=0) for m in state.members), key=lambda m: m.member_id)
    return replace(state, seq=0, chat=(), members=tuple(members))


def ack_problems(ack: Any) -> list[str]:
    """What is wrong with an ack: it is ``{"ok": true, ...}`` or a documented refusal."""
    if not isinstance(ack, dict) or ack.get("ok") not in {True, False}:
        return [f"not an ack: {ack!r}"]
    if ack["ok"] is True:
        return []
    error = ack.get("error")
    if set(ack) != {"ok", "error"} or not isinstance(error, dict):
        return [f"a refusal without one error object: {ack!r}"]
    if set(error) != {"code", "message"} or not isinstance(error["message"], str):
        return [f"an error is {{code, message}}: {ack!r}"]
    if error["code"] not in DOCUMENTED_CODES:
        return [f"an undocumented code: {ack!r}"]
    if error["code"] == str(ServerCode.INTERNAL):
        return [f"a crash: {ack!r}"]
    return []


def outcome(ack: Any) -> Any:
    return ack.get("ok") if ack.get("ok") else ack.get("error", {}).get("code")


@dataclass
class Arena:
    """The same room on the embedded store and on Redis: every example goes to both, and
    both must answer it alike (two stores that drift are two bugs)."""

    rooms: dict[str, FuzzRoom]
    faults: ErrorLog
    builds: int = 0
    dirty: bool = True

    async def build(self) -> None:
        self.builds += 1
        await asyncio.gather(*(room.build(self.builds) for room in self.rooms.values()))
        self.dirty = False

    async def recover(self) -> None:
        """After an example failed half-way: carry on if the rooms are as built (a crash
        usually changes nothing), else build them again. Shrinking replays many failing
        examples, so this keeps a failing run short."""
        with contextlib.suppress(AssertionError, TimeoutError, socketio.exceptions.SocketIOError):
            if self.builds and all(
                await asyncio.gather(*(room.as_built() for room in self.rooms.values()))
            ):
                await asyncio.gather(*(room.barrier() for room in self.rooms.values()))
                self.dirty = False
                return
        await self.build()

    async def attack(self, sender: str, event: ClientEvent, args: tuple[Any, ...]) -> None:
        if self.dirty:
            await self.recover()
        self.faults.take()
        self.dirty = True
        what = f"{sender} sent {event} with {args!a}"
        stores = list(self.rooms)
        before = await asyncio.gather(*(self.rooms[s].evidence() for s in stores))
        acks = await asyncio.gather(*(self.rooms[s].send(sender, event, args) for s in stores))
        answers = dict(zip(stores, acks, strict=True))
        problems = [f"{s}: {p}" for s, ack in answers.items() for p in ack_problems(ack)]
        problems += [f"logged {line}" for line in self.faults.take()]
        assert problems == [], f"{what}: {problems}"
        outcomes = {s: outcome(ack) for s, ack in answers.items()}
        assert len(set(outcomes.values())) == 1, f"{what}: the stores disagree: {answers}"
        if not next(iter(acks))["ok"]:
            await asyncio.gather(
                *(
                    self.rooms[s].check_refusal(f"{what} on {s}", b)
                    for s, b in zip(stores, before, strict=True)
                )
            )
        elif all(await asyncio.gather(*(room.repair() for room in self.rooms.values()))):
            await asyncio.gather(*(room.barrier() for room in self.rooms.values()))
        else:
            await self.build()
        assert self.faults.take() == [], what
        self.dirty = False

    async def close(self) -> None:
        await asyncio.gather(*(room.close() for room in self.rooms.values()))


@pytest.fixture
async def arena(redis_server: RedisServer) -> AsyncIterator[Arena]:
    await flush(redis_server.url)
    # The fuzz is about what one event does, not about abuse limits (their own tests): it
    # reconnects and rejoins far more often from one address than any person would.
    limits = {f"{kind}_limit": UNLIMITED for kind in ("chat", "hand", "reaction", "report")}
    limits |= {
        "connections_per_address": UNLIMITED,
        "handshakes_per_address": UNLIMITED,
        "join_attempts_per_address": UNLIMITED,
        "refusals_before_disconnect": UNLIMITED,
    }
    faults = ErrorLog()
    root = logging.getLogger()
    root.addHandler(faults)
    try:
        async with (
            running_app(hearth_settings(None, **limits)) as memory,
            running_app(hearth_settings(redis_server.url, **limits)) as redis,
        ):
            arena = Arena({"memory": FuzzRoom(memory), "redis": FuzzRoom(redis)}, faults)
            try:
                yield arena
            finally:
                await arena.close()
    finally:
        root.removeHandler(faults)


@pytest.mark.parametrize("event", list(ClientEvent), ids=str)
async def test_any_payload_gets_a_documented_ack_and_a_refusal_changes_nothing(
    arena: Arena, event: ClientEvent
) -> None:
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate, Phase.shrink],  # no explain phase: it replays many examples
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(sender=SENDERS, args=arguments(event))
    def example(sender: str, args: tuple[Any, ...]) -> None:
        # Hypothesis drives from a worker thread; each example runs on the servers' loop.
        asyncio.run_coroutine_threadsafe(arena.attack(sender, event, args), loop).result()

    await asyncio.to_thread(example)
    # Still answering: newcomers join fresh rooms, and the health checks are fine.
    await arena.build()
    for room in arena.rooms.values():
        assert await health(room.hub.url)
