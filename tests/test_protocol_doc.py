"""docs/protocol.md documents every event the server handles or sends, and every code."""

from __future__ import annotations

import re
from pathlib import Path

from rooms.errors import ErrorCode
from server.app import HUB, create_app
from server.protocol import ClientEvent, ServerEvent
from tests.support import settings

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()
# An event is documented by a heading (### `name`, or ### `a` and `b`) or as the first
# cell of a table row (| `name` |, or | `a` / `b` |).
_NAMED = re.findall(r"^(?:###? |\| )`([^`]+)`(?:(?: and | / )`([^`]+)`)?", DOC, re.MULTILINE)
DOCUMENTED = {name for pair in _NAMED for name in pair if name}


def test_every_handled_event_is_documented() -> None:
    hub = create_app(settings())[HUB]
    handled = set(hub.sio.handlers["/"]) - {"connect", "disconnect", "*"}
    assert handled == {str(e) for e in ClientEvent}
    assert handled - DOCUMENTED == set()


def test_every_server_event_is_documented() -> None:
    assert {str(e) for e in ServerEvent} - DOCUMENTED == set()


def test_every_error_code_is_documented() -> None:
    codes = set(re.findall(r"^\| `([a-z_]+)` \|", DOC, re.MULTILINE))
    assert {str(c) for c in ErrorCode} - codes == set()
