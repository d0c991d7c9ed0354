"""One frozen ``Settings``, read from the environment once at start-up.

Nothing else in Hearth reads ``os.environ``. A bad value fails at once, naming the variable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from moderation.rate_limits import Activity, Limit
from rooms.errors import InvalidPayload
from rooms.resources import Resource, parse_resources

T = TypeVar("T")

# Used only when HEARTH_DEV=1 (``make run``), so development tokens work without setup.
DEV_SECRET = "hearth-development-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    pass


def _read(env: Mapping[str, str], name: str, default: T, parse: Callable[[str], T]) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not valid: {exc}") from None


def _flag(raw: str) -> bool:
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected 1/0, true/false, yes/no or on/off")


def _positive(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _non_negative(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be 0 (off) or a positive whole number")
    return value


def _minutes(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be 0 (off) or a positive number of minutes")
    return value


GC_THRESHOLDS = (20_000, 50, 100)  # measured: docs/performance.md


def _thresholds(raw: str) -> tuple[int, int, int]:
    parts = tuple(int(p) for p in raw.split(","))
    if len(parts) != 3 or min(parts) <= 0:
        raise ValueError("three positive whole numbers, like 700,10,10 (gc.set_threshold)")
    return parts[0], parts[1], parts[2]


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(raw: str) -> str:
    if raw.upper() not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
    return raw.upper()


LOG_FORMATS = ("json", "text")


def _log_format(raw: str) -> str:
    if raw.lower() not in LOG_FORMATS:
        raise ValueError(f"expected one of {', '.join(LOG_FORMATS)}")
    return raw.lower()


def _webhook_urls(raw: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in raw.split(",") if u.strip())
    if not all(u.startswith(("https://", "http://")) for u in urls):
        raise ValueError("a comma-separated list of http(s) URLs")
    return urls


def _url(raw: str) -> str:
    if not raw.startswith(("https://", "http://")) or "#" in raw or "?" in raw:
        raise ValueError("expected a base URL like https://hearth.example.org")
    return raw.rstrip("/")


@dataclass(frozen=True, slots=True)
class IceServer:
    """A STUN or TURN server the media host offers its peers (RTCIceServer's fields)."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


def _ice_servers(raw: str) -> tuple[IceServer, ...]:
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(items, list):
        raise ValueError('expected a JSON list like [{"urls": "turn:turn.example.org:3478"}]')
    servers = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"urls", "username", "credential"}:
            raise ValueError("each ICE server is {urls, username?, credential?}")
        urls = item.get("urls")
        urls = [urls] if isinstance(urls, str) else urls
        if not urls or not all(isinstance(u, str) for u in urls):
            raise ValueError("each ICE server needs 'urls': a string or a list of strings")
        servers.append(IceServer(tuple(urls), item.get("username"), item.get("credential")))
    return tuple(servers)


