"""The admin and scheduling settings are read once, and a bad value names its variable."""

from __future__ import annotations

import pytest

from server.settings import Settings, SettingsError
from tests.support import SECRET

BASE = {"HEARTH_SECRET": SECRET}


def test_admin_and_schedule_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "HEARTH_ADMIN_TOKEN": "a" * 32,
            "HEARTH_SCHEDULER_TICK_MS": "250",
            "HEARTH_CLOSE_WHEN_EMPTY_MINUTES": "20",
            "HEARTH_PUBLIC_URL": "https://hearth.example.org/",
        }
    )
    assert settings.admin_token == "a" * 32
    assert settings.scheduler_tick_ms == 250
    assert settings.close_when_empty_minutes == 20
    assert settings.public_url == "https://hearth.example.org"


def test_the_admin_api_is_off_unless_a_token_is_set() -> None:
    settings = Settings.from_env(BASE)
    assert settings.admin_token is None
    assert settings.close_when_empty_minutes == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HEARTH_ADMIN_TOKEN", "short"),
        ("HEARTH_SCHEDULER_TICK_MS", "0"),
        ("HEARTH_CLOSE_WHEN_EMPTY_MINUTES", "-1"),
        ("HEARTH_PUBLIC_URL", "hearth.example.org"),
    ],
)
def test_a_bad_value_fails_at_start_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**BASE, name: value})
