"""Whether a benchmark's figures mean anything: the machine's load and the load generator.

A figure taken while other work shares the CPU, or while the process that generates the
load is itself saturated, measures the machine or the generator, not the server. Every
round records the load average before and after, the share of a core the generator (this
process) and the server used, and how long each was ready to run but waited for a CPU
(the kernel's run-queue wait, ``/proc/<pid>/task/*/schedstat``); ``bottleneck`` says, in
words, when a round's figures are the generator's or the machine's and not the server's.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

GENERATOR_SATURATED = 0.85  # of one core: the generator's event loop is the bottleneck
SERVER_IDLE = 0.5  # of one core: a server below this is not what starves the listener
FRAMES_SHORT_PCT = 95.0
WAITED_TOO_LONG = 0.10  # of the window spent waiting for a CPU: the machine is contended


def cpu_seconds(pid: int | str = "self") -> float:
    """utime + stime of one process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_wait_seconds(pid: int | str = "self") -> float:
    """Time every thread of a process spent ready to run, waiting for a CPU."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


@dataclass
class Window:
    """One measurement window: wall time, the CPU of the server and of this process, and
    the 1-minute load average at both ends."""

    server_pid: int
    started: float = 0.0
    server_cpu: float = 0.0
    generator_cpu: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0
    elapsed: float = 0.0
    server_wait: float = 0.0
    generator_wait: float = 0.0

    def __enter__(self) -> Window:
        self.load_before = os.getloadavg()[0]
        self.server_cpu = cpu_seconds(self.server_pid)
        self.generator_cpu = cpu_seconds()
        self.server_wait = cpu_wait_seconds(self.server_pid)
        self.generator_wait = cpu_wait_seconds()
        self.started = time.monotonic()
        return self

    def __exit__(self, *_: object) -> None:
        self.elapsed = time.monotonic() - self.started
        self.server_cpu = cpu_seconds(self.server_pid) - self.server_cpu
        self.generator_cpu = cpu_seconds() - self.generator_cpu
        self.server_wait = cpu_wait_seconds(self.server_pid) - self.server_wait
        self.generator_wait = cpu_wait_seconds() - self.generator_wait
        self.load_after = os.getloadavg()[0]

    @property
    def server_share(self) -> float:
        return self.server_cpu / self.elapsed

    @property
    def generator_share(self) -> float:
        return self.generator_cpu / self.elapsed

    @property
    def server_waited(self) -> float:
        """Share of the window the server was ready to run but had no CPU."""
        return self.server_wait / self.elapsed

    @property
    def generator_waited(self) -> float:
        return self.generator_wait / self.elapsed


def bottleneck(window: Window, frames_pct: float) -> str | None:
    """Why this round's figures are the load generator's or the machine's, or None."""
    waited = max(window.server_waited, window.generator_waited)
    if waited >= WAITED_TOO_LONG:
        return (
            f"the machine was contended (load average {window.load_before:.2f} to "
            f"{window.load_after:.2f} on {os.cpu_count()} cores): the server waited for a CPU"
            f" {window.server_waited:.0%} of the time and the generator"
            f" {window.generator_waited:.0%}"
        )
    if window.generator_share >= GENERATOR_SATURATED:
        return (
            f"the load generator used {window.generator_share:.0%} of a core: its clients, not "
            "the server, set the pace; use fewer participants or a quieter machine"
        )
    if frames_pct < FRAMES_SHORT_PCT and window.server_share < SERVER_IDLE:
        return (
            f"the listener received {frames_pct:.0f}% of its frames while the server used only "
            f"{window.server_share:.0%} of a core: the clients or the machine (load average "
            f"{window.load_before:.2f} to {window.load_after:.2f}) lost them, not the server"
        )
    return None


def spread(values: list[float], digits: int = 2) -> str:
    """``median (min to max)``, the way every round-based figure is reported."""
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({min(values):.{digits}f} to {max(values):.{digits}f})"
