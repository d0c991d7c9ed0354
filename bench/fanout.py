"""Fan-out benchmark: one sender at a fixed rate into a room of N listeners.

Runs Hearth (real ``hearth serve`` processes) and, in the same run, the reference: plain
python-socketio doing the same emit with no Hearth logic (``bench/reference_server.py``).
For each configuration it reports deliveries per second, p50/p99 latency from the sender's
emit to a listener's receipt, the servers' CPU time per delivery, and Hearth's ratio to the
reference measured moments before on the same machine. Everything runs on 127.0.0.1, and
every process it starts (redis-server, servers, listeners) is stopped before it returns.

    .venv/bin/python -m bench.fanout [--n 50 --n 200] [--rate 50] [--seconds 4] [--rounds 1]
                                     [--before /path/to/an/older/checkout]
                                     [--variant LABEL HEARTH_X=1 ...]

With ``HEARTH_BENCH_PROFILE=/tmp/hearth.prof`` in its environment, each Hearth server runs
under cProfile and writes ``/tmp/hearth.prof.<index>`` as it stops.

``--variant`` runs each Hearth config once more with those settings (``--variant
"asyncio loop" HEARTH_UVLOOP=0``). Each Hearth server logs its garbage collections as it
stops (``server.collector``); the *GC* column is the worst round's: full collections, the
longest pause of any collection, and how many paused over 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import socketio
from redis.asyncio import Redis

from bench import node_reference
from bench.node_reference import NODE_SERVER
from rooms.identity import Role
from tests.support import LOAD_FROM_ONE_ADDRESS, ROOT, RedisServer, free_port, server_env, token

DRAIN_S = 10.0
# --profile: Hearth's servers run under cProfile, each writing PROFILE.<index> as it stops.
PROFILE = os.environ.get("HEARTH_BENCH_PROFILE", "")
READY_S = 120.0
REPORT_LIMIT = 1 << 28  # a listener's report is one JSON line of every latency


@dataclass(frozen=True, slots=True)
class Config:
    name: str
    hearth: bool
    processes: int
    redis: bool
    node: bool = False  # Node socket.io 4 (bench/node/server.js)
    root: Path = ROOT  # the Hearth checkout whose server runs
    flags: tuple[str, ...] = ()  # reference or Node server flags (the ablation, --sharded)
    env: tuple[tuple[str, str], ...] = ()  # Hearth settings of a --variant


CONFIGS = (
    Config("node 1 process", hearth=False, processes=1, redis=False, node=True),
    Config("reference 1 process", hearth=False, processes=1, redis=False),
    Config("hearth embedded 1 process", hearth=True, processes=1, redis=False),
    Config("hearth redis 1 process", hearth=True, processes=1, redis=True),
    Config("node redis-adapter 2 processes", hearth=False, processes=2, redis=True, node=True),
    Config("reference redis 2 processes", hearth=False, processes=2, redis=True),
    Config("hearth redis 2 processes", hearth=True, processes=2, redis=True),
)
# Each of Hearth's fan-out changes alone, on the plain reference (--ablation).
ABLATION = (
    Config(
        "reference + no deflate", hearth=False, processes=1, redis=False, flags=("--no-deflate",)
    ),
    Config("reference + one-pass", hearth=False, processes=1, redis=False, flags=("--one-pass",)),
    Config(
        "reference + both",
        hearth=False,
        processes=1,
        redis=False,
        flags=("--no-deflate", "--one-pass"),
    ),
)


def configs(
    only: list[str] | None,
    before: Path | None,
    ablation: bool,
    variants: list[list[str]] | None = None,
    no_node: bool = False,
) -> list[Config]:
    """The chosen configs; with ``before``, each Hearth one also runs from that checkout,
    and with ``variants`` (a label, then NAME=value settings) once more per variant."""
    chosen: list[Config] = []
    for config in CONFIGS + (ABLATION if ablation else ()):
        if only and not any(word in config.name for word in only):
            continue
        if no_node and config.node:
            continue
        if config.hearth and before is not None:
            chosen.append(replace(config, name=f"{config.name} (before)", root=before))
        chosen.append(config)
        for label, *settings in (variants or []) if config.hearth else []:
            env = tuple((name, value) for name, _, value in (s.partition("=") for s in settings))
            chosen.append(replace(config, name=f"{config.name}, {label}", env=env))
    return chosen


@dataclass(frozen=True, slots=True)
class Result:
    config: Config
    n: int
    rate: float
    expected: int
    delivered: int
    per_s: float
    p50_ms: float
    p99_ms: float
    cpu_us: float  # server CPU time per delivery
    # Full collections, longest pause ms, pauses over 10 ms, longest pause in CPU ms (-1:
    # the server did not log it).
    gc: tuple[int, float, int, float] | None = None
    sent_per_s: float = 0.0  # the rate the sender reached (it falls behind when it is the limit)
    chat_cpu_ms: float = 0.0  # server CPU time per message sent
    crowd_cpu: float = 0.0  # the listener processes' CPU, in cores each (1.0: one full core)

    def reference(
        self, results: list[Result], flags: tuple[str, ...] = (), node: bool = False
    ) -> Result | None:
        """The reference run beside this one: plain python-socketio (with ``flags``), or
        Node socket.io, on as many processes, with as many listeners at the same rate."""
        for other in results:
            if (
                not other.config.hearth
                and other.config.node == node
                and other.config.flags == flags
                and other.config.processes == self.config.processes
                and (other.n, other.rate) == (self.n, self.rate)
            ):
                return other
        return None


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout}s")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


GC_LINE = re.compile(
    r"garbage collections: gen0=(\d+)/([\d.]+)ms gen1=(\d+)/([\d.]+)ms "
    r"gen2=(\d+)/([\d.]+)ms over10ms=(\d+)(?: cpu_longest=([\d.]+)ms)?"
)


def _gc(logs: list[Path]) -> tuple[int, float, int, float] | None:
    """The servers' collections, from the line each logs as it stops; summed over them."""
    found = [m for path in logs for m in GC_LINE.finditer(path.read_text(errors="replace"))]
    if not found:
        return None
    return (
        sum(int(m[5]) for m in found),
        max(float(m[g]) for m in found for g in (2, 4, 6)),
        sum(int(m[7]) for m in found),
        max(float(m[8]) if m[8] else -1.0 for m in found),
    )


