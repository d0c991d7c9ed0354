"""docs/protocol.md is the human copy of the wire contract: it names every event and code."""

from __future__ import annotations

from pathlib import Path

from rooms.errors import ErrorCode
from server.protocol import ClientEvent, ServerEvent

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_every_event_and_error_code_is_documented() -> None:
    text = DOC.read_text()
    names = [*ClientEvent, *ServerEvent, *ErrorCode]
    missing = [str(name) for name in names if f"`{name}`" not in text]
    assert not missing, f"document these in docs/protocol.md: {missing}"
