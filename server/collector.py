"""The garbage collector, tuned for a server whose heap is mostly long-lived, and timed.

CPython's cyclic collector runs a young collection every ``threshold0`` new container
objects and, now and then, a full one over everything that was ever allocated: the
imported modules (aiohttp, python-socketio, redis, aiortc), the app, and every connection.
At 500 members a room event made enough garbage for a collection per chat, and the full
collections paused the loop for about 100 ms each while freeing nothing
(``docs/performance.md``).

So, once the app has started, what exists is moved out of the collector's sight
(``gc.freeze``: it is never scanned again; it is still freed by reference counting), and the
thresholds are the ones chosen by measurement (``HEARTH_GC_THRESHOLDS``). Every
collection is timed (``gc.callbacks``), in wall time and in the thread's CPU time; the
process logs the counts and the longest pauses when it stops, which is what
``bench/fanout.py`` reads.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger(__name__)

LONG_PAUSE_MS = 10.0  # a pause a live room could notice
GENERATIONS = 3


class Collector:
    """Sets the collector up at start-up and times each collection until ``stop``."""

    def __init__(self, thresholds: tuple[int, int, int], freeze: bool) -> None:
        self.thresholds = thresholds
        self.freeze = freeze
        self.counts = [0] * GENERATIONS
        self.longest_ms = [0.0] * GENERATIONS
        self.long_pauses = 0
        # The same in this thread's CPU time: on a loaded machine a collection that was
        # preempted looks long in wall time without having worked long.
        self.longest_cpu_ms = 0.0
        self.long_cpu_pauses = 0
        self._started = 0.0
        self._started_cpu = 0.0
        self._saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        self._saved = gc.get_threshold()
        gc.set_threshold(*self.thresholds)
        if self.freeze:
            gc.collect()
            gc.freeze()
        gc.callbacks.append(self._timed)

    def stop(self) -> None:
        if self._timed in gc.callbacks:
            gc.callbacks.remove(self._timed)
        if self.freeze:
            gc.unfreeze()  # several apps in one process (tests) do not pile up frozen heaps
        if self._saved is not None:
            gc.set_threshold(*self._saved)
        log.info("garbage collections: %s", self.summary())

    def summary(self) -> str:
        """One line of numbers (no names, nothing about anyone): what bench/fanout reads."""
        per_generation = " ".join(
            f"gen{g}={self.counts[g]}/{self.longest_ms[g]:.1f}ms" for g in range(GENERATIONS)
        )
        return (
            f"{per_generation} over{LONG_PAUSE_MS:g}ms={self.long_pauses} "
            f"cpu_longest={self.longest_cpu_ms:.1f}ms "
            f"cpu_over{LONG_PAUSE_MS:g}ms={self.long_cpu_pauses}"
        )

    def _timed(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            self._started_cpu = time.thread_time()
            return
        elapsed_ms = (time.perf_counter() - self._started) * 1000
        cpu_ms = (time.thread_time() - self._started_cpu) * 1000
        self.longest_cpu_ms = max(self.longest_cpu_ms, cpu_ms)
        if cpu_ms > LONG_PAUSE_MS:
            self.long_cpu_pauses += 1
        generation = int(info["generation"])
        self.counts[generation] += 1
        self.longest_ms[generation] = max(self.longest_ms[generation], elapsed_ms)
        if elapsed_ms > LONG_PAUSE_MS:
            self.long_pauses += 1
