"""The architecture as the README draws it, checked by import-linter's contracts.

``pyproject.toml`` holds the contracts (``[tool.importlinter]``): imports point one way,
``server -> moderation -> rooms``; the domain imports no transport; ``server`` never
imports the unmoderated primitives of ``rooms.primitives``. ``make lint`` runs them; so
does this test, so ``pytest`` alone fails when a line is crossed.

The tests keep a line of their own: no module under ``tests/`` imports a test module
(``test_*.py``). Shared steps live in helper modules (``tests/support.py``,
``tests/server/chaos.py``, ``tests/moderation/circle.py``, …) and fixtures in
``conftest.py``, so running, moving or deleting one test module never changes another.
"""

from __future__ import annotations

import ast
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


def _test_modules_imported(source: str) -> list[str]:
    """The test modules (``test_*``) a module's source imports, by dotted name."""
    named: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            named += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            named.append(node.module)
            named += [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in named if name.rsplit(".", 1)[-1].startswith("test_")]


def test_no_module_of_the_tests_imports_a_test_module() -> None:
    crossings = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (found := _test_modules_imported(path.read_text()))
    }
    assert crossings == {}, "move the shared helper to a helper module or a conftest.py"


def test_the_test_module_check_sees_each_way_of_importing_one() -> None:
    """Guards the guard."""
    for source in (
        "from tests.server.test_cli import hearth\n",
        "import tests.moderation.test_rules\n",
        "from tests.server import test_cli\n",
        "def f() -> None:\n    from tests.web.test_join import x\n",
    ):
        assert _test_modules_imported(source), source
    assert not _test_modules_imported("from tests.support import token\nimport pytest\n")
