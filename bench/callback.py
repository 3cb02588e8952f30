"""Consent callbacks per second: state check, MSAL token, Graph, encryption and the write.

    python -m bench.callback [--n 200] [--c 10] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.databases import bench_databases
from bot.domain import Actor, Choices, Scope
from tests.harness import ADMIN, TEAM, Stack


async def measure(stack: Stack, n: int, c: int) -> dict:
    stack.zoom.add_groups([f"Bench {i:04}" for i in range(n)])
    services = stack.runtime.services
    groups, _ = await services.deps.directory.page("bench", 0, n)
    states = []
    for i, group in enumerate(groups):
        sent = await services.enable.request_consent(
            Actor(TEAM, ADMIN), Scope.group(group.id, group.name), Choices(), f"bench-{i}"
        )
        states.append(parse_qs(urlsplit(sent.url).query)["state"][0])
    queue: asyncio.Queue = asyncio.Queue()
    for state in states:
        queue.put_nowait(state)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        while not queue.empty():
            state = queue.get_nowait()
            started = time.perf_counter()
            status, _, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state))
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(c)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "callbacks": n,
        "per_second": n / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "statuses": statuses,
    }


async def run(args) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_databases(tmp, "callback", args.postgres_url) as databases:
            for kind, url in databases.items():
                async with Stack(Path(tmp), url) as stack:
                    results[kind] = await measure(stack, args.n, args.c)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--c", type=int, default=10)
    parser.add_argument("--postgres-url", help="a PostgreSQL server (any database): the run uses a fresh one")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(f"{'database':12} {'per second':>11} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, r in results.items():
        print(f"{kind:12} {r['per_second']:11.1f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f}")
    print(json.dumps({
        "bench": "callback", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}", "results": results,
    }))


if __name__ == "__main__":
    main()
