"""The one error map: every code the rules or the server can raise has its ack, HTTP
status, media-RPC reply and exit status, and each edge answers from it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis

from rooms.errors import ErrorCode, HearthError
from rooms.room import RoomInfo
from server import errors
from server.codec import MsgpackJson
from server.errors import CODES, Exit, ServerCode, ServerError, from_rpc_reply, outcome
from server.stores.redis import RedisStore
from tests.support import token


def every_code() -> list[ErrorCode | ServerCode]:
    return [*ErrorCode, *ServerCode]


def test_the_rules_and_the_server_share_no_code_name() -> None:
    assert {str(c) for c in ErrorCode} & {str(c) for c in ServerCode} == set()


@pytest.mark.parametrize("code", every_code(), ids=str)
def test_every_code_has_an_entry_at_every_edge(code: ErrorCode | ServerCode) -> None:
    assert CODES[str(code)] is code
    error = HearthError(f"refused: {code}", code)
    assert errors.ack(error) == {
        "ok": False,
        "error": {"code": str(code), "message": error.message},
    }
    assert 400 <= errors.http_status(error) < 600
    assert errors.exit_status(error) in set(Exit)
    reply = errors.rpc_reply(error)
    back = from_rpc_reply(reply)
    assert (back.code, back.message) == (code, error.message)


def test_codes_the_admin_api_never_mapped_are_no_longer_a_bad_request() -> None:
    """``banned`` and ``not_a_facilitator`` used to fall through to HTTP 400."""
    assert errors.http_status(HearthError("no", ErrorCode.BANNED)) == 403
    assert errors.http_status(HearthError("no", ErrorCode.NOT_A_FACILITATOR)) == 403
    assert errors.http_status(ServerError("busy", ServerCode.BUSY)) == 503


def test_the_transport_codes_left_the_domain() -> None:
    transport = {
        "unknown_event",
        "busy",
        "unavailable",
        "unconfirmed",
        "media_unavailable",
        "draining",
        "attendance_off",  # the server has no signing key: configuration, not a rule
    }
    assert transport | {"too_many_connections", "internal_error"} == {str(c) for c in ServerCode}
    assert transport & {str(c) for c in ErrorCode} == set()


@pytest.mark.parametrize(
    "reply",
    [
        {"ok": False, "error": {"code": "from_a_newer_version", "message": "no"}},
        {"ok": False, "error": "not an object"},
        {"ok": False},
        {"ok": False, "error": {"code": ["unhashable"], "message": 7}},
    ],
)
def test_a_reply_the_map_does_not_know_is_an_internal_error(reply: dict[str, Any]) -> None:
    assert from_rpc_reply(reply).code is ServerCode.INTERNAL
    assert outcome("from_a_newer_version") == outcome(ServerCode.INTERNAL)


@pytest.mark.audio
async def test_a_media_host_refusing_with_a_code_this_process_does_not_know_is_a_clean_ack(
    redis_url: str, shared_store: RedisStore, processes: Any, clients: Any
) -> None:
    """The host of a room's audio is another process (here the test, holding the lease as
    'ghost'); it refuses with a code from a newer version. The asking process used to
    raise ValueError on it (a traceback, and the host's message lost)."""
    redis = Redis.from_url(redis_url)
    await shared_store.open_room(RoomInfo("voices", "Voices", audio=True))
    await redis.set("hearth:media:voices", "ghost", px=60_000)
    pubsub = redis.pubsub()
    await pubsub.subscribe("hearth:media:ghost")
    server = processes(redis_url)
    try:
        ann = await clients(server.url, {"token": token("Ann")})
        await ann.join("voices")
        offer = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"}
        asked = asyncio.create_task(ann.call("audio:start", offer))
        request = None
        while request is None:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
            if message is not None:
                request = MsgpackJson.loads(message["data"])
        assert request["op"] == "answer"
        refusal = {"code": "from_a_newer_version", "message": "the media host refused"}
        reply = {"op": "reply", "id": request["id"], "ok": False, "error": refusal}
        await redis.publish(f"hearth:media:{request['reply_to']}", MsgpackJson.dumps(reply))
        ack = await asked
        assert ack == {
            "ok": False,
            "error": {"code": "internal_error", "message": "the media host refused"},
        }
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await redis.aclose()
