"""Shutting down ends every background task, even one whose first cancellation was lost."""

from __future__ import annotations

import asyncio

from server.app import _cancel_all


async def test_a_task_that_survives_a_cancellation_is_cancelled_again() -> None:
    """redis-py can turn a cancellation into a timeout error that a retry loop survives;
    shutdown must not then wait forever."""
    survived = 0

    async def stubborn_loop() -> None:
        nonlocal survived
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if survived == 0:
                    survived += 1
                    asyncio.current_task().uncancel()  # type: ignore[union-attr]
                    continue  # as if the cancel had become another error
                raise

    tasks = [asyncio.create_task(stubborn_loop()), asyncio.create_task(asyncio.sleep(3600))]
    await asyncio.sleep(0)
    await asyncio.wait_for(_cancel_all(tasks), timeout=5)
    assert survived == 1
    assert all(t.cancelled() for t in tasks)
