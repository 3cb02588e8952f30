"""Fires N signed Slack requests at concurrency C at one URL; prints one JSON line of results.

Besides each ack's latency it reports what the user waits for: requests whose answer rode in
the ack, and for the others (a holding note, an empty ack, a click) the time each was sent,
so the caller can match them with the answers posted to their response_url. Times are
time.monotonic(), one clock for every process on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from urllib.parse import urlencode

import aiohttp

from tests.harness import ADMIN, TEAM, sign

KINDS = ("status", "status_group", "status_random", "help", "mix")


def group_name(i: int) -> str:
    """The benchmark's Zoom groups (bench.ack adds them to the fake Zoom)."""
    return f"Group {i:05}"


def response_path(kind: str, tag: str, i: int) -> str:
    """Shaped as Slack's response URLs (…/commands/T…/…/… for a command, …/actions/… for a click)."""
    return f"/{kind}/{TEAM}/bench-{tag}-{i}/s"


def response_prefixes(tag: str) -> tuple[str, ...]:
    return tuple(f"/{kind}/{TEAM}/bench-{tag}-" for kind in ("commands", "actions"))


def bodies(kind: str, n: int, response_base: str, tag: str, groups: int, seed: int = 1):
    """(response path, form body) per request: slash commands, or a mix with help and clicks (signed when sent)."""
    pick_group = random.Random(seed)
    for i in range(n):
        pick = kind if kind != "mix" else ("status", "status_group", "help", "click")[i % 4]
        path = response_path("actions" if pick == "click" else "commands", tag, i)
        if pick == "click":
            value = json.dumps({"listing": "status", "query": "", "page": 1})
            payload = {
                "type": "block_actions", "team": {"id": TEAM}, "user": {"id": ADMIN, "team_id": TEAM},
                "api_app_id": "A0ZOOMCAL", "trigger_id": f"{i}.1.t", "container": {"type": "message"},
                "response_url": f"{response_base}{path}", "channel": {"id": "C0GENERAL"},
                "message": {"ts": "1.1"},
                "actions": [{"action_id": "page_next", "block_id": "b", "type": "button", "value": value, "action_ts": "1"}],
            }
            yield path, urlencode({"payload": json.dumps(payload)}).encode()
            continue
        if pick == "status_random":
            text = f"status group {group_name(pick_group.randrange(groups))}"
        else:
            text = {"status": "status", "status_group": "status group Sales", "help": "help"}[pick]
        form = {
            "team_id": TEAM, "user_id": ADMIN, "command": "/zoomcal", "text": text, "api_app_id": "A0ZOOMCAL",
            "response_url": f"{response_base}{path}", "trigger_id": f"{i}.1.t",
        }
        yield path, urlencode(form).encode()


def answered_in(body: bytes) -> bool:
    """An ack that carries the answer: JSON with text that is not the holding note."""
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    return isinstance(payload, dict) and bool(payload.get("text")) and "answer follows" not in payload["text"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def fire(url: str, n: int, concurrency: int, kind: str, response_base: str, secret: str, tag: str,
               groups: int, mark_at: int | None) -> dict:
    queue: asyncio.Queue = asyncio.Queue()
    for item in bodies(kind, n, response_base, tag, groups):
        queue.put_nowait(item)
    latencies: list[float] = []
    in_ack: list[float] = []
    pending: dict[str, float] = {}  # response path → when it was sent
    statuses: dict[int, int] = {}

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            path, body = queue.get_nowait()
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret=secret)}
            started = time.monotonic()
            async with session.post(f"{url}/slack/events", data=body, headers=headers) as response:
                answer = await response.read()
            took = time.monotonic() - started
            latencies.append(took)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if answered_in(answer):
                in_ack.append(took)
            else:
                pending[path] = started
            if mark_at is not None and len(latencies) == mark_at:
                print("MARK", flush=True)  # the caller's cue: the burst is under way

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        ended = time.monotonic()
    return {
        "requests": n,
        "rps": n / (ended - started),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "statuses": statuses,
        "ended": ended,
        "in_ack": in_ack,
        "pending": pending,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--c", type=int, default=50)
    parser.add_argument("--kind", default="status", choices=KINDS)
    parser.add_argument("--groups", type=int, default=20_000, help="status_random picks among this many groups")
    parser.add_argument("--tag", default="0", help="names this round's response URLs")
    parser.add_argument("--mark-at", type=int, help="print MARK once this many requests were acked")
    parser.add_argument("--response-base", required=True)
    parser.add_argument("--signing-secret", required=True)
    args = parser.parse_args()
    result = asyncio.run(fire(args.url, args.n, args.c, args.kind, args.response_base, args.signing_secret, args.tag,
                              args.groups, args.mark_at))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
