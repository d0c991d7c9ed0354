"""The bounds of the wire, shared by the Socket.IO payloads and the admin API."""

from __future__ import annotations

MAX_ID = 2**53  # the largest integer every JSON client reads exactly
MAX_AUDIT_ENTRIES = 500  # entries one audit read returns at most
DEFAULT_AUDIT_ENTRIES = 100
MAX_SDP_LENGTH = 32 * 1024  # an audio offer, every ICE candidate included
