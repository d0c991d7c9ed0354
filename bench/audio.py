"""Audio benchmark: server CPU per participant and added latency, mixing vs forwarding.

    .venv/bin/python bench/audio.py                      # rooms of 4, 8 and 12, both ways
    .venv/bin/python bench/audio.py --sizes 12 --modes mix --seconds 10
    .venv/bin/python bench/audio.py --sizes 12 --modes mix --rooms 4   # 48 people, 4 rooms
    .venv/bin/python bench/audio.py --sizes 12 --modes mix --rooms 4 --rounds 5
    .venv/bin/python bench/audio.py --sizes 12 --modes mix --baseline /tmp/before  # side by side

The media server runs in its own process (``bench/audio.py serve``), so its CPU time
(utime + stime from /proc) is its own. It answers offers over plain HTTP: this measures
media, not Socket.IO. Clients are real aiortc peers in this process. As in a support
group, one person speaks (100 ms tone bursts every 500 ms) and everyone else sends
silence; clients send pre-encoded Opus packets so their own encoding costs nothing, each
with its level in the RFC 6464 header extension as browsers do (``--no-levels``: without).

- ``mix``: Hearth's ``RoomMixer`` (decode every input, mix per tick, one shared encode and
  one mix-minus encode per speaker; every listener gets one stream).
- ``forward``: an SFU in the same process model: every input is decoded once and
  forwarded as its own track to every other participant (bounded queues; aiortc
  re-encodes each outgoing track): N x (N - 1) encodes and streams.

Latency: a listener detects each burst's onset; the same measurement over a direct
peer-to-peer connection is the baseline, and the difference is what the server adds.
Frame loss: frames the measuring listener received against 50 per second.

Each configuration runs ``--rounds`` times (a fresh server each round); the report gives
the median and range of every figure, the machine's load average before and after each
round, and the share of a core the server and the load generator (this process, every
client) used. If the generator was the bottleneck in any round (``bench.contention``),
the run says why and exits with status 2: those figures would be the generator's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audio_clients import (  # noqa: E402
    Ear,
    Mic,
    burst_cycle,
    burst_packets,
    connect,
    latency,
    send_levels,
)
from bench.contention import Window, bottleneck, spread  # noqa: E402
from rooms.identity import Role  # noqa: E402
from rooms.state import Connection, Member, RoomState  # noqa: E402
from server.media.host import MAX_BACKLOG, RoomMixer  # noqa: E402
from server.media.receive import tune  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the media server process -----------------------------------------------------


class Forwarded(MediaStreamTrack):
    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.queue: asyncio.Queue[Any] = asyncio.Queue(MAX_BACKLOG)

    def push(self, frame: Any) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(frame)

    async def recv(self) -> Any:
        return await self.queue.get()


class Forwarder:
    """An SFU: each input decoded once, forwarded (re-encoded) to everyone else."""

    def __init__(self, size: int) -> None:
        self.names = [_name(0, i) for i in range(size)]  # the clients' names, room 0
        # out[speaker][listener]: the track carrying speaker's voice to listener
        self.out = {s: {li: Forwarded() for li in self.names if li != s} for s in self.names}
        self.pcs: list[RTCPeerConnection] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def answer(self, name: str, sdp: str) -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs.append(pc)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tasks.append(asyncio.create_task(self._fan_out(name, track)))

        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        for transceiver in pc.getTransceivers():
            tune(transceiver.receiver)
        for speaker in self.names:
            if speaker != name:
                pc.addTrack(self.out[speaker][name])
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def _fan_out(self, name: str, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                for out in self.out[name].values():
                    out.push(frame)


def _name(room: int, person: int) -> str:
    return f"r{room}p{person}"


def _room_of(name: str) -> int:
    return int(name[1 : name.index("p")])


async def serve(
    mode: str, size: int, port: int, rooms: int = 1, profile: Path | None = None
) -> None:
    stats: Callable[[], dict[str, int]] = dict
    if mode == "mix":
        mixers = []
        for j in range(rooms):
            members = tuple(
                Member(
                    _name(j, i),
                    f"s{j}-{i}",
                    _name(j, i),
                    Role.PARTICIPANT,
                    0,
                    Connection("x", f"sid{j}-{i}"),
                )
                for i in range(size)
            )
            state = RoomState(f"bench{j}", members=members)
            mixers.append(RoomMixer(f"bench{j}", state, [], _noop, _noop))

        async def answer(name: str, sdp: str) -> str:
            return await mixers[_room_of(name)].answer(name, sdp)

        def stats() -> dict[str, int]:
            peers = [p for mixer in mixers for p in mixer.peers.values()]
            return {
                "ticks": min(mixer.tick for mixer in mixers),
                "late_ticks": sum(mixer.late_ticks for mixer in mixers),
                "inputs_skipped": sum(p.skipped for p in peers),
                "outputs_dropped": sum(p.out.dropped for p in peers),
                "inputs_decoded": sum(p.received for p in peers),
                "inputs_quiet": sum(getattr(p, "quiet", 0) for p in peers),
                "encodes": sum(m.shared.encoded for m in mixers)
                + sum(p.voice.encoded for p in peers),
            }
    else:
        if rooms != 1:
            raise SystemExit("--rooms applies to mixing only")
        answer = Forwarder(size).answer

    async def offer(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"sdp": await answer(body["name"], body["sdp"])})

    # Profiled between the two reads of the counters: the measured window only.
    profiler = cProfile.Profile() if profile is not None else None
    profiling = False

    async def counters(_: web.Request) -> web.Response:
        nonlocal profiling
        if profiler is not None:
            if profiling:
                profiler.disable()
            else:
                profiler.enable()
            profiling = not profiling
        return await _json(stats())

    app = web.Application()
    app.router.add_post("/offer", offer)
    app.router.add_get("/ready", lambda _: _ready())
    app.router.add_get("/stats", counters)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stopped = asyncio.Event()
    if profiler is not None:  # otherwise SIGTERM ends the process at once, as it should
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    await stopped.wait()
    if profiler is not None:
        profiler.dump_stats(profile)


async def _ready() -> web.Response:
    return web.json_response({"ok": True})


async def _json(data: dict[str, int]) -> web.Response:
    return web.json_response(data)


def _noop(*_: Any) -> None:
    return None


# --- one measurement -----------------------------------------------------------------


async def measure(
    mode: str,
    size: int,
    seconds: float,
    rooms: int = 1,
    root: Path = ROOT,
    profile: Path | None = None,
) -> dict[str, Any]:
    """One round; the server runs the source tree at ``root`` (``--baseline``), profiled
    into ``profile`` (cProfile, the whole run) if given."""
    port = free_port()
    script = str(root / "bench" / "audio.py")
    command = [sys.executable, script, "serve", "--mode", mode, "--size", str(size)]
    command += ["--rooms", str(rooms)]
    if profile is not None:
        command += ["--profile", str(profile)]
    server = await asyncio.create_subprocess_exec(*command, "--port", str(port), cwd=root)
    speech, silence = burst_cycle(440), burst_cycle(None)
    bursts: list[float] = []
    ear = Ear()
    pcs = []
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/ready"):
                        break
                await asyncio.sleep(0.1)

            async def answer(name: str, sdp: str) -> str:
                url = f"http://127.0.0.1:{port}/offer"
                async with http.post(url, json={"name": name, "sdp": sdp}) as response:
                    return str((await response.json())["sdp"])

            receive = 1 if mode == "mix" else size - 1
            # Every room has one speaker; the measured speaker and ear are in room 0.
            for j in range(rooms):
                for i in range(size):
                    first = j == 0
                    voice = speech if i == 0 else silence
                    mic = Mic(
                        [p for p, _ in voice],
                        bursts if first and i == 0 else None,
                        [level for _, level in voice],
                    )
                    listen = ear if first and i == 1 else None
                    pcs.append(await connect(answer, _name(j, i), mic, listen, receive))
            for _ in range(150):  # every peer connected (15 s at most), then settle
                if all(pc.connectionState == "connected" for pc in pcs):
                    break
                await asyncio.sleep(0.1)
            connected = sum(pc.connectionState == "connected" for pc in pcs)
            await asyncio.sleep(2.0)
            ear.counting, ear.onsets[:] = True, []
            async with http.get(f"http://127.0.0.1:{port}/stats") as response:
                before = await response.json()
            with Window(server.pid) as window:
                await asyncio.sleep(seconds)
            ear.counting = False
            async with http.get(f"http://127.0.0.1:{port}/stats") as response:
                after = await response.json()
            server_stats = {key: after[key] - before.get(key, 0) for key in after}
    finally:
        for pc in pcs:
            await pc.close()
        server.terminate()
        await server.wait()
    per_participant = window.server_share / (size * rooms)
    frames_pct = 100 * ear.frames / (window.elapsed * 50)
    return {
        "tree": "this tree" if root == ROOT else str(root),
        "mode": mode,
        "size": size,
        "rooms": rooms,
        "cpu_per_participant_pct": round(100 * per_participant, 2),
        "participants_per_core": round(1 / per_participant, 1) if per_participant else None,
        "latency_ms": round(latency(bursts, ear.onsets), 1),
        "latency_p95_ms": round(latency(bursts, ear.onsets, 95), 1),
        "frames_received_pct": round(frames_pct, 1),
        "server": server_stats,
        "server_core_share": round(window.server_share, 3),
        "generator_core_share": round(window.generator_share, 3),
        "server_waited": round(window.server_waited, 3),
        "generator_waited": round(window.generator_waited, 3),
        "load_average": [window.load_before, window.load_after],
        "connected": f"{connected}/{len(pcs)}",
        "bottleneck": bottleneck(window, frames_pct)
        or (None if connected == len(pcs) else f"only {connected} of {len(pcs)} peers connected"),
    }


async def direct_latency(seconds: float) -> float:
    """Peer to peer, no server: the baseline every added latency is measured against."""
    bursts: list[float] = []
    ear = Ear()
    listener = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    listener.addTrack(Mic(burst_packets(None)))

    @listener.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        listener.__dict__["task"] = asyncio.create_task(ear.listen(track))

    async def answer(_: str, sdp: str) -> str:
        await listener.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        for transceiver in listener.getTransceivers():
            tune(transceiver.receiver)
        await listener.setLocalDescription(await listener.createAnswer())
        return str(listener.localDescription.sdp)

    speaker = await connect(answer, "p0", Mic(burst_packets(440), bursts), None, 1)
    await asyncio.sleep(1.0)
    ear.onsets[:] = []
    await asyncio.sleep(seconds)
    await speaker.close()
    await listener.close()
    return latency(bursts, ear.onsets)


async def main(args: argparse.Namespace) -> int:
    print(f"load average (1, 5, 15 min) at start: {os.getloadavg()}, {os.cpu_count()} cores")
    if not args.no_levels:
        send_levels()
    baseline = await direct_latency(args.seconds)
    print(f"direct peer-to-peer latency (baseline): {baseline:.1f} ms")
    print(f"rooms of each size: {args.rooms}; rounds: {args.rounds}; median (min to max)")
    trees = [ROOT] if args.baseline is None else [ROOT, args.baseline.resolve()]
    results, trouble = [], []
    for size in args.sizes:
        for mode in args.modes:
            rounds: dict[Path, list[dict[str, Any]]] = {tree: [] for tree in trees}
            for n in range(args.rounds):
                # Interleaved, in turn first: both see the same machine, neither always
                # the quieter start of a round pair.
                for tree in trees if n % 2 == 0 else trees[::-1]:
                    profile = None
                    if args.profile is not None and tree == ROOT:
                        profile = args.profile / f"{mode}-{size}x{args.rooms}-{n + 1}.prof"
                    r = await measure(mode, size, args.seconds, args.rooms, tree, profile)
                    r["added_latency_ms"] = round(r["latency_ms"] - baseline, 1)
                    r["added_latency_p95_ms"] = round(r["latency_p95_ms"] - baseline, 1)
                    r["round"] = n + 1
                    rounds[tree].append(r)
                    print(f"  round {n + 1}, {r['tree']}: {_one_line(r)}")
                    if r["bottleneck"]:
                        trouble.append(f"{mode} {size}, round {n + 1}: {r['bottleneck']}")
            for runs in rounds.values():
                results += runs
                print(f"[{runs[0]['tree']}]", end=" ")
                _summary(mode, size, runs)
            if len(trees) == 2:
                _ratios(rounds[trees[0]], rounds[trees[1]])
    if args.json:
        print(json.dumps({"baseline_ms": baseline, "runs": results}), file=args.json)
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    if trouble:
        print("\nNOT THE SERVER'S FIGURES: the generator or the machine was the bottleneck:")
        for line in trouble:
            print(f"  {line}")
        return 2
    return 0


def _one_line(r: dict[str, Any]) -> str:
    load = r["load_average"]
    return (
        f"{r['mode']} {r['size']}x{r['rooms']}: {r['cpu_per_participant_pct']:.2f}%/participant"
        f" = {r['participants_per_core']} per core, added {r['added_latency_ms']} ms,"
        f" p95 {r['added_latency_p95_ms']} ms, frames {r['frames_received_pct']}%,"
        f" server {r['server_core_share']:.2f} core,"
        f" generator {r['generator_core_share']:.2f} core, load {load[0]:.2f} to {load[1]:.2f},"
        f" waited for a CPU: server {r['server_waited']:.0%}, generator"
        f" {r['generator_waited']:.0%}, connected {r['connected']},"
        f" {r['server'] or ''}"
    )


def _ratios(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    """Each round against the baseline's round next to it: the machine was the same."""
    pairs = zip(ours, theirs, strict=True)
    cpu = [a["server_core_share"] / b["server_core_share"] for a, b in pairs]
    print(f"server CPU, this tree / baseline, per round: {', '.join(f'{x:.2f}' for x in cpu)}")


