"""Text a hostile client sends is refused as it arrives, with ``invalid_payload``, and
changes nothing: lone surrogates, control and direction-override characters, and values
of the wrong type (lists, objects, huge numbers) in any field. On both stores."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.identity import Role
from tests.support import RunningHub, seat

LONE = "\ud800"  # a lone surrogate: not a character, no encoder can write it
CONTROL = "\x07"
OVERRIDE = "\u202e"  # right-to-left override: shows text reversed


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("moderation:mute", {"target": "SAM", "chat": True, "reason": f"spam{LONE}"}),
        ("moderation:mute", {"target": "SAM", "chat": True, "reason": f"spam{CONTROL}"}),
        ("moderation:mute", {"target": "SAM", "chat": True, "reason": "two\nlines"}),
        ("moderation:mute", {"target": "SAM", "chat": True, "reason": ["spam"]}),
        ("moderation:remove", {"target": "SAM", "reason": LONE}),
        ("moderation:remove", {"target": f"SAM{LONE}"}),
        ("moderation:ban", {"target": "SAM", "reason": f"threats{LONE}"}),
        ("moderation:ban", {"target": "SAM", "scope": ["room"]}),
        ("moderation:ban", {"target": "SAM", "scope": {"room": 1}}),
        ("moderation:ban", {"target": {"id": "SAM"}}),
        ("moderation:pause", {"reason": OVERRIDE + "break"}),
        ("moderation:mute-all", {"audio": True, "reason": LONE}),
        ("moderation:promote", {"target": "SAM", "reason": LONE}),
        ("moderation:delete-message", {"message": 2**64}),
        ("moderation:delete-message", {"message": 1.5}),
        ("moderation:delete-message", {"message": float("nan")}),
        ("moderation:controls", {"locked": [True]}),
        ("moderation:admit", {"all": {"yes": True}}),
        ("moderation:unban", {"ban": ["x"]}),
        ("moderation:audit", {"limit": 2**70}),
        ("moderation:audit", {"limit": float("inf")}),
        ("moderation:mute", {f"target{LONE}": "SAM", "chat": True}),
    ],
)
async def test_bad_text_or_types_in_moderation_are_refused_and_change_nothing(
    hub: RunningHub, clients: Any, event: str, payload: dict[str, Any]
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    _, sam_id = await seat(hub, clients, "Sam")
    payload = {k: sam_id if v == "SAM" else v for k, v in payload.items()}
    payload = {k: f"{sam_id}{LONE}" if v == f"SAM{LONE}" else v for k, v in payload.items()}
    before = (await fay.call("room:snapshot"))["snapshot"]
    ack = await fay.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid_payload", ack
    assert (await fay.call("room:snapshot"))["snapshot"] == before
    assert (await fay.call("moderation:audit"))["entries"] == []
    assert (await fay.call("moderation:bans"))["bans"] == []


async def test_a_ban_with_a_lone_surrogate_is_refused_whole_and_a_clean_one_works(
    hub: RunningHub, clients: Any
) -> None:
    """The attack of issue #9: the ban was committed, then its audit entry failed, and the
    ban was neither kept nor listable nor liftable. Now nothing happens at all; the same
    ban with a plain reason is kept, listed, audited and lifted."""
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    sam, sam_id = await seat(hub, clients, "Sam")
    refused = await fay.call("moderation:ban", {"target": sam_id, "reason": f"x{LONE}"})
    assert refused["error"]["code"] == "invalid_payload"
    assert (await sam.call("chat:send", {"text": "still here"}))["ok"]
    assert (await fay.call("moderation:bans"))["bans"] == []

    banned = await fay.call("moderation:ban", {"target": sam_id, "reason": "threats"})
    assert banned["ok"], banned
    listed = (await fay.call("moderation:bans"))["bans"]
    assert [(b["id"], b["reason"]) for b in listed] == [(sam_id, "threats")]
    lifted = await fay.call("moderation:unban", {"ban": sam_id, "reason": "talked it over"})
    assert lifted["ok"], lifted
    assert (await fay.call("moderation:bans"))["bans"] == []
    actions = [e["action"] for e in (await fay.call("moderation:audit"))["entries"]]
    assert actions == ["unban", "ban"]


@pytest.mark.parametrize(
    "payload",
    [
        {"text": f"hello{LONE}"},
        {"text": f"ring{CONTROL}"},
        {"text": f"{OVERRIDE}olleh"},
        {"text": "tab\there"},
        {"text": ["hello"]},
        {"text": {"nested": "hello"}},
        {"text": 12},
        {"text": None},
    ],
)
async def test_bad_chat_text_is_refused_and_never_delivered(
    hub: RunningHub, clients: Any, payload: dict[str, Any]
) -> None:
    sam, _ = await seat(hub, clients, "Sam")
    kim, _ = await seat(hub, clients, "Kim")
    ack = await sam.call("chat:send", payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid_payload", ack
    # A later message must arrive after the refused one would have: only it arrives.
    assert (await sam.call("chat:send", {"text": "after"}))["ok"]
    await kim.wait_for("chat:message", lambda d: d["message"]["text"] == "after")
    assert [m["message"]["text"] for m in kim.events("chat:message")] == ["after"]


async def test_chat_keeps_newlines_and_joiners(hub: RunningHub, clients: Any) -> None:
    """Multi-line messages, emoji sequences (ZWJ) and right-to-left text are text."""
    sam, _ = await seat(hub, clients, "Sam")
    text = "first line\r\nsecond 👩\u200d👩\u200d👧 \u05e9\u05dc\u05d5\u05dd"
    ack = await sam.call("chat:send", {"text": text})
    assert ack["ok"], ack
    assert ack["message"]["text"] == text.replace("\r\n", "\n")


@pytest.mark.parametrize(
    "payload",
    [
        {"participant": "SAM", "reason": LONE},
        {"participant": "SAM", "reason": f"bad{CONTROL}"},
        {"participant": ["SAM"]},
        {"message": 2**64},
    ],
)
async def test_bad_reports_are_refused_and_reach_nobody(
    hub: RunningHub, clients: Any, payload: dict[str, Any]
) -> None:
    fay, _ = await seat(hub, clients, "Fay", Role.FACILITATOR)
    kim, _ = await seat(hub, clients, "Kim")
    _, sam_id = await seat(hub, clients, "Sam")
    payload = {k: sam_id if v == "SAM" else v for k, v in payload.items()}
    ack = await kim.call("report:send", payload)
    assert ack["error"]["code"] == "invalid_payload", ack
    assert (await kim.call("report:send", {"participant": sam_id, "reason": "later"}))["ok"]
    await fay.wait_for("report:received", lambda d: d["reason"] == "later")
    assert len(fay.events("report:received")) == 1


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("room:join", {"room": ["open"]}),
        ("room:join", {"room": {"id": "open"}}),
        ("reaction:send", {"reaction": ["heart"]}),
        ("reaction:send", {"reaction": LONE}),
        ("audio:start", {"type": "offer", "sdp": ["v=0"]}),
        ("audio:start", {"type": ["offer"], "sdp": "v=0"}),
        ("audio:start", {"type": "offer", "sdp": f"v=0\r\n{LONE}"}),
    ],
)
async def test_wrong_types_elsewhere_are_refused(
    hub: RunningHub, clients: Any, event: str, payload: dict[str, Any]
) -> None:
    sam, _ = await seat(hub, clients, "Sam")
    ack = await sam.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid_payload", ack
