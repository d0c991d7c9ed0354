"""The reference for the fan-out benchmark: plain python-socketio, no Hearth logic.

On ``room:join`` it puts the connection in the room it names and acks; on ``chat:send``
it emits ``chat:message`` to that room with the payload shape Hearth sends. With ``--redis`` it uses
python-socketio's stock ``AsyncRedisManager``, so two processes share the room.

Two flags each add one of Hearth's fan-out changes, to measure them one at a time:
``--no-deflate`` (``server/socket/transport.py``) and ``--one-pass`` (``server/socket/fanout.py``).

    python -m bench.reference_server --port 9000 [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Any

import socketio
from aiohttp import web

from server.socket.fanout import HearthManager
from server.socket.transport import decline_deflate


def build(redis_url: str | None, no_deflate: bool, one_pass: bool) -> web.Application:
    manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
    if one_pass and manager is None:
        manager = HearthManager()
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager, logger=False)
    if no_deflate:
        decline_deflate(sio)
    seq = itertools.count(1)
    rooms: dict[str, str] = {}  # sid -> the room it joined

    @sio.on("disconnect")
    async def disconnect(sid: str, reason: object = None) -> None:
        rooms.pop(sid, None)

    @sio.on("connect")
    async def connect(sid: str, environ: dict[str, Any], auth: object = None) -> None:
        pass

    @sio.on("room:join")
    async def join(sid: str, data: Any = None) -> dict[str, Any]:
        room = f"room:{data['room']}"
        rooms[sid] = room
        await sio.enter_room(sid, room)
        return {"ok": True}

    @sio.on("chat:send")
    async def chat(sid: str, data: Any = None) -> dict[str, Any]:
        n = next(seq)
        message = {
            "id": n,
            "from": sid,
            "name": "Sender",
            "text": str(data["text"]).strip(),
            "sent_at": int(time.time() * 1000),
        }
        room = rooms[sid]
        payload = {"room": room.removeprefix("room:"), "seq": n, "message": message}
        await sio.emit("chat:message", payload, room=room)
        return {"ok": True, "message": message}

    app = web.Application()
    sio.attach(app)

    async def listen_from_the_start(app: web.Application) -> None:
        if not sio.manager_initialized:
            sio.manager_initialized = True
            sio.manager.initialize()

    app.on_startup.append(listen_from_the_start)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis")
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--one-pass", action="store_true", help="single process only")
    args = parser.parse_args()
    app = build(args.redis, args.no_deflate, args.one_pass)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
