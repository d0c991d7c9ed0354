"""The room's live controls: lock, waiting room, wait for a facilitator, mute on join,
whether muted newcomers may unmute themselves, and pause when unattended.

Facilitators and co-facilitators change any of them in one action; everyone sees the
new controls (``ControlsChanged``). Turning the waiting room off does not let anyone in
by itself: the people waiting are still admitted or denied one by one or all at once.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace

from moderation import roles
from moderation.audit import Action, Moderated, entry
from rooms.change import Change, Recorder
from rooms.errors import InvalidPayload
from rooms.events import ControlsChanged
from rooms.state import RoomControls, RoomState

NAMES = frozenset(f.name for f in fields(RoomControls))


def set_controls(state: RoomState, sid: str, changes: dict[str, bool], now: int) -> Moderated:
    actor = roles.acting(state, sid)
    unknown = set(changes) - NAMES
    if unknown or not changes:
        raise InvalidPayload(f"controls are some of: {', '.join(sorted(NAMES))}")
    controls = replace(state.controls, **changes)
    detail = ", ".join(f"{k}={'on' if v else 'off'}" for k, v in sorted(changes.items()))
    record = entry(actor, Action.SETTINGS, now, detail=detail)
    if controls == state.controls:
        return Moderated(Change(state), record)
    rec = Recorder(state)
    rec.events.append(ControlsChanged(rec.next_seq(), controls))
    return Moderated(rec.done(replace(state, controls=controls)), record)


def dump(controls: RoomControls) -> dict[str, bool]:
    return asdict(controls)
