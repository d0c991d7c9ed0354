"""Recurrence rules: the RRULE subset a series may use, and its bounded expansion.

- **The subset.** ``FREQ=DAILY`` or ``FREQ=WEEKLY`` with optional ``INTERVAL`` (at most
  ``MAX_INTERVAL``), ``BYDAY`` (weekdays), ``COUNT`` (at most ``MAX_COUNT``) or ``UNTIL`` (a
  local date, its meetings included). Anything else is refused.
- **Every expansion is bounded.** A rule repeats itself every ``7 * INTERVAL`` days (a
  "block"), with the same number of meetings in each block. So instead of walking from the
  first meeting, the walk starts at the last whole block before the window asked for, and
  a ``COUNT`` is reduced by the meetings of the blocks jumped over. The work is then
  proportional to the window, not to how long ago the series began; a series from year 1
  costs what one from last week costs. A rule that can never meet (``FREQ=DAILY;
  INTERVAL=7;BYDAY=TU`` from a Monday) expands to nothing at once, instead of letting
  dateutil search until year 9999. At most ``MAX_EXPANSION`` starts are returned.
- **Only safe instants.** Local starts outside ``SAFE_FIRST``..``SAFE_LAST`` are never
  produced: two days of widening and any zone offset around them stay inside
  ``datetime``'s range, so no caller can overflow.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from dateutil import rrule

from rooms.errors import InvalidPayload

MAX_INTERVAL = 520  # ten years of weeks
MAX_COUNT = 10_000
MAX_EXPANSION = 5_000  # starts returned by one expansion, whatever the window
SAFE_FIRST = datetime(1, 1, 8)
SAFE_LAST = datetime(9999, 12, 24)
_RULE_PART = re.compile(r"[A-Z]+=[A-Z0-9,]+")
_ALLOWED_PARTS = {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL"}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FREQS: dict[str, Literal[3, 2]] = {"DAILY": rrule.DAILY, "WEEKLY": rrule.WEEKLY}
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Recurrence:
    freq: str  # DAILY or WEEKLY
    interval: int = 1
    byday: tuple[int, ...] = ()  # Monday 0; empty: every day (DAILY) or the first's day
    count: int | None = None
    until: date | None = None

    @property
    def block(self) -> timedelta:
        """The rule's period: the same meetings, shifted by whole blocks."""
        return 7 * self.interval * _DAY

    def per_block(self, first: datetime) -> int:
        """Meetings in any block of the rule, counting from ``first``."""
        if self.freq == "WEEKLY":
            return len(self.byday) or 1
        days = (first + i * self.interval * _DAY for i in range(7))
        return sum(1 for d in days if not self.byday or d.weekday() in self.byday)


def parse_rule(rule: str) -> Recurrence | None:
    """The rule, or None for a one-off; anything outside the subset is refused."""
    if not rule:
        return None
    parts: dict[str, str] = {}
    for part in rule.split(";"):
        if not _RULE_PART.fullmatch(part):
            raise InvalidPayload(f"rule part {part!r} is not NAME=VALUE")
        name, value = part.split("=", 1)
        if name not in _ALLOWED_PARTS:
            raise InvalidPayload(
                f"rule part {name} is not supported (use {sorted(_ALLOWED_PARTS)})"
            )
        if name in parts:
            raise InvalidPayload(f"rule part {name} is given twice")
        parts[name] = value
    if parts.get("FREQ") not in _FREQS:
        raise InvalidPayload("rule needs FREQ=DAILY or FREQ=WEEKLY")
    days = parts["BYDAY"].split(",") if "BYDAY" in parts else []
    if not set(days) <= set(WEEKDAYS):
        raise InvalidPayload("BYDAY takes weekdays: MO,TU,WE,TH,FR,SA,SU")
    if "COUNT" in parts and "UNTIL" in parts:
        raise InvalidPayload("give COUNT or UNTIL, not both")
    return Recurrence(
        freq=parts["FREQ"],
        interval=_whole(parts, "INTERVAL", MAX_INTERVAL) or 1,
        byday=tuple(sorted({WEEKDAYS.index(d) for d in days})),
        count=_whole(parts, "COUNT", MAX_COUNT),
        until=_until(parts.get("UNTIL")),
    )


def _whole(parts: dict[str, str], name: str, most: int) -> int | None:
    if name not in parts:
        return None
    raw = parts[name]
    # Length first: int() of a huge digit string is itself slow work.
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= most:
        raise InvalidPayload(f"{name} must be a whole number from 1 to {most}")
    return int(raw)


def _until(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        raise InvalidPayload("UNTIL must be a date written YYYYMMDD") from None


def starts_between(
    first: datetime, rule: Recurrence | None, after: datetime, before: datetime
) -> list[datetime]:
    """Local starts (naive) in ``[after, before]`` of a series whose first meeting is
    ``first``; bounded work whatever ``first`` is."""
    after, before = max(after, SAFE_FIRST), min(before, SAFE_LAST)
    if rule is None:
        return [first] if after <= first <= before else []
    if before < after or before < first:
        return []
    per_block = rule.per_block(first)
    if per_block == 0:
        return []  # it can never meet
    skipped = max(0, (after - first) // rule.block)
    count = None
    if rule.count is not None:
        count = rule.count - skipped * per_block
        if count <= 0:
            return []  # every meeting was before the window
    until = None if rule.until is None else datetime.combine(rule.until, time.max)
    expansion = rrule.rrule(
        _FREQS[rule.freq],
        dtstart=first + skipped * rule.block,
        interval=rule.interval,
        byweekday=rule.byday or None,
        count=count,
        until=until,
    )
    found = itertools.takewhile(lambda start: start <= before, expansion.xafter(after, inc=True))
    return list(itertools.islice(found, MAX_EXPANSION))
