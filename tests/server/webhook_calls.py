"""Webhook tests' steps: an app that sends its webhooks to the receiver, a facilitator
seated in circle, and waiting until every webhook claimed has been delivered."""

from __future__ import annotations

from typing import Any

from rooms.identity import Role
from tests.server.scrapes import scrape, value
from tests.server.webhook_receiver import SECRET, Receiver
from tests.support import (
    Client,
    settings,
    token,
)

FACILITATOR = "Fay Larkspur"  # seated by ``facilitator``


def hooked(url: str, **overrides: Any) -> Any:
    return settings(webhook_urls=(url,), webhook_secret=SECRET, **overrides)


async def settled(
    pair: Any, fay: Any, receiver: Receiver, *, seen_by_both: bool = True
) -> tuple[dict[str, float], dict[str, float]]:
    """Until both processes have handled every webhook (with ``seen_by_both``, each has
    seen every event too): then nothing more can come. Their outcomes then."""
    for _ in range(200):
        a = await _outcomes(pair.a.url)
        b = await _outcomes(pair.b.url)
        sent = a["claimed"] + b["claimed"]
        seen_by_each = a["claimed"] + a["claimed_elsewhere"]
        handled = seen_by_each == b["claimed"] + b["claimed_elsewhere"] == sent
        if (handled or not seen_by_both) and (
            a["delivered"] + b["delivered"] == sent == len(receiver.deliveries)
        ):
            return a, b
        await fay.call("room:snapshot")
    raise AssertionError(f"the processes did not settle: {a} {b}")


async def facilitator(url: str) -> Any:
    fay = await Client(url, {"token": token(FACILITATOR, Role.FACILITATOR)}).connect()
    await fay.join("circle")
    return fay


async def _outcomes(url: str) -> dict[str, float]:
    _, samples = await scrape(url)
    names = ("claimed", "claimed_elsewhere", "delivered")
    return {o: value(samples, "hearth_webhooks_total", outcome=o) for o in names}


async def counts(url: str) -> tuple[float, float]:
    """This process's webhooks claimed and delivered so far (the counters are per Python
    process: an app in this one counts from where the tests before it left them)."""
    _, samples = await scrape(url)
    return tuple(
        value(samples, "hearth_webhooks_total", outcome=o) for o in ("claimed", "delivered")
    )  # type: ignore[return-value]


async def all_delivered(url: str, receiver: Receiver, before: tuple[float, float]) -> None:
    """Until every webhook this app claimed has reached the receiver."""
    for _ in range(200):
        claimed, delivered = await counts(url)
        if claimed - before[0] == delivered - before[1] == len(receiver.deliveries):
            return
    raise AssertionError(f"webhooks did not settle: {receiver.deliveries}")
