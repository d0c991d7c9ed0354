"""The audio events on the Socket.IO hub: start and stop audio, mute and unmute yourself.

They are registered whether or not this server has the ``webrtc`` extra, so a client is
always told why audio is refused (``audio_disabled`` for the room, ``media_unavailable``
with the install command for the server) instead of getting ``unknown_event``.
"""

from __future__ import annotations

from collections.abc import Callable

from rooms import audio
from rooms.actions import Change
from rooms.errors import ErrorCode, HearthError, Refused
from rooms.state import Member, RoomState
from server import protocol
from server.hub import Hub
from server.media import require_webrtc
from server.media.gateway import AudioGateway
from server.protocol import AudioOffer, ClientEvent, Payload


class AudioSignalling:
    def __init__(self, hub: Hub, gateway: AudioGateway) -> None:
        self.hub = hub
        self.gateway = gateway
        hub.handle(ClientEvent.AUDIO_START, self.start)
        hub.handle(ClientEvent.AUDIO_STOP, self.stop)
        hub.handle(ClientEvent.AUDIO_MUTE, self.mute)
        hub.handle(ClientEvent.AUDIO_UNMUTE, self.unmute)
        hub.on_disconnect.append(gateway.forget)

    def _room(self, sid: str) -> str:
        room_id = self.hub.sessions[sid].room_id
        if room_id is None:
            raise Refused("join a room first", ErrorCode.NOT_IN_ROOM)
        return room_id

    async def _seat(self, sid: str) -> tuple[str, Member]:
        room_id = self._room(sid)
        member = (await self.hub.store.snapshot(room_id)).member_by_sid(sid)
        if member is None:
            raise Refused("you are not in this room", ErrorCode.NOT_IN_ROOM)
        return room_id, member

    async def start(self, sid: str, raw: object) -> Payload:
        offer = AudioOffer.parse(raw)
        room_id, member = await self._seat(sid)
        info = await self.hub.store.room_info(room_id)
        if info is None or not info.audio:
            raise HearthError("this room has no audio; chat is open", ErrorCode.AUDIO_DISABLED)
        require_webrtc()
        sdp = await self.gateway.start_audio(sid, room_id, member.member_id, offer.sdp)
        return protocol.ok(answer={"type": "answer", "sdp": sdp})

    async def stop(self, sid: str, raw: object) -> Payload:
        protocol.expect_nothing(raw)
        self._room(sid)
        await self.gateway.stop_audio(sid)
        return protocol.ok()

    async def _mute(self, rule: Callable[[RoomState, str], Change], sid: str) -> Payload:
        room_id = self._room(sid)
        change = await self.hub.store.apply(room_id, lambda state, _: rule(state, sid))
        member = change.state.member_by_sid(sid)
        if member is None:
            raise Refused("you are not in this room", ErrorCode.NOT_IN_ROOM)
        return protocol.ok(audio=protocol.dump_audio(member), seq=change.state.seq)

    async def mute(self, sid: str, raw: object) -> Payload:
        protocol.expect_nothing(raw)
        return await self._mute(audio.mute_self, sid)

    async def unmute(self, sid: str, raw: object) -> Payload:
        protocol.expect_nothing(raw)
        return await self._mute(audio.unmute_self, sid)
