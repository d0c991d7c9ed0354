"""docs/admin.md names every field of every request body the admin API takes (the
OpenAPI schemas are the source), so a new field cannot go undocumented."""

from __future__ import annotations

from pathlib import Path

from server.admin import schemas

DOC = Path(__file__).resolve().parents[2] / "docs" / "admin.md"
REQUESTS = ("RoomCreate", "RoomUpdate", "InviteRequest", "SeriesCreate", "SeriesUpdate")


def test_admin_md_names_every_field_of_every_request_body() -> None:
    doc = DOC.read_text()
    for name in REQUESTS:
        for field in schemas.SCHEMAS[name]["properties"]:
            assert f'"{field}"' in doc, f"{name}.{field} is not in docs/admin.md"
