"""One contract for both stores, on what they drifted on: the same promises, in memory
and on a real Redis.

"Another process" is a second store on the same Redis (its own cache of the room); in
memory it is the same store, since one process is all the embedded store serves. Every
test here must pass on both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from moderation.audit import Action, AuditEntry, Moderated
from moderation.bans import Ban, BanScope
from moderation.ports import RoomStore
from rooms import lifecycle, primitives
from rooms.allowances import Allowance
from rooms.change import Change, Decided
from rooms.errors import ErrorCode, HearthError, RoomNotFound
from rooms.events import RoomEvent
from rooms.identity import Identity, Role
from rooms.ports import EMPTY_MEMORY_MS, Once
from rooms.room import RoomInfo
from rooms.state import Connection, RoomState
from server.app import frame_event
from server.errors import ServerCode
from server.stores.memory import MemoryStore
from server.stores.redis import MAX_ATTEMPTS, RedisStore
from server.stores.redis_client import clustered, connect
from tests.conftest import flush
from tests.support import sync_client

ROOM = RoomInfo("circle", "Circle", capacity=10)
NOW = 1_795_000_000_000
DAY_MS = 24 * 3600 * 1000


Hears = Callable[[str, RoomEvent], Awaitable[None]]


@dataclass
class Stores:
    """This process's store, and another process's view of the same rooms. In memory,
    ``hearing`` is told each event as the store delivers it."""

    ours: RoomStore
    theirs: RoomStore
    redis_url: str | None
    hearing: list[Hears] = field(default_factory=list)


@pytest.fixture(params=["memory", "redis", "cluster"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    if request.param == "memory":
        hearing: list[Hears] = []

        async def deliver(room_id: str, event: RoomEvent) -> None:
            for hears in hearing:
                await hears(room_id, event)

        memory = MemoryStore(deliver, frame_event)
        made = Stores(memory, memory, None, hearing)
    else:
        if request.param == "cluster":  # a 3-master Redis Cluster
            url = request.getfixturevalue("cluster_url")
        else:
            url = request.getfixturevalue("redis_server").url
        await flush(url)

        def one() -> RedisStore:
            return RedisStore(connect(url), prefix="c:", channel="c:ev", frame=frame_event)

        made = Stores(one(), one(), url)
    await made.ours.open_room(ROOM)
    yield made
    await made.ours.close()
    if made.theirs is not made.ours:
        await made.theirs.close()


def joiner(name: str) -> object:
    who = Identity(f"sub-{name}", name, Role.PARTICIPANT, frozenset({"*"}))

    def rule(state: RoomState, info: RoomInfo) -> Change:
        return primitives.join(state, info, who, f"id-{name}", Connection("p", name), NOW)

    return rule


async def test_the_result_comes_from_the_run_that_was_committed(stores: Stores) -> None:
    """Redis re-runs a rule after a version conflict; memory runs it once. Either way the
    result handed back is the one whose change is stored: no stale run leaks out."""
    await stores.ours.apply("circle", joiner("ann"))  # this process now remembers the room
    await stores.theirs.apply("circle", joiner("bo"))  # and another process moved it on
    runs: list[int] = []

    def warn(state: RoomState, _room: RoomInfo) -> Decided[int]:
        runs.append(state.seq)
        return Decided(lifecycle.warn_closing(state, NOW), state.seq)

    decided = await stores.ours.apply("circle", warn)
    stored = await stores.theirs.snapshot("circle")
    assert decided.result == runs[-1] == stored.seq - 1
    assert decided.change.state == stored


async def test_a_refusal_on_a_cached_state_is_checked_against_the_room(stores: Stores) -> None:
    """Bo joined through another process; this one's memory of the room has no Bo. His hand
    must go up: a refusal counts only if the room as it is refuses."""
    await stores.ours.apply("circle", joiner("ann"))
    await stores.theirs.apply("circle", joiner("bo"))
    change = await stores.ours.apply("circle", lambda s, _: primitives.raise_hand(s, "bo"))
    assert change.state.hands == ("id-bo",)
    assert (await stores.theirs.snapshot("circle")).hands == ("id-bo",)


async def test_a_refusal_on_the_room_as_it_is_stands_and_changes_nothing(
    stores: Stores,
) -> None:
    await stores.ours.apply("circle", joiner("ann"))
    before = await stores.theirs.snapshot("circle")
    with pytest.raises(HearthError) as refused:
        await stores.ours.apply("circle", lambda s, _: primitives.raise_hand(s, "nobody"))
    assert refused.value.code == ErrorCode.NOT_IN_ROOM
    assert await stores.theirs.snapshot("circle") == before


async def test_a_room_that_never_stays_still_is_busy_and_keeps_nothing(stores: Stores) -> None:
    """A rule that loses every race gives up with ``busy`` and writes nothing; the
    embedded store has one writer per room, so its rule commits on its only run."""
    if stores.redis_url is None:
        change = await stores.ours.apply("circle", lambda s, _: lifecycle.warn_closing(s, NOW))
        assert change.state == await stores.ours.snapshot("circle")
        return
    rival = sync_client(stores.redis_url)
    runs = 0

    def contended(state: RoomState, _room: RoomInfo) -> Change:
        nonlocal runs
        runs += 1
        rival.hincrby("c:room:{circle}:live", "v", 1)  # another process commits first
        return lifecycle.warn_closing(state, NOW)

    try:
        with pytest.raises(HearthError) as busy:
            await stores.ours.apply("circle", contended)
    finally:
        rival.close()
    assert busy.value.code == ServerCode.BUSY
    assert runs == MAX_ATTEMPTS
    assert (await stores.theirs.snapshot("circle")).ends_at is None


async def test_an_empty_mark_is_forgotten_once_it_is_a_day_old(stores: Stores) -> None:
    assert await stores.ours.empty_since("circle", NOW, True) == NOW
    assert await stores.theirs.empty_since("circle", NOW + 5, True) == NOW
    later = NOW + EMPTY_MEMORY_MS
    assert await stores.ours.empty_since("circle", later, True) == later
    assert await stores.theirs.empty_since("circle", later + 1, False) is None
    assert await stores.ours.empty_since("circle", later + 2, True) == later + 2


def line(at: int, n: int) -> AuditEntry:
    return AuditEntry(at, "id-fay", "Fay", Action.MUTE, f"id-{n}", f"Person {n}")


async def note(
    store: RoomStore, entry: AuditEntry, *, keep_ms: int = DAY_MS, max_entries: int = 100
) -> Moderated:
    def decide(state: RoomState, _room: RoomInfo) -> Moderated:
        return Moderated(Change(state), entry)

    return await store.moderate("circle", decide, keep_ms=keep_ms, max_entries=max_entries)


async def test_the_audit_log_keeps_as_many_entries_as_each_write_asks(stores: Stores) -> None:
    """The bound is each write's, not the first's (memory's deque kept its first length;
    Redis trimmed only roughly)."""
    for n in range(5):
        await note(stores.ours, line(NOW + n, n), max_entries=3)
    read = await stores.theirs.audit_log("circle", since=0, limit=100)
    assert [e.target_id for e in read] == ["id-4", "id-3", "id-2"]
    for n in range(5, 10):
        await note(stores.theirs, line(NOW + n, n), max_entries=5)
    read = await stores.ours.audit_log("circle", since=0, limit=100)
    assert [e.target_id for e in read] == [f"id-{n}" for n in (9, 8, 7, 6, 5)]


async def test_the_audit_log_keeps_entries_by_their_own_time(stores: Stores) -> None:
    """Retention counts from the entries' times, whatever the store's own clock says."""
    keep = 10 * DAY_MS
    await note(stores.ours, line(NOW - 11 * DAY_MS, 1), keep_ms=keep)
    await note(stores.ours, line(NOW - 9 * DAY_MS, 2), keep_ms=keep)
    await note(stores.theirs, line(NOW, 3), keep_ms=keep)
    read = await stores.ours.audit_log("circle", since=0, limit=100)
    assert [e.target_id for e in read] == ["id-3", "id-2"]
    since = await stores.ours.audit_log("circle", since=NOW - DAY_MS, limit=100)
    assert [e.target_id for e in since] == ["id-3"]


def ban(reason: str, scope: BanScope = BanScope.ROOM) -> Ban:
    where = "circle" if scope == BanScope.ROOM else "weekly"
    return Ban("id-x", "sub-x", "X", scope, where, NOW, "Fay", reason)


@pytest.mark.parametrize("scope", [BanScope.ROOM, BanScope.SERIES])
async def test_a_ban_is_lifted_only_as_it_was_read(stores: Stores, scope: BanScope) -> None:
    """Lifting compares and deletes in one step: a ban made again meanwhile (another
    facilitator, another process) is not lifted by a stale read of the old one. A
    series' ban is kept outside the room's slot (on a Redis Cluster, written after the
    commit): the same holds."""
    first, again = ban("first", scope), ban("again", scope)

    def keep(kept: Ban) -> object:
        return lambda s, _: Moderated(Change(s), line(NOW, 0), keeps=kept)

    await stores.ours.moderate("circle", keep(first), keep_ms=DAY_MS, max_entries=9)  # type: ignore[arg-type]
    read = await stores.ours.bans([first.key])
    await stores.theirs.moderate("circle", keep(again), keep_ms=DAY_MS, max_entries=9)  # type: ignore[arg-type]

    def lift(state: RoomState, _room: RoomInfo) -> Moderated:
        return Moderated(Change(state), line(NOW, 1), lifts=read[0])

    await stores.ours.moderate("circle", lift, keep_ms=DAY_MS, max_entries=9)
    assert await stores.theirs.bans([first.key]) == [again]
    await stores.theirs.moderate(
        "circle",
        lambda s, _: Moderated(Change(s), line(NOW, 2), lifts=again),
        keep_ms=DAY_MS,
        max_entries=9,
    )
    assert await stores.ours.bans([first.key]) == []


async def test_two_writers_lose_no_change(stores: Stores) -> None:
    """Concurrent rules from two processes: every one is applied exactly once."""
    names = [f"n{i}" for i in range(ROOM.capacity)]
    await asyncio.gather(
        *(
            (stores.ours, stores.theirs)[i % 2].apply("circle", joiner(name))
            for i, name in enumerate(names)
        )
    )
    state = await stores.ours.snapshot("circle")
    assert sorted(m.display_name for m in state.members) == sorted(names)
    assert state.seq == len(names)


async def _seen(store: RoomStore) -> tuple[int, list[int]]:
    """The room's seq, and the seqs its log holds."""
    state = await store.snapshot("circle")
    return state.seq, [seq for seq, _ in await store.events_after("circle", 0)]


