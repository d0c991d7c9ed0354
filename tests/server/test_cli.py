"""``hearth rooms`` and ``hearth invite`` as an operator runs them, against a live server."""

from __future__ import annotations

from typing import Any

from tests.conftest import flush
from tests.server.cli_runs import hearth
from tests.support import RedisServer


async def test_cli_creates_invites_lists_and_closes_rooms_of_a_running_server(
    redis_server: RedisServer, processes: Any, clients: Any
) -> None:
    await flush(redis_server.url)
    server = processes(redis_server.url)
    created = await hearth(
        redis_server.url, "rooms", "create", "family", "--name", "Family", "--open"
    )
    assert created.returncode == 0, created.stderr
    invited = await hearth(redis_server.url, "invite", "family", "--name", "Sam")
    assert invited.returncode == 0, invited.stderr
    assert "HEARTH_PUBLIC_URL is not set" in invited.stderr  # so it is a token, not a link
    sam = await clients(server.url, {"token": invited.stdout.strip()})
    await sam.join("family")
    listed = await hearth(redis_server.url, "rooms", "list")
    assert listed.stdout.splitlines() == ["family\tFamily\topen, 1 in"]
    closed = await hearth(redis_server.url, "rooms", "close", "family")
    assert closed.returncode == 0, closed.stderr
    await sam.wait_for("room:closed")
    again = await hearth(redis_server.url, "rooms", "close", "family")
    assert again.returncode != 0
    assert "not open" in again.stderr
    await sam.close()


async def test_cli_admin_commands_need_the_shared_store() -> None:
    result = await hearth(None, "rooms", "list")
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr


async def test_invite_and_token_print_full_links_only_from_the_public_url(
    redis_server: RedisServer,
) -> None:
    await flush(redis_server.url)
    await hearth(redis_server.url, "rooms", "create", "family", "--name", "Family")
    public = {"HEARTH_PUBLIC_URL": "https://hearth.example.org"}
    linked = await hearth(redis_server.url, "invite", "family", "--name", "Sam", **public)
    assert linked.returncode == 0, linked.stderr
    assert linked.stdout.startswith("https://hearth.example.org/?room=family#token=ey")
    assert linked.stderr == ""
    dev = await hearth(redis_server.url, "invite", "family", "--name", "Sam", HEARTH_DEV="1")
    assert dev.stdout.startswith("http://localhost:8080/?room=family#token=ey")
    bare = await hearth(None, "token", "--room", "family", "--name", "Sam")
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout.startswith("ey")
    assert "HEARTH_PUBLIC_URL is not set" in bare.stderr
    minted = await hearth(None, "token", "--room", "family", "--name", "Sam", **public)
    assert f"https://hearth.example.org/?room=family#token={minted.stdout.strip()}" in (
        minted.stderr
    )


async def test_admin_commands_exit_with_the_error_maps_status(redis_server: RedisServer) -> None:
    """A script can tell "no such room" (66) from "not in that state" (73) from a fault:
    each refusal exits with its sysexits.h status from ``server.errors``, not a bare 1."""
    await flush(redis_server.url)
    missing = await hearth(redis_server.url, "rooms", "close", "nowhere")
    assert (missing.returncode, missing.stderr.startswith("hearth: ")) == (66, True)
    defined = await hearth(redis_server.url, "rooms", "create", "family", "--name", "Family")
    assert defined.returncode == 0, defined.stderr
    closed = await hearth(redis_server.url, "rooms", "close", "family")
    assert (closed.returncode, "not open" in closed.stderr) == (73, True)
    again = await hearth(redis_server.url, "rooms", "create", "family", "--name", "Family")
    assert again.returncode == 73
