"""Schedule maths with fixed instants: local wall-clock times across daylight saving,
lobby, warning and close instants, skipping and moving one occurrence, refusals."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rooms.errors import InvalidPayload
from rooms.schedule import Move, Series


def weekly(zone: str, starts: str, ends: str, **extra: object) -> Series:
    return Series("group", "group", starts, ends, zone, "FREQ=WEEKLY", **extra)  # type: ignore[arg-type]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("zone", "first"),
    [
        # Tuesdays, through US DST start (8 March) and end (1 November) of 2026.
        ("America/New_York", "2026-02-24T19:00"),
        # Through UK DST start (29 March) and end (25 October) of 2026.
        ("Europe/London", "2026-03-17T19:00"),
    ],
)
def test_weekly_meeting_keeps_its_local_time_through_both_dst_changes(
    zone: str, first: str
) -> None:
    series = weekly(zone, first, first.replace("19:00", "20:30"))
    found = series.occurrences(utc(2026, 1, 1), utc(2026, 12, 31))
    local = [o.start.astimezone(ZoneInfo(zone)) for o in found]
    assert len(found) >= 40
    assert all((t.hour, t.minute) == (19, 0) for t in local)
    assert all(t.weekday() == 1 for t in local)
    offsets = {t.utcoffset() for t in local}
    assert len(offsets) == 2  # both sides of the change were crossed
    assert all(o.end - o.start == timedelta(minutes=90) for o in found)
    assert all(
        b.start - a.start in {timedelta(days=7) + d for d in _shifts()}
        for a, b in itertools.pairwise(found)
    )


def _shifts() -> set[timedelta]:
    return {timedelta(0), timedelta(hours=1), timedelta(hours=-1)}


def test_new_york_instants_move_by_an_hour_in_utc_across_march_and_november() -> None:
    series = weekly("America/New_York", "2026-03-03T19:00", "2026-03-03T20:00")
    starts = {o.key: o.start for o in series.occurrences(utc(2026, 3, 1), utc(2026, 11, 12))}
    assert starts["2026-03-03"] == utc(2026, 3, 4, 0, 0)  # EST, UTC-5
    assert starts["2026-03-10"] == utc(2026, 3, 10, 23, 0)  # EDT, UTC-4, two days after
    assert starts["2026-10-27"] == utc(2026, 10, 27, 23, 0)
    assert starts["2026-11-03"] == utc(2026, 11, 4, 0, 0)  # EST again


def test_london_meeting_after_the_spring_change_is_an_hour_earlier_in_utc() -> None:
    series = weekly("Europe/London", "2026-03-24T19:00", "2026-03-24T20:00")
    starts = {o.key: o.start for o in series.occurrences(utc(2026, 3, 20), utc(2026, 4, 2))}
    assert starts == {"2026-03-24": utc(2026, 3, 24, 19), "2026-03-31": utc(2026, 3, 31, 18)}


def test_lobby_warning_and_close_instants() -> None:
    series = weekly("Europe/London", "2026-01-06T19:00", "2026-01-06T20:30", lobby_minutes=15)
    (occ,) = series.occurrences(utc(2026, 1, 6), utc(2026, 1, 7))
    assert occ.opens_at == utc(2026, 1, 6, 18, 45)
    assert occ.start == utc(2026, 1, 6, 19)
    assert occ.warns_at == utc(2026, 1, 6, 20, 25)
    assert occ.closes_at == utc(2026, 1, 6, 20, 30)


def test_an_occurrence_is_found_from_its_lobby_until_its_end() -> None:
    series = weekly("UTC", "2026-01-06T19:00", "2026-01-06T20:00", lobby_minutes=10)
    assert series.occurrences(utc(2026, 1, 6, 18, 49), utc(2026, 1, 6, 18, 49)) == []
    assert len(series.occurrences(utc(2026, 1, 6, 18, 50), utc(2026, 1, 6, 18, 50))) == 1
    assert len(series.occurrences(utc(2026, 1, 6, 19, 59), utc(2026, 1, 6, 19, 59))) == 1
    assert series.occurrences(utc(2026, 1, 6, 20), utc(2026, 1, 6, 20)) == []


def test_daily_check_in_on_weekdays_only() -> None:
    series = Series(
        "morning",
        "morning",
        "2026-01-05T08:00",
        "2026-01-05T08:30",
        "UTC",
        "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
    )
    keys = [o.key for o in series.occurrences(utc(2026, 1, 5), utc(2026, 1, 12))]
    assert keys == ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]
    assert series.weekdays() == (0, 1, 2, 3, 4)


def test_one_off_meets_once() -> None:
    series = Series("once", "once", "2026-05-01T10:00", "2026-05-01T11:00", "Europe/Paris")
    assert [o.start for o in series.occurrences(utc(2026, 1, 1), utc(2027, 1, 1))] == [
        utc(2026, 5, 1, 8)
    ]
    assert series.upcoming(utc(2026, 5, 1, 9), 3) == []


def test_count_and_until_end_a_series() -> None:
    counted = Series("g", "g", "2026-01-06T19:00", "2026-01-06T20:00", "UTC", "FREQ=WEEKLY;COUNT=3")
    assert len(counted.upcoming(utc(2026, 1, 1), 10)) == 3
    until = Series(
        "g", "g", "2026-01-06T19:00", "2026-01-06T20:00", "UTC", "FREQ=WEEKLY;UNTIL=20260120"
    )
    assert [o.key for o in until.upcoming(utc(2026, 1, 1), 10)] == [
        "2026-01-06",
        "2026-01-13",
        "2026-01-20",
    ]


def test_skipping_one_occurrence_leaves_the_others() -> None:
    series = weekly("UTC", "2026-01-06T19:00", "2026-01-06T20:00").skip("2026-01-13")
    keys = [o.key for o in series.occurrences(utc(2026, 1, 1), utc(2026, 1, 31))]
    assert keys == ["2026-01-06", "2026-01-20", "2026-01-27"]


def test_moving_one_occurrence_keeps_its_key_and_duration() -> None:
    series = weekly("America/New_York", "2026-01-06T19:00", "2026-01-06T20:00")
    moved = series.move("2026-01-13", "2026-01-14T18:00")
    found = {o.key: o for o in moved.occurrences(utc(2026, 1, 1), utc(2026, 1, 31))}
    assert found["2026-01-13"].start == utc(2026, 1, 14, 23)
    assert found["2026-01-13"].end - found["2026-01-13"].start == timedelta(hours=1)
    assert found["2026-01-20"].start == utc(2026, 1, 21, 0)


def test_a_move_onto_another_occurrence_is_refused() -> None:
    series = Series("d", "d", "2026-01-05T08:00", "2026-01-05T09:00", "UTC", "FREQ=DAILY")
    with pytest.raises(InvalidPayload, match="overlap"):
        series.move("2026-01-06", "2026-01-07T08:30")


def test_skipping_or_moving_a_day_without_a_meeting_is_refused() -> None:
    series = weekly("UTC", "2026-01-06T19:00", "2026-01-06T20:00")
    with pytest.raises(InvalidPayload, match="no occurrence"):
        series.skip("2026-01-07")
    with pytest.raises(InvalidPayload, match="no occurrence"):
        series.move("2026-01-07", "2026-01-08T19:00")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"timezone": "../etc/passwd"}, "unknown time zone"),
        ({"ends": "2026-01-06T18:00"}, "ends must be after starts"),
        ({"starts": "2026-02-30T19:00"}, "not a real date"),
        ({"starts": "next tuesday"}, "YYYY-MM-DDTHH:MM"),
        ({"rule": "FREQ=MONTHLY"}, "FREQ=DAILY or FREQ=WEEKLY"),
        ({"rule": "FREQ=WEEKLY;BYHOUR=3"}, "not supported"),
        ({"rule": "FREQ=WEEKLY;BYDAY=XX"}, "BYDAY"),
        ({"rule": "FREQ=WEEKLY;COUNT=0"}, "COUNT"),
        ({"lobby_minutes": 600}, "lobby_minutes"),
        ({"ends": "2026-01-07T19:30"}, "fit in one day"),
    ],
)
def test_invalid_series_are_refused(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "series_id": "g",
        "room_id": "g",
        "starts": "2026-01-06T19:00",
        "ends": "2026-01-06T20:00",
        "timezone": "UTC",
        "rule": "FREQ=WEEKLY",
        **changes,
    }
    with pytest.raises(InvalidPayload, match=message):
        Series(**fields)  # type: ignore[arg-type]


def test_spring_forward_gap_start_is_read_with_the_earlier_offset() -> None:
    series = Series("g", "g", "2026-03-08T02:30", "2026-03-08T03:30", "America/New_York")
    (occ,) = series.occurrences(utc(2026, 3, 7), utc(2026, 3, 9))
    assert occ.start == utc(2026, 3, 8, 7, 30)  # 03:30 EDT


NOW = utc(2026, 1, 5, 12)


def _days(n: int) -> frozenset[str]:
    first = datetime(2026, 1, 1)
    return frozenset((first + timedelta(days=i)).date().isoformat() for i in range(n))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts": "0001-01-01T19:00", "ends": "0001-01-01T20:00"}, "between 2000-01-01"),
        ({"starts": "1999-12-31T19:00", "ends": "1999-12-31T20:00"}, "between 2000-01-01"),
        ({"starts": "2036-01-08T19:00", "ends": "2036-01-08T20:00"}, "and 2036-01-06"),
        ({"starts": "9999-12-31T22:00", "ends": "9999-12-31T23:00"}, "between"),
        ({"rule": "FREQ=DAILY;INTERVAL=7;BYDAY=WE"}, "never meets"),
        ({"moved": (Move("2026-01-13", "1970-01-01T00:00"),)}, "moved meeting"),
        ({"skipped": _days(1001)}, "at most"),
    ],
)
def test_new_schedules_must_sit_in_the_horizon(changes: dict[str, object], message: str) -> None:
    series = replace(weekly("UTC", "2026-01-06T19:00", "2026-01-06T20:00"), **changes)
    with pytest.raises(InvalidPayload, match=message):
        series.check_horizon(NOW)


def test_the_horizons_edges_are_allowed() -> None:
    for starts in ("2000-01-01T00:00", "2036-01-06T11:00"):
        ends = starts[:11] + "12:00"
        weekly("UTC", starts, ends).check_horizon(NOW)


def test_a_stored_series_from_year_one_still_meets_on_time_and_quickly() -> None:
    """Stored before the horizon existed: not refused on load, expanded without a walk."""
    old = Series("old", "old", "0001-01-01T19:00", "0001-01-01T20:00", "UTC", "FREQ=DAILY")
    began = time.perf_counter()
    found = old.occurrences(NOW, NOW + timedelta(days=2))
    upcoming = old.upcoming(NOW, 5)
    assert time.perf_counter() - began < 0.1
    assert [o.start for o in found] == [utc(2026, 1, 5, 19), utc(2026, 1, 6, 19)]
    assert [o.key for o in upcoming] == [f"2026-01-{d:02}" for d in range(5, 10)]


@pytest.mark.parametrize(
    ("key", "starts"),
    [
        ("9999-12-31", None),
        ("0001-01-01", None),
        ("2026-01-13", "0001-01-01T00:00"),
        ("2026-01-13", "9999-12-31T23:59"),
    ],
)
def test_skips_and_moves_at_the_ends_of_time_are_refused_not_overflowed(
    key: str, starts: str | None
) -> None:
    old = Series(
        "old", "old", "0001-01-01T00:00", "0001-01-01T01:00", "Pacific/Kiritimati", "FREQ=WEEKLY"
    )
    for series in (weekly("Pacific/Kiritimati", "2026-01-06T19:00", "2026-01-06T20:00"), old):
        change = (lambda s: s.skip(key)) if starts is None else (lambda s: s.move(key, starts))
        with pytest.raises(InvalidPayload):
            change(series)


def test_a_stored_move_to_the_end_of_time_is_ignored_not_overflowed() -> None:
    held = Move("2026-01-13", "0001-01-01T00:00")
    series = replace(
        weekly("Pacific/Kiritimati", "2026-01-06T19:00", "2026-01-06T20:00"), moved=(held,)
    )
    keys = [o.key for o in series.occurrences(utc(2026, 1, 1), utc(2026, 1, 31))]
    assert "2026-01-13" in keys
    assert series.occurrence("2026-01-13") is not None


@pytest.mark.parametrize("raw", ["group\n", "group\r\n", " group", "Group", "gr\u0131up"])
def test_ids_must_match_in_full(raw: str) -> None:
    with pytest.raises(InvalidPayload, match="slug"):
        Series(raw, "group", "2026-01-06T19:00", "2026-01-06T20:00", "UTC")
    with pytest.raises(InvalidPayload, match="slug"):
        Series("group", raw, "2026-01-06T19:00", "2026-01-06T20:00", "UTC")


@pytest.mark.parametrize(
    "raw",
    ["2026-01-06T19:00\n", "2026-01-06T19:00:00", "\u0662026-01-06T19:00", "2026-01-06t19:00"],
)
def test_local_times_must_match_in_full(raw: str) -> None:
    with pytest.raises(InvalidPayload, match="YYYY-MM-DDTHH:MM"):
        Series("group", "group", raw, "2026-01-06T20:00", "UTC")


@pytest.mark.parametrize("key", ["20260113", "2026-W03-2", "2026-01-13\n"])
def test_an_occurrence_is_named_by_one_spelling_of_its_date(key: str) -> None:
    with pytest.raises(InvalidPayload, match="YYYY-MM-DD"):
        weekly("UTC", "2026-01-06T19:00", "2026-01-06T20:00").skip(key)
