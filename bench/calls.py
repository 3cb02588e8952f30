"""Outbound calls per operation: a consent callback, verify, a health check and `check`.

    python -m bench.calls [--postgres-url URL]

Counts what the fake Microsoft and Zoom receive while one operation runs in a fresh bot (one
Zoom account, one tenant): token requests, OpenID-configuration reads, Graph calls, Zoom calls.
Counts, not times: the same on any machine. Written against what every version of zoomcal
offers (the harness, the slash command, the health service), so it runs on older trees too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from bench.databases import bench_databases
from tests.flows import activate
from tests.harness import Stack

DOMAIN = "contoso.onmicrosoft.com"
KINDS = ("token", "openid", "graph", "zoom")


def snapshot(stack: Stack) -> dict[str, int]:
    microsoft = stack.microsoft.requests
    return {
        "token": sum(1 for r in microsoft if r.method == "POST" and r.path.endswith("/oauth2/v2.0/token")),
        "openid": sum(1 for r in microsoft if r.path.endswith("/openid-configuration")),
        "graph": sum(1 for r in microsoft if r.path.startswith("/v1.0/")),
        "zoom": sum(1 for r in stack.zoom.requests if r.path.startswith("/v2/")),
    }


async def quiet(stack: Stack) -> None:
    """Until the fakes heard nothing for 0.5 s: the operation's tasks after its answer are done too."""
    seen = -1
    while seen != (now := len(stack.microsoft.requests) + len(stack.zoom.requests) + len(stack.slack.requests)):
        seen = now
        await asyncio.sleep(0.5)


async def counted(stack: Stack, operation) -> dict[str, int]:
    before = snapshot(stack)
    await operation()
    await quiet(stack)
    after = snapshot(stack)
    return {k: after[k] - before[k] for k in KINDS}


async def command(stack: Stack, text: str) -> None:
    status, _, _ = await stack.command(text)
    assert status == 200


async def run_one(stack: Stack) -> dict[str, dict[str, int]]:
    stack.zoom.add_user(f"ann@{DOMAIN}", role_name="Member")
    stack.microsoft.add_user(stack.tenant_id, f"ann@{DOMAIN}")
    health = stack.runtime.services.health
    return {
        "callback (first)": await counted(stack, lambda: activate(stack, "enable account")),
        "callback (second scope)": await counted(stack, lambda: activate(stack, "enable group Sales")),
        "verify": await counted(stack, lambda: command(stack, "verify account")),
        "verify (again)": await counted(stack, lambda: command(stack, "verify account")),
        "health check (2 scopes)": await counted(stack, health.check_now),
        "check": await counted(stack, lambda: command(stack, f"check ann@{DOMAIN}")),
        "check (again, token valid)": await counted(stack, lambda: command(stack, f"check ann@{DOMAIN}")),
    }


async def run(postgres_url: str | None) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_databases(tmp, "calls", postgres_url) as databases:
            for kind, url in databases.items():
                workdir = Path(tmp) / kind
                workdir.mkdir()
                async with Stack(workdir, url) as stack:
                    results[kind] = await run_one(stack)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres-url", help="a PostgreSQL server (any database): the run uses a fresh one")
    args = parser.parse_args()
    results = asyncio.run(run(args.postgres_url))
    for kind, rows in results.items():
        print(f"{kind}: {'operation':28} {'token':>6} {'openid':>7} {'graph':>6} {'zoom':>5}")
        for operation, n in rows.items():
            print(f"{'':{len(kind) + 2}}{operation:28} {n['token']:6} {n['openid']:7} {n['graph']:6} {n['zoom']:5}")
    print(json.dumps({"bench": "calls", "results": results}))


if __name__ == "__main__":
    main()
