"""The meeting script over Socket.IO: a facilitator pins it (``moderation.script``), in
one atomic step with its audit line; every process's connections see ``room:script``.
Newcomers read it with the room's guidelines (``room:info``), everyone in snapshots."""

from __future__ import annotations

from moderation import script
from server import wire
from server.socket.hub import Hub
from server.socket.support import audited
from server.wire import ClientEvent, Payload
from server.wire.attendance import ScriptRequest


class Script:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store
        hub.register(ClientEvent.SCRIPT_PIN, self.pin)

    async def pin(self, sid: str, raw: object) -> Payload:
        r = ScriptRequest.parse(raw)
        room_id = await self.hub.require_room(sid)
        now = self.hub.clock()
        # As chat: the answer kept for a repeat of the op holds no script, which goes with
        # the room; the ack's is the request's own, cleaned as the rule cleans it.
        ack = await audited(
            self.hub,
            sid,
            room_id,
            lambda state, _: script.pin(state, sid, r.text, now),
            r.op,
            lambda done: wire.ok(seq=done.change.state.seq, script=""),
        )
        if ack.get("ok"):
            ack["script"] = script.check_script(r.text)
        return ack