async def test_a_change_is_visible_whole_before_any_of_its_events_is_heard(
    stores: Stores,
) -> None:
    """Whoever hears the first event of a change finds its state stored and every one of
    its events in the room's log (a client resuming then misses none): Redis's commit
    script stores and logs before it publishes; memory once logged an event only as it
    delivered it, so the first leave was heard with the second not yet logged."""
    await stores.ours.apply("circle", joiner("ann"))
    await stores.ours.apply("circle", joiner("bo"))
    heard: list[tuple[int, list[int]]] = []

    def both_leave(state: RoomState, _room: RoomInfo) -> Change:
        return primitives.drop_process(state, "p")  # Ann's and Bo's process: two events

    if stores.redis_url is None:

        async def look(room_id: str, event: RoomEvent) -> None:
            heard.append(await _seen(stores.theirs))

        stores.hearing.append(look)
        await stores.ours.apply("circle", both_leave)
    else:
        listener = connect(stores.redis_url)
        pubsub = listener.pubsub(ignore_subscribe_messages=True)
        await pubsub.ssubscribe("c:room:{circle}")  # the room's own channel (prefix c:)
        read = pubsub.get_sharded_message if clustered(listener) else pubsub.get_message
        try:
            applied = asyncio.create_task(stores.ours.apply("circle", both_leave))
            while await read(timeout=5) is None:
                pass
            heard.append(await _seen(stores.theirs))
            await applied
        finally:
            await pubsub.aclose()
            await listener.aclose()
    assert heard[0] == (4, [1, 2, 3, 4])