@contextlib.contextmanager
def servers(
    config: Config, redis_url: str, logs: list[Path]
) -> Iterator[tuple[list[str], list[int]]]:
    """``logs``: filled with the servers' log files, complete once this returns."""
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(config.processes):
            port = free_port()
            if config.node:
                command = ["node", str(NODE_SERVER), "--port", str(port)]
                command += ["--redis", redis_url] if config.redis else []
                command += config.flags
                env = server_env(None)
            elif config.hearth:
                profile = ["-m", "cProfile", "-o", f"{PROFILE}.{len(procs)}"] if PROFILE else []
                command = [sys.executable, *profile, "-m", "server.cli", "serve"]
                command += ["--host", "127.0.0.1", "--port", str(port)]
                env = server_env(
                    redis_url if config.redis else None,
                    HEARTH_DEMO_ROOM="bench",
                    HEARTH_LOG_LEVEL="INFO",  # for the collector's line
                    HEARTH_DRAIN_TIMEOUT_MS="100",  # nobody to move: stop (and log) at once
                    **LOAD_FROM_ONE_ADDRESS,
                    **dict(config.env),
                )
            else:
                command = [sys.executable, "-m", "bench.reference_server", "--port", str(port)]
                command += ["--redis", redis_url] if config.redis else []
                command += config.flags
                env = server_env(None)
            log = Path(tempfile.mkstemp(prefix="hearth-bench-", suffix=".log")[1])
            logs.append(log)
            with log.open("wb") as out:
                procs.append(subprocess.Popen(command, cwd=config.root, env=env, stderr=out))
            _wait_for_port(port, procs[-1])
            urls.append(f"http://127.0.0.1:{port}")
        print(f"{config.name}: server pids {[p.pid for p in procs]}", file=sys.stderr, flush=True)
        yield urls, [p.pid for p in procs]
    finally:
        _stop(procs)


class Listeners:
    """Receiver processes (``bench/load.py``), each holding a share of the N clients."""

    def __init__(self, procs: list[asyncio.subprocess.Process]) -> None:
        self.procs = procs
        self.pids = [p.pid for p in procs]

    async def _ask(self, proc: asyncio.subprocess.Process, line: str) -> str:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(f"{line}\n".encode())
        await proc.stdin.drain()
        return (await proc.stdout.readline()).decode()

    async def count(self) -> int:
        return sum([int(await self._ask(p, "count")) for p in self.procs])

    async def take(self) -> tuple[list[float], float]:
        """The latencies received since the last ``take``, and the last receipt time."""
        latencies: list[float] = []
        last = 0.0
        for proc in self.procs:
            report = json.loads(await self._ask(proc, "take"))
            latencies += report["latencies"]
            last = max(last, report["last"])
        return latencies, last


