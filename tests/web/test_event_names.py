"""The web client speaks only the wire module's event names: every name it emits is a
``ClientEvent``, every name it listens for a ``ServerEvent`` (or Socket.IO's own), and
every server event is handled by the page or listed here as deliberately ignored.

Read from the page's source, so a typo in an event name fails here instead of being an
event the server refuses as ``unknown_event`` or one the page never hears."""

from __future__ import annotations

import re
from pathlib import Path

from server.wire import ClientEvent, ServerEvent
from tests.support import ROOT

STATIC = ROOT / "web_client" / "static"
# Socket.IO's own events on the client side, not part of Hearth's protocol.
SOCKETIO_EVENTS = {"connect", "connect_error", "disconnect"}
# Server events the page does not listen for, each with the reason. None today.
IGNORED: dict[ServerEvent, str] = {}
# Client events the page never sends, each with the reason. None today.
UNSENT: dict[ClientEvent, str] = {}

_LITERAL = re.compile(r"""(["'`])([a-z_]+(?::[a-z-]+)?)\1""")
_EVENT_LIKE = re.compile(r"[a-z]+:[a-z-]+")
_LISTENED = re.compile(r"""\.on\(\s*(["'`])([^"'`]+)\1""")
_EMITTED = re.compile(r"""\.(?:call|emit|emitWithAck)\(\s*(["'`])([^"'`]+)\1""")
# The page subscribes to these lists by iterating them (``for (const name of ...)``).
_NAME_LISTS = re.compile(r"export const (?:ROOM_EVENTS|NOTICES) = \[(.*?)\];", re.DOTALL)


def _sources() -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(STATIC.rglob("*.js"))}


def _listened() -> set[str]:
    names: set[str] = set()
    for text in _sources().values():
        names |= {m.group(2) for m in _LISTENED.finditer(text)}
        for names_list in _NAME_LISTS.findall(text):
            names |= {m.group(2) for m in _LITERAL.finditer(names_list)}
    return names - {"name"}  # ``.on(name, ...)`` over those lists


def _event_literals() -> set[str]:
    found: set[str] = set()
    for text in _sources().values():
        found |= {m.group(2) for m in _LITERAL.finditer(text) if _EVENT_LIKE.fullmatch(m.group(2))}
    return found


def test_the_page_is_read_at_all() -> None:
    """Guards the patterns: an empty extraction would pass every check below."""
    assert {"chat:message", "reaction", "session:replaced", "connect"} <= _listened()
    assert {"chat:send", "room:join", "moderation:mute-all"} <= _event_literals()


def test_every_event_name_in_the_page_is_one_the_server_knows() -> None:
    known = {str(e) for e in ClientEvent} | {str(e) for e in ServerEvent}
    assert _event_literals() - known == set()


def test_the_page_emits_only_client_events() -> None:
    emitted = {m.group(2) for text in _sources().values() for m in _EMITTED.finditer(text)}
    assert emitted - {str(e) for e in ClientEvent} == set()


def test_the_page_listens_only_for_server_events() -> None:
    assert _listened() - {str(e) for e in ServerEvent} - SOCKETIO_EVENTS == set()


def test_every_server_event_is_handled_or_deliberately_ignored() -> None:
    unhandled = {str(e) for e in ServerEvent} - _listened()
    assert unhandled == {str(e) for e in IGNORED}


def test_every_client_event_is_sent_by_the_page_or_deliberately_unused() -> None:
    unsent = {str(e) for e in ClientEvent} - _event_literals()
    assert unsent == {str(e) for e in UNSENT}
