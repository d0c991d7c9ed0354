"""A home network on this machine: network namespaces, veth pairs and a lossy link.

    home (10.213.1.2) ══ veth ══ router ══ veth ══ hall (10.213.2.2)
                                   ║
                              tun: the link

Three network namespaces of our own: ``home`` holds the participants' peers, ``hall`` the
media host, ``router`` forwards between them. Every packet crossing the router, in both
directions, goes through a TUN device to ``relay`` (a process in the router namespace)
which drops, delays, jitters, reorders or cuts it off the way ``tc netem`` would, then
writes it back to be routed on. ``tc netem`` itself is not used because kernels built
without ``sch_netem`` (this development machine's is one) refuse it; the relay does the
same in user space, and is the same everywhere.

No address outside the namespaces is ever used: the root namespace gets no interface,
route or address, and the namespaces are deleted on exit, even after a failure (and, if
the process was killed first, by the next run).
Needs root (``ip netns``) and ``/dev/net/tun``; ``unavailable`` says why not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import fcntl
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HOME_ADDRESS, HALL_ADDRESS = "10.213.1.2", "10.213.2.2"
_CLONE_NEWNET = 0x40000000
_TUNSETIFF, _IFF_TUN, _IFF_NO_PI = 0x400454CA, 0x0001, 0x1000


@dataclass(frozen=True, slots=True)
class Condition:
    """What the link does to each packet, as ``tc netem`` would say it."""

    key: str  # what ``bench.homenet --only`` calls it
    name: str
    loss_pct: float = 0.0
    delay_ms: float = 0.0
    jitter_ms: float = 0.0  # uniform, +/- around delay_ms
    reorder_pct: float = 0.0  # sent at once, ahead of the delayed ones
    outage_s: float = 0.0  # everything dropped for this long, from ``Link.cut``

    def args(self) -> list[str]:
        return [
            f"--loss={self.loss_pct}",
            f"--delay={self.delay_ms}",
            f"--jitter={self.jitter_ms}",
            f"--reorder={self.reorder_pct}",
            f"--outage={self.outage_s}",
        ]


CLEAN = Condition("clean", "clean")
LOSS = Condition("loss", "5 % random loss", loss_pct=5)
JITTER = Condition("jitter", "30 ms ± 20 ms jitter", delay_ms=30, jitter_ms=20)
REORDER = Condition("reorder", "1 % reordering (20 ms delay)", delay_ms=20, reorder_pct=1)
OUTAGE = Condition("outage", "2 s outage", outage_s=2)
CONDITIONS = (CLEAN, LOSS, JITTER, REORDER, OUTAGE)


def unavailable() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if os.geteuid() != 0:
        return "needs root (ip netns, a TUN device)"
    if shutil.which("ip") is None:
        return "needs iproute2's ip (.ci/system-deps.sh installs it)"
    if not Path("/dev/net/tun").exists():
        return "needs /dev/net/tun"
    probe = f"hxprobe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class Link:
    """The three namespaces, and the relay applying one condition at a time."""

    home: str
    router: str
    hall: str
    tun: str
    relay: subprocess.Popen[bytes] | None = None

    def use(self, condition: Condition, seed: int = 17) -> None:
        """Apply ``condition`` from now on (a fresh relay)."""
        self.stop_relay()
        command = ["ip", "netns", "exec", self.router, sys.executable, __file__, "relay"]
        self.relay = subprocess.Popen([*command, self.tun, f"--seed={seed}", *condition.args()])
        time.sleep(0.3)  # the relay attaches to the TUN device
        if self.relay.poll() is not None:
            raise RuntimeError(f"the link relay exited with {self.relay.returncode}")

    def cut(self) -> None:
        """Start the condition's outage now."""
        assert self.relay is not None
        self.relay.send_signal(signal.SIGUSR1)

    def stop_relay(self) -> None:
        if self.relay is not None:
            self.relay.terminate()
            self.relay.wait(5)
            self.relay = None


