"""The domain preflight after consent for a large Zoom group, against the fake Zoom over HTTP.

    python -m bench.preflight [--members 20000] [--foreign 0.05] [--repeat 3]

Makes a group of N members (a share of them spread over 50 domains the tenant has not verified)
and times what runs after a consent: every page of `GET /groups/{id}/members` (300 a page),
each address counted by domain, and the comparison with the tenant's verified domains
(bot.services.preflight.compare). The fake Zoom runs in this process, so its side of each page
is in the figure too. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import statistics
import time
from datetime import datetime, timezone

from bot.clients.http import client_session
from bot.domain import Scope
from bot.services.preflight import compare
from tests.fakes import FakeZoom
from tests.harness import zoom_client

VERIFIED = ("contoso.com", "contoso.onmicrosoft.com")
FOREIGN_DOMAINS = 50


async def run(args) -> dict:
    async with FakeZoom() as zoom, client_session(None) as http:
        group = zoom.add_group("Everyone")
        foreign = int(args.members * args.foreign)
        emails = [f"user{i:06}@{VERIFIED[i % 2]}" for i in range(args.members - foreign)]
        emails += [f"guest{i:06}@partner{i % FOREIGN_DOMAINS:02}.example" for i in range(foreign)]
        zoom.add_members(group, emails)
        client = zoom_client(http, zoom)
        await client.groups()  # the Zoom token, as a running bot has it already
        timings = []
        for _ in range(args.repeat):
            pages_before = len(zoom.calls("/members"))
            started = time.perf_counter()
            found = await compare(client, Scope.group(group, "Everyone"), VERIFIED)
            timings.append(time.perf_counter() - started)
            pages = len(zoom.calls("/members")) - pages_before
        assert found.users == args.members and found.unverified_users == foreign
    return {
        "members": args.members,
        "pages": pages,
        "unverified_users": found.unverified_users,
        "unverified_domains": len(found.unverified) + found.more_domains,
        "seconds": timings,
        "median_s": statistics.median(timings),
        "members_per_s": args.members / statistics.median(timings),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--foreign", type=float, default=0.05, help="share of members on unverified domains")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    r = asyncio.run(run(args))
    print(f"{'members':>8} {'pages':>6} {'unverified users':>17} {'domains':>8} {'median s':>9} {'min s':>7} "
          f"{'max s':>7} {'members/s':>10} {'peak RSS MB':>12}")
    print(f"{r['members']:>8} {r['pages']:>6} {r['unverified_users']:>17} {r['unverified_domains']:>8} "
          f"{r['median_s']:>9.2f} {min(r['seconds']):>7.2f} {max(r['seconds']):>7.2f} {r['members_per_s']:>10.0f} "
          f"{r['peak_rss_mb']:>12.0f}")
    print(json.dumps({
        "bench": "preflight", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}", **r,
    }))


if __name__ == "__main__":
    main()
