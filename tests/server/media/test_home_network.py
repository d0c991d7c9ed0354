"""Audio over a lossy home network: real aiortc peers in a network namespace of their own
call the media host in another, across a link that loses, delays and cuts off packets
(``bench.netns``; the figures for every condition are ``bench.homenet``'s)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from bench.homenet import call
from bench.netns import LOSS, OUTAGE, Link, home_network, unavailable

pytestmark = [pytest.mark.audio, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def link() -> Iterator[Link]:
    why = unavailable()
    if why is not None:
        pytest.skip(f"no network namespaces here: {why}")
    with home_network() as made:
        names = (made.home, made.router, made.hall)
        yield made
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not [name for name in names if name in listed], listed


async def test_speech_stays_clear_under_5_percent_loss_without_falling_behind(link: Link) -> None:
    """5 % of packets lost each way: lost frames are concealed by Opus on the way up and on
    the way down, the speech envelope still correlates with what was said, and the stream
    does not fall behind (aiortc's own jitter buffer stalls ~300 ms on each loss)."""
    heard = await call(link, LOSS, seconds=6)
    assert heard["connected"], heard
    assert heard["concealed_up"] > 0, heard
    assert heard["concealed_down"] > 0, heard
    assert heard["quality"] >= 0.7, heard
    assert heard["latency_ms"] < 150, heard


async def test_the_call_recovers_by_itself_after_a_2_s_outage(link: Link) -> None:
    """Every packet dropped for 2 s, both ways: afterwards the listener hears the speaker
    again within a second, with no reconnection, and the speech is clear again."""
    heard = await call(link, OUTAGE, seconds=7)
    assert heard["recovered"], heard
    assert heard["recovery_ms"] is not None, heard
    assert heard["recovery_ms"] < 1000, heard
    assert heard["quality_after"] >= 0.6, heard
