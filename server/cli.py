"""The ``hearth`` command: serve, mint development tokens, and admin rooms.

``hearth rooms create|list|close`` and ``hearth invite`` call the same ``RoomAdmin`` as the
REST API, straight on the Redis store (``REDIS_URL``), so every server process sees them.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import signal
import sys
import textwrap
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeAlias

from aiohttp import web

from rooms.errors import HearthError
from rooms.identity import ANY_ROOM, Role
from rooms.room import DEFAULT_CAPACITY, History
from server import doctor, errors, logs, tokens
from server.admin.bodies import parse_room
from server.admin.room_admin import RoomAdmin, link_base, room_link
from server.app import DRAIN, HUB, create_app, redis_store
from server.attendance import make_key
from server.clock import SYSTEM_CLOCK
from server.settings import Settings, SettingsError
from server.settings_reference import help_text

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
    logs.name_process(app[HUB].process_id)
    served = _served_at(settings, args.host, args.port)
    runner = web.AppRunner(
        app,
        handle_signals=False,  # ours: a stop signal drains first (``_until_stopped``)
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_GRACE_S,
        access_log_class=logs.access_logger(settings),
    )
    try:
        with asyncio.Runner(loop_factory=_loop_factory(settings)) as loop:
            loop.run(_until_stopped(runner, args.host, args.port, _ready_lines(settings, served)))
    except PortTaken:
        sys.exit(
            f"hearth: port {args.port} on {args.host} is already in use (another Hearth, or "
            f"another server); pick another with --port {args.port + 1} "
            f"(make run PORT={args.port + 1})"
        )


def _loop_factory(settings: Settings) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed and wanted, else asyncio's own."""
    if not settings.uvloop:
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _announce(ready: list[str]) -> None:
    """The ready lines: plain on stdout for a person (text logs, ``make run``), or log
    records where the output is a stream of JSON lines for a shipper."""
    if logs.json_lines():
        for line in ready:
            logging.getLogger(__name__).info(line)
    else:
        print("\n".join(ready), flush=True)


class PortTaken(Exception):
    pass


def _served_at(settings: Settings, host: str, port: int) -> str:
    """The address to open: the public URL, or this listener's (``localhost`` for the
    wildcard and loopback addresses, which browsers reach that way)."""
    if settings.public_url:
        return settings.public_url
    shown = "localhost" if host in {"0.0.0.0", "::", "127.0.0.1", "::1", ""} else host
    return f"http://{shown}:{port}"


def _ready_lines(settings: Settings, served: str) -> list[str]:
    lines = [f"Hearth is ready: {served}"]
    if settings.dev and settings.demo_room:
        # Development only (the built-in secret): a facilitator's link for the demo room.
        token = tokens.mint(
            settings,
            subject="demo-facilitator",
            name="Demo facilitator",
            role=Role.FACILITATOR,
            rooms=[settings.demo_room],
            ttl_s=settings.token_ttl_s,
        )
        lines.append(f"Facilitate the demo room: {room_link(settings.demo_room, served, token)}")
        lines.append(f"Join it as a guest:       {room_link(settings.demo_room, served)}")
    return lines


