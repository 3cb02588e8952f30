"""Ack speed: zoomcal against a bare Bolt app, in one run, with the same fakes.

    python -m bench.ack [--n 2000] [--c 50] [--postgres-url postgresql+asyncpg://...] [--slow]
                        [--repeat 3] [--kinds status ...] [--only zoomcal-sqlite ...]

Targets: a bare Bolt app whose /zoomcal only acks (the baseline), zoomcal on SQLite with a
bot token, zoomcal on SQLite in multi-workspace mode (installed through the sandbox Slack's
OAuth), and zoomcal on PostgreSQL when a URL is given; --slow adds rounds with Zoom and
Microsoft answering after 2.5 s. Prints a table and one JSON line. Ratios are against the
bare app measured in the same run: all targets run at once and their rounds alternate, each
round repeated (--repeat), and each ratio is the median of the round-by-round ratios, since
a shared 2-core machine drifts by tens of percent between rounds. "answered" is when the last of zoomcal's answers (posted
to response_url after the ack) arrived, counted from the round's first request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
from contextlib import AsyncExitStack
from datetime import datetime, timezone
from pathlib import Path

from bench.databases import bench_databases
from bench.load import response_prefixes
from handlers.commands.zoomcal import HOLDING
from tests.flows import install
from tests.harness import ADMIN, SIGNING_SECRET, TEAM, Replica, Stack, free_port

KINDS = ("status", "status_group", "mix")


async def load(url: str, stack: Stack, kind: str, n: int, c: int, tag: str) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load", "--url", url, "--n", str(n), "--c", str(c), "--kind", kind,
        "--response-base", stack.slack.url, "--signing-secret", SIGNING_SECRET, "--tag", tag,
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


async def answered(stack: Stack, tag: str, n: int, started: float, timeout: float = 180.0) -> float | None:
    """Seconds from the round's start until every request had its answer (not only a holding note)."""
    prefix = response_prefixes(tag)

    def count() -> int:
        return len({r.path for r in stack.slack.requests if r.path.startswith(prefix) and HOLDING not in r.body.decode()})

    loop = asyncio.get_running_loop()
    while count() < n:
        if loop.time() - started > timeout:
            return None
        await asyncio.sleep(0.05)
    return loop.time() - started


def targets(stack: Stack, tmp: str, databases: dict[str, str], args) -> dict[str, dict | None]:
    """name → the replica's environment (None: the bare app)."""
    multi = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": stack.slack.client_id, "SLACK_CLIENT_SECRET": stack.slack.client_secret}
    found = {
        "bare": None,
        "zoomcal-sqlite": {"ZOOMCAL_DATABASE_URL": databases["sqlite"]},
        "zoomcal-sqlite-multi": {"ZOOMCAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/multi.db"} | multi,
    }
    if "postgresql" in databases:
        found["zoomcal-postgresql"] = {"ZOOMCAL_DATABASE_URL": databases["postgresql"]}
    if args.only:  # the baseline always runs: every ratio needs it
        found = {name: env for name, env in found.items() if name == "bare" or name in args.only}
    return found


async def start(running: AsyncExitStack, stack: Stack, env: dict | None) -> str:
    """Starts one target; returns its URL. ``running`` stops it."""
    if env is None:
        process, url = await bare_app(stack)

        async def stop() -> None:
            process.terminate()
            await process.wait()

        running.push_async_callback(stop)
        return url
    replica = await Replica(stack.env | env).start()
    running.push_async_callback(replica.stop)
    if env.get("SLACK_CLIENT_ID"):
        status, _ = await install(stack, TEAM, ADMIN, base=replica.url)  # Add to Slack, as an admin would
        assert status == 200, "the benchmark workspace could not be installed"
    return replica.url


