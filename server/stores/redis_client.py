"""A Redis client for ``REDIS_URL``: one server, or a Redis Cluster.

``redis://`` (``rediss://`` with TLS) names one Redis server; ``redis+cluster://host:port``
(``rediss+cluster://``) names any node of a Redis Cluster, from which redis-py's cluster
client learns the others and routes each command to the shard holding its key's slot.
Everything Hearth sends in one step names keys of one slot (``server.stores.redis_keys``),
so the same commands and scripts run on both.
"""

from __future__ import annotations

from typing import Any, cast

from redis.asyncio import Redis, RedisCluster

_CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def is_cluster(url: str) -> bool:
    """Whether ``url`` names a Redis Cluster."""
    return url.partition("://")[0] in _CLUSTER_SCHEMES


def connect(url: str, **options: Any) -> Redis:
    """A client for ``url``. A cluster's client answers the commands Hearth sends as one
    server's does, so it is typed as one (``isinstance(client, RedisCluster)`` tells)."""
    scheme, _, rest = url.partition("://")
    if scheme in _CLUSTER_SCHEMES:
        return cast(Redis, RedisCluster.from_url(f"{_CLUSTER_SCHEMES[scheme]}://{rest}", **options))
    return Redis.from_url(url, **options)


def clustered(redis: Redis) -> bool:
    return isinstance(redis, RedisCluster)
