"""The audio events on the Socket.IO hub: start and stop audio. (Muting yourself and
being muted are moderation's events: ``audio:mute``, ``audio:unmute``, ``moderation:mute``.)

They are registered whether or not this server has the ``webrtc`` extra, so a client is
always told why audio is refused (``audio_disabled`` for the room, ``media_unavailable``
with the install command for the server) instead of getting ``unknown_event``.
"""

from __future__ import annotations

from rooms.errors import ErrorCode, HearthError, NotInRoom
from rooms.state import Member
from server import wire
from server.media import require_webrtc
from server.media.gateway import AudioGateway
from server.socket.hub import Hub
from server.wire import AudioOffer, ClientEvent, Payload


class AudioSignalling:
    def __init__(self, hub: Hub, gateway: AudioGateway) -> None:
        self.hub = hub
        self.gateway = gateway
        hub.register(ClientEvent.AUDIO_START, self.start)
        hub.register(ClientEvent.AUDIO_STOP, self.stop)
        hub.on_disconnect.append(gateway.forget)

    def _room(self, sid: str) -> str:
        room_id = self.hub.sessions[sid].room_id
        if room_id is None:
            raise NotInRoom("join a room first")
        return room_id

    async def _seat(self, sid: str) -> tuple[str, Member]:
        room_id = self._room(sid)
        return room_id, (await self.hub.store.snapshot(room_id)).seated(sid)

    async def start(self, sid: str, raw: object) -> Payload:
        offer = AudioOffer.parse(raw)
        room_id, member = await self._seat(sid)
        info = await self.hub.store.room_info(room_id)
        if info is None or not info.audio:
            raise HearthError("this room has no audio; chat is open", ErrorCode.AUDIO_DISABLED)
        require_webrtc()
        sdp = await self.gateway.start_audio(sid, room_id, member.member_id, offer.sdp)
        return wire.ok(answer=wire.dump_answer(sdp))

    async def stop(self, sid: str, raw: object) -> Payload:
        wire.expect_nothing(raw)
        self._room(sid)
        await self.gateway.stop_audio(sid)
        return wire.ok()
