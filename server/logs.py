"""What Hearth writes to its logs: never a token, a display name, chat text, a reason or a
client's address, and no traceback a client can cause.

The libraries under us would otherwise write all of these: aiohttp's access log line holds
the query string (where a token may be) and its error line the peer's address; Engine.IO at
INFO prints every packet (auth payloads, chat); aioice prints ICE candidate pairs (IP:port)
at INFO on every audio join; and malformed client frames reach loggers as tracebacks. So
those libraries are capped at WARNING, the access log is ours, and the two library error
lines a client can trigger are rewritten as one line without address or traceback.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError

from server.settings import Settings
from server.socket.addresses import client_address

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
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
        line = (
            f'"{request.method} {request.rel_url.raw_path} HTTP/{version.major}.{version.minor}"'
            f" {response.status} {response.body_length} {time:.6f}s"
        )
        if self.addresses:
            line = f"{client_address(request, self.trust_proxy)} {line}"
        self.logger.info(line)


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
    logging.basicConfig(level=level, format=FORMAT)
    for name in CAPPED_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    logging.getLogger("aiohttp.server").addFilter(_HttpErrors())
    logging.getLogger("engineio.server").addFilter(_EngineIOClientErrors())
