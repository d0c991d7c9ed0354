"""Rule expansion is bounded and exact: jumping whole blocks gives the same meetings as
walking from the first one, and the work does not grow with the series' age."""

from __future__ import annotations

import itertools
import re
import time
from datetime import datetime, timedelta

import pytest
from dateutil import rrule

from rooms.errors import InvalidPayload
from rooms.recurrence import MAX_COUNT, MAX_INTERVAL, parse_rule, starts_between

FIRST = datetime(2003, 2, 5, 19, 0)  # a Wednesday
RULES = [
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=DAILY;BYDAY=MO,WE,FR",
    "FREQ=DAILY;INTERVAL=2;BYDAY=TU,SA",
    "FREQ=DAILY;INTERVAL=7;BYDAY=WE",
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
    "FREQ=WEEKLY;BYDAY=SU",
    "FREQ=WEEKLY;INTERVAL=5;COUNT=40",
    "FREQ=DAILY;BYDAY=MO,TU;COUNT=500",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=1000",
    "FREQ=DAILY;UNTIL=20100301",
]


def _walked(rule: str, after: datetime, before: datetime) -> list[datetime]:
    """The reference: dateutil walking every meeting from the first."""
    text = re.sub(r"UNTIL=(\d{8})\b", r"UNTIL=\1T235959", rule)
    return list(rrule.rrulestr(text, dtstart=FIRST).between(after, before, inc=True))


@pytest.mark.parametrize("rule", RULES)
def test_jumping_blocks_finds_exactly_the_meetings_a_walk_finds(rule: str) -> None:
    parsed = parse_rule(rule)
    windows = [
        (FIRST - timedelta(days=30), FIRST + timedelta(days=30)),
        (FIRST, FIRST),
        *(
            (FIRST + timedelta(days=d), FIRST + timedelta(days=d + span))
            for d, span in itertools.product((1, 13, 400, 2900, 5000), (0, 6, 45))
        ),
    ]
    for after, before in windows:
        assert starts_between(FIRST, parsed, after, before) == _walked(rule, after, before), (
            after,
            before,
        )


@pytest.mark.parametrize(
    "rule", ["FREQ=DAILY", "FREQ=DAILY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO,TU", "FREQ=DAILY;COUNT=9"]
)
def test_a_series_from_year_one_expands_as_fast_as_a_new_one(rule: str) -> None:
    """A stored series from 0001-01-01 once froze the server for seconds per expansion."""
    parsed = parse_rule(rule)
    now = datetime(2026, 1, 5, 12)
    began = time.perf_counter()
    for _ in range(100):
        starts_between(datetime(1, 1, 1, 19), parsed, now - timedelta(days=3), now)
    assert time.perf_counter() - began < 0.5  # 100 expansions; the old walk took seconds each


def test_a_rule_that_can_never_meet_expands_to_nothing_at_once() -> None:
    never = parse_rule("FREQ=DAILY;INTERVAL=7;BYDAY=TU")  # from a Wednesday: always Wednesday
    began = time.perf_counter()
    assert starts_between(FIRST, never, FIRST, datetime(9999, 12, 31)) == []
    assert time.perf_counter() - began < 0.05


def test_the_widest_window_of_the_densest_rule_is_capped() -> None:
    daily = parse_rule("FREQ=DAILY")
    began = time.perf_counter()
    found = starts_between(datetime(2000, 1, 1), daily, datetime(1, 1, 1), datetime(9999, 12, 31))
    assert len(found) == 5000
    assert time.perf_counter() - began < 0.5


def test_the_edges_of_time_produce_no_overflow() -> None:
    daily = parse_rule("FREQ=DAILY")
    assert starts_between(datetime(9999, 12, 31, 23), daily, datetime.min, datetime.max) == []
    assert starts_between(datetime(1, 1, 1), None, datetime.min, datetime.max) == []
    last = starts_between(datetime(9999, 12, 1), daily, datetime(9999, 12, 20), datetime.max)
    assert last[-1] < datetime(9999, 12, 25)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (f"FREQ=DAILY;INTERVAL={MAX_INTERVAL + 1}", "INTERVAL"),
        ("FREQ=DAILY;INTERVAL=" + "9" * 5000, "INTERVAL"),
        (f"FREQ=WEEKLY;COUNT={MAX_COUNT + 1}", "COUNT"),
        ("FREQ=WEEKLY;COUNT=²", "COUNT"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT"),
        ("FREQ=WEEKLY\n", "NAME=VALUE"),
        ("FREQ=WEEKLY;UNTIL=2026-01-01", "NAME=VALUE"),
        ("FREQ=WEEKLY;UNTIL=20261301", "UNTIL"),
        ("FREQ=HOURLY", "FREQ"),
    ],
)
def test_rules_out_of_bounds_are_refused(rule: str, message: str) -> None:
    with pytest.raises(InvalidPayload, match=message):
        parse_rule(rule)
