"""The many-rooms benchmark still runs end to end (three rooms, a second of chat, one
process, on one Redis, on a cluster, with python-socketio's manager and with Node
socket.io's sharded adapter on both)."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT


def test_spread_benchmark_runs_and_delivers_everything() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.spread",
            *("--rooms", "3", "--listeners", "2", "--rate", "5", "--seconds", "1"),
            *("--rounds", "1", "--processes", "1"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
        check=True,
    )
    rows = [
        line
        for line in run.stdout.splitlines()
        if line.startswith(("| hearth", "| node")) or "AsyncRedis" in line
    ]
    assert len(rows) == 5, run.stdout + run.stderr
    for row in rows:
        assert "| 30/30 |" in row, run.stdout + run.stderr
