"""The public meeting feed in the Meeting Guide JSON format used by recovery-meeting
directories: one entry per public scheduled room that still has meetings to come.

Fields: ``name``, ``slug`` (the room id), ``day`` (0 is Sunday; a list when it meets on
several days), ``time`` and ``end_time`` (local ``HH:MM``), ``timezone`` (IANA),
``conference_url`` (only when the server knows its public address: HEARTH_PUBLIC_URL, or
dev mode; never guessed from a request's Host header), ``types`` (``ONL``: online) and
``notes`` (the room's guidelines).
"""

from __future__ import annotations

from typing import Any

from rooms.schedule import parse_local
from server.admin.room_admin import RoomAdmin, room_link

ONLINE = "ONL"


async def meetings(admin: RoomAdmin, base_url: str | None) -> list[dict[str, Any]]:
    now = admin.clock.now()
    found: list[dict[str, Any]] = []
    for info in await admin.store.rooms():
        if not info.public or info.series_id is None:
            continue
        series = await admin.store.series(info.series_id)
        if series is None or not series.upcoming(now, 1):
            continue
        start = parse_local(series.starts, "starts")
        days = sorted((weekday + 1) % 7 for weekday in series.weekdays())
        meeting: dict[str, Any] = {
            "name": info.name,
            "slug": info.room_id,
            "day": days[0] if len(days) == 1 else days,
            "time": start.strftime("%H:%M"),
            "end_time": (start + series.duration).strftime("%H:%M"),
            "timezone": series.timezone,
            "types": [ONLINE],
            "notes": info.guidelines,
        }
        if base_url is not None:
            meeting["conference_url"] = room_link(info.room_id, base_url)
        found.append(meeting)
    return found
