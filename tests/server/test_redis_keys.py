"""Where the Redis store's keys live: what one atomic step writes shares a hash slot, so
the same steps run on a Redis Cluster."""

from __future__ import annotations

import pytest

from moderation.bans import BanScope, ban_key
from server.channels import room_channel, room_of
from server.stores.redis_keys import Keys

KEYS = Keys("hearth:")


def test_every_key_of_a_room_and_its_channel_share_the_room_s_slot() -> None:
    room = [
        KEYS("room", "circle", "live"),
        KEYS("room", "circle", "info"),
        KEYS("room", "circle", "log"),
        KEYS("room", "circle", "audit"),
        KEYS("room", "circle", "empty"),
        KEYS("room", "circle", "fence", "a1"),
        KEYS("op", "circle", "ann", "op-1"),
        KEYS("bans", ban_key(BanScope.ROOM, "circle")),
        room_channel("hearth:", "circle"),
    ]
    assert {Keys.slot(key) for key in room} == {Keys.slot("hearth:room:{circle}")}
    assert KEYS("room", "circle", "live") == "hearth:room:{circle}:live"
    assert room_of("hearth:", room_channel("hearth:", "circle")) == "circle"


def test_rooms_spread_over_slots() -> None:
    slots = {Keys.slot(KEYS("room", f"room-{i}", "live")) for i in range(20)}
    assert len(slots) > 10


def test_the_roll_the_definitions_and_the_rate_counters_each_keep_to_one_slot() -> None:
    roll = [KEYS("procs"), KEYS("proc", "p1"), KEYS("proc", "p2", "rooms")]
    definitions = [
        KEYS("rooms"),
        KEYS("roomdefs"),
        KEYS("series"),
        KEYS("series", "weekly"),
        KEYS("deployment", "resources"),
    ]
    rates = [KEYS("rate", "chat:ann:1"), KEYS("rate", "open:@address:9")]
    for family in (roll, definitions, rates):
        assert len({Keys.slot(key) for key in family}) == 1, family


def test_a_series_bans_are_tagged_by_the_series() -> None:
    key = KEYS("bans", ban_key(BanScope.SERIES, "weekly"))
    assert key == "hearth:series:{weekly}:bans"


def test_a_prefix_with_a_brace_is_refused() -> None:
    with pytest.raises(ValueError, match="braces"):
        Keys("hearth{x}:")
