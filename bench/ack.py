"""What users wait for: acks, answers and dialogs, zoomcal against a bare Bolt app, in one run.

    python -m bench.ack [--n 2000] [--c 50] [--postgres-url postgresql+asyncpg://...] [--slow]
                        [--repeat 3] [--kinds status ...] [--only zoomcal-sqlite ...] [--dialog-n 10000]

Targets: a bare Bolt app whose /zoomcal only acks (the baseline), zoomcal on SQLite with a
bot token, zoomcal on SQLite in multi-workspace mode (installed through the sandbox Slack's
OAuth), and zoomcal on PostgreSQL when a URL is given. The fake Zoom holds 20,000 groups.

Kinds of round:
- status, status_group, mix (status, status group, help and page clicks): N requests at
  concurrency C;
- status_random: 200 `status group <one of 20,000>` at concurrency 10, a moderate load;
- dialog: a burst of --dialog-n `status` requests; halfway through, a second admin (the
  sandbox's Owner) sends `enable group Sales`, and the round reports the seconds from that
  command to the dialog's views.open (the bare app only acks it).
--slow adds rounds with Zoom and Microsoft answering after 2.5 s (caches warmed by the
round's warm-up, as in a running bot).

Per round: ack throughput and latency, and the answer latency: from sending a command to its
answer reaching the user (in the ack, or posted to its response_url), with how many answers
had not arrived 5 s after the round's last ack. Every ratio is against the bare app's ack in
the same run: all targets run at once, their rounds alternate and repeat (--repeat), and each
ratio is the median of the round-by-round ratios, since a shared 2-core machine drifts by
tens of percent between rounds. Prints a table and one JSON line.
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
from bench.load import group_name, percentile, response_prefixes
from tests.flows import install
from tests.harness import ADMIN, OWNER, SIGNING_SECRET, TEAM, Replica, Stack, free_port

KINDS = ("status", "status_group", "status_random", "mix", "dialog")
GROUPS = 20_000
MODERATE = (200, 10)  # status_random: requests and concurrency, as the issue measures it
LATE = 5.0  # seconds after the round's last ack by which every answer should have arrived


async def load(url: str, stack: Stack, kind: str, n: int, c: int, tag: str, on_mark=None) -> dict:
    extra = ["--mark-at", str(n // 2)] if on_mark else []
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load", "--url", url, "--n", str(n), "--c", str(c), "--kind", kind,
        "--groups", str(GROUPS), "--response-base", stack.slack.url, "--signing-secret", SIGNING_SECRET,
        "--tag", tag, *extra, stdout=asyncio.subprocess.PIPE, limit=64 * 1024 * 1024,
    )
    marked = None
    last = b""
    while line := await process.stdout.readline():
        if line.strip() == b"MARK" and on_mark is not None:
            marked = asyncio.ensure_future(on_mark())
        elif line.strip():
            last = line
    await process.wait()
    result = json.loads(last)
    if marked is not None:
        result |= await marked
    return result


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


def _final_posts(stack: Stack, prefixes: tuple[str, ...]) -> dict[str, float]:
    """response path → when its answer (not a holding note) arrived."""
    found: dict[str, float] = {}
    for request in stack.slack.requests:
        if request.path.startswith(prefixes) and request.path not in found and b"answer follows" not in request.body:
            found[request.path] = request.at
    return found


async def answers(stack: Stack, tag: str, result: dict, wait: float = 60.0) -> dict:
    """Answer latencies of one round: those in the ack, and those posted (matched by response path)."""
    pending: dict[str, float] = result.pop("pending")
    in_ack: list[float] = result.pop("in_ack")
    prefix = response_prefixes(tag)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    late_at = result["ended"] + LATE
    posted: dict[str, float] = {}
    missing_at_late: int | None = None
    while True:
        posted = _final_posts(stack, prefix)
        arrived = sum(1 for path in pending if path in posted)
        if missing_at_late is None and (arrived == len(pending) or loop.time() >= late_at):
            missing_at_late = sum(1 for path in pending if posted.get(path, float("inf")) > late_at)
        if arrived == len(pending) or loop.time() > deadline:
            break
        await asyncio.sleep(0.05)
    waits = in_ack + [posted[path] - sent for path, sent in pending.items() if path in posted]
    return result | {
        "answer_p50_ms": statistics.median(waits) * 1000 if waits else None,
        "answer_p99_ms": percentile(waits, 0.99) * 1000 if waits else None,
        "answered_in_ack": len(in_ack),
        "late": missing_at_late,
        "never": len(pending) - sum(1 for path in pending if path in posted),
    }


def targets(stack: Stack, tmp: str, databases: dict[str, str], args) -> dict[str, dict | None]:
    """name → the replica's environment (None: the bare app)."""
    multi = {
        "SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": stack.slack.client_id, "SLACK_CLIENT_SECRET": stack.slack.client_secret,
        "ZOOMCAL_SLACK_TEAMS": TEAM,
    }
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


def dialog_probe(stack: Stack, url: str, zoomcal: bool):
    """What the second admin does halfway through the burst: `enable group Sales`, timed to views.open."""

    async def probe() -> dict:
        loop = asyncio.get_running_loop()
        sent = loop.time()
        status, _, trigger = await stack.command("enable group Sales", OWNER, base=url)
        acked = loop.time() - sent
        if not zoomcal:
            return {"dialog_ack_ms": acked * 1000, "dialog_s": None}
        opened = await stack.slack.wait_for(
            lambda r: "views.open" in r.path and r.args().get("trigger_id") == trigger, timeout=30
        )
        return {"dialog_ack_ms": acked * 1000, "dialog_s": opened[0].at - sent, "dialog_status": status}

    return probe


