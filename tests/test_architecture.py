"""The architecture as the README draws it, checked by import-linter's contracts.

``pyproject.toml`` holds the contracts (``[tool.importlinter]``): imports point one way,
``server -> moderation -> rooms``; the domain imports no transport; ``server`` never
imports the unmoderated primitives of ``rooms.primitives``. ``make lint`` runs them; so
does this test, so ``pytest`` alone fails when a line is crossed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

PACKAGES = {
    "rooms/__init__.py": "",
    "rooms/primitives.py": "def join() -> None: ...\n",
    "rooms/state.py": "",
    "moderation/__init__.py": "",
    "moderation/admission.py": "from rooms import primitives\n",
    "server/__init__.py": "",
}


def _lint(cwd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _sample(tmp_path: Path, extra: dict[str, str]) -> Path:
    for name, text in {**PACKAGES, **extra}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    config = tmp_path / "pyproject.toml"
    config.write_text((ROOT / "pyproject.toml").read_text())
    return config


def test_the_import_contracts_hold() -> None:
    result = _lint(ROOT, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_the_contracts_see_each_crossing(tmp_path: Path) -> None:
    """Guards the guard: the same contracts, on a small tree that crosses every line."""
    clean = _sample(tmp_path / "clean", {})
    assert _lint(clean.parent, clean).returncode == 0
    crossings = {
        "rooms/state.py": "import moderation.admission\n",  # the base imports what builds on it
        "moderation/admission.py": "def f() -> None:\n    import redis.asyncio\n",  # transport
        "server/__init__.py": "from rooms.primitives import join\n",  # skips every policy
    }
    for path, text in crossings.items():
        config = _sample(tmp_path / path.replace("/", "_"), {path: text})
        result = _lint(config.parent, config)
        assert result.returncode == 1, (path, result.stdout)
        assert "1 broken" in result.stdout, (path, result.stdout)