def _remove_orphans() -> None:
    """Delete the namespaces of runs whose process is gone (killed before its cleanup)."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in listed.splitlines():
        name = line.split()[0] if line.split() else ""
        found = re.fullmatch(r"hx-(?:home|rt|hall)-(\d+)", name)
        if found and not Path(f"/proc/{found.group(1)}").exists():
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


@contextlib.contextmanager
def home_network() -> Iterator[Link]:
    """Make the namespaces and the link; delete them all on the way out, whatever happens
    (and those of earlier runs that were killed before they could)."""
    _remove_orphans()
    pid, tag = os.getpid(), f"{os.getpid() % 100000}"  # interface names: 15 characters
    link = Link(f"hx-home-{pid}", f"hx-rt-{pid}", f"hx-hall-{pid}", f"hxtun{tag}")
    made: list[str] = []
    try:
        for ns in (link.home, link.router, link.hall):
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        for side, ns, address in (("h", link.home, HOME_ADDRESS), ("s", link.hall, HALL_ADDRESS)):
            outer, inner = f"hxr{side}{tag}", f"hxe{side}{tag}"
            _ip("-n", link.router, "link", "add", outer, "type", "veth", "peer", inner, "netns", ns)
            gateway = address.rsplit(".", 1)[0] + ".1"
            _ip("-n", link.router, "addr", "add", f"{gateway}/24", "dev", outer)
            _ip("-n", link.router, "link", "set", outer, "up")
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", inner)
            _ip("-n", ns, "link", "set", inner, "up")
            _ip("-n", ns, "route", "add", "default", "via", gateway)
            # Everything arriving from either side goes to the link (table 100); what the
            # relay writes back arrives on the TUN device and is routed normally.
            _ip("-n", link.router, "rule", "add", "iif", outer, "lookup", "100", "pref", "100")
        _ip("-n", link.router, "tuntap", "add", "dev", link.tun, "mode", "tun")
        _ip("-n", link.router, "link", "set", link.tun, "up")
        _ip("-n", link.router, "route", "add", "default", "dev", link.tun, "table", "100")
        sysctl = ["ip", "netns", "exec", link.router, "sysctl", "-q", "-w"]
        for setting in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0"):
            subprocess.run([*sysctl, setting], check=True)
        subprocess.run([*sysctl, f"net.ipv4.conf.{link.tun}.rp_filter=0"], check=True)
        yield link
    finally:
        link.stop_relay()
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@contextlib.contextmanager
def inside(namespace: str) -> Iterator[None]:
    """Run this thread in ``namespace`` meanwhile: sockets made here stay in it."""
    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/thread-self/ns/net") as back, open(f"/run/netns/{namespace}") as there:
        if libc.setns(there.fileno(), _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {namespace}")
        try:
            yield
        finally:
            if libc.setns(back.fileno(), _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")


# --- the relay: the link's behaviour, in the router namespace -----------------------


async def relay(tun: str, condition: Condition, seed: int) -> None:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, _TUNSETIFF, struct.pack("16sH", tun.encode(), _IFF_TUN | _IFF_NO_PI))
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    cut_until = 0.0

    def cut() -> None:
        nonlocal cut_until
        cut_until = loop.time() + condition.outage_s

    def send(packet: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(fd, packet)

    def arrived() -> None:
        while True:
            try:
                packet = os.read(fd, 65536)
            except BlockingIOError:
                return
            if loop.time() < cut_until or rng.random() * 100 < condition.loss_pct:
                continue
            delay = condition.delay_ms + rng.uniform(-condition.jitter_ms, condition.jitter_ms)
            if rng.random() * 100 < condition.reorder_pct:
                delay = 0.0
            if delay <= 0:
                send(packet)
            else:
                loop.call_later(delay / 1000, send, packet)

    loop.add_signal_handler(signal.SIGUSR1, cut)
    loop.add_reader(fd, arrived)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    loop.remove_reader(fd)
    os.close(fd)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the lossy link's relay (run by Link.use)")
    parser.add_argument("command", choices=["relay"])
    parser.add_argument("tun")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--jitter", type=float, default=0.0)
    parser.add_argument("--reorder", type=float, default=0.0)
    parser.add_argument("--outage", type=float, default=0.0)
    args = parser.parse_args()
    link = Condition(
        "relay", "relay", args.loss, args.delay, args.jitter, args.reorder, args.outage
    )
    asyncio.run(relay(args.tun, link, args.seed))
