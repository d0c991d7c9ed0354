"""The deployment's resources set through the admin API of one ``hearth serve`` are what
people joining through another process on the same Redis see, over the operator's
``HEARTH_RESOURCES_FILE``; a bad list is refused and changes nothing; forgetting the
admin's list brings the file's back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rooms.resources import NEUTRAL_CRISIS
from tests.support import ADMIN_TOKEN, Client, ServerProcess, api, token

FILE_LINE = {"title": "File line", "category": "crisis", "phone": "116 123"}
ADMIN_LINE = {"title": "Admin line", "category": "crisis", "phone": "988", "language": "en"}
READING = {"title": "Just for today", "category": "reading"}


async def seen(process: ServerProcess, clients: Any) -> tuple[list[str], list[str]]:
    """What someone joining 'demo' through this process sees: the resources before
    joining, and the crisis lines a support request shows."""
    person: Client = await clients(process.url, {"token": token("Sam")})
    before = await person.call("room:resources", {"room": "demo"})
    assert before["ok"], before
    await person.join("demo")
    asked = await person.call("support:request", {})
    assert asked["ok"], asked
    await person.close()
    return [r["title"] for r in before["resources"]], [r["title"] for r in asked["resources"]]


async def test_deployment_resources_set_on_one_process_are_seen_through_another(
    redis_url: str, processes: Any, clients: Any, tmp_path: Path
) -> None:
    listed = tmp_path / "resources.json"
    listed.write_text(json.dumps([FILE_LINE]))
    env = {
        "HEARTH_DEMO_ROOM": "demo",
        "HEARTH_ADMIN_TOKEN": ADMIN_TOKEN,
        "HEARTH_RESOURCES_FILE": str(listed),
    }
    a, b = processes(redis_url, **env), processes(redis_url, **env)
    first = await api(b.url, "GET", "/api/v1/resources")
    assert first.body["source"] == "settings"
    assert [r["title"] for r in first.body["resources"]] == ["File line"]
    assert await seen(b, clients) == (["File line"], ["File line"])

    put = await api(a.url, "PUT", "/api/v1/resources", {"resources": [ADMIN_LINE, READING]})
    assert put.status == 200, put.body
    assert put.body["source"] == "admin"
    assert [r["title"] for r in put.body["resources"]] == ["Admin line", "Just for today"]
    assert await seen(b, clients) == (["Admin line", "Just for today"], ["Admin line"])

    bad = {"resources": [{"title": "x", "link": "javascript:alert(1)"}]}
    refused = await api(b.url, "PUT", "/api/v1/resources", bad)
    assert (refused.status, refused.body["code"]) == (422, "invalid_payload")
    unknown = await api(b.url, "PUT", "/api/v1/resources", {"resources": [], "extra": 1})
    assert unknown.status == 422
    assert (await api(a.url, "GET", "/api/v1/resources")).body == put.body

    # An empty list set by an admin is a list: the file's line is no longer shown, and a
    # request for support shows the neutral line.
    emptied = await api(a.url, "PUT", "/api/v1/resources", {"resources": []})
    assert emptied.body == {"resources": [], "source": "admin"}
    shown, crisis = await seen(b, clients)
    assert shown == []
    assert crisis == [NEUTRAL_CRISIS.title]

    forgotten = await api(b.url, "DELETE", "/api/v1/resources")
    assert forgotten.status == 200
    assert forgotten.body["source"] == "settings"
    assert await seen(a, clients) == (["File line"], ["File line"])
