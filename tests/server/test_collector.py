"""The garbage collector's set-up (``server.collector``) and the event loop ``hearth serve``
runs on."""

from __future__ import annotations

import asyncio
import gc

import uvloop

from server.cli import _loop_factory
from server.collector import Collector
from server.settings import Settings
from tests.support import settings


def test_start_up_freezes_the_heap_sets_the_thresholds_and_times_collections() -> None:
    before = gc.get_threshold()
    collector = Collector((5000, 20, 40), freeze=True)
    collector.start()
    try:
        assert gc.get_threshold() == (5000, 20, 40)
        assert gc.get_freeze_count() > 0  # start-up's objects are out of the collector's sight
        gc.collect()
        assert collector.counts[2] >= 1
        assert "gen2=" in collector.summary()
        # Timed in CPU too: a preempted collection is told from a long one.
        assert collector.longest_cpu_ms > 0
        assert "cpu_longest=" in collector.summary()
    finally:
        collector.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0  # and back when the app stops
    collections = collector.counts[2]
    gc.collect()
    assert collector.counts[2] == collections  # no longer timing


def test_thresholds_and_freezing_are_settings() -> None:
    env = {"HEARTH_SECRET": "x" * 32, "HEARTH_GC_THRESHOLDS": "900,11,12"}
    assert Settings.from_env(env).gc_thresholds == (900, 11, 12)
    assert Settings.from_env({**env, "HEARTH_GC_FREEZE": "0"}).gc_freeze is False


def test_hearth_serve_runs_on_uvloop_when_installed_unless_turned_off() -> None:
    factory = _loop_factory(settings())
    assert factory is uvloop.new_event_loop
    assert _loop_factory(settings(uvloop=False)) is None  # asyncio's own loop
    loop = factory()
    try:
        assert isinstance(loop, asyncio.AbstractEventLoop)
    finally:
        loop.close()
