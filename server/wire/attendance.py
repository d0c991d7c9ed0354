"""What clients send for attendance verifications (``attendance:request``) and the
meeting script (``script:pin``)."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.script import check_script
from rooms.attendance import check_printed_name
from server.wire.requests import _mapping, _op, _text


@dataclass(frozen=True, slots=True)
class AttendanceRequest:
    """``attendance:request``: the name to print on the verification (never shown in the
    room; it may differ from the display name)."""

    name: str

    @classmethod
    def parse(cls, raw: object) -> AttendanceRequest:
        data = _mapping(raw, "name")
        return cls(check_printed_name(_text(data, "name")))


@dataclass(frozen=True, slots=True)
class ScriptRequest:
    """``script:pin``: the meeting script to pin (empty clears it)."""

    text: str
    op: str | None = None

    @classmethod
    def parse(cls, raw: object) -> ScriptRequest:
        data = _mapping(raw, "text", "op")
        return cls(check_script(_text(data, "text", newlines=True)), _op(data))
