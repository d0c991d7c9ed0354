"""The ``hearth`` command: serve, mint development tokens, and admin rooms.

``hearth rooms create|list|close`` and ``hearth invite`` call the same ``RoomAdmin`` as the
REST API, straight on the Redis store (``REDIS_URL``), so every server process sees them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from rooms.errors import HearthError
from rooms.identity import ANY_ROOM, Role
from rooms.room import DEFAULT_CAPACITY, RoomInfo
from server import errors, logs, tokens
from server.admin.room_admin import RoomAdmin, link_base, room_link
from server.app import DRAIN, create_app, redis_store
from server.attendance import make_key
from server.clock import SYSTEM_CLOCK
from server.settings import Settings, SettingsError

# After the drain (``server.jobs.drain``), this bounds the wait for requests in flight
# (and for a closed WebSocket whose client never answers the close).
SHUTDOWN_GRACE_S = 1.0
NEEDS_PUBLIC_URL = (
    "hearth: HEARTH_PUBLIC_URL is not set, so this is the token alone; set it to the address "
    "people use (https://hearth.example.org) for a full invite link"
)


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    if settings.dev:
        logging.getLogger(__name__).warning(
            "HEARTH_DEV=1: using the built-in development secret; never do this in production"
        )
    app = create_app(settings)
    runner = web.AppRunner(
        app,
        handle_signals=False,  # ours: a stop signal drains first (``_until_stopped``)
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_GRACE_S,
        access_log_class=logs.access_logger(settings),
    )
    asyncio.run(_until_stopped(runner, args.host, args.port))


async def _until_stopped(runner: web.AppRunner, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT, then drain while still answering (new handshakes
    get 503, so a load balancer moves people), then shut down."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await stop.wait()
        await runner.app[DRAIN].run()
    finally:
        await runner.cleanup()


def _token(settings: Settings, args: argparse.Namespace) -> None:
    token = tokens.mint(
        settings,
        subject=args.subject or uuid.uuid4().hex,
        name=args.name,
        role=Role(args.role),
        rooms=args.room or [ANY_ROOM],
        ttl_s=args.ttl,
    )
    print(token)
    base = link_base(settings)
    if base is None:
        print(NEEDS_PUBLIC_URL, file=sys.stderr)
    elif args.room and len(args.room) == 1:
        print(f"invite link: {room_link(args.room[0], base, token)}", file=sys.stderr)


def _administer(settings: Settings, act: Callable[[RoomAdmin], Awaitable[None]]) -> None:
    if not settings.redis_url:
        sys.exit("hearth: admin commands work on the shared store: set REDIS_URL")

    async def run() -> None:
        store = redis_store(settings)
        try:
            await act(RoomAdmin(store, settings, SYSTEM_CLOCK))
        finally:
            await store.close()

    try:
        asyncio.run(run())
    except HearthError as error:
        # The exit status says what a script can do about it (``server.errors.Exit``).
        print(f"hearth: {error.message}", file=sys.stderr)
        sys.exit(errors.exit_status(error))


def _rooms_create(settings: Settings, args: argparse.Namespace) -> None:
    info = RoomInfo(
        args.id,
        args.name,
        capacity=args.capacity,
        allow_guests=args.guests,
        guidelines=args.guidelines,
        public=args.public,
    )

    async def act(admin: RoomAdmin) -> None:
        view = await admin.create_room(info)
        if args.open:
            view = await admin.open_room(info.room_id)
        print(f"created {view.info.room_id}{' (open)' if view.open else ''}")

    _administer(settings, act)


def _rooms_list(settings: Settings, args: argparse.Namespace) -> None:
    async def act(admin: RoomAdmin) -> None:
        for view in await admin.list_rooms():
            state = f"open, {view.participants} in" if view.open else "closed"
            print(f"{view.info.room_id}\t{view.info.name}\t{state}")

    _administer(settings, act)


def _rooms_close(settings: Settings, args: argparse.Namespace) -> None:
    async def act(admin: RoomAdmin) -> None:
        await admin.close_room(args.id)
        print(f"closed {args.id}")

    _administer(settings, act)


def _invite(settings: Settings, args: argparse.Namespace) -> None:
    async def act(admin: RoomAdmin) -> None:
        made = await admin.invite(args.room, Role(args.role), args.name, args.ttl)
        base = link_base(settings)
        if base is None:
            print(made.token)
            print(NEEDS_PUBLIC_URL, file=sys.stderr)
        else:
            print(room_link(made.room_id, base, made.token))

    _administer(settings, act)


def _admin_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rooms = commands.add_parser("rooms", help="define, list and close rooms")
    actions = rooms.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="define a room")
    create.add_argument("id", help="room id: a slug like tuesday-family-group")
    create.add_argument("--name", required=True)
    create.add_argument("--capacity", type=int, default=DEFAULT_CAPACITY)
    create.add_argument("--guests", action="store_true", help="admit guests without invites")
    create.add_argument("--public", action="store_true", help="list it in the meeting feed")
    create.add_argument("--guidelines", default="")
    create.add_argument("--open", action="store_true", help="open it now")
    create.set_defaults(run=_rooms_create)
    actions.add_parser("list", help="every room, open or not").set_defaults(run=_rooms_list)
    close = actions.add_parser("close", help="close a room now; its chat is deleted")
    close.add_argument("id")
    close.set_defaults(run=_rooms_close)
    invite = commands.add_parser(
        "invite", help="issue an invite for one room: a link with HEARTH_PUBLIC_URL, else a token"
    )
    invite.add_argument("room")
    invite.add_argument("--name", required=True, help="display name")
    invite.add_argument("--role", choices=["participant", "facilitator"], default="participant")
    invite.add_argument("--ttl", type=int, help="seconds until it expires")
    invite.set_defaults(run=_invite)


def _attendance_key(settings: Settings, args: argparse.Namespace) -> None:
    try:
        kid = make_key(Path(args.out))
    except FileExistsError:
        sys.exit(f"hearth: {args.out} exists already; choose a new file for a new key")
    print(f"wrote {args.out} (kid {kid})")
    print("put it first in HEARTH_ATTENDANCE_KEYS; keep earlier keys after it", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="hearth", description="Hearth support-group server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the hub and the web client")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(run=_serve)
    token = commands.add_parser("token", help="mint a signed invite token")
    token.add_argument("--room", action="append", help="a room it admits (repeatable; default any)")
    token.add_argument("--role", choices=[str(r) for r in Role], default=str(Role.PARTICIPANT))
    token.add_argument("--name", required=True, help="display name")
    token.add_argument("--subject", help="stable subject id (default: a new random one)")
    token.add_argument("--ttl", type=int, help="seconds until it expires")
    token.set_defaults(run=_token)
    _admin_commands(commands)
    key = commands.add_parser(
        "attendance-key", help="write a new Ed25519 key for signing attendance verifications"
    )
    key.add_argument("out", help="the file to create (PEM, readable by you only)")
    key.set_defaults(run=_attendance_key)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"hearth: {exc}")
    logs.configure(settings)
    args.run(settings, args)


if __name__ == "__main__":
    main()
