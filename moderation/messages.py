"""Messages under moderation: chat and reactions, deleting messages, and reports.

- Chat is refused while the sender's chat is muted (``chat_muted``), the room is paused
  (``room_paused``), or someone shares in a round whose chat waits (``share_in_progress``,
  ``moderation.rounds``); reactions likewise freeze during a pause (and hands: raising and
  lowering one's own is in ``moderation.floor``). These wrap the plain rules of
  ``rooms.primitives`` so the checks and the change are one atomic step.
- A facilitator deletes a chat message for everyone: it leaves the room's history and
  every client is told (``ChatDeleted``). The audit log names the message's author and
  id, never its text.
- Anyone in the room may report a message or a participant, with an optional reason.
  The report goes only to the facilitators and co-facilitators present (``Reported``);
  the reported person is never told who reported them.
"""

from __future__ import annotations

from dataclasses import replace

from moderation import roles, rounds
from moderation.audit import Action, Moderated, entry
from moderation.mute import check_may_chat
from moderation.pause import check_active
from moderation.rate_limits import Activity
from rooms import primitives
from rooms.change import Change, Recorder
from rooms.errors import ErrorCode, Refused
from rooms.events import ChatDeleted, Reported
from rooms.state import Reaction, RoomState


def post_chat(state: RoomState, sid: str, text: str, now: int) -> Change:
    check_may_chat(state, state.seated(sid))
    rounds.check_chat(state, state.seated(sid))
    return primitives.post_chat(state, sid, text, now)


def react(state: RoomState, sid: str, reaction: Reaction) -> Change:
    check_active(state, state.seated(sid), Activity.REACTION)
    return primitives.react(state, sid, reaction)


def delete_message(
    state: RoomState, sid: str, message_id: int, now: int, reason: str = ""
) -> Moderated:
    actor = roles.acting(state, sid)
    message = next((m for m in state.chat if m.message_id == message_id), None)
    if message is None:
        raise Refused("that message is not in the room's chat", ErrorCode.MESSAGE_NOT_FOUND)
    author = state.member(message.member_id)
    if author is not None and author.member_id != actor.member_id:
        roles.target(state, actor, author.member_id)
    record = replace(
        entry(actor, Action.DELETE_MESSAGE, now, reason=reason, detail=f"message {message_id}"),
        target_id=message.member_id,
        target_name=message.display_name,
    )
    rec = Recorder(state)
    rec.events.append(ChatDeleted(rec.next_seq(), message_id))
    chat = tuple(m for m in state.chat if m.message_id != message_id)
    return Moderated(rec.done(replace(state, chat=chat)), record)


def report(
    state: RoomState,
    sid: str,
    *,
    message_id: int | None,
    member_id: str | None,
    reason: str,
    now: int,
) -> Change:
    reporter = state.seated(sid)
    member_name = None
    if message_id is not None:
        message = next((m for m in state.chat if m.message_id == message_id), None)
        if message is None:
            raise Refused("that message is not in the room's chat", ErrorCode.MESSAGE_NOT_FOUND)
        member_id, member_name = message.member_id, message.display_name
    elif member_id is not None:
        member = state.member(member_id)
        if member is None:
            raise Refused("that person is not in this room", ErrorCode.TARGET_NOT_IN_ROOM)
        member_name = member.display_name
    audience = tuple(s for s in roles.moderator_sids(state) if s != sid)
    if not audience:
        return Change(state)
    notice = Reported(
        audience,
        reporter_id=reporter.member_id,
        reporter_name=reporter.display_name,
        at=now,
        reason=reason,
        message_id=message_id,
        member_id=member_id,
        member_name=member_name,
    )
    return Change(state, (notice,))
