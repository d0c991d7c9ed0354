"""The mixer's own cost per tick, in CPU time: one 12-person room, no network.

    .venv/bin/python -m bench.audio_tick                         # this tree
    .venv/bin/python -m bench.audio_tick --baseline /tmp/before  # side by side

``bench/audio.py`` measures everything a media host does (RTP, SRTP, ICE, the mixer) but
its figures need an idle machine: on a shared one the server is starved, does less work,
and its CPU per participant falls with its frame count. This measures only what
``RoomMixer.mix_one_tick`` does (take each input, levels, voice gate, mix, encode, hand
each listener a packet) in *CPU time* of its own process (``time.process_time``), which
waiting for a CPU does not inflate; so two trees compare on a busy machine too. Each
tree runs in its own process, in turns, ``--rounds`` times. Inputs are what the receive
path hands the mixer: decoded frames for a voice, ``accept_quiet`` for a frame its sender
said was quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZE = 12
# Who speaks, per scenario: (speakers, speaking ticks out of every 25). The benchmark's
# room: one person, 100 ms bursts every 500 ms; a talk: one person without a pause.
SCENARIOS = {"quiet room": (0, 0), "bursts": (1, 5), "one talks": (1, 25), "two talk": (2, 25)}


def run_here(ticks: int) -> dict[str, float]:
    """In the tree on ``sys.path``: CPU µs per tick of each scenario."""
    import asyncio

    import numpy as np

    from rooms.identity import Role
    from rooms.state import Connection, Member, RoomState
    from server.media import mixing
    from server.media.host import MixedTrack, Peer, RoomMixer

    def tone(freq: float, tick: int) -> Any:
        n = np.arange(tick * 960, (tick + 1) * 960)
        mono = (6000 * np.sin(2 * np.pi * freq * n / 48_000)).astype(np.int16)
        return np.repeat(mono, 2)

    async def scenario(speakers: int, speaking: int) -> float:
        names = [f"p{i}" for i in range(SIZE)]
        members = tuple(
            Member(n, f"s{n}", n, Role.PARTICIPANT, 0, Connection("x", f"sid-{n}")) for n in names
        )
        mixer = RoomMixer("r", RoomState("r", members=members), [], _noop, _noop)
        for n in names:
            mixer.peers[n] = Peer(n, None, MixedTrack())  # type: ignore[arg-type]
        voices = [[tone(440 + 220 * i, t) for t in range(25)] for i in range(speakers)]
        started = time.process_time()
        for tick in range(ticks):
            for i, name in enumerate(names):
                peer = mixer.peers[name]
                if i < speakers and tick % 25 < speaking:
                    peer.inbox.append(voices[i][tick % 25])
                else:
                    peer.accept_quiet(-127)
            mixer.mix_one_tick()
        spent = time.process_time() - started
        for peer in mixer.peers.values():
            peer.out.stop()
        return 1e6 * spent / ticks

    async def all_of_them() -> dict[str, float]:
        return {name: await scenario(*how) for name, how in SCENARIOS.items()}

    assert mixing.FRAME_VALUES == 1920
    return asyncio.run(all_of_them())


def _noop(*_: Any) -> None:
    return None


def measure(root: Path, ticks: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.audio_tick", "--here", "--ticks", str(ticks)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(args: argparse.Namespace) -> None:
    trees = [ROOT] if args.baseline is None else [ROOT, args.baseline.resolve()]
    print(f"load average at start: {os.getloadavg()}, {os.cpu_count()} cores; {args.ticks} ticks")
    results: dict[Path, list[dict[str, float]]] = {tree: [] for tree in trees}
    for n in range(args.rounds):
        for tree in trees if n % 2 == 0 else trees[::-1]:
            results[tree].append(measure(tree, args.ticks))
    print(f"load average at the end: {os.getloadavg()}")
    print("CPU µs per tick of one 12-person room, median (min to max) over rounds")
    for name in SCENARIOS:
        line = [f"{name}:"]
        for tree in trees:
            values = [r[name] for r in results[tree]]
            label = "this tree" if tree == ROOT else str(tree)
            line.append(
                f"{label} {statistics.median(values):.0f} ({min(values):.0f} to {max(values):.0f})"
            )
        if len(trees) == 2:
            pairs = zip(results[trees[0]], results[trees[1]], strict=True)
            ratios = [a[name] / b[name] for a, b in pairs]
            line.append(f"ratio per round {', '.join(f'{x:.2f}' for x in ratios)}")
        print("  ".join(line))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=1500, help="per scenario (30 s of audio)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another source tree, in turns with this")
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.here:
        print(json.dumps(run_here(args.ticks)))
    else:
        main(args)
