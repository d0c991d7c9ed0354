"""Audio on this process: finds each room's media host and carries signalling to it.

A participant's ``audio:start`` arrives at whichever process holds their Socket.IO
connection. That process claims or looks up the room's lease (``server.media.lease``):

- if it is the host, its own ``RoomMixer`` answers the offer;
- otherwise it publishes the request on the host's Redis channel ``{prefix}media:{pid}``
  and waits (``RPC_TIMEOUT_S``) for the answer on its own channel. A host that does not
  answer is refused as ``media_unavailable``: the client retries, and once the dead
  host's lease lapses the next request makes a live process the host.

The host keeps each mixer's copy of the room state fresh: on every room event (the
embedded store calls ``room_changed``; with Redis the hub's manager does, for each event
of the room's channel it follows, and while this process hosts a room's audio it follows
that room's channel even with none of its people here: ``host_media``) it re-reads the
room and hands the state to the mixer, whose next 20 ms tick obeys it. Mute, pause and
removal therefore take effect within one tick of the event reaching the host.

Every ``lease_ms / 3`` the host renews its leases (a lost lease closes that room's
mixer) and every process checks the hosts of its own participants' audio: when a host
has changed or lapsed, those participants get ``audio:reconnect`` and their audio is
marked off, so they offer again and land on the new host.

The mixer reports audio presence (connected, off) and speakers; those become room rules
written through the store by one writer task, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from moderation import audio
from rooms.errors import HearthError, NotInRoom, RoomNotFound
from rooms.ports import RoomStates, Rule
from rooms.state import AudioState
from server import errors
from server.codec import MsgpackJson
from server.errors import ServerCode, ServerError, StoreUnavailable
from server.media.lease import MediaLease
from server.settings import Settings
from server.wire import AudioReconnect

if TYPE_CHECKING:
    from server.media.host import RoomMixer

# Why an offer being answered was given up (``RoomMixer.answer``), when not that the
# person left.
_ABANDONED = "your audio was stopped or closed while it connected; offer again to connect"

log = logging.getLogger(__name__)

RPC_TIMEOUT_S = 3.0
# After Redis drops the signalling channel (past redis-py's own retries), listen again
# after this pause, doubled each failed try up to the cap.
RELISTEN_S = 0.2
RELISTEN_CAP_S = 5.0
Notify = Callable[[str, str, dict[str, Any]], Awaitable[None]]  # (event, sid, payload)
# (room id, the seq of the state a new mixer starts from, or None when it closes)
HostMedia = Callable[[str, int | None], None]


def _cancelling() -> bool:
    """True when this task was cancelled but a library turned the cancellation into
    another error (redis-py's timeouts can turn it into a TimeoutError on Python 3.11)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel and wait, cancelling again any task that swallowed its cancellation."""
    pending = [t for t in tasks if not t.done()]
    while pending:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.5)
        pending = [t for t in pending if not t.done()]
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            log.error("an audio task had failed", exc_info=task.exception())


@dataclass(frozen=True, slots=True)
class AudioSession:
    room_id: str
    member_id: str
    host: str


