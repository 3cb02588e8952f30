"""The group directory at scale: 20,000 Zoom groups, the fake paging 300 at a time.

    python -m bench.directory [--groups 20000] [--lookups 2000] [--postgres-url URL]

Times the sync from Zoom, the first name lookup after it (which reads the replica's name
index), further lookups (p50/p99), the status listing's last page (the service's report and
its Block Kit message, as `/zoomcal status` answers it), and the peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

from bench.databases import bench_databases
from bot.clients.http import client_session
from bot.crypto import Vault, generate_key
from bot.domain import Actor
from bot.services.access import AccessPolicy
from bot.services.base import Deps
from bot.services.directory import GroupDirectory
from bot.services.overview import PAGE_SIZE, OverviewService
from bot.services.results import StatusReport
from bot.services.states import ScopeStates
from bot.tasks import Tasks
from handlers.blocks import messages
from storage import migrate
from storage.db import Database
from tests.fakes import FakeZoom
from tests.harness import zoom_client

ADMIN = Actor("TBENCH", "UBENCH")


def status_service(db: Database, zoom, directory: GroupDirectory, account: str) -> OverviewService:
    """The status service alone. ADMIN is a bootstrap admin, so no Slack or Zoom call is timed;
    Microsoft, the notifier and the workspaces are never used by a status listing."""
    access = AccessPolicy(None, zoom, frozenset({ADMIN.user_id}), {ADMIN.team_id})
    return OverviewService(Deps(
        db=db, vault=Vault([generate_key()]), access=access, directory=directory, microsoft=None, notifier=None,
        zoom_account_id=account, consent_ttl=timedelta(minutes=30), workspaces=None,
        states=ScopeStates(db, account), tasks=Tasks(),
    ))


async def run(args) -> dict:
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_databases(tmp, "directory", args.postgres_url) as databases, FakeZoom() as zoom, \
                client_session(None) as http:
            names = [f"Group {i:05}" for i in range(args.groups)]
            zoom.add_groups(names)
            client = zoom_client(http, zoom)
            for kind, url in databases.items():
                db = Database(url)
                await migrate.upgrade(db.engine)
                account = f"bench-{time.time_ns()}"
                directory = GroupDirectory(db, client, account)
                started = time.perf_counter()
                await directory.refresh()
                sync = time.perf_counter() - started
                started = time.perf_counter()
                await directory.find(names[-1])
                first = time.perf_counter() - started
                latencies = []
                for i in range(args.lookups):
                    name = names[(i * 7919) % len(names)].lower()
                    started = time.perf_counter()
                    found = await directory.find(name)
                    latencies.append(time.perf_counter() - started)
                    assert found.group is not None
                latencies.sort()
                overview = status_service(db, client, directory, account)
                last = (args.groups + 1 + PAGE_SIZE - 1) // PAGE_SIZE  # the account comes first
                started = time.perf_counter()
                report = await overview.status(ADMIN, None, page=last)
                rendered = messages.message(report)
                page = time.perf_counter() - started
                assert isinstance(report, StatusReport) and report.page == last and rendered["blocks"]
                results[kind] = {
                    "groups": args.groups,
                    "sync_s": sync,
                    "first_lookup_ms": first * 1000,
                    "lookup_p50_ms": statistics.median(latencies) * 1000,
                    "lookup_p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
                    "status_last_page_ms": page * 1000,
                }
                await db.close()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"results": results, "peak_rss_mb": peak_rss_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=20_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--postgres-url", help="a PostgreSQL server (any database): the run uses a fresh one")
    args = parser.parse_args()
    outcome = asyncio.run(run(args))
    print(f"{'database':12} {'sync s':>8} {'first lookup ms':>16} {'lookup p50 ms':>14} {'lookup p99 ms':>14} "
          f"{'status last page ms':>20}")
    for kind, r in outcome["results"].items():
        print(f"{kind:12} {r['sync_s']:8.2f} {r['first_lookup_ms']:16.1f} {r['lookup_p50_ms']:14.3f} "
              f"{r['lookup_p99_ms']:14.3f} {r['status_last_page_ms']:20.2f}")
    print(f"peak RSS (this process, fake Zoom included): {outcome['peak_rss_mb']:.0f} MB")
    print(json.dumps({
        "bench": "directory", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}", **outcome,
    }))


if __name__ == "__main__":
    main()
