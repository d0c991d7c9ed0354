"""A person in front of Chromium: one browser context each, driven the way people use the
page (labels, roles and keys), with what they see read back from the screen."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import BrowserContext, Locator, Page, expect

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

    async def consent_and_enter(self) -> None:
        await self.page.get_by_label("I have read the guidelines and agree to follow them").check()
        await self.page.get_by_role("button", name="Enter the room").click()
        await expect(self.page.locator("#room-view")).to_be_visible()
        await expect(self.status).to_have_text("Connected")

    async def join(self, name: str | None = None) -> None:
        await self.ask_to_join(name)
        await self.consent_and_enter()

    async def say(self, text: str) -> None:
        await self.page.get_by_label("Message").fill(text)
        await self.page.get_by_role("button", name="Send").click()
        await expect(self.page.get_by_label("Message")).to_have_value("")

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
        await self.page.screenshot(path=str(path), full_page=True)
        return path
