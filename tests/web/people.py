"""A person in front of Chromium: one browser context each, driven the way people use the
page (labels, roles and keys), with what they see read back from the screen."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Locator, Page, WebSocketRoute, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "web_client" / "node_modules" / "axe-core" / "axe.min.js"
ROOM = "circle"


@dataclass
class Person:
    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    async def open(self, server_url: str, token: str | None = None, room: str = ROOM) -> Person:
        fragment = f"#token={token}" if token else ""
        await self.page.goto(f"{server_url}/?room={room}{fragment}")
        return self

    async def ask_to_join(self, name: str | None = None) -> None:
        if name is not None:
            await self.page.get_by_label("Your first name").fill(name)
        await self.page.get_by_role("button", name="Continue").click()
        await expect(self.page.get_by_role("heading", name="Room guidelines")).to_be_visible()

    async def ask_to_join_refused(self, name: str | None = None) -> None:
        """Ask to join where the door says no: the refusal shows on the join form."""
        if name is not None:
            await self.page.get_by_label("Your first name").fill(name)
        await self.page.get_by_role("button", name="Continue").click()
        await expect(self.page.locator("#join-error")).not_to_be_empty()

    async def consent_and_enter(self) -> None:
        await self.page.get_by_label("I have read the guidelines and agree to follow them").check()
        await self.page.get_by_role("button", name="Enter the room").click()
        await expect(self.page.locator("#room-view")).to_be_visible()
        await expect(self.status).to_have_text("Connected")

    async def join(self, name: str | None = None) -> None:
        await self.ask_to_join(name)
        await self.consent_and_enter()

    async def open_chat(self) -> bool:
        """Open the chat panel if it is closed (a drawer at phone width, closed there);
        True if it was closed."""
        toggle = self.page.locator("#chat-toggle")
        closed = await toggle.get_attribute("aria-expanded") == "false"
        if closed:
            await toggle.click()
        await expect(self.page.get_by_label("Message", exact=True)).to_be_visible()
        return closed

    async def close_chat(self) -> None:
        await self.page.locator("#chat-toggle").click()
        await expect(self.page.locator("#chat-toggle")).to_have_attribute("aria-expanded", "false")

    async def say(self, text: str) -> None:
        """Send a message, as someone would: opening the chat drawer on a phone, and
        closing it again after."""
        opened = await self.open_chat()
        await self.page.get_by_label("Message", exact=True).fill(text)
        await self.page.get_by_role("button", name="Send", exact=True).click()
        await expect(self.page.get_by_label("Message", exact=True)).to_have_value("")
        if opened:
            await self.close_chat()

    @property
    def status(self) -> Locator:
        return self.page.locator("#connection")

    @property
    def chat_texts(self) -> Locator:
        return self.page.locator("#chat .message-text")

    @property
    def roster(self) -> Locator:
        return self.page.locator("#roster > li")

    @property
    def hand_queue(self) -> Locator:
        return self.page.locator("#hands > li .name")

    async def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # The room is an app layout with a header and a control bar that stay in view: a
        # shot of the screen shows it as people see it; other views are whole pages.
        room = await self.page.evaluate("document.body.dataset.view === 'room-view'")
        await self.page.screenshot(path=str(path), full_page=not room)
        return path

    @property
    def action_status(self) -> Locator:
        """What the server confirmed (or refused) of the last thing this person asked."""
        return self.page.locator("#action-status")

    @property
    def waiting_position(self) -> Locator:
        return self.page.locator("#waiting-position")

    @property
    def announcer(self) -> Locator:
        return self.page.locator("#announcer")

    @property
    def tools(self) -> Locator:
        return self.page.get_by_role("region", name="Facilitator tools")

    async def member_id(self, name: str) -> str:
        """A person's id in the room, as this page's roster holds it."""
        row = self.roster.filter(has_text=name)
        return str(await row.get_attribute("data-member"))

    async def choose(self, member: str, option: str) -> None:
        """Open a person's options in the roster and choose one."""
        row = self.roster.filter(has_text=member)
        details = row.locator("details")
        if not await details.evaluate("d => d.open"):
            await row.get_by_text(f"Options for {member}").click()
        await row.get_by_role("button", name=option, exact=True).click()

    async def message_option(self, author: str, option: str) -> None:
        """Open the menu of a message by ``author`` and choose one of its options."""
        opened = await self.open_chat()
        await self.page.get_by_text(f"Options for {author}'s message").click()
        await self.page.get_by_role("button", name=f"{option} {author}'s message").click()
        if opened and not await self.page.get_by_role("dialog").is_visible():
            await self.close_chat()

    async def confirm(self, button: str, reason: str = "") -> None:
        """Answer the confirmation dialog, with a reason."""
        dialog = self.page.get_by_role("dialog")
        await expect(dialog).to_be_visible()
        if reason:
            await dialog.get_by_label("Reason (optional)").fill(reason)
        await dialog.get_by_role("button", name=button, exact=True).click()
        await expect(dialog).to_be_hidden()


