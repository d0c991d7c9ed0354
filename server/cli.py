"""The ``hearth`` command: serve, and mint development tokens."""

from __future__ import annotations

import argparse
import logging
import sys
import uuid

from aiohttp import web

from rooms.identity import ANY_ROOM, Role
from server import tokens
from server.app import create_app
from server.settings import Settings, SettingsError

# Clients are told to go at once on shutdown; this bounds the wait for stragglers.
SHUTDOWN_GRACE_S = 5.0
# Private by default: no client addresses or user agents in the access log.
ACCESS_LOG_FORMAT = '"%r" %s %b %Tfs'


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    if settings.dev:
        logging.getLogger(__name__).warning(
            "HEARTH_DEV=1: using the built-in development secret; never do this in production"
        )
    web.run_app(
        create_app(settings),
        host=args.host,
        port=args.port,
        print=None,
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_GRACE_S,
        access_log_format=ACCESS_LOG_FORMAT,
    )


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
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"hearth: {exc}")
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args.run(settings, args)


if __name__ == "__main__":
    main()
