"""Fixtures for the server tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.server.webhook_receiver import Receiver
from tests.support import free_port


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real webhook receiver on a loopback port (``webhook_receiver``)."""
    made = await Receiver(free_port()).start()
    yield made
    await made.stop()
