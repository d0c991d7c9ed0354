"""The scale-out benchmark still runs end to end (a tiny room, a second of chat)."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT


def test_scaleout_benchmark_runs_and_delivers_everything() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.scaleout",
            *("--n", "3", "--rate", "20", "--seconds", "1"),
            *("--rounds", "1", "--listener-processes", "1"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    (row,) = [line for line in run.stdout.splitlines() if line.startswith("| this tree")]
    assert "| 60/60 |" in row, run.stdout + run.stderr