async def one_round(stack: Stack, url: str, kind: str, latency: float, tag: str, zoomcal: bool, args) -> dict:
    """A warm-up, then the measured round; zoomcal's rounds end when every answer is out."""
    stack.zoom.latency = stack.microsoft.latency = latency
    n, c = MODERATE if kind == "status_random" else (args.dialog_n if kind == "dialog" else args.n, args.c)
    warm_kind = "status" if kind == "dialog" else kind
    warm = min(200, n)
    result = await load(url, stack, warm_kind, warm, c, tag + "-warm")
    if zoomcal:  # the warm-up's answers are out before the round starts (and the caches are warm)
        await answers(stack, tag + "-warm", result)
    probe = dialog_probe(stack, url, zoomcal) if kind == "dialog" else None
    result = await load(url, stack, "status" if kind == "dialog" else kind, n, c, tag, probe)
    if zoomcal:
        result = await answers(stack, tag, result)
    else:  # the bare app answers nothing: its "answer" is its ack
        result.pop("pending"), result.pop("in_ack")
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
            stack.zoom.add_groups([group_name(i) for i in range(GROUPS)])
            found = targets(stack, tmp, databases, args)
            urls = {name: await start(running, stack, env) for name, env in found.items()}
            for kind in args.kinds:
                for variant, latency in variants:
                    if kind == "dialog" and variant == "slow":
                        continue
                    for repeat in range(args.repeat):
                        for name, url in urls.items():
                            tag = f"{name}-{kind}-{variant}-{repeat}"
                            result = await one_round(stack, url, kind, latency, tag, found[name] is not None, args)
                            rounds.setdefault(f"{name}/{kind}/{variant}", []).append(result)
    return rounds


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def report(rounds: dict[str, list[dict]], args) -> dict:
    """Medians over the repeats; each ratio is the median of round-by-round ratios to the baseline."""
    print(f"{'target/kind/variant':40} {'req/s':>7} {'ack p50':>8} {'ack p99':>8} {'rps×bare':>8} {'p99×bare':>8} "
          f"{'ans p50':>8} {'ans p99':>8} {'ans×bare':>8} {'late':>5} {'dialog':>7} {'p99×fast':>8}  rps×bare per round")
    rows = {}
    for key, results in rounds.items():
        _, kind, variant = key.split("/")
        bare = rounds[f"bare/{kind}/{variant}"]  # the baseline runs every kind and variant
        rps_ratios = [r["rps"] / b["rps"] for r, b in zip(results, bare)]
        p99_ratios = [r["p99_ms"] / b["p99_ms"] for r, b in zip(results, bare)]
        answer_ratios = [r["answer_p99_ms"] / b["p99_ms"] for r, b in zip(results, bare) if r.get("answer_p99_ms")]
        row = {
            "rps": statistics.median(r["rps"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "rps_ratio": statistics.median(rps_ratios),
            "p99_ratio": statistics.median(p99_ratios),
            "answer_p50_ms": _median([r.get("answer_p50_ms") for r in results]),
            "answer_p99_ms": _median([r.get("answer_p99_ms") for r in results]),
            "answer_p99_ratio": _median(answer_ratios),
            "late": max((r.get("late") or 0) for r in results) if "late" in results[0] else None,
            "dialog_s": _median([r.get("dialog_s") for r in results]),
            # A slow round's ack p99 against the same target's fast rounds of this run.
            "p99_vs_fast": (
                statistics.median(r["p99_ms"] for r in results)
                / statistics.median(r["p99_ms"] for r in rounds[key.replace("/slow", "/fast")])
                if variant == "slow" and key.replace("/slow", "/fast") in rounds else None
            ),
            "rps_ratios": rps_ratios,
            "rounds": results,
        }
        rows[key] = row

        def shown(value, fmt):
            return "-" if value is None else format(value, fmt)

        spread = " ".join(f"{ratio:.2f}" for ratio in rps_ratios)
        print(f"{key:40} {row['rps']:7.0f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['rps_ratio']:8.2f} "
              f"{row['p99_ratio']:8.2f} {shown(row['answer_p50_ms'], '8.1f')} {shown(row['answer_p99_ms'], '8.1f')} "
              f"{shown(row['answer_p99_ratio'], '8.2f')} {shown(row['late'], '5d')} {shown(row['dialog_s'], '7.2f')} "
              f"{shown(row['p99_vs_fast'], '8.2f')}  "
              f"{spread}")
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--c", type=int, default=50)
    parser.add_argument("--dialog-n", type=int, default=10_000, help="the dialog round's burst of status requests")
    parser.add_argument("--postgres-url", help="a PostgreSQL server (any database): the run uses a fresh one")
    parser.add_argument("--slow", action="store_true", help="also run with Zoom and Microsoft answering after 2.5 s")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS), help="which rounds (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per target, kind and variant (medians shown)")
    parser.add_argument("--only", nargs="+", metavar="TARGET", help="zoomcal targets to run, e.g. zoomcal-sqlite")
    args = parser.parse_args()
    report(asyncio.run(run(args)), args)


if __name__ == "__main__":
    main()