def _summary(mode: str, size: int, rounds: list[dict[str, Any]]) -> None:
    def pick(key: str) -> list[float]:
        return [float(r[key]) for r in rounds if r[key] is not None]

    def counter(key: str) -> list[float]:
        return [float(r["server"][key]) for r in rounds if key in r["server"]]

    loads = [x for r in rounds for x in r["load_average"]]
    print(
        f"{mode} {size}: participants/core {spread(pick('participants_per_core'), 1)};"
        f" cpu/participant {spread(pick('cpu_per_participant_pct'))} %;"
        f" added latency {spread(pick('added_latency_ms'), 1)} ms"
        f" (95th percentile {spread(pick('added_latency_p95_ms'), 1)} ms);"
        f" frames {spread(pick('frames_received_pct'), 1)} %;"
        f" late ticks {spread(counter('late_ticks'), 0)}, inputs skipped"
        f" {spread(counter('inputs_skipped'), 0)}, outputs dropped"
        f" {spread(counter('outputs_dropped'), 0)}; decoded"
        f" {spread(counter('inputs_decoded'), 0)}, not decoded (quiet)"
        f" {spread(counter('inputs_quiet'), 0)}; encodes {spread(counter('encodes'), 0)};"
        f" generator {spread(pick('generator_core_share'))} core;"
        f" load average {min(loads):.2f} to {max(loads):.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="run", choices=["run", "serve"])
    parser.add_argument("--mode", default="mix")
    parser.add_argument("--size", type=int, default=4)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 12])
    parser.add_argument("--modes", nargs="+", default=["mix", "forward"])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rooms", type=int, default=1, help="rooms of each size at once (mix)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per configuration")
    parser.add_argument(
        "--baseline", type=Path, help="another source tree's server, interleaved with this one"
    )
    parser.add_argument("--no-levels", action="store_true", help="clients send no RFC 6464 levels")
    parser.add_argument("--json", type=argparse.FileType("w"), help="also write JSON here")
    parser.add_argument(
        "--profile", type=Path, help="cProfile this tree's server each round into this directory"
    )
    args = parser.parse_args()
    if args.command == "serve":
        asyncio.run(serve(args.mode, args.size, args.port, args.rooms, args.profile))
    else:
        sys.exit(asyncio.run(main(args)))
