"""The job queue on its own: bounded concurrency, leases kept while held, finishes written together."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from bot.crypto import Vault, generate_key
from bot.jobs import JobQueue
from storage.models import Job, utcnow


async def job_rows(db) -> list[Job]:
    async with db.transaction() as repo:
        return list((await repo.session.execute(select(Job).order_by(Job.id))).scalars())


async def expire_leases(db) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(update(Job).values(lease_until=utcnow() - timedelta(seconds=1)))


async def test_at_most_max_running_jobs_run_at_once_and_all_finish(db):
    queue = JobQueue(db, Vault([generate_key()]), max_running=3)
    running, most, release = 0, 0, asyncio.Event()

    async def work(payload: dict) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1

    queue.register("work", work)
    await asyncio.gather(*(queue.submit("work", {"n": i}) for i in range(20)))
    await asyncio.sleep(0.2)
    assert (running, most) == (3, 3), "the others wait for a slot"
    release.set()
    assert await queue.drain(10)
    rows = await job_rows(db)
    assert len(rows) == 20 and {(r.status, r.payload) for r in rows} == {("done", b"")}


async def test_held_jobs_keep_their_lease_and_are_never_run_twice(db):
    vault = Vault([generate_key()])
    mine, other = JobQueue(db, vault, max_running=1), JobQueue(db, vault)
    runs: list[int] = []
    release = asyncio.Event()

    async def work(payload: dict) -> None:
        runs.append(payload["n"])
        await release.wait()

    for queue in (mine, other):
        queue.register("work", work)
    for n in range(3):
        await mine.submit("work", {"n": n})
    await asyncio.sleep(0.1)
    await expire_leases(db)  # a stall as long as a lease
    assert await mine.resume_orphans() == 0, "its own jobs, waiting for a slot, are not started again"
    await expire_leases(db)
    assert await mine.renew_leases() == 3
    assert await other.resume_orphans() == 0, "another replica leaves leased jobs alone"
    release.set()
    assert await mine.drain(10)
    assert sorted(runs) == [0, 1, 2]
    assert {r.status for r in await job_rows(db)} == {"done"}


async def test_jobs_wait_for_acks_and_overdue_ones_trickle_in_during_a_burst(db):
    queue = JobQueue(db, Vault([generate_key()]), max_running=10, busy_running=2, defer=0.3)
    started: list[int] = []
    release = asyncio.Event()

    async def work(payload: dict) -> None:
        started.append(payload["n"])
        await release.wait()

    queue.register("work", work)
    with queue.acking():  # a Slack request is in flight all along
        await asyncio.gather(*(queue.submit("work", {"n": i}) for i in range(6)))
        await asyncio.sleep(0.1)
        assert started == [], "jobs wait while requests are being acked"
        await asyncio.sleep(0.5)
        assert started == [0, 1], "overdue jobs run in order, at most busy_running at a time"
    await asyncio.sleep(0.2)
    assert started == [0, 1, 2, 3, 4, 5], "once no request is in flight, the rest run"
    release.set()
    assert await queue.drain(10)


async def test_a_gap_between_a_bursts_requests_is_not_a_lull(db):
    # A 50 ms lull against 2 ms gaps: a busy machine's late timers cannot make a gap a lull.
    queue = JobQueue(db, Vault([generate_key()]), defer=5.0, lull=0.05)
    started: list[float] = []

    async def work(payload: dict) -> None:
        started.append(asyncio.get_running_loop().time())

    queue.register("work", work)
    loop = asyncio.get_running_loop()
    with queue.acking():
        await queue.submit("work", {})
    burst_until = loop.time() + 0.4
    while loop.time() < burst_until:  # requests 2 ms apart: none in flight for a moment, again and again
        with queue.acking():
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.002)
    assert started == [], "the job waits out the burst, not each gap in it"
    assert await queue.drain(5)
    assert len(started) == 1 and started[0] >= burst_until


async def test_queued_payloads_are_sealed_and_older_fernet_rows_resume(db):
    vault = Vault([generate_key()])
    queue = JobQueue(db, vault, max_running=1)
    seen: list[dict] = []
    release = asyncio.Event()

    async def work(payload: dict) -> None:
        seen.append(payload)
        await release.wait()

    queue.register("work", work)
    await queue.submit("work", {"response_url": "https://hooks.slack.com/commands/T1/secret-capability"})
    queued = [row for row in await job_rows(db) if row.status == "queued"]
    assert queued and all(b"secret-capability" not in bytes(row.payload) for row in queued), "no plaintext at rest"
    release.set()
    assert await queue.drain(10)
    assert seen[0]["response_url"].endswith("secret-capability")

    async with db.transaction() as repo:  # a row queued by a replica that sealed jobs with Fernet
        now = utcnow()
        await repo.jobs.add("work", vault.encrypt_json({"n": 7}), now=now, lease_until=now - timedelta(seconds=1))
    assert await queue.resume_orphans() == 1
    assert await queue.drain(10)
    assert seen[-1]["n"] == 7


async def test_jobs_submitted_within_a_moment_share_one_transaction(db):
    queue = JobQueue(db, Vault([generate_key()]))

    async def work(payload: dict) -> None:
        pass

    queue.register("work", work)
    first = asyncio.ensure_future(queue.submit("work", {"n": 0}))
    for _ in range(3):  # a few turns of the event loop: the first job's writer has started
        await asyncio.sleep(0)
    await asyncio.gather(first, *(queue.submit("work", {"n": n}) for n in range(1, 10)))
    assert await queue.drain(10)
    rows = await job_rows(db)
    assert len(rows) == 10 and len({row.created_at for row in rows}) == 1, "one INSERT for all ten"