class PageSocket:
    """The page's own Socket.IO connection, reached as a script in the page's console
    could: a frame sent here goes to the server from the page's seat, and its ack comes
    back here instead of to the page. Install with ``page.route_web_socket`` before the
    page connects."""

    FIRST_ID = 90_000

    def __init__(self) -> None:
        self.server: WebSocketRoute | None = None
        self.acks: dict[int, Any] = {}
        self.next_id = self.FIRST_ID

    def route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        self.server = server

        def deliver(message: str | bytes) -> None:
            ack = re.match(r"^43(\d+)(\[.*)$", message, re.S) if isinstance(message, str) else None
            if ack and int(ack[1]) >= self.FIRST_ID:
                self.acks[int(ack[1])] = json.loads(ack[2])[0]
                return
            ws.send(message)

        server.on_message(deliver)

    async def call(self, event: str, payload: Any) -> Any:
        ack_id = self.next_id
        self.next_id += 1
        for _ in range(100):
            if self.server is not None:
                break
            await asyncio.sleep(0.05)
        assert self.server is not None, "the page never opened a WebSocket"
        self.server.send(f"42{ack_id}{json.dumps([event, payload])}")
        for _ in range(100):
            if ack_id in self.acks:
                return self.acks.pop(ack_id)
            await asyncio.sleep(0.05)
        raise AssertionError(f"no ack for {event}")


async def tab_to(page: Page, target: Locator, most: int = 60, key: str = "Tab") -> None:
    """Press Tab (or ``key``: "Shift+Tab") until ``target`` has focus, which must then be
    visible: its focus ring drawn."""
    for _ in range(most):
        if await target.evaluate("e => e === document.activeElement"):
            outline = await target.evaluate("e => getComputedStyle(e).outlineStyle")
            assert outline != "none", "focus is not visible"
            return
        await page.keyboard.press(key)
    raise AssertionError(f"{target} is not reachable with {key}")


BLOCKING = {"serious", "critical"}


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; serious and critical violations only.

    The script is evaluated through the DevTools protocol, which the page's CSP does not
    govern, so the page keeps its strict policy while being checked."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())
    result = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    return [v for v in result if v["impact"] in BLOCKING]


async def check_view(person: Person, name: str) -> None:
    await person.screenshot(name)
    assert await axe_violations(person.page) == [], name
    fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert await person.page.evaluate(fits), f"{name} scrolls sideways"
    assert await person.page.evaluate(STILL) == [], f"{name} moves though reduced motion is asked"


# With reduced motion asked for, nothing on the page animates or transitions.
STILL = """() => !matchMedia('(prefers-reduced-motion: reduce)').matches ? [] :
  [...document.querySelectorAll('*')].flatMap((node) => ['', '::before', '::after'].map((part) => {
    const s = getComputedStyle(node, part || null);
    const moving = s.animationName !== 'none'
      || s.transitionDuration.split(',').some((d) => parseFloat(d) > 0);
    return moving ? `${node.tagName.toLowerCase()}#${node.id}${part}` : null;
  })).filter(Boolean)"""
