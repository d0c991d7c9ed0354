"""The domain knows no transport: rooms/ and moderation/ import no adapter library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"aiohttp", "socketio", "engineio", "redis", "aiortc", "msgpack", "server", "jwt"}
DOMAIN_FILES = sorted(
    p for package in ("rooms", "moderation") for p in (ROOT / package).rglob("*.py")
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_module_imports_no_transport(path: Path) -> None:
    assert not _imports(path) & FORBIDDEN


def test_the_walk_sees_a_forbidden_import(tmp_path: Path) -> None:
    """Guards the guard: imports inside functions and submodule imports are seen."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import redis.asyncio\n    from msgpack import packb\n")
    assert _imports(sample) & FORBIDDEN == {"redis", "msgpack"}
    assert len(DOMAIN_FILES) >= 7
