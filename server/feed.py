"""The public meeting feed in the Meeting Guide JSON format used by recovery-meeting
directories: one entry per public scheduled room that still has meetings to come.

Fields: ``name``, ``slug`` (the room id), ``day`` (0 is Sunday; a list when it meets on
several days), ``time`` and ``end_time`` (local ``HH:MM``), ``timezone`` (IANA),
``conference_url``, ``types`` (``ONL``: online) and ``notes`` (the room's guidelines).
"""

from __future__ import annotations

from typing import Any

from rooms.schedule import parse_local
from server.admin import RoomAdmin

ONLINE = "ONL"


async def meetings(admin: RoomAdmin, base_url: str) -> list[dict[str, Any]]:
    now = admin.clock()
    found: list[dict[str, Any]] = []
    for info in await admin.store.rooms():
        if not info.public or info.series_id is None:
            continue
        series = await admin.store.series(info.series_id)
        if series is None or not series.upcoming(now, 1):
            continue
        start = parse_local(series.starts, "starts")
        days = sorted((weekday + 1) % 7 for weekday in series.weekdays())
        found.append(
            {
                "name": info.name,
                "slug": info.room_id,
                "day": days[0] if len(days) == 1 else days,
                "time": start.strftime("%H:%M"),
                "end_time": (start + series.duration).strftime("%H:%M"),
                "timezone": series.timezone,
                "conference_url": f"{base_url}/?room={info.room_id}",
                "types": [ONLINE],
                "notes": info.guidelines,
            }
        )
    return found
