"""When a room meets: one-off and recurring series, as pure calendar values.

- **A series belongs to one room.** Every occurrence opens the same room id, so an invite
  link for the Tuesday family group works every Tuesday.
- **Wall-clock time in a named zone.** A series is written in local time (``starts`` and
  ``ends``, ``YYYY-MM-DDTHH:MM``) in an IANA zone (``America/New_York``). A weekly 19:00
  group meets at 19:00 local time on both sides of a daylight-saving change; the instant
  in UTC moves instead. A start that falls in the hour skipped in spring is read with the
  offset before the change (02:30 becomes 03:30); one in the repeated autumn hour is the
  first of the two.
- **Recurrence** is an RRULE subset (``rooms.recurrence``), expanded by ``dateutil.rrule``
  in bounded steps: ``FREQ=DAILY`` or ``FREQ=WEEKLY`` with optional ``INTERVAL``, ``BYDAY``
  (weekdays), ``COUNT`` and ``UNTIL`` (a local date, its meetings included). An empty rule
  is a one-off.
- **A horizon for new schedules.** A series created or changed starts no earlier than
  2000-01-01 and no later than about ten years from now, as do its moved meetings; it
  must be able to meet at all. A series stored before this rule keeps working.
- At most one occurrence falls on a local day, so an occurrence is named by its local date
  (``2026-03-10``), the key for skipping or moving it.
- **One occurrence at a time.** Lobby plus meeting must fit in a day, so occurrences of one
  series never overlap.
- **Instants of an occurrence:** the lobby opens ``lobby_minutes`` before the start; the
  room is warned ``WARNING_BEFORE_END`` before the end; it closes at the end.
- **Skip or move** one occurrence by its key; a moved occurrence keeps its duration and key.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rooms.errors import InvalidPayload
from rooms.recurrence import SAFE_FIRST, SAFE_LAST, WEEKDAYS, parse_rule, starts_between
from rooms.resources import Resource
from rooms.room import check_room_id

WARNING_BEFORE_END = timedelta(minutes=5)
MAX_LOBBY_MINUTES = 120
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
_LOCAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
_DAY = timedelta(days=1)
# The horizon a new or changed schedule must start in (see ``Series.check_horizon``).
EARLIEST_START = datetime(2000, 1, 1)
HORIZON_AHEAD = timedelta(days=3653)  # about ten years
MAX_EXCEPTIONS = 1000  # skipped plus moved occurrences of one series


def parse_local(raw: object, what: str) -> datetime:
    """A naive local wall-clock time written ``YYYY-MM-DDTHH:MM``."""
    if not isinstance(raw, str) or not _LOCAL.fullmatch(raw):
        raise InvalidPayload(f"{what} must be a local time written YYYY-MM-DDTHH:MM")
    try:
        return datetime.strptime(raw, LOCAL_FORMAT)
    except ValueError:
        raise InvalidPayload(f"{what} is not a real date and time: {raw}") from None


def zone(name: str) -> ZoneInfo:
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise InvalidPayload(f"unknown time zone {name!r}: use an IANA name like Europe/London")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPayload(
            f"unknown time zone {name!r}: use an IANA name like Europe/London"
        ) from None


@dataclass(frozen=True, slots=True)
class Move:
    """One occurrence (named by its original local date) held at another local start."""

    occurrence: str
    starts: str

    def __post_init__(self) -> None:
        _check_key(self.occurrence)
        parse_local(self.starts, "the new start")


def _check_key(key: str) -> None:
    try:
        # fromisoformat also reads 20260310 and 2026-W11-2: only one spelling names a day.
        if not isinstance(key, str) or date.fromisoformat(key).isoformat() != key:
            raise ValueError
    except ValueError:
        raise InvalidPayload(f"occurrence {key!r} must be a local date YYYY-MM-DD") from None


@dataclass(frozen=True, slots=True)
class Occurrence:
    series_id: str
    room_id: str
    key: str  # the local date it was scheduled on, even when moved
    start: datetime  # aware, UTC
    end: datetime
    lobby: timedelta

    @property
    def opens_at(self) -> datetime:
        return self.start - self.lobby

    @property
    def warns_at(self) -> datetime:
        return max(self.end - WARNING_BEFORE_END, self.start)

    @property
    def closes_at(self) -> datetime:
        return self.end


@dataclass(frozen=True, slots=True)
class Series:
    series_id: str
    room_id: str
    starts: str  # local wall-clock time of the first occurrence
    ends: str  # local wall-clock end of the first occurrence
    timezone: str
    rule: str = ""  # empty: a one-off
    lobby_minutes: int = 0
    skipped: frozenset[str] = frozenset()
    moved: tuple[Move, ...] = field(default=())
    resources: tuple[Resource, ...] = ()  # its room's, unless the room has its own
    script: str = ""  # its meetings' script, unless the room has its own

    def __post_init__(self) -> None:
        check_room_id(self.series_id)
        check_room_id(self.room_id)
        start = parse_local(self.starts, "starts")
        end = parse_local(self.ends, "ends")
        zone(self.timezone)
        parse_rule(self.rule)
        if end <= start:
            raise InvalidPayload("ends must be after starts")
        if not 0 <= self.lobby_minutes <= MAX_LOBBY_MINUTES:
            raise InvalidPayload(f"lobby_minutes must be between 0 and {MAX_LOBBY_MINUTES}")
        if end - start + timedelta(minutes=self.lobby_minutes) > _DAY:
            raise InvalidPayload("the lobby and the meeting together must fit in one day")
        for key in self.skipped:
            _check_key(key)
        if len({m.occurrence for m in self.moved}) != len(self.moved):
            raise InvalidPayload("an occurrence is moved twice")

    @property
    def duration(self) -> timedelta:
        return parse_local(self.ends, "ends") - parse_local(self.starts, "starts")

    def check_horizon(self, now: datetime) -> None:
        """A new or changed schedule starts, and holds its moved meetings, between
        ``EARLIEST_START`` and ``HORIZON_AHEAD`` after ``now`` (local time), can meet, and
        has at most ``MAX_EXCEPTIONS`` skips and moves. Stored series are not held to it
        (their expansion is bounded anyway), so a skip or move checks only what it adds."""
        first = parse_local(self.starts, "starts")
        if not EARLIEST_START <= first <= self._latest(now):
            raise InvalidPayload(f"starts must be {self._span(now)}")
        rule = parse_rule(self.rule)
        if rule is not None and rule.per_block(first) == 0:
            raise InvalidPayload("the rule never meets: check BYDAY against INTERVAL")
        self.check_exceptions(now)

    def check_exceptions(self, now: datetime) -> None:
        """Moved meetings start within the horizon; skips and moves stay few."""
        for move in self.moved:
            if not EARLIEST_START <= parse_local(move.starts, "the new start") <= self._latest(now):
                raise InvalidPayload(f"a moved meeting must start {self._span(now)}")
        if len(self.skipped) + len(self.moved) > MAX_EXCEPTIONS:
            raise InvalidPayload(f"at most {MAX_EXCEPTIONS} meetings may be skipped or moved")

    def _latest(self, now: datetime) -> datetime:
        return now.astimezone(zone(self.timezone)).replace(tzinfo=None) + HORIZON_AHEAD

    def _span(self, now: datetime) -> str:
        return f"between {EARLIEST_START:%Y-%m-%d} and {self._latest(now):%Y-%m-%d}"

    def skip(self, key: str) -> Series:
        self._require_scheduled(key)
        return replace(self, skipped=self.skipped | {key})

    def move(self, key: str, starts: str) -> Series:
        """Hold one occurrence at another local start; it must not meet its neighbours."""
        self._require_scheduled(key)
        if not SAFE_FIRST <= parse_local(starts, "the new start") <= SAFE_LAST:
            raise InvalidPayload(f"{starts} is too far from any meeting to move {key} there")
        moved = tuple(m for m in self.moved if m.occurrence != key)
        series = replace(self, skipped=self.skipped - {key}, moved=(*moved, Move(key, starts)))
        target = series.occurrence(key)
        assert target is not None
        around = series.occurrences(target.opens_at - 2 * _DAY, target.end + 2 * _DAY)
        for before, after in itertools.pairwise(around):
            if after.opens_at < before.end:
                raise InvalidPayload(f"moved there, {key} would overlap another occurrence")
        return series

    def _require_scheduled(self, key: str) -> None:
        _check_key(key)
        if self._scheduled_on(key) is None:
            raise InvalidPayload(f"the series has no occurrence on {key}")

    def local_starts(self, after: datetime, before: datetime) -> list[datetime]:
        """Scheduled local starts (naive) in ``[after, before]``, before skips and moves;
        bounded work however long ago the series began (``rooms.recurrence``)."""
        first = parse_local(self.starts, "starts")
        return starts_between(first, parse_rule(self.rule), after, before)

    def occurrences(self, since: datetime, until: datetime) -> list[Occurrence]:
        """Occurrences whose lobby-to-end window meets ``[since, until]`` (aware instants),
        in start order, with skips and moves applied."""
        tz = zone(self.timezone)
        # Widened by two days each side: zone offsets are under a day, and a meeting that
        # began up to a day before ``since`` may still be under way. Moves held far from
        # their scheduled day are looked up by key below.
        local_since = since.astimezone(tz).replace(tzinfo=None) - 2 * _DAY
        local_until = until.astimezone(tz).replace(tzinfo=None) + 2 * _DAY
        moves = self._moves()
        found: list[Occurrence] = []
        for local in self.local_starts(local_since, local_until):
            key = local.date().isoformat()
            if key in self.skipped:
                continue
            local = moves.get(key, local)
            found.append(self._occurrence(key, local, tz))
        for key, local in moves.items():
            if key in self.skipped or not local_since <= local <= local_until:
                continue  # cheap test first: most moves are nowhere near the window
            scheduled = self._scheduled_on(key)
            if scheduled is None or local_since <= scheduled <= local_until:
                continue  # unknown keys move nothing; known ones were handled above
            found.append(self._occurrence(key, local, tz))
        found = [o for o in found if o.opens_at <= until and o.end > since]
        return sorted(found, key=lambda o: o.start)

    def _moves(self) -> dict[str, datetime]:
        # A stored move outside the safe range (possible before it was checked) is ignored
        # rather than allowed to overflow: the meeting keeps its scheduled time.
        moves = {m.occurrence: parse_local(m.starts, "the new start") for m in self.moved}
        return {k: local for k, local in moves.items() if SAFE_FIRST <= local <= SAFE_LAST}

    def _scheduled_on(self, key: str) -> datetime | None:
        day = datetime.fromisoformat(key)
        if not SAFE_FIRST <= day <= SAFE_LAST:
            return None
        starts = self.local_starts(day, day + _DAY - timedelta(minutes=1))
        return starts[0] if starts else None

    def _occurrence(self, key: str, local: datetime, tz: ZoneInfo) -> Occurrence:
        start = local.replace(tzinfo=tz).astimezone(UTC)
        end = (local + self.duration).replace(tzinfo=tz).astimezone(UTC)
        return Occurrence(
            self.series_id, self.room_id, key, start, end, timedelta(minutes=self.lobby_minutes)
        )

    def occurrence(self, key: str) -> Occurrence | None:
        """The occurrence scheduled on local date ``key``, if any (None when skipped)."""
        scheduled = self._scheduled_on(key)
        if scheduled is None or key in self.skipped:
            return None
        return self._occurrence(key, self._moves().get(key, scheduled), zone(self.timezone))

    def upcoming(self, now: datetime, count: int) -> list[Occurrence]:
        """The next ``count`` occurrences that have not ended by ``now``."""
        found: list[Occurrence] = []
        reach = 32 * _DAY
        while reach < 6 * 366 * _DAY:  # looks about five years ahead, doubling each time
            found = self.occurrences(now, now + reach)
            if len(found) >= count:
                break
            reach *= 2
        return found[:count]

    def weekdays(self) -> tuple[int, ...]:
        """The local weekdays it meets on, Monday 0, from the rule (or the one-off's day)."""
        first = parse_local(self.starts, "starts")
        parts = dict(p.split("=", 1) for p in self.rule.split(";")) if self.rule else {}
        if parts.get("FREQ") == "DAILY" and "BYDAY" not in parts:
            return tuple(range(7))
        if "BYDAY" in parts:
            return tuple(sorted(WEEKDAYS.index(d) for d in parts["BYDAY"].split(",")))
        return (first.weekday(),)
