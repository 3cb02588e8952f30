"""Ack speed: zoomcal against a bare Bolt app, in one run, with the same fakes.

    python -m bench.ack [--n 2000] [--c 50] [--postgres-url postgresql+asyncpg://...] [--slow]

Prints a table and one JSON line. Ratios are against the bare app measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from tests.harness import SIGNING_SECRET, Replica, Stack, free_port

KINDS = ("status", "status_group", "mix")


async def load(url: str, stack: Stack, kind: str, n: int, c: int) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load", "--url", url, "--n", str(n), "--c", str(c), "--kind", kind,
        "--response-base", stack.slack.url, "--signing-secret", SIGNING_SECRET,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    return json.loads(out.decode().strip().splitlines()[-1])


async def bare_app(stack: Stack) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bare_app", "--port", str(port), "--signing-secret", SIGNING_SECRET,
        "--slack-api-url", f"{stack.slack.url}/api/", "--token", stack.slack.bot_token,
    )
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


async def run(args) -> dict:
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with Stack(Path(tmp), f"sqlite+aiosqlite:///{tmp}/stack.db") as stack:
            stack.zoom.add_groups([f"Team {i:04}" for i in range(200)])
            targets = {"bare": None, "zoomcal-sqlite": f"sqlite+aiosqlite:///{tmp}/bench.db"}
            if args.postgres_url:
                targets["zoomcal-postgresql"] = args.postgres_url
            for name, database in targets.items():
                if database is None:
                    process, url = await bare_app(stack)
                else:
                    replica = await Replica(stack.env | {"ZOOMCAL_DATABASE_URL": database}).start()
                    url = replica.url
                for kind in KINDS:
                    for variant, latency in (("fast", 0.0), ("slow", 2.5)) if args.slow else (("fast", 0.0),):
                        stack.zoom.latency = stack.microsoft.latency = latency
                        await load(url, stack, kind, min(200, args.n), args.c)  # warm up
                        results[f"{name}/{kind}/{variant}"] = await load(url, stack, kind, args.n, args.c)
                        stack.zoom.latency = stack.microsoft.latency = 0.0
                        await asyncio.sleep(1.0)  # let the jobs of this round finish
                if database is None:
                    process.terminate()
                    await process.wait()
                else:
                    await replica.stop()
    return results


def report(results: dict, args) -> dict:
    print(f"{'target/kind/variant':42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'rps×bare':>9} {'p99×bare':>9}")
    rows = {}
    for key, r in results.items():
        _, kind, variant = key.split("/")
        bare = results.get(f"bare/{kind}/{variant}") or results.get(f"bare/{kind}/fast")
        row = dict(r, rps_ratio=r["rps"] / bare["rps"], p99_ratio=r["p99_ms"] / bare["p99_ms"])
        rows[key] = row
        print(f"{key:42} {r['rps']:9.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {row['rps_ratio']:9.2f} {row['p99_ratio']:9.2f}")
    summary = {
        "bench": "ack",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "n": args.n,
        "c": args.c,
        "results": rows,
    }
    print(json.dumps(summary))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--c", type=int, default=50)
    parser.add_argument("--postgres-url")
    parser.add_argument("--slow", action="store_true", help="also run with Zoom and Microsoft answering after 2.5 s")
    args = parser.parse_args()
    report(asyncio.run(run(args)), args)


if __name__ == "__main__":
    main()
