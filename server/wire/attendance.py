"""What clients send for attendance verifications (``attendance:request``)."""

from __future__ import annotations

from dataclasses import dataclass

from rooms.attendance import check_printed_name
from server.wire.requests import _mapping, _text


@dataclass(frozen=True, slots=True)
class AttendanceRequest:
    """``attendance:request``: the name to print on the verification (never shown in the
    room; it may differ from the display name)."""

    name: str

    @classmethod
    def parse(cls, raw: object) -> AttendanceRequest:
        data = _mapping(raw, "name")
        return cls(check_printed_name(_text(data, "name")))
