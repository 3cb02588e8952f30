"""The first second after start: a crowd of first requests against a freshly started zoomcal.

    python -m bench.cold_start [--crowd 50] [--groups 20000] [--repeat 3] [--postgres-url URL]

Each repeat starts `zoomcal serve` on an empty database (the fake Zoom holds --groups groups)
and, as soon as /readyz answers, one admin sends --crowd concurrent `/zoomcal status group
Sales`: the directory and the admin's role are not loaded yet, so every answer waits for them.
Reported per request, from sending it to its answer reaching the user (in the ack, or posted
to its response_url): the first, the median and the last answer, and the spread between the
first and the last (the crowd should be released together once the load completes). The
baseline is the same crowd against the same replica once warm, in the same run; the ratios
are against its median. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from tests.databases import fresh_postgres
from tests.fakes import FakeSlack
from tests.harness import ADMIN, TEAM, Replica, Stack


async def ask(stack: Stack, url: str, text: str) -> float:
    """Seconds from sending a command to its answer (the ack's, or its response_url post)."""
    response_url = stack.slack.new_response_url()
    form = {
        "team_id": TEAM, "user_id": ADMIN, "command": "/zoomcal", "text": text, "api_app_id": "A0ZOOMCAL",
        "channel_id": "C0GENERAL", "response_url": response_url, "trigger_id": stack.slack.new_trigger_id(),
    }
    sent = time.monotonic()
    form_type = "application/x-www-form-urlencoded"
    status, body = await stack.post_slack(urlencode(form).encode(), content_type=form_type, base=url)
    assert status == 200, body
    if "answer follows" not in body:
        return time.monotonic() - sent
    path = response_url.removeprefix(stack.slack.url)
    [posted] = (await stack.slack.wait_for(
        lambda r: r.path == path and FakeSlack.is_response(r) and b"answer follows" not in r.body, timeout=30
    ))[:1]
    return posted.at - sent


async def crowd(stack: Stack, url: str, size: int) -> list[float]:
    return sorted(await asyncio.gather(*(ask(stack, url, "status group Sales") for _ in range(size))))


def summary(waits: list[float]) -> dict:
    return {
        "first_ms": waits[0] * 1000, "p50_ms": statistics.median(waits) * 1000, "last_ms": waits[-1] * 1000,
        "spread_ms": (waits[-1] - waits[0]) * 1000,
    }


async def run(args) -> dict:
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with Stack(Path(tmp), f"sqlite+aiosqlite:///{tmp}/stack.db") as stack, AsyncExitStack() as fresh:
            stack.zoom.add_groups([f"Group {i:05}" for i in range(args.groups)])
            for repeat in range(args.repeat):
                databases = {"sqlite": f"sqlite+aiosqlite:///{tmp}/cold-{repeat}.db"}
                if args.postgres_url:
                    databases["postgresql"] = await fresh.enter_async_context(
                        fresh_postgres(args.postgres_url, prefix="zoomcal_bench_cold")
                    )
                for kind, database_url in databases.items():
                    replica = await Replica(stack.env | {"ZOOMCAL_DATABASE_URL": database_url}).start()
                    try:
                        cold = summary(await crowd(stack, replica.url, args.crowd))
                        await asyncio.sleep(1.0)  # answers posted late are in; the caches stay warm
                        warm = summary(await crowd(stack, replica.url, args.crowd))
                    finally:
                        await replica.stop()
                    results.setdefault(kind, []).append({
                        **cold, "warm_p50_ms": warm["p50_ms"], "warm_last_ms": warm["last_ms"],
                        "last_x_warm_p50": cold["last_ms"] / warm["p50_ms"],
                        "spread_x_warm_p50": cold["spread_ms"] / warm["p50_ms"],
                    })
    return {kind: {key: statistics.median(r[key] for r in rounds) for key in rounds[0]} | {"rounds": rounds}
            for kind, rounds in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crowd", type=int, default=50)
    parser.add_argument("--groups", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres-url", help="a PostgreSQL server (any database): each repeat uses a fresh one")
    args = parser.parse_args()
    outcome = asyncio.run(run(args))
    print(f"{'database':12} {'first ms':>9} {'p50 ms':>8} {'last ms':>8} {'spread ms':>10} {'warm p50':>9} "
          f"{'last×warm':>10} {'spread×warm':>12}")
    for kind, r in outcome.items():
        print(f"{kind:12} {r['first_ms']:9.0f} {r['p50_ms']:8.0f} {r['last_ms']:8.0f} {r['spread_ms']:10.0f} "
              f"{r['warm_p50_ms']:9.1f} {r['last_x_warm_p50']:10.1f} {r['spread_x_warm_p50']:12.2f}")
    print(json.dumps({
        "bench": "cold_start", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}", "crowd": args.crowd, "groups": args.groups,
        "results": outcome,
    }))


if __name__ == "__main__":
    main()