@contextlib.asynccontextmanager
async def listeners(
    urls: list[str], n: int, processes: int, deflate: bool, rooms: int = 0
) -> AsyncIterator[Listeners]:
    """``rooms``: the listeners are spread over rooms bench-0 … bench-(rooms - 1), each
    room's on the server ``urls[room mod len(urls)]`` (0: all in 'bench', round robin)."""
    procs: list[asyncio.subprocess.Process] = []
    try:
        shares = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
        first = 0
        for share in shares:
            command = ["-m", "bench.load", "--first", str(first), "--count", str(share)]
            command += [arg for url in urls for arg in ("--url", url)]
            command += [] if deflate else ["--no-deflate"]
            command += ["--rooms", str(rooms)] if rooms else []
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    *command,
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=REPORT_LIMIT,
                )
            )
            first += share
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), READY_S)
            if line.strip() != b"ready":
                raise RuntimeError(f"a listener process failed to join: {line!r}")
        yield Listeners(procs)
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


async def send_chats(sender: socketio.AsyncClient, rate: float, count: int, phase: str) -> float:
    """Emit ``count`` chat messages on a fixed schedule; return when the first one left."""
    start = time.time()
    for k in range(count):
        delay = start + k / rate - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await sender.emit("chat:send", {"text": f"fanout {time.time():.6f} {phase}{k}"})
    return start


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def seated_sender(url: str) -> socketio.AsyncClient:
    """The facilitator who sends the chat, connected to ``url`` and seated in the room."""
    sender = socketio.AsyncClient(reconnection=False)
    auth = {"token": token("Sender", Role.FACILITATOR, subject="bench-sender")}
    await sender.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    ack = await sender.call("room:join", {"room": "bench"}, timeout=10)
    assert ack["ok"], ack
    return sender


async def measure(
    config: Config,
    redis_url: str,
    n: int,
    args: argparse.Namespace,
    rates: list[float] | None = None,
    enough: Callable[[Result], bool] = lambda _: False,
) -> list[Result]:
    """One server set-up and one crowd of ``n`` listeners; a timed run at each of
    ``rates`` (``args.rate`` alone by default), in turn, until one is ``enough``."""
    rates = rates or [args.rate]
    logs: list[Path] = []
    steps: list[Result] = []
    with servers(config, redis_url, logs) as (urls, pids):
        async with listeners(urls, n, args.listener_processes, not args.no_deflate) as crowd:
            sender = await seated_sender(urls[0])
            try:
                await send_chats(sender, rates[0], max(1, int(rates[0] * args.warm_up)), "w")
                await asyncio.sleep(args.warm_up)
                await crowd.take()
                for rate in rates:
                    steps.append(await _step(config, sender, crowd, pids, n, rate, args))
                    if enough(steps[-1]):
                        break
            finally:
                await sender.disconnect()
    collections = _gc(logs)
    for log in logs:
        log.unlink()
    return [replace(step, gc=collections) for step in steps]


async def _step(
    config: Config,
    sender: socketio.AsyncClient,
    crowd: Listeners,
    pids: list[int],
    n: int,
    rate: float,
    args: argparse.Namespace,
) -> Result:
    count = max(1, int(rate * args.seconds))
    expected = count * n
    cpu_before = cpu_seconds(pids)
    crowd_before = cpu_seconds(crowd.pids)
    began = time.monotonic()
    started = await send_chats(sender, rate, count, "m")
    sent_in = time.monotonic() - began
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        if await crowd.count() >= expected:
            break
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - began
    cpu = cpu_seconds(pids) - cpu_before
    crowd_cpu = cpu_seconds(crowd.pids) - crowd_before
    latencies, last = await crowd.take()
    latencies.sort()
    delivered = len(latencies)
    return Result(
        config,
        n,
        rate,
        expected,
        delivered,
        per_s=delivered / (last - started) if delivered and last > started else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        cpu_us=cpu / delivered * 1e6 if delivered else 0.0,
        sent_per_s=count / sent_in if sent_in > 0 else 0.0,
        chat_cpu_ms=cpu / count * 1000,
        crowd_cpu=crowd_cpu / elapsed / len(crowd.pids),
    )


def _median_result(rounds: list[Result]) -> Result:
    def med(values: list[float]) -> float:
        return float(statistics.median(values))

    first = rounds[0]
    return Result(
        first.config,
        first.n,
        first.rate,
        first.expected,
        min(r.delivered for r in rounds),
        med([r.per_s for r in rounds]),
        med([r.p50_ms for r in rounds]),
        med([r.p99_ms for r in rounds]),
        med([r.cpu_us for r in rounds]),
        max((r.gc for r in rounds if r.gc), key=lambda g: (g[2], g[1]), default=None),
        med([r.sent_per_s for r in rounds]),
        med([r.chat_cpu_ms for r in rounds]),
        max(r.crowd_cpu for r in rounds),
    )


def _ratios(mine: Result, theirs: Result | None) -> str:
    if theirs is None:
        return "—"
    pairs = (
        (mine.p50_ms, theirs.p50_ms),
        (mine.p99_ms, theirs.p99_ms),
        (mine.cpu_us, theirs.cpu_us),
    )
    return " / ".join(f"{a / b:.2f}" if b else "—" for a, b in pairs)