async def one_round(stack: Stack, url: str, kind: str, latency: float, tag: str, answers: bool, args) -> dict:
    """A warm-up, then the measured round; zoomcal's rounds end when every answer is out."""
    stack.zoom.latency = stack.microsoft.latency = latency
    warm = min(200, args.n)
    await load(url, stack, kind, warm, args.c, tag + "-warm")
    if answers:  # the warm-up's answers are out before the round starts
        await answered(stack, tag + "-warm", warm, asyncio.get_running_loop().time())
    started = asyncio.get_running_loop().time()
    result = await load(url, stack, kind, args.n, args.c, tag)
    if answers:  # the bare app answers nothing; zoomcal answers every request
        result["answered_s"] = await answered(stack, tag, args.n, started)
    stack.zoom.latency = stack.microsoft.latency = 0.0
    await asyncio.sleep(1.0)
    stack.slack.requests.clear()  # the fakes keep everything: keep them lean
    return result


async def run(args) -> dict[str, list[dict]]:
    """Every target runs at once; their rounds alternate, so a baseline round is always near."""
    rounds: dict[str, list[dict]] = {}
    variants = (("fast", 0.0), ("slow", 2.5)) if args.slow else (("fast", 0.0),)
    with tempfile.TemporaryDirectory() as tmp:
        async with Stack(Path(tmp), f"sqlite+aiosqlite:///{tmp}/stack.db") as stack, \
                bench_databases(tmp, "ack", args.postgres_url) as databases, AsyncExitStack() as running:
            stack.zoom.add_groups([f"Team {i:04}" for i in range(200)])
            found = targets(stack, tmp, databases, args)
            urls = {name: await start(running, stack, env) for name, env in found.items()}
            for kind in args.kinds:
                for variant, latency in variants:
                    for repeat in range(args.repeat):
                        for name, url in urls.items():
                            tag = f"{name}-{kind}-{variant}-{repeat}"
                            result = await one_round(stack, url, kind, latency, tag, found[name] is not None, args)
                            rounds.setdefault(f"{name}/{kind}/{variant}", []).append(result)
    return rounds


def report(rounds: dict[str, list[dict]], args) -> dict:
    """Medians over the repeats; each ratio is the median of round-by-round ratios to the baseline."""
    print(f"{'target/kind/variant':42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'rps×bare':>9} {'p99×bare':>9} "
          f"{'answered':>9}  rps×bare per round")
    rows = {}
    for key, results in rounds.items():
        _, kind, variant = key.split("/")
        bare = rounds[f"bare/{kind}/{variant}"]  # the baseline runs every kind and variant
        rps_ratios = [r["rps"] / b["rps"] for r, b in zip(results, bare)]
        p99_ratios = [r["p99_ms"] / b["p99_ms"] for r, b in zip(results, bare)]
        waits = [r.get("answered_s") for r in results]
        row = {
            "rps": statistics.median(r["rps"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "rps_ratio": statistics.median(rps_ratios),
            "p99_ratio": statistics.median(p99_ratios),
            "rps_ratios": rps_ratios,
            "rounds": results,
        }
        if "answered_s" in results[0]:
            row["answered_s"] = None if None in waits else statistics.median(waits)
        rows[key] = row
        answered_s = row.get("answered_s")
        shown = "-" if "answered_s" not in row else ("timeout" if answered_s is None else f"{answered_s:.1f} s")
        spread = " ".join(f"{ratio:.2f}" for ratio in rps_ratios)
        print(f"{key:42} {row['rps']:9.0f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['rps_ratio']:9.2f} "
              f"{row['p99_ratio']:9.2f} {shown:>9}  {spread}")
    summary = {
        "bench": "ack",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "n": args.n,
        "c": args.c,
        "repeat": args.repeat,
        "results": rows,
    }
    print(json.dumps(summary))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--c", type=int, default=50)
    parser.add_argument("--postgres-url", help="a PostgreSQL server (any database): the run uses a fresh one")
    parser.add_argument("--slow", action="store_true", help="also run with Zoom and Microsoft answering after 2.5 s")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS), help="which rounds (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per target, kind and variant (medians shown)")
    parser.add_argument("--only", nargs="+", metavar="TARGET", help="zoomcal targets to run, e.g. zoomcal-sqlite")
    args = parser.parse_args()
    report(asyncio.run(run(args)), args)


if __name__ == "__main__":
    main()
