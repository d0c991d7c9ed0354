"""Logs are one JSON object per line in production (a log shipper parses them without
rules of its own), each naming its level, logger and process, the access log with its
method, path, status and duration; with ``HEARTH_DEV=1`` they are human lines."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from rooms.identity import Role
from tests.support import ADMIN_TOKEN, Client, ServerProcess, api, token


async def serve_a_little(env: dict[str, str], log_path: Path) -> list[str]:
    server = ServerProcess(None, {"HEARTH_LOG_LEVEL": "INFO", **env}, log_path=log_path).start()
    try:
        client = await Client(server.url, {"token": token("Fay", Role.FACILITATOR)}).connect()
        await client.close()
        async with aiohttp.ClientSession() as http:
            for path in ("/readyz", "/healthz"):  # the second is logged after the first
                async with http.get(f"{server.url}{path}") as response:
                    assert response.status == 200
    finally:
        server.stop()
    return (await asyncio.to_thread(log_path.read_text)).splitlines()


async def test_production_logs_are_one_json_object_per_line(tmp_path: Path) -> None:
    lines = await serve_a_little({}, tmp_path / "hearth.log")
    entries = [json.loads(line) for line in lines]  # every line parses
    assert entries
    for entry in entries:
        assert {"ts", "level", "logger", "message", "pid"} <= set(entry), entry
        assert entry["ts"].endswith("Z")
    # Even the ready line is a JSON line here (a plain one would break the stream).
    assert any(e["message"].startswith("Hearth is ready: http://") for e in entries)
    named = [e for e in entries if "process" in e]
    assert named, "no line names the process"
    assert len({e["process"] for e in named}) == 1
    (ready,) = [e for e in entries if e["logger"] == "aiohttp.access" and e["path"] == "/readyz"]
    assert (ready["method"], ready["status"]) == ("GET", 200)
    assert isinstance(ready["duration_ms"], float)
    assert "client" not in ready  # addresses only when the operator opts in


async def test_development_logs_are_human_lines(tmp_path: Path) -> None:
    lines = await serve_a_little({"HEARTH_DEV": "1"}, tmp_path / "hearth.log")
    assert any(' INFO aiohttp.access: "GET /readyz HTTP/1.1" 200 ' in line for line in lines)
    assert not any(line.startswith("{") for line in lines)


async def test_a_line_about_a_room_names_it_only_if_the_room_is_public(tmp_path: Path) -> None:
    """Two rooms scheduled to meet now, one public and one not: the scheduler's line about
    opening each carries ``room`` for the public one, and the other's id is nowhere."""
    env = {
        "HEARTH_LOG_LEVEL": "INFO",
        "HEARTH_ADMIN_TOKEN": ADMIN_TOKEN,
        "HEARTH_SCHEDULER_TICK_MS": "100",
    }
    log_path = tmp_path / "hearth.log"
    server = ServerProcess(None, env, log_path=log_path).start()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    rooms = {"open-door": True, "quiet-circle-7f3a": False}
    try:
        for room_id, public in rooms.items():
            made = await api(
                server.url,
                "POST",
                "/api/v1/rooms",
                {"id": room_id, "name": "Group", "public": public},
            )
            assert made.status == 201, made
            series = {
                "id": f"{room_id}-now",
                "room": room_id,
                "starts": now.strftime("%Y-%m-%dT%H:%M"),
                "ends": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                "timezone": "UTC",
            }
            assert (await api(server.url, "POST", "/api/v1/series", series)).status == 201
        for _ in range(200):  # until the scheduler has opened both (a tick every 100 ms)
            text = await asyncio.to_thread(log_path.read_text)
            if text.count("opened a room for its") == 2:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the scheduler did not open both rooms:\n{text}")
    finally:
        server.stop()
    entries = [
        json.loads(line) for line in (await asyncio.to_thread(log_path.read_text)).splitlines()
    ]
    opened = [e for e in entries if e["message"].startswith("opened a room for its")]
    assert sorted(e.get("room", "") for e in opened) == ["", "open-door"]
    assert "quiet-circle-7f3a" not in log_path.read_text()
