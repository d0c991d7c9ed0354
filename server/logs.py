"""What Hearth writes to its logs: never a token, a display name, chat text, a reason or a
client's address, and no traceback a client can cause.

The libraries under us would otherwise write all of these: aiohttp's access log line holds
the query string (where a token may be) and its error line the peer's address; Engine.IO at
INFO prints every packet (auth payloads, chat); aioice prints ICE candidate pairs (IP:port)
at INFO on every audio join; and malformed client frames reach loggers as tracebacks. So
those libraries are capped at WARNING, the access log is ours, and the two library error
lines a client can trigger are rewritten as one line without address or traceback.

Each line is one JSON object (``HEARTH_LOG_FORMAT=json``, the default outside development):
``ts``, ``level``, ``logger``, ``message``, ``pid`` and ``process`` (this process's id on
the roll), and where a line has them ``event`` (a client event's name), ``room`` (only a
public room's id), ``duration_ms``, ``code`` (an error code), and for the access log
``method``, ``path`` and ``status``. ``HEARTH_LOG_FORMAT=text`` (the default with
``HEARTH_DEV=1``) writes the same as human lines.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import ClassVar

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError

from rooms.room import RoomInfo
from server.settings import Settings
from server.socket.addresses import client_address

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What a line may carry besides its message, passed as ``extra={...}`` (never a name,
# chat text, a token or an address: ``room`` only for a public room).
FIELDS = ("event", "room", "duration_ms", "code", "method", "path", "status", "client")


def about(room: RoomInfo | None) -> dict[str, object]:
    """The ``extra`` of a line about ``room``: its id only if the room is public (listed in
    the meeting feed); nothing for any other, whose id stays out of the logs."""
    return {"room": room.room_id} if room is not None and room.public else {}


# "id": this process's id on the roll, once the app has one; "format": as configured.
_process: dict[str, str] = {}


def json_lines() -> bool:
    """Whether ``configure`` set up JSON lines (so plain prints would break the stream)."""
    return _process.get("format") == "json"


def name_process(process_id: str) -> None:
    """Every later line names this process (``hearth serve`` calls it once)."""
    _process["id"] = process_id


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a traceback, if any, is one escaped string in it."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, object] = {
            "ts": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if "id" in _process:
            entry["process"] = _process["id"]
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# Their INFO and DEBUG lines carry packets, payloads and candidate addresses; what they log
# at WARNING and above is about their own state (aiortc: a frame failed to decode).
CAPPED_LIBRARIES = ("engineio", "socketio", "aioice", "aiortc")
# Engine.IO logs these two with a traceback only when a client's packet fails to decode.
_ENGINEIO_CLIENT_ERRORS = frozenset({"post request handler error", "Unknown receive error"})


class PrivateAccessLogger(AbstractAccessLogger):
    """``"GET /path HTTP/1.1" 200 530 0.002554s``: the path without its query string
    (tokens may be there), and the client's address only if the operator opted in."""

    addresses: ClassVar[bool] = False
    trust_proxy: ClassVar[bool] = False

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        version = request.version
        # raw_path: still percent-encoded, so a path cannot break the line; no query string.
        path = request.rel_url.raw_path
        line = (
            f'"{request.method} {path} HTTP/{version.major}.{version.minor}"'
            f" {response.status} {response.body_length} {time:.6f}s"
        )
        fields: dict[str, object] = {
            "method": request.method,
            "path": path,
            "status": response.status,
            "duration_ms": round(time * 1000, 3),
        }
        if self.addresses:
            fields["client"] = client = client_address(request, self.trust_proxy)
            line = f"{client} {line}"
        self.logger.info(line, extra=fields)


def access_logger(settings: Settings) -> type[AbstractAccessLogger]:
    """aiohttp builds the access logger from a class, so the settings go on a subclass."""

    class AccessLogger(PrivateAccessLogger):
        addresses = settings.access_log_addresses
        trust_proxy = settings.trust_proxy

    return AccessLogger


class _HttpErrors(logging.Filter):
    """aiohttp's "Error handling request from <address>": never the address; and for a
    request that failed to parse (the client's doing) one line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Error handling request"):
            return True
        record.msg, record.args = "Error handling request", ()
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = f"refused a malformed HTTP request ({error.code})"
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = record.exc_text = None
            return _info_wanted()
        return True


class _EngineIOClientErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in _ENGINEIO_CLIENT_ERRORS:
            error = record.exc_info[1] if record.exc_info else None
            kind = type(error).__name__ if error else "error"
            record.msg, record.args = f"dropped a malformed Engine.IO packet ({kind})", ()
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = record.exc_text = None
            return _info_wanted()
        return True


def _info_wanted() -> bool:
    """Whether the operator's level shows INFO (the library loggers themselves are capped)."""
    return logging.getLogger().isEnabledFor(logging.INFO)


def configure(settings: Settings) -> None:
    """Set up logging for ``hearth``: our level, the libraries' caps, the rewrites."""
    level = logging.getLevelName(settings.log_level)
    handler = logging.StreamHandler()
    json_lines = settings.log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(FORMAT))
    _process["format"] = settings.log_format
    logging.basicConfig(level=level, handlers=[handler])
    for name in CAPPED_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    logging.getLogger("aiohttp.server").addFilter(_HttpErrors())
    logging.getLogger("engineio.server").addFilter(_EngineIOClientErrors())
