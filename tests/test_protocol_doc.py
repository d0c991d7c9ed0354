"""docs/protocol.md documents every event the server handles or sends, and every code,
and names no event or code the wire module does not know."""

from __future__ import annotations

import re
from pathlib import Path

from server.app import HUB, create_app
from server.errors import CODES
from server.wire import ClientEvent, ServerEvent
from tests.support import settings

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()
# An event is documented by a heading (### `name`, or ### `a` and `b`) or as the first
# cell of a table row (| `name` |, or | `a` / `b` |).
_NAMED = re.findall(r"^(?:###? |\| )`([^`]+)`(?:(?: and | / )`([^`]+)`)?", DOC, re.MULTILINE)
DOCUMENTED = {name for pair in _NAMED for name in pair if name}
# The codes table: one row per code, under "## Error codes".
_CODES_SECTION = DOC.split("## Error codes", 1)[1].split("\n## ", 1)[0]
DOCUMENTED_CODES = set(re.findall(r"^\| `([a-z_]+)` \|", _CODES_SECTION, re.MULTILINE))
# What an event name looks like: `scope:name`, or the one bare name, `reaction`.
_EVENT_NAME = re.compile(r"[a-z]+:[a-z-]+|reaction")


def test_every_handled_event_is_documented() -> None:
    hub = create_app(settings())[HUB]
    handled = set(hub.sio.handlers["/"]) - {"connect", "disconnect", "*"}
    assert handled == {str(e) for e in ClientEvent}
    assert handled - DOCUMENTED == set()


def test_every_server_event_is_documented() -> None:
    assert {str(e) for e in ServerEvent} - DOCUMENTED == set()


def test_the_doc_names_no_event_the_wire_module_does_not_know() -> None:
    known = {str(e) for e in ClientEvent} | {str(e) for e in ServerEvent}
    named = {name for name in DOCUMENTED if _EVENT_NAME.fullmatch(name)}
    assert named - known == set()


def test_every_error_code_is_documented_and_no_other() -> None:
    """Both the rules' codes and the server's own, as the one error map holds them."""
    assert set(CODES) == DOCUMENTED_CODES
