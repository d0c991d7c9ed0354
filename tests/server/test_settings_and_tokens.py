"""Settings come from the environment once; tokens are verified strictly."""

from __future__ import annotations

import jwt
import pytest

from rooms.errors import ErrorCode, HearthError
from rooms.identity import Role
from server import tokens
from server.settings import DEV_SECRET, IceServer, Settings, SettingsError
from tests.support import SECRET, settings


def test_settings_from_env_with_defaults() -> None:
    made = Settings.from_env({"HEARTH_SECRET": SECRET, "REDIS_URL": "redis://x:1/0"})
    assert made.redis_url == "redis://x:1/0"
    assert made.heartbeat_ms == 2000
    assert made.max_payload_bytes == 65536


def test_ice_servers_are_empty_by_default_and_read_as_json() -> None:
    assert Settings.from_env({"HEARTH_SECRET": SECRET}).ice_servers == ()
    turn = '[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "c"}]'
    made = Settings.from_env({"HEARTH_SECRET": SECRET, "HEARTH_ICE_SERVERS": turn})
    assert made.ice_servers == (IceServer(("turn:turn.example.org:3478",), "u", "c"),)


def test_dev_mode_uses_the_dev_secret() -> None:
    assert Settings.from_env({"HEARTH_DEV": "1"}).secret == DEV_SECRET


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "HEARTH_SECRET"),
        ({"HEARTH_SECRET": "short"}, "HEARTH_SECRET"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_HEARTBEAT_MS": "soon"}, "HEARTH_HEARTBEAT_MS"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_HEARTBEAT_MS": "-5"}, "HEARTH_HEARTBEAT_MS"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_DEV": "maybe"}, "HEARTH_DEV"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_TURN_URLS": "http://x"}, "HEARTH_TURN_URLS"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_TURN_URLS": "turn:t.example:3478"}, "HEARTH_TURN"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_PROCESS_TTL_MS": "1000"}, "HEARTH_PROCESS_TTL_MS"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_ICE_SERVERS": "stun:x"}, "HEARTH_ICE_SERVERS"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_ICE_SERVERS": '[{"url": "x"}]'}, "HEARTH_ICE_SERVERS"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_PING_TIMEOUT_MS": "0"}, "HEARTH_PING_TIMEOUT_MS"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_SEND_BUFFER_BYTES": "0"}, "HEARTH_SEND_BUFFER_BYTES"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_GC_THRESHOLDS": "700,10"}, "HEARTH_GC_THRESHOLDS"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_GC_THRESHOLDS": "0,1,1"}, "HEARTH_GC_THRESHOLDS"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_UVLOOP": "fast"}, "HEARTH_UVLOOP"),
        ({"HEARTH_SECRET": SECRET, "HEARTH_KEY_PREFIX": "app{1}:"}, "HEARTH_KEY_PREFIX"),
    ],
)
def test_bad_settings_fail_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


def test_a_minted_token_verifies_to_its_identity() -> None:
    made = tokens.mint(
        settings(), subject="s-1", name=" Sam  Lee ", role=Role.FACILITATOR, rooms=["circle"]
    )
    identity = tokens.verify(settings(), made)
    assert identity.subject == "s-1"
    assert identity.display_name == "Sam Lee"
    assert identity.role == Role.FACILITATOR
    assert identity.admits("circle")
    assert not identity.admits("other")


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"sub": "s", "name": "Sam", "role": "participant", "rooms": ["*"]}, "unauthorized"),
        ({"sub": "s", "name": "Sam", "role": "king", "rooms": ["*"], "exp": 2**40}, "unauthorized"),
        (
            {"sub": "s", "name": "Sam", "role": "participant", "rooms": "circle", "exp": 2**40},
            "unauthorized",
        ),
        (
            {"sub": "s", "name": "", "role": "participant", "rooms": ["*"], "exp": 2**40},
            "unauthorized",
        ),
        (
            {"sub": "s", "name": "Sam", "role": "participant", "rooms": ["*"], "exp": 1},
            "token_expired",
        ),
    ],
)
def test_bad_tokens_are_refused(claims: dict[str, object], code: str) -> None:
    raw = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(HearthError) as refused:
        tokens.verify(settings(), raw)
    assert refused.value.code == ErrorCode(code)


def test_a_token_signed_with_another_secret_or_algorithm_is_refused() -> None:
    claims = {"sub": "s", "name": "Sam", "role": "participant", "rooms": ["*"], "exp": 2**40}
    for raw in (
        jwt.encode(claims, "another-secret-that-is-long-enough-too!", algorithm="HS256"),
        jwt.encode(claims, None, algorithm="none"),
    ):
        with pytest.raises(HearthError) as refused:
            tokens.verify(settings(), raw)
        assert refused.value.code == ErrorCode.UNAUTHORIZED


def test_member_ids_are_room_scoped_and_stable() -> None:
    one = tokens.member_id(settings(), "circle", "s-1")
    assert one == tokens.member_id(settings(), "circle", "s-1")
    assert one != tokens.member_id(settings(), "other", "s-1")
    assert "s-1" not in one
