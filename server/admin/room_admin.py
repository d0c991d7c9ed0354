"""What an admin can do, whatever the door: the REST API and the ``hearth`` CLI both call
these. Rooms and series are defined here; the scheduler carries the schedules out.

Edits are read-modify-write on one definition: two admins editing one series at the same
moment, the last write wins.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from moderation.audit import AuditEntry
from moderation.ports import AuditLog
from rooms.clock import Clock
from rooms.errors import ErrorCode, HearthError, InvalidPayload, RoomNotFound
from rooms.identity import Role, clean_display_name
from rooms.ports import Definitions, RoomStates
from rooms.resources import Resource, deployment_list
from rooms.room import RoomInfo
from rooms.schedule import Occurrence, Series
from server import tokens
from server.clock import SYSTEM_CLOCK
from server.settings import Settings

INVITE_ROLES = (Role.PARTICIPANT, Role.FACILITATOR)
MAX_INVITE_TTL_S = 366 * 24 * 3600
DEV_BASE_URL = "http://localhost:8080"  # where `make run` serves


def link_base(settings: Settings, dev_origin: str | None = None) -> str | None:
    """The base of absolute links (invites, the feed's ``conference_url``):
    HEARTH_PUBLIC_URL, or in dev mode the request's origin (else ``make run``'s address).
    Otherwise None: a request's Host header is the sender's to choose, and a link built from
    it could send members to an attacker's site carrying their invite token."""
    if settings.public_url:
        return settings.public_url
    if settings.dev:
        return dev_origin or DEV_BASE_URL
    return None


def room_link(room_id: str, base: str | None, token: str | None = None) -> str:
    """A link to a room, relative to the site when there is no trusted base."""
    fragment = f"#token={token}" if token is not None else ""
    return f"{base or ''}/?room={room_id}{fragment}"


class AlreadyExists(HearthError):
    code = ErrorCode.ALREADY_EXISTS


class SeriesNotFound(HearthError):
    code = ErrorCode.SERIES_NOT_FOUND


class NotOpen(HearthError):
    code = ErrorCode.ROOM_NOT_OPEN


@dataclass(frozen=True, slots=True)
class RoomView:
    info: RoomInfo
    open: bool
    participants: int  # seats taken, on every process


@dataclass(frozen=True, slots=True)
class Invite:
    room_id: str
    role: Role
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class DeploymentResources:
    resources: tuple[Resource, ...]
    set_by_admin: bool  # else the configured list (HEARTH_RESOURCES_FILE), or none


class Rooms(RoomStates, Definitions, AuditLog, Protocol):
    """What an admin reaches: rooms, their definitions and schedules, the audit log."""


