"""The fan-out benchmark still runs end to end (a tiny room, half a second of sending)."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT


def test_fanout_benchmark_runs_and_delivers_everything() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.fanout",
            "--n",
            "3",
            "--rate",
            "20",
            "--seconds",
            "0.5",
            "--warm-up",
            "0.2",
            "--listener-processes",
            "1",
            "--only",
            "reference 1",
            "--only",
            "embedded",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=50,
        check=True,
    )
    rows = [line for line in run.stdout.splitlines() if line.startswith("| reference 1")]
    rows += [line for line in run.stdout.splitlines() if line.startswith("| hearth embedded")]
    assert len(rows) == 2, run.stdout + run.stderr
    for row in rows:
        assert "| 30/30 |" in row, row  # 10 messages to 3 listeners, none lost
