"""The meeting script: a short text facilitators pin for everyone (a welcome, the group's
readings, its format).

- Everyone in the room sees it at the top, and a newcomer sees it before consenting to
  the guidelines (``room:info``).
- Only facilitators and admins pin, change or clear it (not co-facilitators: the format
  is the group's, kept by its facilitator); each change is announced to the room with its
  seq and written to the audit log (never its text).
- What is pinned lives in the room's state and is gone when the room closes. Until a
  facilitator pins something, the script is the room's own from its definition, else its
  series' (the scheduler puts it in the room as it opens the meeting): an operator keeps
  a script across meetings through the admin API.
- At most ``MAX_SCRIPT`` characters of text (newlines allowed); empty clears it.
"""

from __future__ import annotations

from dataclasses import replace

from moderation import roles
from moderation.audit import Action, Moderated, entry
from rooms.change import Change, Recorder
from rooms.errors import InvalidPayload
from rooms.events import ScriptPinned
from rooms.room import MAX_SCRIPT, RoomInfo
from rooms.state import RoomState
from rooms.text import check_text


def check_script(raw: str) -> str:
    if len(raw) > MAX_SCRIPT:
        raise InvalidPayload(f"a meeting script is at most {MAX_SCRIPT} characters")
    return check_text(raw.replace("\r\n", "\n"), "script", newlines=True).strip()


def shown(state: RoomState, room: RoomInfo) -> str:
    """The script everyone sees now: the pinned one, else the room's own."""
    return room.script if state.script is None else state.script


def pin(state: RoomState, sid: str, text: str, now: int) -> Moderated:
    actor = roles.acting(state, sid, roles.Rank.FACILITATOR)
    text = check_script(text)
    record = entry(actor, Action.PIN_SCRIPT, now, detail="cleared" if not text else "")
    if state.script == text:
        return Moderated(Change(state), record)
    rec = Recorder(state)
    rec.events.append(ScriptPinned(rec.next_seq(), text))
    return Moderated(rec.done(replace(state, script=text)), record)


def open_with(state: RoomState, room: RoomInfo, series_script: str) -> Change:
    """As a scheduled meeting opens: its series' script, unless the room has its own or
    one is pinned already. Nothing is announced: snapshots carry it."""
    if state.script is not None or room.script or not series_script:
        return Change(state)
    return Change(replace(state, script=series_script), quiet=True)
