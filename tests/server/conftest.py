"""Fixtures for the server tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.server.chaos import Person
from tests.server.webhook_receiver import Receiver
from tests.support import free_port


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real webhook receiver on a loopback port (``webhook_receiver``)."""
    made = await Receiver(free_port()).start()
    yield made
    await made.stop()


@pytest.fixture
async def people() -> AsyncIterator[list[Person]]:
    """A chaos test's people (``chaos.Person``); every connection they still hold is closed
    at the end."""
    made: list[Person] = []
    yield made
    for person in made:
        if person.client.sio.connected:
            await person.client.close()
