"""Allowances as pure arithmetic (``rooms.allowances``): what fits, and how long to wait."""

from __future__ import annotations

import pytest

from rooms.allowances import Allowance, fits, wait_ms

W = 10_000
FIXED = Allowance("sam:chat", 10, W)
SLIDING = Allowance("@address:tag:join", 10, W, sliding=True)


def test_a_fixed_allowance_ignores_the_last_window() -> None:
    assert fits(10, 9, FIXED, 0)
    assert not fits(0, 10, FIXED, 2_500)
    assert wait_ms(0, 10, FIXED, 2_500) == 7_500  # to the next window's start


def test_a_sliding_allowance_weighs_the_last_window_by_what_is_still_inside() -> None:
    assert not fits(10, 0, SLIDING, 0)  # all of the last window is inside
    assert wait_ms(10, 0, SLIDING, 0) == 1_000  # until a tenth of it has slid out
    assert fits(10, 0, SLIDING, 1_000)
    assert not fits(10, 1, SLIDING, 1_000)
    assert wait_ms(10, 1, SLIDING, 1_000) == 1_000
    assert fits(10, 5, SLIDING, 6_000)  # 4 of the last + 5 + 1


def test_a_full_window_waits_into_the_next_one() -> None:
    """Ten this window: the next one starts with all ten inside, so the wait runs past the
    window's end until a tenth of them has slid out."""
    assert wait_ms(0, 10, SLIDING, 4_000) == 6_000 + 1_000
    single = Allowance("k", 1, W, sliding=True)
    assert wait_ms(0, 1, single, 0) == 2 * W  # the one must slide out whole


@pytest.mark.parametrize("allowance", [FIXED, SLIDING], ids=["fixed", "sliding"])
def test_the_wait_lands_where_one_more_fits(allowance: Allowance) -> None:
    for last in range(0, 12):
        for this in range(0, 12):
            for now in range(0, 2 * W, 250):
                wait = wait_ms(last, this, allowance, now)
                if not wait:
                    assert fits(last, this, allowance, now)
                    continue
                assert not fits(last, this, allowance, now)
                later = now + wait
                crossed = later // W > now // W
                # Across a window's start, this window's count becomes the last one's.
                after = (this, 0) if crossed and later // W == now // W + 1 else (last, this)
                if later // W > now // W + 1:
                    after = (0, 0)
                assert fits(*after, allowance, later), (last, this, now, wait)
                assert not fits(*after, allowance, later - 1) or (later - 1) // W != later // W


def test_an_allowance_needs_a_positive_count_and_window() -> None:
    with pytest.raises(ValueError, match="positive"):
        Allowance("k", 0, W)
