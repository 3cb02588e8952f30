"""Fires N signed Slack requests at concurrency C at one URL; prints one JSON line of results."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlencode

import aiohttp

from tests.harness import ADMIN, TEAM, sign


def response_url(response_base: str, kind: str, tag: str, i: int) -> str:
    """Shaped as Slack's (…/commands/T…/…/… for a command, …/actions/… for a click), on the fake."""
    return f"{response_base}/{kind}/{TEAM}/bench-{tag}-{i}/s"


def response_prefixes(tag: str) -> tuple[str, ...]:
    return tuple(f"/{kind}/{TEAM}/bench-{tag}-" for kind in ("commands", "actions"))


def bodies(kind: str, n: int, response_base: str, tag: str):
    """Form bodies, one per request: slash commands, or a mix with help and clicks (signed when sent)."""
    for i in range(n):
        pick = kind if kind != "mix" else ("status", "status_group", "help", "click")[i % 4]
        if pick == "click":
            value = json.dumps({"listing": "status", "query": "", "page": 1})
            payload = {
                "type": "block_actions", "team": {"id": TEAM}, "user": {"id": ADMIN, "team_id": TEAM},
                "api_app_id": "A0ZOOMCAL", "trigger_id": f"{i}.1.t", "container": {"type": "message"},
                "response_url": response_url(response_base, "actions", tag, i), "channel": {"id": "C0GENERAL"},
                "message": {"ts": "1.1"},
                "actions": [{"action_id": "page_next", "block_id": "b", "type": "button", "value": value, "action_ts": "1"}],
            }
            yield urlencode({"payload": json.dumps(payload)}).encode()
            continue
        text = {"status": "status", "status_group": "status group Sales", "help": "help"}[pick]
        form = {
            "team_id": TEAM, "user_id": ADMIN, "command": "/zoomcal", "text": text, "api_app_id": "A0ZOOMCAL",
            "response_url": response_url(response_base, "commands", tag, i), "trigger_id": f"{i}.1.t",
        }
        yield urlencode(form).encode()


async def fire(url: str, n: int, concurrency: int, kind: str, response_base: str, secret: str, tag: str) -> dict:
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies(kind, n, response_base, tag):
        queue.put_nowait(body)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret=secret)}
            started = time.perf_counter()
            async with session.post(f"{url}/slack/events", data=body, headers=headers) as response:
                await response.read()
            latencies.append(time.perf_counter() - started)
            statuses[response.status] = statuses.get(response.status, 0) + 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": n,
        "rps": n / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--c", type=int, default=50)
    parser.add_argument("--kind", default="status", choices=["status", "status_group", "help", "mix"])
    parser.add_argument("--tag", default="0", help="names this round's response URLs")
    parser.add_argument("--response-base", required=True)
    parser.add_argument("--signing-secret", required=True)
    args = parser.parse_args()
    result = asyncio.run(fire(args.url, args.n, args.c, args.kind, args.response_base, args.signing_secret, args.tag))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
