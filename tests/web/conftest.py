"""Browser tests: Debian's Chromium driven by Playwright, against real ``hearth serve``
processes sharing one real Redis. Never ``playwright install``: the browser is the system's.

Playwright's async API, on one event loop for the session (the browser lives there); the
tests run on that loop too (``pytestmark`` in each module)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from tests.support import ServerProcess
from tests.web.people import ROOM, Person

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MEDIA_ARGS = [
    *CHROMIUM_ARGS,
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}
WAIT_MS = 8000

MakePerson = Callable[..., Awaitable[Person]]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("chromium is not installed: run `make test`, which installs it")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def media_browser() -> AsyncIterator[Browser]:
    """A second Chromium, with a fake microphone (it beeps) that needs no permission prompt,
    and audio that plays without a click: for the audio tests only."""
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("chromium is not installed: run `make test`, which installs it")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=MEDIA_ARGS
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def sam(media_browser: Browser) -> AsyncIterator[Person]:
    """Sam (for the audio tests), in the Chromium with the fake microphone. A script
    error fails the test."""
    context = await media_browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(WAIT_MS)
    person = Person(context, await context.new_page())
    person.page.on("pageerror", lambda error: person.errors.append(f"script error: {error}"))
    yield person
    await context.close()
    assert not person.errors, person.errors


@pytest.fixture
def servers(processes: Any, redis_url: str) -> tuple[ServerProcess, ServerProcess]:
    """Two ``hearth serve`` processes on one Redis, both with the guest room 'circle' open."""
    return processes(redis_url, HEARTH_DEMO_ROOM=ROOM), processes(redis_url, HEARTH_DEMO_ROOM=ROOM)


@pytest_asyncio.fixture(loop_scope="session")
async def people(browser: Browser) -> AsyncIterator[MakePerson]:
    """Makes people, each in a browser context of their own. A script error or a
    Content-Security-Policy violation on any of their pages fails the test."""
    made: list[Person] = []

    async def make(viewport: dict[str, int] = DESKTOP, **options: Any) -> Person:
        context = await browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(WAIT_MS)
        page = await context.new_page()
        person = Person(context, page)
        page.on("pageerror", lambda error: person.errors.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                person.errors.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        made.append(person)
        return person

    yield make
    errors = [error for person in made for error in person.errors]
    for person in made:
        await person.context.close()
    assert not errors, errors
