"""``hearth doctor``: checks a deployment's settings and its Redis, and says what to fix.

Each check is a finding: ``ok``, ``note`` (worth knowing, nothing wrong) or ``fix`` (with
what to do). The command exits 1 when anything needs fixing, so a deploy script can stop.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from server.settings import DEV_SECRET, Settings
from server.stores.redis_client import connect

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
MIN_DISTINCT_CHARACTERS = 16  # a random 32+ character secret has far more


class Level(StrEnum):
    OK = "ok"
    NOTE = "note"
    FIX = "fix"


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    subject: str
    text: str

    def line(self) -> str:
        return f"{self.level.upper():<4}  {self.subject}: {self.text}"


def _secret(settings: Settings) -> Finding:
    if settings.secret == DEV_SECRET:
        return Finding(
            Level.FIX,
            "secret",
            "the built-in development secret (HEARTH_DEV=1) signs tokens: "
            "set HEARTH_SECRET to a random value, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'",
        )
    if len(set(settings.secret)) < MIN_DISTINCT_CHARACTERS:
        return Finding(
            Level.FIX,
            "secret",
            "HEARTH_SECRET looks guessable (few distinct characters): generate a random one",
        )
    return Finding(Level.OK, "secret", "HEARTH_SECRET is long and varied")


MIN_REDIS_MAJOR = 7


async def _redis(settings: Settings) -> list[Finding]:
    if not settings.redis_url:
        return [
            Finding(
                Level.NOTE,
                "store",
                "embedded (no REDIS_URL): one process, and rooms, "
                "schedules and bans are lost on restart",
            )
        ]
    timeout = settings.redis_timeout_ms / 1000
    redis = connect(settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        try:
            await asyncio.wait_for(redis.ping(), timeout)
        except Exception as error:
            return [
                Finding(
                    Level.FIX,
                    "redis",
                    f"REDIS_URL is unreachable ({type(error).__name__}): "
                    "check the address, the password and the firewall",
                )
            ]
        version = _text((await redis.info("server")).get("redis_version", "?"))
        answers = f"answers within {settings.redis_timeout_ms} ms (Redis {version})"
        found = [Finding(Level.OK, "redis", answers)]
        if version.split(".")[0].isdigit() and int(version.split(".")[0]) < MIN_REDIS_MAJOR:
            found.append(
                Finding(
                    Level.FIX,
                    "redis",
                    f"Redis {version} is too old: Hearth needs {MIN_REDIS_MAJOR} or later "
                    "(a room's events travel on sharded pub/sub, SPUBLISH)",
                )
            )
        try:
            config = await redis.config_get("appendonly")
        except Exception:
            found.append(
                Finding(
                    Level.NOTE,
                    "persistence",
                    "CONFIG is not allowed here: make sure your "
                    "provider keeps an append-only file (appendonly yes)",
                )
            )
            return found
        if _text(config.get("appendonly")) != "yes":
            found.append(
                Finding(
                    Level.FIX,
                    "persistence",
                    "Redis keeps no append-only file: rooms, "
                    "schedules and bans are lost if it restarts; set appendonly yes "
                    "(and appendfsync everysec or always)",
                )
            )
        else:
            found.append(Finding(Level.OK, "persistence", "append-only file on"))
        return found
    finally:
        await redis.aclose()


def _text(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _public_url(settings: Settings) -> Finding:
    url = settings.public_url
    if url is None:
        return Finding(
            Level.FIX,
            "public URL",
            "HEARTH_PUBLIC_URL is unset: invite links are relative "
            "and the meeting feed has no conference_url; set it to the address people open",
        )
    host = urlsplit(url).hostname or ""
    if url.startswith("http://") and host not in LOCAL_HOSTS:
        return Finding(
            Level.FIX,
            "public URL",
            f"{url} is plain HTTP: browsers need HTTPS for audio, and "
            "tokens would cross the network in clear; put TLS in front",
        )
    return Finding(Level.OK, "public URL", url)


def _turn(settings: Settings) -> Finding:
    urls = settings.turn_urls or tuple(
        u for server in settings.ice_servers for u in server.urls if u.startswith("turn")
    )
    if not urls:
        return Finding(
            Level.NOTE,
            "TURN",
            "none configured: audio works only where browsers reach the "
            "server's UDP ports directly; set HEARTH_TURN_URLS and HEARTH_TURN_SECRET",
        )
    unresolved = [u for u in urls if not _resolves(u)]
    if unresolved:
        return Finding(
            Level.FIX, "TURN", f"cannot resolve {', '.join(unresolved)}: check the host names"
        )
    return Finding(Level.OK, "TURN", ", ".join(urls))


def _resolves(turn_url: str) -> bool:
    rest = turn_url.split(":", 1)[1].split("?", 1)[0]
    host = rest.rsplit(":", 1)[0] if rest.count(":") == 1 else rest
    try:
        socket.getaddrinfo(host.strip("[]"), None)
    except OSError:
        return False
    return True


def _origins(settings: Settings) -> Finding:
    plain = [
        o
        for o in settings.allowed_origins
        if o.startswith("http://") and (urlsplit(o).hostname or "") not in LOCAL_HOSTS
    ]
    if plain:
        return Finding(
            Level.FIX, "allowed origins", f"plain-HTTP origins may connect: {', '.join(plain)}"
        )
    if not settings.allowed_origins:
        return Finding(
            Level.OK, "allowed origins", "only the server's own origin and its public URL"
        )
    return Finding(Level.OK, "allowed origins", ", ".join(settings.allowed_origins))


def _tokens(settings: Settings) -> list[Finding]:
    found = []
    if settings.admin_token is None:
        found.append(Finding(Level.NOTE, "admin API", "off (HEARTH_ADMIN_TOKEN unset)"))
    if settings.metrics_token is None:
        found.append(
            Finding(
                Level.NOTE,
                "metrics",
                "/metrics is open (HEARTH_METRICS_TOKEN unset): keep it "
                "off the public side of your proxy",
            )
        )
    return found


async def examine(settings: Settings) -> list[Finding]:
    """Every finding about this deployment, in the order they are printed."""
    return [
        _secret(settings),
        *await _redis(settings),
        _public_url(settings),
        _turn(settings),
        _origins(settings),
        *_tokens(settings),
    ]
