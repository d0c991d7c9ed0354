"""The system's wall clock, the one production passes to every part of the server."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def ms(self) -> int:
        return int(time.time() * 1000)


SYSTEM_CLOCK = SystemClock()