def _posting(text: str) -> Callable[[RoomState, RoomInfo], Change]:
    """A chat from Ann, as the hub posts one (the first store pass may run it again)."""

    def rule(state: RoomState, _room: RoomInfo) -> Change:
        return primitives.post_chat(state, "ann", text, NOW)

    return rule


def _answer(change: Change) -> bytes:
    return f"seq {change.state.seq}: {change.state.chat[-1].text}".encode()


async def test_a_repeated_op_id_returns_the_first_answer_and_changes_nothing(
    stores: Stores,
) -> None:
    """Sent once through this process, repeated through another: one message, one seq,
    the first answer both times, even for a repeat carrying different text."""
    await stores.ours.apply("circle", joiner("ann"))
    first = await stores.ours.apply_once(
        "circle", _posting("hello"), Once("id-ann", "op-0123456789abcdef", _answer)
    )
    after = await stores.theirs.snapshot("circle")
    again = await stores.theirs.apply_once(
        "circle", _posting("hello again"), Once("id-ann", "op-0123456789abcdef", _answer)
    )
    assert first.value is not None
    assert again.value is None
    assert again.answer == first.answer == f"seq {after.seq}: hello".encode()
    assert await stores.ours.snapshot("circle") == after
    assert [m.text for m in after.chat] == ["hello"]