async def _until_stopped(runner: web.AppRunner, host: str, port: int, ready: list[str]) -> None:
    """Serve until SIGTERM or SIGINT, then drain while still answering (new handshakes
    get 503, so a load balancer moves people), then shut down."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortTaken from None
            raise
        _announce(ready)
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
    base = link_base(settings)
    one_room = args.room[0] if args.room and len(args.room) == 1 else None
    if args.link:
        if base is None or one_room is None:
            sys.exit("hearth: --link needs one --room and HEARTH_PUBLIC_URL (or HEARTH_DEV=1)")
        print(room_link(one_room, base, token))
        return
    print(token)
    if base is None:
        print(NEEDS_PUBLIC_URL, file=sys.stderr)
    elif one_room is not None:
        print(f"invite link: {room_link(one_room, base, token)}", file=sys.stderr)


def _doctor(settings: Settings, args: argparse.Namespace) -> None:
    findings = asyncio.run(doctor.examine(settings))
    for finding in findings:
        print(finding.line())
    to_fix = sum(1 for finding in findings if finding.level is doctor.Level.FIX)
    if to_fix:
        sys.exit(f"hearth doctor: {to_fix} thing(s) to fix")
    print("hearth doctor: nothing to fix")


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


# One option per field of the API's room body (``server.admin.bodies.ROOM_FIELDS``; a test
# holds the two to each other), each stored under the field's name.
_ROOM_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "name": (("--name",), {"required": True, "help": "the room's name, as people see it"}),
    "capacity": (
        ("--capacity",),
        {"type": int, "default": DEFAULT_CAPACITY, "help": "most people seated at once"},
    ),
    "allow_guests": (
        ("--allow-guests", "--guests"),
        {"action": "store_true", "help": "admit guests without invites"},
    ),
    "guidelines": (
        ("--guidelines",),
        {"default": "", "help": "shown to everyone before they join"},
    ),
    "public": (("--public",), {"action": "store_true", "help": "list it in the meeting feed"}),
    "audio": (("--audio",), {"action": "store_true", "help": "members may connect audio"}),
    "private_messages": (
        ("--private-messages",),
        {
            "action": "store_true",
            "help": "participants may write privately to each other (facilitators always may)",
        },
    ),
    "resources": (
        ("--resources",),
        {
            "metavar": "FILE",
            "help": "a JSON file with the room's own list of resources, as the API takes it "
            "(docs/admin.md#resources); default: its series' or the deployment's",
        },
    ),
    "history": (
        ("--history",),
        {
            "choices": [str(h) for h in History],
            "default": str(History.SINCE_JOINED),
            "help": "what latecomers see of the chat",
        },
    ),
    "script": (
        ("--script",),
        {"default": "", "metavar": "TEXT", "help": 'the meeting script, e.g. "$(cat script.txt)"'},
    ),
}


def _room_body(args: argparse.Namespace) -> dict[str, Any]:
    """The options as the API's JSON body, so one parser (``parse_room``) checks both."""
    body = {field: getattr(args, field) for field in _ROOM_OPTIONS}
    if args.resources is None:
        del body["resources"]
    else:
        try:
            body["resources"] = json.loads(Path(args.resources).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            sys.exit(f"hearth: --resources {args.resources}: {error}")
    return body


def _rooms_create(settings: Settings, args: argparse.Namespace) -> None:
    body = _room_body(args)

    async def act(admin: RoomAdmin) -> None:
        view = await admin.create_room(parse_room(body, args.id))
        if args.open:
            view = await admin.open_room(view.info.room_id)
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


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default in its help, except where there is none to show (none, a
    flag's, an empty text)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, "") or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class _RawHelp(_Help, argparse.RawDescriptionHelpFormatter):
    """As ``_Help``, with the description and epilog kept as written (the settings list)."""


def _command(commands: Commands, name: str, summary: str, about: str) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=summary, description=about, formatter_class=_Help)


def _admin_commands(commands: Commands) -> None:
    rooms = _command(
        commands,
        "rooms",
        "define, list and close rooms",
        "Define, list and close rooms on the shared store (needs REDIS_URL): every process "
        "sees the change at once.",
    )
    actions = rooms.add_subparsers(dest="action", required=True)
    create = _command(
        actions,
        "create",
        "define a room",
        "Define a room with any setting POST /api/v1/rooms takes (docs/admin.md), checked "
        "as the API checks it; an option left out takes the API's default.",
    )
    create.add_argument("id", help="room id: a slug like tuesday-family-group")
    for flags, options in _ROOM_OPTIONS.values():
        create.add_argument(*flags, **options)
    create.add_argument("--open", action="store_true", help="open it now")
    create.set_defaults(run=_rooms_create)
    listing = _command(actions, "list", "every room, open or not", "Every room, open or not.")
    listing.set_defaults(run=_rooms_list)
    close = _command(actions, "close", "close a room now", "Close a room now; its chat is deleted.")
    close.add_argument("id", help="the room's id")
    close.set_defaults(run=_rooms_close)
    invite = _command(
        commands,
        "invite",
        "issue an invite for one room",
        "Issue an invite for one room: a link with HEARTH_PUBLIC_URL (or HEARTH_DEV=1), "
        "else the token alone.",
    )
    invite.add_argument("room", help="the room's id")
    invite.add_argument("--name", required=True, help="display name")
    invite.add_argument(
        "--role",
        choices=["participant", "facilitator"],
        default="participant",
        help="what they may do in the room",
    )
    invite.add_argument("--ttl", type=int, help="seconds until it expires (HEARTH_TOKEN_TTL_S)")
    invite.set_defaults(run=_invite)


def _attendance_key(settings: Settings, args: argparse.Namespace) -> None:
    try:
        kid = make_key(Path(args.out))
    except FileExistsError:
        sys.exit(f"hearth: {args.out} exists already; choose a new file for a new key")
    print(f"wrote {args.out} (kid {kid})")
    print("put it first in HEARTH_ATTENDANCE_KEYS; keep earlier keys after it", file=sys.stderr)


def _token_command(commands: Commands) -> None:
    token = _command(
        commands,
        "token",
        "mint a signed invite token",
        "Mint a signed invite token with HEARTH_SECRET, for the rooms named (or, only when "
        "asked, for every room).",
    )
    scope = token.add_mutually_exclusive_group(required=True)
    scope.add_argument("--room", action="append", help="a room it admits (repeatable)")
    scope.add_argument("--any-room", action="store_true", help="admit every room (take care)")
    token.add_argument(
        "--role", choices=[str(r) for r in Role], default=str(Role.PARTICIPANT), help="its role"
    )
    token.add_argument("--name", required=True, help="display name")
    token.add_argument("--subject", help="stable subject id (default: a new random one)")
    token.add_argument("--ttl", type=int, help="seconds until it expires (HEARTH_TOKEN_TTL_S)")
    token.add_argument(
        "--link", action="store_true", help="print a ready-to-open invite link instead"
    )
    token.set_defaults(run=_token)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="hearth", description="Hearth support-group server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the hub and the web client",
        description=textwrap.fill(
            "Serve the Socket.IO hub, the web client, the admin API and the probes. "
            "Settings come from the environment (below).",
            79,
        ),
        epilog=help_text(),
        formatter_class=_RawHelp,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on")
    serve.set_defaults(run=_serve)
    _token_command(commands)
    check = _command(
        commands,
        "doctor",
        "check this deployment and say what to fix",
        "Check the settings in the environment and the Redis they name: the secret, Redis "
        "and its persistence, the public URL, TURN, allowed origins. Exits 1 if anything "
        "needs fixing.",
    )
    check.set_defaults(run=_doctor)
    _admin_commands(commands)
    key = _command(
        commands,
        "attendance-key",
        "write a new Ed25519 key for signing attendance verifications",
        "Write a new Ed25519 key (PEM, readable by you only) for signing attendance "
        "verifications; put it first in HEARTH_ATTENDANCE_KEYS.",
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