def _gc_cell(gc: tuple[int, float, int, float] | None) -> str:
    if gc is None:
        return "—"
    cpu = f" / {gc[3]:.1f}" if gc[3] >= 0 else " / —"
    return f"{gc[0]} / {gc[1]:.1f} / {gc[2]}{cpu}"


def _over(mine: float, theirs: Result | None, field: str) -> str:
    value = getattr(theirs, field) if theirs is not None else 0.0
    return f"{mine / value:.2f}" if value else "—"


def table(results: list[Result]) -> str:
    """Markdown. Each row's server CPU per message, and Hearth's and plain python-socketio's
    p99 and CPU, as ratios to Node socket.io on as many processes in the same run; Hearth
    rows also to plain python-socketio (the reference) and, when the ablation ran, to the
    reference with both of Hearth's fan-out changes (the same engine, no Hearth)."""
    lines = [
        "| config | N | offered msg/s | delivered | deliveries/s | p50 ms | p99 ms "
        "| server CPU µs/delivery | server CPU ms/message | ÷ Node: p99 / CPU "
        "| ÷ reference: p50 / p99 / CPU | ÷ reference + both: CPU "
        "| GC: full / longest ms / > 10 ms / longest CPU ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for r in results:
        stock = r.reference(results) if r.config.hearth else None
        same = r.reference(results, ABLATION[-1].flags) if r.config.hearth else None
        node = r.reference(results, node=True) if not r.config.node else None
        to_node = f"{_over(r.p99_ms, node, 'p99_ms')} / {_over(r.cpu_us, node, 'cpu_us')}"
        lines.append(
            f"| {r.config.name} | {r.n} | {r.rate:g} | {r.delivered}/{r.expected} "
            f"| {r.per_s:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.cpu_us:.1f} "
            f"| {r.chat_cpu_ms:.2f} | {to_node if node else '—'} "
            f"| {_ratios(r, stock)} | {_over(r.cpu_us, same, 'cpu_us')} | {_gc_cell(r.gc)} |"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> list[Result]:
    chosen = node_reference.available(
        configs(args.only, args.before, args.ablation, args.variant, args.no_node)
    )
    redis = RedisServer() if any(c.redis for c in chosen) else None
    results: list[Result] = []
    try:
        for n in args.n or [50, 200]:
            rounds: dict[Config, list[Result]] = {c: [] for c in chosen}
            for _ in range(args.rounds):
                for config in chosen:
                    redis_url = ""
                    if redis is not None:
                        redis_url = redis.url
                        flush = Redis.from_url(redis_url)
                        await flush.flushall()
                        await flush.aclose()
                    try:
                        (result,) = await measure(config, redis_url, n, args)
                    except (RuntimeError, TimeoutError) as exc:
                        # One run that could not start (its listeners not joined in time
                        # on a loaded machine) is a row with nothing delivered, not the end.
                        print(f"{config.name}, N={n}: failed: {exc!r}", file=sys.stderr)
                        result = Result(config, n, args.rate, 1, 0, 0.0, 0.0, 0.0, 0.0)
                    print(
                        f"{config.name}, N={n}: {result.per_s:,.0f}/s "
                        f"p50 {result.p50_ms:.1f} ms p99 {result.p99_ms:.1f} ms "
                        f"server CPU {result.cpu_us:.1f} µs/delivery GC {_gc_cell(result.gc)}",
                        file=sys.stderr,
                        flush=True,
                    )
                    rounds[config].append(result)
            results += [_median_result(rounds[c]) for c in chosen]
    finally:
        if redis is not None:
            redis.stop()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, action="append", help="listeners (repeatable)")
    parser.add_argument("--rate", type=float, default=50.0, help="sender messages per second")
    parser.add_argument("--seconds", type=float, default=4.0, help="timed sending per run")
    parser.add_argument("--warm-up", type=float, default=1.0, help="untimed seconds first")
    parser.add_argument("--rounds", type=int, default=1, help="runs per config; medians kept")
    parser.add_argument("--listener-processes", type=int, default=2)
    parser.add_argument("--no-deflate", action="store_true", help="listeners offer no deflate")
    parser.add_argument("--only", action="append", help="run configs whose name contains this")
    parser.add_argument("--ablation", action="store_true", help="each change alone, too")
    parser.add_argument("--no-node", action="store_true", help="leave Node socket.io out")
    parser.add_argument(
        "--before", type=Path, help="another Hearth checkout to run side by side (before/after)"
    )
    parser.add_argument(
        "--variant",
        action="append",
        nargs="+",
        metavar="LABEL [NAME=VALUE ...]",
        help="each Hearth config again with these settings (repeatable)",
    )
    args = parser.parse_args(argv)
    print(table(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
