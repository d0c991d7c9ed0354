"""The design tokens (web_client/static/palette.css) meet WCAG 2.1 AA in both colour
schemes: every text colour on each background it is paired with at least 4.5:1, and the
marks that carry meaning without text (input borders, the focus ring, the speaking ring)
at least 3:1. The pairs are the ones style.css uses; docs/web-client.md lists them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PALETTE = Path(__file__).resolve().parents[2] / "web_client" / "static" / "palette.css"

TEXT = [
    ("ink", "paper"), ("ink", "card"), ("ink", "mine"), ("muted", "paper"), ("muted", "card"),
    ("muted", "soft"), ("accent", "card"), ("accent", "paper"), ("accent-ink", "accent"),
    ("accent-soft-ink", "accent-soft"), ("danger", "card"), ("danger-ink", "danger"),
    ("danger-soft-ink", "danger-soft"), ("warn-soft-ink", "warn-soft"), ("ok", "card"),
    ("ok-soft-ink", "ok-soft"), ("hand-soft-ink", "hand-soft"),
    ("violet-soft-ink", "violet-soft"),
    *((f"tile-{c}-ink", f"tile-{c}") for c in ("sage", "sky", "sand", "rose", "lilac", "teal")),
]  # fmt: skip
MARKS = [("line", "card"), ("line", "paper"), ("focus", "paper"), ("focus", "card"),
         ("speaking", "paper"), ("warn-line", "warn-soft")]  # fmt: skip


def schemes() -> dict[str, dict[str, str]]:
    css = PALETTE.read_text()
    light_part, dark_part = css.split("@media (prefers-color-scheme: dark)")
    light = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", light_part))
    dark = {**light, **dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", dark_part))}
    return {"light": light, "dark": dark}


def contrast(one: str, two: str) -> float:
    def luminance(colour: str) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_token_pair_meets_wcag_aa(scheme: str) -> None:
    colours = schemes()[scheme]
    weak = [
        f"--{fg} on --{bg}: {contrast(colours[fg], colours[bg]):.2f}"
        for pairs, least in ((TEXT, 4.5), (MARKS, 3.0))
        for fg, bg in pairs
        if contrast(colours[fg], colours[bg]) < least
    ]
    assert weak == []


def test_the_dark_scheme_sets_every_colour_the_light_one_does() -> None:
    css = PALETTE.read_text()
    light_part, dark_part = css.split("@media (prefers-color-scheme: dark)")
    light = set(re.findall(r"--([a-z-]+):\s*#", light_part))
    dark = set(re.findall(r"--([a-z-]+):\s*#", dark_part))
    assert light - dark == set(), "a colour the dark scheme forgot"
