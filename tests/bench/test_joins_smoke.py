"""The join benchmarks still run end to end: a storm of 12 guests, 30 idle connections."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT


def _run(*args: str) -> tuple[list[list[str]], str]:
    run = subprocess.run(
        [sys.executable, "-m", "bench.joins", "--workers", "2", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = [line.split("|")[1:-1] for line in run.stdout.splitlines()[2:]]
    assert rows, run.stdout + run.stderr
    return [[cell.strip() for cell in row] for row in rows], run.stdout + run.stderr


def test_join_storm_acks_everyone_and_every_roster_completes() -> None:
    rows, said = _run("--storm", "--guests", "12", "--within", "0.5")
    ((config, acked, p50, p99, complete, _per_join, cpu_per_join, _load),) = rows
    assert config == "hearth embedded 1 process", said
    assert acked == "12/12", said
    assert 0 <= float(p50) <= float(p99), said
    assert float(complete) >= 0, said  # a number (not "> deadline"): every roster named all 12
    assert float(cpu_per_join) > 0, said


def test_idle_memory_is_measured() -> None:
    rows, said = _run("--idle", "30", "--settle", "0.2", "--only", "hearth embedded")
    assert [row[1] for row in rows] == ["hearth embedded 1 process"], said
    for count, _config, per_connection, _node, _load in rows:
        assert count == "30"
        float(per_connection)  # a figure, not a failure
