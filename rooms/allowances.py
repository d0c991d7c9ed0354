"""Allowances: how many actions of one kind may be made per window, and how long to wait.

An allowance is ``count`` actions per ``window_ms`` for whatever is counted under its
key (a participant's chat, an address's joins). The store counts each window of the wall
clock under a key of its own (``window_key``), and decides with these functions, in one
atomic step, whether one more action fits:

- **Fixed**: only this window's count matters; it starts again from zero at each
  window's start. A participant's own limits are fixed.
- **Sliding**: the count over the window that ends *now*: this window's count plus the
  last window's, weighed by how much of the last window is still inside it. What a
  sliding allowance lets through comes evenly: a flood that used it all in one window
  gets, at the next window's start, nothing, and then one more action each time enough
  of the last window has slid out, instead of the whole allowance at once at every
  window's start (which is what slowed other rooms down at each window's start). An
  address's limits slide.

A refused action takes nothing from any allowance (``fits`` is asked of every allowance
before any counts it). Integer arithmetic throughout, so the store's script and this
module decide alike.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Allowance:
    key: str
    count: int
    window_ms: int
    sliding: bool = False

    def __post_init__(self) -> None:
        if self.count < 1 or self.window_ms < 1:
            raise ValueError("an allowance needs a positive count and window")

    def window_key(self, now_ms: int, back: int = 0) -> str:
        """Where the window ``back`` windows before the one ``now_ms`` is in is counted."""
        return f"{self.key}:{now_ms // self.window_ms - back}"

    def into(self, now_ms: int) -> int:
        """How far (ms) into its window ``now_ms`` is."""
        return now_ms % self.window_ms


def fits(last: int, this: int, allowance: Allowance, now_ms: int) -> bool:
    """Whether one more action fits, with ``this`` counted in the current window and
    ``last`` in the one before (ignored unless the allowance slides)."""
    window = allowance.window_ms
    weighed = last * (window - allowance.into(now_ms)) if allowance.sliding else 0
    return weighed + (this + 1) * window <= allowance.count * window


def wait_ms(last: int, this: int, allowance: Allowance, now_ms: int) -> int:
    """How long (ms) until one more action fits, if nothing else is counted meanwhile;
    0 when it fits now."""
    if fits(last, this, allowance, now_ms):
        return 0
    window, into = allowance.window_ms, allowance.into(now_ms)
    if not allowance.sliding:
        return window - into
    if this < allowance.count and last > 0:
        # Later in this window less of the last one is inside: wait until little enough is.
        inside = ((allowance.count - this - 1) * window) // last
        return max(1, window - inside - into)
    # This window is full: in the next one, this window is the last one.
    inside = ((allowance.count - 1) * window) // this
    return window - into + max(0, window - inside)
