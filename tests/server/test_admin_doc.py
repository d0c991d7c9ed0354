"""docs/admin.md names every field of every request body the admin API takes, in the row
of its endpoint's table (the OpenAPI document is the source: every operation with a
request body, and its schema's fields), so a new field or endpoint cannot go undocumented."""

from __future__ import annotations

import re
from pathlib import Path

from server.admin import openapi, schemas

DOC = Path(__file__).resolve().parents[2] / "docs" / "admin.md"
_METHOD = re.compile(r"\b(GET|POST|PUT|DELETE)\b")
_PATH = re.compile(r"(/api/v1/[^`?\s]*)")


def endpoint_rows() -> dict[tuple[str, str], str]:
    """Each (method, path) of the doc's endpoint table, with its row's text."""
    rows: dict[tuple[str, str], str] = {}
    for line in DOC.read_text().splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split(" | ")[0]
        found = _PATH.search(first)
        if found is None:
            continue
        for method in _METHOD.findall(first):
            rows[(method, found.group(1))] = line
    return rows


def request_bodies() -> list[tuple[str, str, str]]:
    """(method, path, schema name) of every operation that takes a JSON body."""
    bodies = []
    for path, item in openapi.PATHS.items():
        for method, op in item.items():
            if isinstance(op, dict) and "requestBody" in op:
                ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                bodies.append((method.upper(), path, ref.rsplit("/", 1)[1]))
    return bodies


def test_admin_md_names_every_field_of_every_request_body_in_its_endpoints_row() -> None:
    rows = endpoint_rows()
    bodies = request_bodies()
    assert len(bodies) >= 6  # rooms, invites, series, move: the walk found them
    for method, path, name in bodies:
        row = rows.get((method, path))
        assert row is not None, f"{method} {path} is not in docs/admin.md's endpoint table"
        for field in schemas.SCHEMAS[name]["properties"]:
            assert f'"{field}"' in row, f"{method} {path}: {name}.{field} is not in its row"
