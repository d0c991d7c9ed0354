"""Node socket.io 4, the benchmarks' reference: ``bench/node/server.js``, whose packages
(socket.io, @socket.io/redis-adapter, redis) are pinned by ``bench/node/package-lock.json``
and installed by ``npm ci`` into ``bench/node/node_modules`` the first time a benchmark
needs them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from typing import Protocol, TypeVar

from tests.support import ROOT

NODE_DIR = ROOT / "bench" / "node"
NODE_SERVER = NODE_DIR / "server.js"
PACKAGES = ("socket.io", "@socket.io/redis-adapter", "redis")
INSTALL_S = 300


def installed() -> bool:
    """Whether node and the reference's packages are there."""
    modules = NODE_DIR / "node_modules"
    return shutil.which("node") is not None and all((modules / p).is_dir() for p in PACKAGES)


def install() -> bool:
    """``npm ci`` the reference's packages unless they are installed; whether they are."""
    if installed():
        return True
    if shutil.which("npm") is None or shutil.which("node") is None:
        print("node and npm are not installed: no Node reference", file=sys.stderr)
        return False
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, timeout=INSTALL_S, check=False
    )
    if done.returncode != 0:
        print("npm ci failed in bench/node: no Node reference", file=sys.stderr)
    return installed()


class _Runs(Protocol):
    @property
    def node(self) -> bool: ...


Run = TypeVar("Run", bound=_Runs)


def available(chosen: Sequence[Run]) -> list[Run]:
    """``chosen``, without its Node runs if Node's packages cannot be installed."""
    if any(run.node for run in chosen) and not install():
        return [run for run in chosen if not run.node]
    return list(chosen)
