"""Admin API calls as the tests make them: each response is checked against the OpenAPI
document it claims to follow, so the document stays true."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import jsonschema

from server.admin.openapi import DOCUMENT
from tests.support import ApiResponse, RunningHub, api

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # a Monday
TUESDAY_GROUP = {
    "id": "tuesday-group",
    "room": "family",
    "starts": "2026-01-06T19:00",
    "ends": "2026-01-06T20:30",
    "timezone": "America/New_York",
    "rule": "FREQ=WEEKLY;BYDAY=TU",
    "lobby_minutes": 10,
}


def _operation(path: str, method: str) -> dict[str, Any]:
    for template, item in DOCUMENT["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path.split("?")[0]) and method.lower() in item:
            return item[method.lower()]  # type: ignore[no-any-return]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


async def call(hub: RunningHub, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    """Send a request and check the response against the OpenAPI document."""
    response = await api(hub.url, method, path, body, **kw)
    check_documented(method, path, response)
    return response


def check_documented(method: str, path: str, response: ApiResponse) -> None:
    declared = _operation(path, method)["responses"]
    assert str(response.status) in declared, f"{method} {path} -> undeclared {response.status}"
    content = declared[str(response.status)].get("content")
    if content is None:
        assert response.body is None
        return
    assert response.content_type in content, response.content_type
    schema = {**content[response.content_type]["schema"], "components": DOCUMENT["components"]}
    jsonschema.Draft202012Validator(schema).validate(response.body)
