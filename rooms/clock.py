"""The clock the domain is handed: one instant, seen as an aware datetime or as epoch ms.

Rules never read the time; the adapter asks one clock and passes ``now`` in. The same
clock object drives the hub, presence, the admin actions and the scheduler, so a test
that holds or moves it sees every part of the server agree on the hour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...

    def ms(self) -> int:
        """The same instant in milliseconds since the epoch."""
        ...