class AudioGateway:
    def __init__(
        self,
        store: RoomStates,
        settings: Settings,
        process_id: str,
        lease: MediaLease,
        notify: Notify,
        redis: Redis | None = None,
        host_media: HostMedia | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.process_id = process_id
        self.lease = lease
        self.notify = notify
        self.redis = redis
        self.host_media = host_media
        self.mixers: dict[str, RoomMixer] = {}
        self.sessions: dict[str, AudioSession] = {}  # our Socket.IO sid -> its audio
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._writes: asyncio.Queue[tuple[str, Rule]] = asyncio.Queue()
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._closed = False

    def _channel(self, process_id: str) -> str:
        return f"{self.settings.key_prefix}media:{process_id}"

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._write_rules(), name="audio-writer"))
        self._tasks.append(asyncio.create_task(self._keep_leases(), name="audio-leases"))
        if self.redis is not None:
            self._tasks.append(asyncio.create_task(self._listen(), name="audio-signalling"))

    async def close(self) -> None:
        self._closed = True  # a request still being served builds no mixer now
        await _stop_tasks([*self._tasks, *self._refreshing.values(), *self._handlers])
        self._tasks.clear()
        for room_id in list(self.mixers):
            await self._close_mixer(room_id)
        if self.redis is not None:
            await self.redis.aclose()

    # --- what the hub asks -----------------------------------------------------------

    async def start_audio(self, sid: str, room_id: str, member_id: str, sdp: str) -> str:
        host = await self.lease.claim(room_id)
        request = {"op": "answer", "room": room_id, "member": member_id, "sdp": sdp}
        # Known before it is answered, so an ``audio:stop`` (or a disconnect) meanwhile
        # reaches the connection being made.
        session = AudioSession(room_id, member_id, host)
        previous = self.sessions.get(sid)
        self.sessions[sid] = session
        try:
            reply = await self._ask(host, request)
        except BaseException:
            if self.sessions.get(sid) is session:
                if previous is None:
                    del self.sessions[sid]
                else:
                    self.sessions[sid] = previous
            raise
        if self.sessions.get(sid) is not session:
            # Stopped, disconnected or offered again while this was answered; a stop
            # that reached the host first found nothing to drop.
            if sid not in self.sessions:
                with contextlib.suppress(HearthError):
                    await self._ask(host, {"op": "drop", "room": room_id, "member": member_id})
            raise ServerError(_ABANDONED, ServerCode.MEDIA_UNAVAILABLE)
        return str(reply["sdp"])

    async def stop_audio(self, sid: str) -> bool:
        session = self.sessions.pop(sid, None)
        if session is None:
            return False
        request = {"op": "drop", "room": session.room_id, "member": session.member_id}
        with contextlib.suppress(HearthError):  # a host that is gone has dropped it already
            await self._ask(session.host, request)
        return True

    def forget(self, sid: str) -> None:
        """The connection closed; the host drops the peer when the seat goes."""
        self.sessions.pop(sid, None)

    async def _ask(self, host: str, request: dict[str, Any]) -> dict[str, Any]:
        if host == self.process_id:
            return await self._serve(request)
        if self.redis is None:
            raise ServerError("the room's media host is unavailable", ServerCode.MEDIA_UNAVAILABLE)
        request_id = uuid.uuid4().hex
        waiting = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = waiting
        message = {**request, "id": request_id, "reply_to": self.process_id}
        try:
            await self.redis.publish(self._channel(host), MsgpackJson.dumps(message))
            reply: dict[str, Any] = await asyncio.wait_for(waiting, RPC_TIMEOUT_S)
        except TimeoutError:
            raise ServerError(
                "the room's media host did not answer; try again shortly",
                ServerCode.MEDIA_UNAVAILABLE,
            ) from None
        finally:
            self._waiting.pop(request_id, None)
        if not reply.get("ok"):
            raise errors.from_rpc_reply(reply)
        return reply

    # --- the media host's side -------------------------------------------------------

    async def _serve(self, request: dict[str, Any]) -> dict[str, Any]:
        room_id, member_id = str(request["room"]), str(request["member"])
        if request["op"] == "drop":
            mixer = self.mixers.get(room_id)
            if mixer is not None:
                await mixer.drop(member_id)
            return {"ok": True}
        if not await self.lease.renew(room_id):
            raise ServerError("this process no longer hosts the room", ServerCode.MEDIA_UNAVAILABLE)
        mixer = await self._mixer(room_id)
        if mixer.state.member(member_id) is None:
            raise NotInRoom()
        from server.media.host import AnswerAbandoned

        try:
            return {"ok": True, "sdp": await mixer.answer(member_id, str(request["sdp"]))}
        except AnswerAbandoned:
            try:  # left (or the room closed) while it connected: say so
                seated = (await self.store.snapshot(room_id)).member(member_id) is not None
            except RoomNotFound:
                seated = False
            if not seated:
                raise NotInRoom("you left the room while your audio connected") from None
            raise

    async def _mixer(self, room_id: str) -> RoomMixer:
        state = await self.store.snapshot(room_id)
        if self._closed:
            raise ServerError("this server is stopping", ServerCode.MEDIA_UNAVAILABLE)
        # Looked up after the last await and built with none in between: two requests for
        # a room nobody hosts build one mixer, and a mixer closed meanwhile is not used.
        mixer = self.mixers.get(room_id)
        if mixer is None:
            from aiortc import RTCIceServer

            from server.media.host import RoomMixer

            ice = [
                RTCIceServer(list(s.urls), s.username, s.credential)
                for s in self.settings.ice_servers
            ]
            mixer = self.mixers[room_id] = RoomMixer(
                room_id,
                state,
                ice,
                partial(self._report_audio, room_id),
                partial(self._report_speakers, room_id),
            )
            log.info("hosting a room's audio")
            if self.host_media is not None:
                self.host_media(room_id, state.seq)
        mixer.update(state)
        return mixer

    def _report_audio(self, room_id: str, member_id: str, state: AudioState) -> None:
        self._writes.put_nowait((room_id, lambda room, _: audio.set_audio(room, member_id, state)))

    def _report_speakers(self, room_id: str, speakers: tuple[str, ...]) -> None:
        self._writes.put_nowait((room_id, lambda room, _: audio.set_speakers(room, speakers)))

    async def _write_rules(self) -> None:
        while True:
            room_id, rule = await self._writes.get()
            try:
                await self.store.apply(room_id, rule)
            except RoomNotFound:
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                if _cancelling():
                    raise asyncio.CancelledError from None
                log.exception("could not record audio presence")
                await asyncio.sleep(0.5)

    def room_changed(self, room_id: str) -> None:
        """A room event happened: if we host its audio, refresh the mixer's state now."""
        if room_id not in self.mixers:
            return
        self._dirty.add(room_id)
        if room_id not in self._refreshing:
            task = asyncio.create_task(self._refresh(room_id), name="audio-refresh")
            self._refreshing[room_id] = task

    async def _refresh(self, room_id: str) -> None:
        try:
            while room_id in self._dirty:
                self._dirty.discard(room_id)
                mixer = self.mixers.get(room_id)
                if mixer is None:
                    return
                try:
                    mixer.update(await self.store.snapshot(room_id))
                except RoomNotFound:
                    await self._close_mixer(room_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not refresh a room's audio state")
        finally:
            self._refreshing.pop(room_id, None)

    async def _close_mixer(self, room_id: str) -> None:
        mixer = self.mixers.pop(room_id, None)
        if mixer is not None:
            if self.host_media is not None:
                self.host_media(room_id, None)
            await mixer.close()
            with contextlib.suppress(Exception):
                await self.lease.release(room_id)

    # --- background ------------------------------------------------------------------

    async def _keep_leases(self) -> None:
        interval = self.settings.media_lease_ms / 3000
        unreachable = False  # one line per outage, not one per round
        while True:
            await asyncio.sleep(interval)
            try:
                await self._check_leases()
                unreachable = False
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, StoreUnavailable):
                if _cancelling():
                    raise asyncio.CancelledError from None
                if not unreachable:
                    log.warning("audio leases: Redis is out of reach; retrying each round")
                unreachable = True
            except Exception:
                if _cancelling():
                    raise asyncio.CancelledError from None
                log.exception("audio lease round failed")

    async def _check_leases(self) -> None:
        for room_id, mixer in list(self.mixers.items()):
            if mixer.idle:
                await self._close_mixer(room_id)  # nobody left to hear: stop hosting
            elif not await self.lease.renew(room_id):
                log.warning("lost a room's audio lease; closing its mixer")
                await self._close_mixer(room_id)
        for sid, session in list(self.sessions.items()):
            if await self.lease.holder(session.room_id) == session.host:
                continue
            self.sessions.pop(sid, None)
            self._report_audio(session.room_id, session.member_id, AudioState.OFF)
            name, payload = AudioReconnect(session.room_id).dump()
            await self.notify(str(name), sid, payload)

    async def _listen(self) -> None:
        """This process's signalling channel, for as long as the gateway runs: when Redis
        drops it for longer than redis-py's retries, it is subscribed again once Redis
        answers. A request that arrived meanwhile is lost with the connection; its asker
        times out and tells its client ``media_unavailable``, and the client offers again."""
        assert self.redis is not None
        pause = RELISTEN_S
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self._channel(self.process_id))
                pause = RELISTEN_S
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        self._on_message(message)
                    except Exception:
                        log.exception("bad audio signalling message")
            except (RedisError, OSError):
                log.warning("audio signalling lost Redis; listening again in %.1f s", pause)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, RELISTEN_CAP_S)

    def _on_message(self, message: dict[str, Any]) -> None:
        data = MsgpackJson.loads(message["data"])
        if not isinstance(data, dict):
            return
        if data.get("op") == "reply":
            waiting = self._waiting.get(str(data.get("id")))
            if waiting is not None and not waiting.done():
                waiting.set_result(data)
            return
        task = asyncio.create_task(self._answer_remote(data), name="audio-request")
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _answer_remote(self, request: dict[str, Any]) -> None:
        assert self.redis is not None
        try:
            reply = await self._serve(request)
        except HearthError as error:
            reply = errors.rpc_reply(error)
        except Exception:
            log.exception("audio request from another process failed")
            reply = errors.rpc_reply(errors.internal())
        reply = {**reply, "op": "reply", "id": request.get("id")}
        channel = self._channel(str(request.get("reply_to")))
        await self.redis.publish(channel, MsgpackJson.dumps(reply))