class RoomAdmin:
    def __init__(
        self,
        store: Rooms,
        settings: Settings,
        clock: Clock,
        on_opened: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.on_opened = on_opened  # told the id of each room this opens (webhooks)

    async def _defined(self, room_id: str) -> RoomInfo:
        for info in await self.store.rooms():
            if info.room_id == room_id:
                return info
        raise RoomNotFound(f"there is no room {room_id!r}")

    async def _view(self, info: RoomInfo) -> RoomView:
        try:
            state = await self.store.snapshot(info.room_id)
        except RoomNotFound:
            return RoomView(info, open=False, participants=0)
        return RoomView(info, open=True, participants=len(state.members))

    async def list_rooms(self) -> list[RoomView]:
        return [await self._view(info) for info in await self.store.rooms()]

    async def room(self, room_id: str) -> RoomView:
        return await self._view(await self._defined(room_id))

    async def create_room(self, info: RoomInfo) -> RoomView:
        if any(r.room_id == info.room_id for r in await self.store.rooms()):
            raise AlreadyExists(f"room {info.room_id!r} already exists")
        await self.store.define_room(replace(info, series_id=None))
        return await self.room(info.room_id)

    async def update_room(self, info: RoomInfo) -> RoomView:
        """New settings; the link to a series is the series' business and is kept."""
        current = await self._defined(info.room_id)
        await self.store.define_room(replace(info, series_id=current.series_id))
        return await self.room(info.room_id)

    async def delete_room(self, room_id: str) -> None:
        info = await self._defined(room_id)
        if info.series_id is not None:
            raise AlreadyExists(f"room {room_id!r} is scheduled by series {info.series_id!r}")
        await self.close_room(room_id, missing_ok=True)
        await self.store.delete_room(room_id)

    async def open_room(self, room_id: str) -> RoomView:
        opened = await self.store.open_room(await self._defined(room_id))
        if opened and self.on_opened is not None:
            self.on_opened(room_id)
        return await self.room(room_id)

    async def close_room(self, room_id: str, *, missing_ok: bool = False) -> None:
        """Close now: everyone is told and the chat is deleted."""
        try:
            await self.store.close_room(room_id)
        except RoomNotFound:
            if not missing_ok:
                await self._defined(room_id)
                raise NotOpen(f"room {room_id!r} is not open") from None

    async def audit(self, room_id: str, limit: int) -> list[AuditEntry]:
        """The room's audit log within the retention period, newest first."""
        await self._defined(room_id)
        # The hub stamps entries with this same clock.
        since = self.clock.ms() - self.settings.audit_retention_ms
        return await self.store.audit_log(room_id, since=since, limit=limit)

    async def invite(self, room_id: str, role: Role, name: str, ttl_s: int | None) -> Invite:
        await self._defined(room_id)
        if role not in INVITE_ROLES:
            raise InvalidPayload("an invite is for a participant or a facilitator")
        ttl = ttl_s if ttl_s is not None else self.settings.token_ttl_s
        if not 1 <= ttl <= MAX_INVITE_TTL_S:
            raise InvalidPayload(f"ttl_s must be between 1 and {MAX_INVITE_TTL_S}")
        # Not the injected clock: PyJWT checks a token's expiry against the system's
        # time, so it is minted by that time too.
        now = SYSTEM_CLOCK.ms() // 1000
        token = tokens.mint(
            self.settings,
            subject=f"invite:{uuid.uuid4().hex}",
            name=clean_display_name(name),
            role=role,
            rooms=[room_id],
            ttl_s=ttl,
            now=now,
        )
        expires = datetime.fromtimestamp(now + ttl, UTC)
        return Invite(room_id, role, token, expires)

    async def list_series(self) -> list[Series]:
        return await self.store.all_series()

    async def series(self, series_id: str) -> Series:
        series = await self.store.series(series_id)
        if series is None:
            raise SeriesNotFound(f"there is no series {series_id!r}")
        return series

    async def create_series(self, series: Series) -> Series:
        series.check_horizon(self.clock.now())
        if await self.store.series(series.series_id) is not None:
            raise AlreadyExists(f"series {series.series_id!r} already exists")
        room = await self._defined(series.room_id)
        if room.series_id is not None:
            raise AlreadyExists(f"room {room.room_id!r} already follows {room.series_id!r}")
        await self.store.save_series(series)
        await self.store.define_room(replace(room, series_id=series.series_id))
        return series

    async def update_series(self, series: Series) -> Series:
        series.check_horizon(self.clock.now())
        current = await self.series(series.series_id)
        if series.room_id != current.room_id:
            raise InvalidPayload("a series keeps its room: delete it and create a new one")
        await self.store.save_series(series)
        return series

    async def delete_series(self, series_id: str) -> None:
        series = await self.series(series_id)
        await self.store.delete_series(series_id)
        try:
            room = await self._defined(series.room_id)
        except RoomNotFound:
            return
        if room.series_id == series_id:
            await self.store.define_room(replace(room, series_id=None))

    async def skip(self, series_id: str, occurrence: str) -> Series:
        return await self._save((await self.series(series_id)).skip(occurrence))

    async def move(self, series_id: str, occurrence: str, starts: str) -> Series:
        return await self._save((await self.series(series_id)).move(occurrence, starts))

    async def _save(self, series: Series) -> Series:
        series.check_exceptions(self.clock.now())
        await self.store.save_series(series)
        return series

    def upcoming(self, series: Series, count: int = 5) -> list[Occurrence]:
        return series.upcoming(self.clock.now(), count)

    async def deployment_resources(self) -> DeploymentResources:
        """The deployment's resources people see (``rooms.resources.deployment_list``)."""
        kept = await self.store.deployment_resources()
        listed = deployment_list(kept, self.settings.resources)
        return DeploymentResources(listed, set_by_admin=kept is not None)

    async def set_deployment_resources(
        self, resources: tuple[Resource, ...] | None
    ) -> DeploymentResources:
        """Replace the deployment's resources for every process; ``None`` goes back to
        the configured list."""
        await self.store.save_deployment_resources(resources)
        return await self.deployment_resources()
