"""docs/architecture.md names every module of ``server/`` where it is, and no other: its
table of ``server/`` is the file list, kept true when a module is added, moved or split."""

from __future__ import annotations

import re

from tests.support import ROOT

DOC = (ROOT / "docs" / "architecture.md").read_text()
SERVER = ROOT / "server"


def _named() -> set[str]:
    """Each module the table names, as a path under ``server/`` without ``.py``."""
    named: set[str] = set()
    for row in re.findall(r"^  \| (.+) \| (.+) \|$", DOC, re.MULTILINE):
        where, what = row
        if where.strip() in {"where", "---"}:
            continue
        folders = re.findall(r"`([a-z_]+)/`", where)
        if folders:  # a package: its modules are named in the second cell
            (folder,) = folders
            named |= {f"{folder}/{name}" for name in re.findall(r"`([a-z_]+)`", what)}
        else:  # top-level modules, named by file
            named |= {name for name in re.findall(r"`([a-z_]+)\.py`", where)}
    return named


def test_the_architecture_doc_names_every_server_module_and_no_other() -> None:
    modules = {
        str(path.relative_to(SERVER).with_suffix(""))
        for path in SERVER.rglob("*.py")
        if path.name != "__init__.py"
    }
    assert _named() == modules
