"""A first run explains itself: ``hearth serve`` says where it is ready (with a demo
facilitator's link in dev mode, which really admits a facilitator), a taken port is one
clear line naming it and how to pick another, each command's help has descriptions and
defaults, ``hearth token`` admits every room only when asked, and ``hearth rooms create``
takes every field the API does (the list of fields is the API's own)."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

from rooms.identity import Role
from rooms.room import DEFAULT_CAPACITY
from server.admin.bodies import ROOM_FIELDS, parse_room
from server.stores.redis import RedisStore
from tests.server.cli_runs import hearth
from tests.support import ServerProcess


async def ready_lines(log_path: Path) -> list[str]:
    for _ in range(200):
        lines = (await asyncio.to_thread(log_path.read_text)).splitlines()
        if any(line.startswith("Hearth is ready: ") for line in lines):
            return lines
        await asyncio.sleep(0.05)
    raise AssertionError("no ready line")


async def test_serve_says_where_it_is_ready_with_a_demo_facilitators_link(
    tmp_path: Path, clients: Any
) -> None:
    log_path = tmp_path / "hearth.log"
    env = {"HEARTH_DEV": "1", "HEARTH_DEMO_ROOM": "demo"}
    server = ServerProcess(None, env, log_path=log_path).start()
    try:
        lines = await ready_lines(log_path)
        assert f"Hearth is ready: http://localhost:{server.port}" in lines
        (link,) = [line for line in lines if line.startswith("Facilitate the demo room: ")]
        url = link.removeprefix("Facilitate the demo room: ")
        assert url.startswith(f"http://localhost:{server.port}/?room=demo#token=")
        facilitator = await clients(server.url, {"token": url.split("#token=")[1]})
        joined = await facilitator.join("demo")
        assert joined["snapshot"]["participants"][0]["role"] == str(Role.FACILITATOR)
    finally:
        server.stop()


async def test_a_taken_port_is_one_clear_line_naming_it_and_how_to_pick_another() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await hearth(None, "serve", "--port", str(port))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {port}" in lines[0]
    assert f"--port {port + 1}" in lines[0]
    assert f"PORT={port + 1}" in lines[0]


async def test_every_command_has_help_with_descriptions_and_defaults() -> None:
    async def shown(*command: str) -> str:
        result = await hearth(None, *command, "--help")
        assert result.returncode == 0, command
        return " ".join(result.stdout.split())

    serve = await shown("serve")
    assert "Serve the Socket.IO hub" in serve
    assert "address to listen on (default: 127.0.0.1)" in serve
    assert "port to listen on (default: 8080)" in serve
    create = await shown("rooms", "create")
    assert f"most people seated at once (default: {DEFAULT_CAPACITY})" in create
    for field in ROOM_FIELDS:
        assert option(field) in create, f"hearth rooms create has no option for {field!r}"
    assert "(default: )" not in create  # no default shown for an empty text
    assert "its role (default: participant)" in await shown("token")
    assert "what they may do in the room (default: participant)" in await shown("invite")
    assert "Close a room now" in await shown("rooms", "close")


async def test_token_admits_every_room_only_when_asked_and_prints_a_link() -> None:
    refused = await hearth(None, "token", "--name", "Sam")
    assert refused.returncode == 2
    assert "--room" in refused.stderr
    assert "--any-room" in refused.stderr
    anywhere = await hearth(None, "token", "--any-room", "--name", "Sam")
    assert anywhere.returncode == 0, anywhere.stderr
    assert anywhere.stdout.startswith("ey")
    public = {"HEARTH_PUBLIC_URL": "https://hearth.example.org"}
    link = await hearth(None, "token", "--room", "family", "--name", "Sam", "--link", **public)
    assert link.returncode == 0, link.stderr
    assert link.stdout.startswith("https://hearth.example.org/?room=family#token=ey")
    no_base = await hearth(None, "token", "--room", "family", "--name", "Sam", "--link")
    assert no_base.returncode != 0
    assert "HEARTH_PUBLIC_URL" in no_base.stderr


# A value other than the default for every field of the API's room body: a field added to
# ``ROOM_FIELDS`` without one here (and an option in ``hearth rooms create``) fails.
EVERY_FIELD: dict[str, Any] = {
    "name": "Voices",
    "capacity": 9,
    "allow_guests": True,
    "guidelines": "Be kind.",
    "public": True,
    "audio": True,
    "private_messages": True,
    "resources": [{"title": "Night line", "category": "crisis", "phone": "+1 555 0100"}],
    "history": "recent",
    "script": "Welcome.\nWe read the preamble.",
}


def option(field: str) -> str:
    return "--" + field.replace("_", "-")


def create_args(body: dict[str, Any], tmp_path: Path) -> list[str]:
    """``hearth rooms create`` options for this API body, derived field by field."""
    args: list[str] = []
    for field, value in body.items():
        if isinstance(value, bool):
            args += [option(field)] if value else []
        elif isinstance(value, list):
            path = tmp_path / f"{field}.json"
            path.write_text(json.dumps(value))
            args += [option(field), str(path)]
        else:
            args += [option(field), str(value)]
    return args


async def test_rooms_create_takes_every_field_of_the_api(
    redis_url: str, shared_store: RedisStore, tmp_path: Path
) -> None:
    """Every field of the API's room body has its option, and a room made with them all
    (or with none but the name) is the room the API would make from the same body."""
    assert set(EVERY_FIELD) == set(ROOM_FIELDS)
    for room_id, body in (("voices", EVERY_FIELD), ("plain", {"name": "Plain"})):
        made = await hearth(redis_url, "rooms", "create", room_id, *create_args(body, tmp_path))
        assert made.returncode == 0, made.stderr
        (info,) = [room for room in await shared_store.rooms() if room.room_id == room_id]
        assert info == parse_room(body, room_id)
    assert info.capacity == DEFAULT_CAPACITY


async def test_rooms_create_refuses_what_the_api_refuses(
    redis_url: str, shared_store: RedisStore, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"title": "x", "link": "javascript:alert(1)"}]))
    refused = await hearth(
        redis_url, "rooms", "create", "bad", "--name", "Bad", "--resources", str(bad)
    )
    assert refused.returncode != 0
    assert "http(s) address" in refused.stderr
    missing = await hearth(
        redis_url, "rooms", "create", "bad", "--name", "Bad", "--resources", str(tmp_path / "no")
    )
    assert missing.returncode != 0
    assert "--resources" in missing.stderr
    assert [room for room in await shared_store.rooms() if room.room_id == "bad"] == []
