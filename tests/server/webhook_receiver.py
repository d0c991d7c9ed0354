"""A real HTTP receiver for webhook tests, on a loopback port, that checks each
delivery's signature the way an operator's system would (not with Hearth's code)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SECRET = "webhook-secret-that-is-long-enough-42"


def signature_ok(header: str, body: bytes, secret: str = SECRET, tolerance_s: int = 300) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    fresh = abs(time.time() - timestamp) <= tolerance_s
    return fresh and hmac.compare_digest(expected.hexdigest(), parts["v1"])


@dataclass
class Receiver:
    port: int
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(request.headers["Hearth-Signature"], body):
            return web.Response(status=400, text="bad signature")
        delivery = json.loads(body)
        assert request.headers["Hearth-Webhook-Id"] == delivery["id"]
        delivery["raw"] = body.decode()
        self.deliveries.append(delivery)
        self._arrived.set()
        return web.Response(status=204)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hooks", self._hook)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.deliveries if d["type"] == kind]

    async def wait_for(self, kind: str, match: Any = lambda _: True, within: float = 10) -> Any:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = [d for d in self.of(kind) if match(d)]
            if found:
                return found[0]
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {kind} webhook within {within}s: {self.deliveries}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                continue
