"""How the Redis store's parts reach Redis: key names under the configured prefix
(``server.stores.redis_keys``), replies read as bytes or text, and Redis out of reach as
a coded refusal."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from redis.exceptions import (
    AskError,
    ClusterDownError,
    RedisClusterUnreachableError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.errors import StoreUnavailable
from server.ops import metrics
from server.stores.redis_keys import Keys

__all__ = ["ELSEWHERE", "LOST", "UNREACHABLE", "Keys", "guarded", "raw", "text"]

P = ParamSpec("P")
R = TypeVar("R")

# What an unanswered or broken connection raises (redis-py's own, the socket's, asyncio's).
LOST = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)
# What a Redis Cluster answers instead of running a command while a slot moves or a master
# fails over (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, no node for the slot yet): it ran nothing,
# and redis-py learns the new layout from it, so a later attempt finds the right shard.
ELSEWHERE = (
    AskError,
    TryAgainError,
    ClusterDownError,
    SlotNotCoveredError,
    RedisClusterUnreachableError,
)
UNREACHABLE = "the server cannot reach its store right now; try again shortly"


def text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def raw(reply: bytes | str) -> bytes:
    return reply.encode() if isinstance(reply, str) else reply


def guarded(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Redis being unreachable becomes a coded refusal instead of a traceback."""

    @functools.wraps(method)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError, OSError, *ELSEWHERE) as exc:
            metrics.REDIS_ERRORS.labels("store").inc()
            raise StoreUnavailable(UNREACHABLE) from exc

    return guarded
