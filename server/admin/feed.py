"""The public meeting feed in the Meeting Guide JSON format used by recovery-meeting
directories: one entry per public scheduled room that still has meetings to come.

Fields: ``name``, ``slug`` (the room id), ``day`` (0 is Sunday; a list when it meets on
several days), ``time`` and ``end_time`` (local ``HH:MM``), ``timezone`` (IANA),
``conference_url`` (only when the server knows its public address: HEARTH_PUBLIC_URL, or
dev mode; never guessed from a request's Host header), ``types`` (``ONL``: online) and
``notes`` (the room's guidelines). Beyond the format: ``next_start`` and ``next_end``, the
next meeting that has not ended as UTC instants (``2026-01-06T00:00:00Z``), so a page need
not work it out from ``day`` and ``time`` (and get wrong a series that starts later, or an
occurrence that was moved); and ``audio``, whether people may join by voice (the room offers
audio and this server can host it) or the meeting is text chat only.
"""

from __future__ import annotations

from typing import Any

from rooms.schedule import parse_local
from server.admin.bodies import iso_instant
from server.admin.room_admin import RoomAdmin, room_link
from server.media import webrtc_available

ONLINE = "ONL"


async def meetings(admin: RoomAdmin, base_url: str | None) -> list[dict[str, Any]]:
    now = admin.clock.now()
    found: list[dict[str, Any]] = []
    # A room that offers audio on a server without the `webrtc` extra is text only in
    # practice: say what a visitor will find, not what the room was set to.
    can_host_audio = webrtc_available()
    for info in await admin.store.rooms():
        if not info.public or info.series_id is None:
            continue
        series = await admin.store.series(info.series_id)
        coming = series.upcoming(now, 1) if series is not None else []
        if series is None or not coming:
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
            "next_start": iso_instant(coming[0].start),
            "next_end": iso_instant(coming[0].end),
            "audio": info.audio and can_host_audio,
        }
        if base_url is not None:
            meeting["conference_url"] = room_link(info.room_id, base_url)
        found.append(meeting)
    return found
