"""What a person joining late sees of the room's chat.

The room's setting (``RoomInfo.history``) decides:

- **since they joined** (the default, as recovery norms expect): only the messages posted
  after they first took a seat this session. Leaving and joining again, or coming back
  from away, keeps everything since that first seat (``rooms.attendance`` remembers it).
  Someone who never sat in the room sees no chat at all.
- **the recent history**: the last messages the room keeps.

Facilitators, admins and co-facilitators see the recent history whatever the setting: they
may have to act on a message posted before they arrived (delete it, answer a report).

Either way a deleted message is gone from the room's chat, and a private message was never
in it, so neither is in any snapshot. A rejoin that asks for the events it missed
(``since``) gets them only from after its first seat; asking for more gets a snapshot.
"""

from __future__ import annotations

from rooms.attendance import presence
from rooms.room import History, RoomInfo
from rooms.state import ChatMessage, RoomState


def visible_chat(state: RoomState, room: RoomInfo, member_id: str) -> tuple[ChatMessage, ...]:
    """The chat a snapshot for ``member_id`` holds."""
    if room.history == History.RECENT or _keeps_room_safe(state, member_id):
        return state.chat
    found = presence(state, member_id)
    if found is None:
        return ()
    return tuple(m for m in state.chat if m.message_id > found.first_seq)


def may_replay(state: RoomState, room: RoomInfo, member_id: str, since: int) -> bool:
    """Whether a rejoin may be given the room's events after ``since`` (else: a snapshot)."""
    if room.history == History.RECENT or _keeps_room_safe(state, member_id):
        return True
    found = presence(state, member_id)
    return found is not None and since >= found.first_seq


def _keeps_room_safe(state: RoomState, member_id: str) -> bool:
    member = state.member(member_id)
    return member is not None and (member.role.keeps_room_safe or member.co_facilitator)
