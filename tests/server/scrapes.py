"""Reading a running server as a monitoring system and a load balancer do: ``/metrics``
parsed into samples, and the probes (``/livez``, ``/readyz``)."""

from __future__ import annotations

from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(url: str, headers: dict[str, str] | None = None) -> tuple[str, Samples]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/metrics", headers=headers) as response,
    ):
        assert response.status == 200, response.status
        assert response.content_type == "text/plain"
        text = await response.text()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def probe(url: str, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}{path}") as response:
        return response.status, await response.json()
