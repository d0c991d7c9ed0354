"""The fan-out benchmarks still run end to end (a tiny room, a second or so of sending)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench import node_reference
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


@pytest.mark.skipif(
    not node_reference.installed(),
    reason="Node socket.io's packages are not in bench/node/node_modules (`npm ci` there)",
)
def test_saturation_search_steps_node_and_hearth_and_reports_ratios() -> None:
    """Two steps each for Node socket.io and Hearth: every Node server stops with the run."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.saturation",
            "--n",
            "3",
            "--rate",
            "20",
            "--step",
            "2",
            "--max-rate",
            "40",
            "--seconds",
            "0.3",
            "--warm-up",
            "0.2",
            "--listener-processes",
            "1",
            "--only",
            "node 1",
            "--only",
            "embedded",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=50,
        check=True,
    )
    rows = {line.split("|")[1].strip(): line for line in run.stdout.splitlines()[2:]}
    assert set(rows) == {"node 1 process", "hearth embedded 1 process"}, run.stdout + run.stderr
    node_cells = rows["node 1 process"].split("|")
    assert node_cells[3].strip() == "1.00"  # Node to itself
    for row in rows.values():
        assert float(row.split("|")[4]) >= 20, row  # at least the first step passed