async def test_an_op_id_is_the_members_own_and_absent_means_always_new(stores: Stores) -> None:
    await stores.ours.apply("circle", joiner("ann"))
    await stores.ours.apply("circle", joiner("bo"))
    op = "shared-id-0123456789"
    await stores.ours.apply_once("circle", _posting("one"), Once("id-ann", op, _answer))
    other = await stores.theirs.apply_once("circle", _posting("two"), Once("id-bo", op, _answer))
    assert other.value is not None  # Bo's op is not Ann's
    for text in ("three", "three"):
        done = await stores.ours.apply_once("circle", _posting(text), Once("id-ann", None, _answer))
        assert done.value is not None
    chat = [m.text for m in (await stores.theirs.snapshot("circle")).chat]
    assert chat == ["one", "two", "three", "three"]


async def test_a_refused_op_keeps_nothing_and_its_repeat_is_judged_again(stores: Stores) -> None:
    """Refused (not seated yet): nothing kept, so the same op id applies once Ann is in."""
    once = Once("id-ann", "op-refused-then-ok", _answer)
    with pytest.raises(HearthError) as refused:
        await stores.ours.apply_once("circle", _posting("early"), once)
    assert refused.value.code == ErrorCode.NOT_IN_ROOM
    await stores.theirs.apply("circle", joiner("ann"))
    done = await stores.ours.apply_once("circle", _posting("early"), once)
    assert done.value is not None
    assert [m.text for m in (await stores.theirs.snapshot("circle")).chat] == ["early"]


async def test_a_repeated_facilitator_action_writes_one_audit_entry(stores: Stores) -> None:
    def decide(state: RoomState, _room: RoomInfo) -> Moderated:
        return Moderated(lifecycle.warn_closing(state, NOW), line(NOW, 1))

    once = Once("id-fay", "op-moderate-0000001", lambda d: str(d.change.state.seq).encode())
    first = await stores.ours.moderate_once("circle", decide, once, keep_ms=DAY_MS, max_entries=100)
    again = await stores.theirs.moderate_once(
        "circle", decide, once, keep_ms=DAY_MS, max_entries=100
    )
    assert (first.value is None, again.value is None) == (False, True)
    assert again.answer == first.answer
    assert len(await stores.theirs.audit_log("circle", since=0, limit=100)) == 1


async def test_the_generation_mark_is_the_first_one_written_and_kept(stores: Stores) -> None:
    """Every process learns the same mark; a later candidate never replaces it, so only a
    store that lost everything shows a process another mark (``server.jobs.recovery``)."""
    first = await stores.ours.generation("one")
    assert await stores.theirs.generation("two") == first
    assert await stores.ours.generation("three") == first
    if stores.redis_url is not None:
        await flush(stores.redis_url)  # what an empty restart leaves
        assert await stores.theirs.generation("four") == "four"
        assert await stores.ours.generation("five") == "four"


async def test_a_rooms_settings_are_remembered_after_the_store_forgets_it(stores: Stores) -> None:
    """What an empty restart lost can be opened again as this process last saw it, even
    after a read found the room gone."""
    assert stores.ours.remembered_room("circle") == ROOM
    if stores.redis_url is not None:
        await flush(stores.redis_url)
        with pytest.raises(RoomNotFound):
            await stores.ours.snapshot("circle")
        assert stores.ours.remembered_room("circle") == ROOM


async def test_the_open_rooms_are_those_open(stores: Stores) -> None:
    """A room is listed open from its opening to its close, whichever process did
    either (the list is kept apart from the room's own keys on a Redis Cluster)."""
    other = RoomInfo("other", "Other")
    assert await stores.theirs.open_room(other)
    assert [r.room_id for r in await stores.ours.open_rooms()] == ["circle", "other"]
    await stores.ours.close_room("circle")
    assert [r.room_id for r in await stores.theirs.open_rooms()] == ["other"]
    await stores.ours.define_room(ROOM)
    assert [r.room_id for r in await stores.theirs.rooms()] == ["circle", "other"]
    assert await stores.theirs.delete_room("circle")
    assert await stores.ours.room_info("circle") is None
    assert [r.room_id for r in await stores.theirs.rooms()] == ["other"]


