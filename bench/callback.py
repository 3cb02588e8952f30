"""Consent callbacks per second: state check, MSAL token, Graph, encryption and the write.

    python -m bench.callback [--n 200] [--c 10] [--postgres-url URL]

Also reports the server's CPU time per callback (its process's, from /proc, the callbacks'
tasks included), which the shared machine's load moves far less than throughput.

The callbacks go to ``zoomcal serve`` in its own process, as an operator runs it; the fake
Microsoft, Zoom and Slack and the client firing the callbacks share this process. (Sharing
one process and its interpreter lock with the fakes, the server got well under a core.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.databases import bench_databases
from bot.domain import Actor, Choices, Scope
from tests.harness import ADMIN, TEAM, Replica, Stack


async def consent_states(stack: Stack, prefix: str, n: int) -> list[str]:
    """``n`` pending consent links, one per new Zoom group; returns their states."""
    stack.zoom.add_groups([f"{prefix} {i:04}" for i in range(n)])
    services = stack.runtime.services
    await services.deps.directory.refresh()
    groups, _ = await services.deps.directory.page(prefix, 0, n)
    states = []
    for i, group in enumerate(groups):
        sent = await services.enable.request_consent(
            Actor(TEAM, ADMIN), Scope.group(group.id, group.name), Choices(), f"{prefix}-{i}"
        )
        states.append(parse_qs(urlsplit(sent.url).query)["state"][0])
    return states


async def fire(stack: Stack, base: str, states: list[str], c: int) -> tuple[float, list[float], dict[int, int]]:
    """Sends the callbacks from ``c`` workers; returns the seconds taken, latencies and statuses."""
    queue: asyncio.Queue = asyncio.Queue()
    for state in states:
        queue.put_nowait(state)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        while not queue.empty():
            state = queue.get_nowait()
            started = time.perf_counter()
            status, _, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state), base=base)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(c)))
    return time.perf_counter() - started, latencies, statuses


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system), from /proc: what a callback costs the server,
    which moves far less with the shared machine's load than callbacks per second do."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def settled(stack: Stack) -> None:
    """Until the fakes heard nothing for half a second: the callbacks' tasks (DMs, preflight) are done."""
    seen = -1
    while seen != (now := len(stack.microsoft.requests) + len(stack.zoom.requests) + len(stack.slack.requests)):
        seen = now
        await asyncio.sleep(0.5)


async def measure(stack: Stack, base: str, n: int, c: int, pid: int) -> dict:
    """A warm-up (the server's first callbacks compile its SQL), then ``n`` measured callbacks."""
    await fire(stack, base, await consent_states(stack, "Warm", 2 * c), c)
    states = await consent_states(stack, "Bench", n)
    await settled(stack)
    cpu = cpu_seconds(pid)
    elapsed, latencies, statuses = await fire(stack, base, states, c)
    await settled(stack)
    cpu = cpu_seconds(pid) - cpu
    latencies.sort()
    return {
        "callbacks": n,
        "per_second": n / elapsed,
        "server_cpu_ms": cpu * 1000 / n,
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
                    replica = await Replica(stack.env).start()  # the links are made here, in the same database
                    try:
                        results[kind] = await measure(stack, replica.url, args.n, args.c, replica.process.pid)
                    finally:
                        await replica.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--c", type=int, default=10)
    parser.add_argument("--postgres-url", help="a PostgreSQL server (any database): the run uses a fresh one")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(f"{'database':12} {'per second':>11} {'p50 ms':>8} {'p99 ms':>8} {'server CPU ms':>14}")
    for kind, r in results.items():
        print(f"{kind:12} {r['per_second']:11.1f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['server_cpu_ms']:14.2f}")
    print(json.dumps({
        "bench": "callback", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}", "results": results,
    }))


if __name__ == "__main__":
    main()