def _resources_file(raw: str) -> tuple[Resource, ...]:
    """The deployment's resources: a JSON file holding a list of them."""
    try:
        with open(raw, encoding="utf-8") as file:
            return parse_resources(json.load(file))
    except OSError as exc:
        raise ValueError(f"cannot read it ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    except InvalidPayload as exc:
        raise ValueError(exc.message) from None


def _paths(raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        scheme, _, rest = origin.partition("://")
        if scheme not in {"http", "https"} or not rest or "/" in rest:
            raise ValueError("a comma-separated list of origins like https://hearth.example.org")
    return origins


def _turn_urls(raw: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in raw.split(",") if u.strip())
    if not all(u.startswith(("turn:", "turns:")) for u in urls):
        raise ValueError("a comma-separated list of turn: or turns: URLs")
    return urls


@dataclass(frozen=True, slots=True)
class Settings:
    secret: str
    dev: bool = False
    redis_url: str | None = None
    key_prefix: str = "hearth:"
    demo_room: str | None = None
    max_payload_bytes: int = 64 * 1024
    heartbeat_ms: int = 2000
    process_ttl_ms: int = 6000
    token_ttl_s: int = 12 * 3600
    redis_timeout_ms: int = 2000
    # Engine.IO pings each client every interval; one that has not answered a ping within
    # the timeout is closed. It checks each connection once per timeout, so a frozen client
    # (no FIN) is gone within interval + 2 x timeout: 14 s, not the 65 s of Engine.IO's
    # defaults (25 s / 20 s), while a slow phone network still has 5 s to answer.
    ping_interval_ms: int = 4000
    ping_timeout_ms: int = 5000
    # A WebSocket whose unsent output passes this many bytes is closed rather than buffered
    # (``server.socket.writer``); its client reconnects and resumes from the room's log.
    send_buffer_bytes: int = 1024 * 1024
    # The garbage collector (``server.collector``): start-up's heap frozen out of it, and
    # its thresholds, as chosen with ``bench/fanout.py --gc`` (docs/performance.md).
    gc_freeze: bool = True
    gc_thresholds: tuple[int, int, int] = GC_THRESHOLDS
    # uvloop's event loop for ``hearth serve`` when it is installed (the ``fast`` extra).
    uvloop: bool = True
    # On SIGTERM, how long clients get to move to another process before the rest are
    # closed and the process exits (``server.jobs.drain``).
    drain_timeout_ms: int = 20_000
    # A seat whose connection dropped is kept (away) this long for its person to come
    # back through any process; 0 frees it at once.
    away_grace_ms: int = 60_000
    log_level: str = "INFO"
    log_format: str = "json"  # one JSON object per line; "text": human lines (dev default)
    # Off: the access log holds no client addresses. Never query strings, either way.
    access_log_addresses: bool = False
    admin_token: str | None = None  # the admin API answers 503 while it is unset
    # Set: /metrics asks for "Authorization: Bearer <token>"; unset: /metrics is open
    # (keep it off the public side of the proxy).
    metrics_token: str | None = None
    scheduler_tick_ms: int = 5000
    # How often each process looks at its rooms' sharing rounds (``server.jobs.rounds``):
    # a share's warning and end come at most this late.
    round_tick_ms: int = 200
    close_when_empty_minutes: int = 0  # 0: scheduled rooms close only at their end
    public_url: str | None = None  # where people reach Hearth, for invite links and the feed
    # Behind a reverse proxy that sets X-Forwarded-For / X-Forwarded-Proto: believe its
    # rightmost X-Forwarded-For hop as the client's address and its scheme for HSTS.
    trust_proxy: bool = False
    # Per participant, per rate_window_ms; facilitators' actions are never limited.
    rate_window_ms: int = 10_000
    chat_limit: int = 10
    hand_limit: int = 10
    reaction_limit: int = 20
    report_limit: int = 5
    # Per client address (the TCP peer, or the proxy's hop with trust_proxy), so many
    # connections or keyless guests from one address share limits; facilitators and
    # admins are never limited. Connections are counted per process; join attempts and
    # activities on the shared store (every process alike).
    connections_per_address: int = 50
    join_attempts_per_address: int = 30  # per rate_window_ms
    # Engine.IO handshakes per rate_window_ms, per process; beyond it HTTP 429. Room for a
    # whole meeting behind one NAT to reconnect at once (twice connections_per_address).
    handshakes_per_address: int = 100
    # A refused handshake's 429 is held back this long (never past the block's end), so a
    # script that ignores Retry-After cannot ask again at once; at most
    # connections_per_address of one address and held_refusals in all are held at a time.
    refusal_delay_ms: int = 1000
    held_refusals: int = 1000
    address_rate_factor: int = 5  # an address may do this many participants' activity
    # A connection refused with rate_limited more often than this in one rate window is
    # closed (session:ended), and its address may not connect again until the window ends.
    refusals_before_disconnect: int = 20
    # An address ended again within a window of its block's end is blocked twice as long,
    # up to this many windows.
    max_block_windows: int = 6
    # Browser pages allowed to connect besides the server's own origin and public_url.
    allowed_origins: tuple[str, ...] = ()
    audit_retention_days: int = 30
    audit_max_entries: int = 10_000
    # Empty: host candidates only (loopback, one LAN). Production: a TURN server.
    ice_servers: tuple[IceServer, ...] = ()
    media_lease_ms: int = 6000
    # A TURN server with a shared secret (coturn's use-auth-secret): browsers get
    # short-lived credentials made from it; the secret itself never leaves the server.
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl_s: int = 6 * 3600
    # The deployment's resources (``rooms.resources``) until an admin sets a list through
    # the API (``rooms.resources.deployment_list``), a room's or series' own list replacing
    # them; the crisis ones are what someone asking for support sees.
    resources: tuple[Resource, ...] = ()
    # Ed25519 keys (PEM files) for attendance verifications: the first signs, the others
    # (earlier keys, a private or only a public key) still verify. Empty: verifications off.
    attendance_keys: tuple[str, ...] = ()
    attendance_min_minutes: int = 30  # present this long (or near the end) to ask for one
    # Signed webhooks (``server.ops.webhooks``): where to post, and the HMAC key.
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str | None = None
    webhook_attempts: int = 8
    webhook_retry_ms: int = 1000  # the first retry's wait; each next one doubles

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise SettingsError(f"HEARTH_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        if self.process_ttl_ms < 2 * self.heartbeat_ms:
            raise SettingsError("HEARTH_PROCESS_TTL_MS must be at least twice HEARTH_HEARTBEAT_MS")
        if bool(self.webhook_urls) != bool(self.webhook_secret):
            raise SettingsError("set HEARTH_WEBHOOK_URLS and HEARTH_WEBHOOK_SECRET together")
        if "{" in self.key_prefix or "}" in self.key_prefix:
            # It would become every key's Redis Cluster hash tag: one slot for everything.
            raise SettingsError("HEARTH_KEY_PREFIX may not hold '{' or '}'")
        if bool(self.turn_urls) != bool(self.turn_secret):
            raise SettingsError("set HEARTH_TURN_URLS and HEARTH_TURN_SECRET together")
        for name, token in (
            ("HEARTH_ADMIN_TOKEN", self.admin_token),
            ("HEARTH_METRICS_TOKEN", self.metrics_token),
            ("HEARTH_WEBHOOK_SECRET", self.webhook_secret),
        ):
            if token is not None and len(token) < MIN_SECRET_LENGTH:
                raise SettingsError(f"{name} must be at least {MIN_SECRET_LENGTH} characters")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        dev = _read(env, "HEARTH_DEV", False, _flag)
        secret = env.get("HEARTH_SECRET") or (DEV_SECRET if dev else "")
        if not secret:
            raise SettingsError("HEARTH_SECRET is not set (or set HEARTH_DEV=1 for development)")
        return cls(
            secret=secret,
            dev=dev,
            redis_url=env.get("REDIS_URL") or None,
            key_prefix=env.get("HEARTH_KEY_PREFIX") or "hearth:",
            demo_room=env.get("HEARTH_DEMO_ROOM") or None,
            max_payload_bytes=_read(env, "HEARTH_MAX_PAYLOAD_BYTES", 64 * 1024, _positive),
            heartbeat_ms=_read(env, "HEARTH_HEARTBEAT_MS", 2000, _positive),
            process_ttl_ms=_read(env, "HEARTH_PROCESS_TTL_MS", 6000, _positive),
            token_ttl_s=_read(env, "HEARTH_TOKEN_TTL_S", 12 * 3600, _positive),
            redis_timeout_ms=_read(env, "HEARTH_REDIS_TIMEOUT_MS", 2000, _positive),
            ping_interval_ms=_read(env, "HEARTH_PING_INTERVAL_MS", 4000, _positive),
            ping_timeout_ms=_read(env, "HEARTH_PING_TIMEOUT_MS", 5000, _positive),
            send_buffer_bytes=_read(env, "HEARTH_SEND_BUFFER_BYTES", 1024 * 1024, _positive),
            gc_freeze=_read(env, "HEARTH_GC_FREEZE", True, _flag),
            gc_thresholds=_read(env, "HEARTH_GC_THRESHOLDS", GC_THRESHOLDS, _thresholds),
            uvloop=_read(env, "HEARTH_UVLOOP", True, _flag),
            drain_timeout_ms=_read(env, "HEARTH_DRAIN_TIMEOUT_MS", 20_000, _positive),
            away_grace_ms=_read(env, "HEARTH_AWAY_GRACE_MS", 60_000, _non_negative),
            log_level=_read(env, "HEARTH_LOG_LEVEL", "INFO", _log_level),
            log_format=_read(env, "HEARTH_LOG_FORMAT", "text" if dev else "json", _log_format),
            access_log_addresses=_read(env, "HEARTH_ACCESS_LOG_ADDRESSES", False, _flag),
            admin_token=env.get("HEARTH_ADMIN_TOKEN") or None,
            metrics_token=env.get("HEARTH_METRICS_TOKEN") or None,
            scheduler_tick_ms=_read(env, "HEARTH_SCHEDULER_TICK_MS", 5000, _positive),
            round_tick_ms=_read(env, "HEARTH_ROUND_TICK_MS", 200, _positive),
            close_when_empty_minutes=_read(env, "HEARTH_CLOSE_WHEN_EMPTY_MINUTES", 0, _minutes),
            public_url=_read(env, "HEARTH_PUBLIC_URL", None, _url),
            trust_proxy=_read(env, "HEARTH_TRUST_PROXY", False, _flag),
            rate_window_ms=_read(env, "HEARTH_RATE_WINDOW_MS", 10_000, _positive),
            chat_limit=_read(env, "HEARTH_CHAT_LIMIT", 10, _positive),
            hand_limit=_read(env, "HEARTH_HAND_LIMIT", 10, _positive),
            reaction_limit=_read(env, "HEARTH_REACTION_LIMIT", 20, _positive),
            report_limit=_read(env, "HEARTH_REPORT_LIMIT", 5, _positive),
            connections_per_address=_read(env, "HEARTH_CONNECTIONS_PER_ADDRESS", 50, _positive),
            join_attempts_per_address=_read(env, "HEARTH_JOIN_ATTEMPTS_PER_ADDRESS", 30, _positive),
            handshakes_per_address=_read(env, "HEARTH_HANDSHAKES_PER_ADDRESS", 100, _positive),
            refusal_delay_ms=_read(env, "HEARTH_REFUSAL_DELAY_MS", 1000, _non_negative),
            held_refusals=_read(env, "HEARTH_HELD_REFUSALS", 1000, _positive),
            address_rate_factor=_read(env, "HEARTH_ADDRESS_RATE_FACTOR", 5, _positive),
            refusals_before_disconnect=_read(
                env, "HEARTH_REFUSALS_BEFORE_DISCONNECT", 20, _positive
            ),
            max_block_windows=_read(env, "HEARTH_MAX_BLOCK_WINDOWS", 6, _positive),
            allowed_origins=_read(env, "HEARTH_ALLOWED_ORIGINS", (), _origins),
            audit_retention_days=_read(env, "HEARTH_AUDIT_RETENTION_DAYS", 30, _positive),
            audit_max_entries=_read(env, "HEARTH_AUDIT_MAX_ENTRIES", 10_000, _positive),
            ice_servers=_read(env, "HEARTH_ICE_SERVERS", (), _ice_servers),
            media_lease_ms=_read(env, "HEARTH_MEDIA_LEASE_MS", 6000, _positive),
            turn_urls=_read(env, "HEARTH_TURN_URLS", (), _turn_urls),
            turn_secret=env.get("HEARTH_TURN_SECRET") or None,
            turn_ttl_s=_read(env, "HEARTH_TURN_TTL_S", 6 * 3600, _positive),
            resources=_read(env, "HEARTH_RESOURCES_FILE", (), _resources_file),
            attendance_keys=_read(env, "HEARTH_ATTENDANCE_KEYS", (), _paths),
            attendance_min_minutes=_read(env, "HEARTH_ATTENDANCE_MIN_MINUTES", 30, _non_negative),
            webhook_urls=_read(env, "HEARTH_WEBHOOK_URLS", (), _webhook_urls),
            webhook_secret=env.get("HEARTH_WEBHOOK_SECRET") or None,
            webhook_attempts=_read(env, "HEARTH_WEBHOOK_ATTEMPTS", 8, _positive),
            webhook_retry_ms=_read(env, "HEARTH_WEBHOOK_RETRY_MS", 1000, _positive),
        )

    def limit(self, activity: Activity) -> Limit:
        counts = {
            Activity.CHAT: self.chat_limit,
            Activity.HAND: self.hand_limit,
            Activity.REACTION: self.reaction_limit,
            Activity.REPORT: self.report_limit,
        }
        return Limit(counts[activity], self.rate_window_ms)

    def address_limit(self, activity: Activity) -> Limit:
        """The limit for everyone at one address together."""
        return Limit(self.limit(activity).count * self.address_rate_factor, self.rate_window_ms)

    @property
    def join_limit(self) -> Limit:
        return Limit(self.join_attempts_per_address, self.rate_window_ms)

    @property
    def audit_retention_ms(self) -> int:
        return self.audit_retention_days * 24 * 3600 * 1000