async def test_each_opening_of_a_room_has_its_own_id(stores: Stores) -> None:
    """Made when the room opens, kept (and seen by every process) while it stays open,
    new when it opens again: a seq means something only with its opening."""
    first = (await stores.ours.snapshot("circle")).opening
    assert first
    assert (await stores.theirs.snapshot("circle")).opening == first
    assert not await stores.theirs.open_room(ROOM)  # open already: the same opening
    assert (await stores.ours.snapshot("circle")).opening == first
    await stores.ours.close_room("circle")
    assert await stores.theirs.open_room(ROOM)
    again = (await stores.ours.snapshot("circle")).opening
    assert again
    assert again != first
    assert (await stores.theirs.snapshot("circle")).opening == again


async def test_a_room_opened_again_behind_this_process_s_back_is_no_rollback(
    stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    """This process remembers the room at seq 3; another closes it and opens it again, and
    it is at seq 1 there. A lower seq of another opening is the new opening, not a
    rollback: the change lands on it, and nothing says Redis was rolled back."""
    for name in ("ann", "bo", "cy"):
        await stores.ours.apply("circle", joiner(name))
    await stores.theirs.close_room("circle")
    await stores.theirs.open_room(ROOM)
    await stores.theirs.apply("circle", joiner("di"))
    reopened = await stores.theirs.snapshot("circle")
    assert (await stores.ours.snapshot("circle")).opening == reopened.opening
    change = await stores.ours.apply("circle", joiner("ed"))
    assert change.state.opening == reopened.opening
    assert [m.display_name for m in change.state.members] == ["di", "ed"]
    assert not [r for r in caplog.records if "rolled back" in r.getMessage()]


# Allowances (``rooms.ports.Counters``): NOW is a window's start for windows of 10 s.
WINDOW = 10_000
START = NOW - NOW % WINDOW


async def test_a_fixed_allowance_counts_to_its_limit_and_starts_again_each_window(
    stores: Stores,
) -> None:
    three = Allowance("sam:chat", 3, WINDOW)
    assert [await stores.ours.take([three], START + 1_000) for _ in range(3)] == [[0]] * 3
    assert await stores.theirs.take([three], START + 4_000) == [WINDOW - 4_000]
    assert await stores.ours.take([three], START + WINDOW) == [0]  # a new window


async def test_a_sliding_allowance_lets_the_next_window_in_only_as_the_last_slides_out(
    stores: Stores,
) -> None:
    """Ten taken late in one window: at the next window's start nothing fits (the whole
    last window is still inside the one that ends now), then one each time a tenth of
    it has slid out, never the whole allowance at once."""
    ten = Allowance("@address:tag:join", 10, WINDOW, sliding=True)
    for n in range(10):
        assert await stores.ours.take([ten], START + 9_000 + n) == [0]
    wait = (await stores.theirs.take([ten], START + WINDOW))[0]
    assert wait == 1_000  # a tenth of the window
    assert await stores.ours.take([ten], START + WINDOW + 999) == [1]
    assert await stores.ours.take([ten], START + WINDOW + 1_000) == [0]
    assert (await stores.theirs.take([ten], START + WINDOW + 1_000))[0] > 0
    assert await stores.ours.take([ten], START + WINDOW + 2_000) == [0]


async def test_an_action_is_counted_in_every_allowance_or_in_none(stores: Stores) -> None:
    mine = Allowance("room:sam:chat", 5, WINDOW)
    ours = Allowance("@address:tag:chat", 2, WINDOW, sliding=True)
    assert await stores.ours.take([mine, ours], START) == [0, 0]
    assert await stores.ours.take([mine, ours], START + 1) == [0, 0]
    waits = await stores.theirs.take([mine, ours], START + 2)
    assert waits[0] == 0  # Sam's own allowance has room
    assert waits[1] > 0  # the address's is full
    # The refused action took nothing from Sam's allowance: three more fit it alone.
    assert [await stores.ours.take([mine], START + 3) for _ in range(3)] == [[0]] * 3
    assert await stores.ours.take([mine], START + 3) == [WINDOW - 3]
