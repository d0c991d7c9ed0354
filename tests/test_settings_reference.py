"""The settings reference is made from the code: every variable ``Settings.from_env``
reads is in it and nothing else, its defaults are ``Settings``' own (and ``from_env``
agrees with them), and the README's table and ``hearth serve --help`` are exactly what it
generates, so neither can drift."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

from server.settings import Settings
from server.settings_reference import REFERENCE, markdown
from tests.support import ROOT, SECRET, server_env

SOURCE = (ROOT / "server" / "settings.py").read_text()


def test_the_reference_names_every_variable_settings_reads_and_no_other() -> None:
    read = set(re.findall(r'"((?:HEARTH_[A-Z_]+)|REDIS_URL)"', SOURCE))
    assert {s.variable for s in REFERENCE} == read
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert {s.field for s in REFERENCE} == fields


def test_from_env_defaults_are_the_dataclass_defaults_the_reference_shows() -> None:
    built = Settings.from_env({"HEARTH_SECRET": SECRET})
    for field in dataclasses.fields(Settings):
        if field.default is not dataclasses.MISSING:
            assert getattr(built, field.name) == field.default, field.name


def test_the_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert markdown() in readme, "run: python -m server.settings_reference, paste into README"


def test_serve_help_lists_every_setting_with_its_default() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--help"],
        cwd=ROOT,
        env=server_env(None),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    for setting in REFERENCE:
        assert f"  {setting.variable} (default: {setting.shown_default()})" in shown


def test_the_generated_table_shows_real_defaults() -> None:
    table = markdown()
    assert "| `HEARTH_HEARTBEAT_MS` | `2000` |" in table
    assert "| `HEARTH_TRUST_PROXY` | `0` |" in table
    assert "| `REDIS_URL` | unset |" in table
