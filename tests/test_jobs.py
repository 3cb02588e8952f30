"""The job queue on its own: lanes, bounded concurrency, leases kept while held, sealed payloads."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from bot.crypto import Vault, generate_key, job_context
from bot.jobs import JobQueue
from storage.models import Job, utcnow


async def job_rows(db) -> list[Job]:
    async with db.transaction() as repo:
        return list((await repo.session.execute(select(Job).order_by(Job.id))).scalars())


async def expire_leases(db) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(update(Job).values(lease_until=utcnow() - timedelta(seconds=1)))


async def test_at_most_max_running_lanes_run_at_once_and_all_finish(db):
    queue = JobQueue(db, Vault([generate_key()]), max_running=3)
    running, most, release = 0, 0, asyncio.Event()

    async def work(payload: dict) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1

    queue.register("work", work)
    await asyncio.gather(*(queue.submit("work", {"n": i}, lane=f"user{i}") for i in range(20)))
    await asyncio.sleep(0.2)
    assert (running, most) == (3, 3), "the others wait for a slot"
    release.set()
    assert await queue.drain(10)
    rows = await job_rows(db)
    assert len(rows) == 20 and {(r.status, r.payload) for r in rows} == {("done", b"")}


async def test_a_users_jobs_run_in_order_one_at_a_time_and_never_hold_back_another_user(db):
    queue = JobQueue(db, Vault([generate_key()]))
    started: list[tuple[str, int]] = []
    release = asyncio.Event()

    async def work(payload: dict) -> None:
        started.append((payload["who"], payload["n"]))
        if payload["who"] == "busy":
            await release.wait()

    queue.register("work", work)
    for n in range(50):  # one user's burst
        await queue.submit("work", {"who": "busy", "n": n}, lane="T1:UBUSY")
    await queue.submit("work", {"who": "other", "n": 0}, lane="T1:UOTHER")
    await asyncio.sleep(0.2)
    assert started == [("busy", 0), ("other", 0)], "the burst waits behind itself; the other user does not"
    release.set()
    assert await queue.drain(10)
    assert [n for who, n in started if who == "busy"] == list(range(50)), "in the order they were promised"


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
        await mine.submit("work", {"n": n}, lane=f"user{n}")
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


async def test_an_orphan_resumes_in_its_lane_and_a_spent_one_fails_wiped(db):
    vault = Vault([generate_key()])
    dead, alive = JobQueue(db, vault, max_attempts=2), JobQueue(db, vault, max_attempts=2)
    seen: list[dict] = []

    async def stuck(payload: dict) -> None:
        await asyncio.Event().wait()

    async def work(payload: dict) -> None:
        seen.append(payload)

    dead.register("work", stuck)
    alive.register("work", work)
    await dead.submit("work", {"n": 1}, lane="T1:U1")
    await asyncio.sleep(0.05)
    for task in list(dead._running):  # the replica dies mid-job
        task.cancel()
    await expire_leases(db)
    assert await alive.resume_orphans() == 1
    assert await alive.drain(5)
    assert seen == [{"n": 1, "promised_at": seen[0]["promised_at"], "_lane": "T1:U1"}]

    await dead.submit("work", {"n": 2}, lane="T1:U1")  # its runner dies again and again
    await asyncio.sleep(0.05)
    for task in list(dead._running):
        task.cancel()
    async with db.engine.begin() as conn:
        await conn.execute(update(Job).where(Job.status == "queued").values(attempts=2))
    await expire_leases(db)
    assert await alive.resume_orphans() == 0, "its attempts are spent"
    spent = (await job_rows(db))[-1]
    assert (spent.status, spent.payload) == ("failed", b""), "a failed job keeps no payload"


async def test_queued_payloads_are_sealed_to_their_row_and_older_rows_resume(db):
    vault = Vault([generate_key()])
    queue = JobQueue(db, vault, max_running=1)
    seen: list[dict] = []
    release = asyncio.Event()

    async def work(payload: dict) -> None:
        seen.append(payload)
        await release.wait()

    queue.register("work", work)
    await queue.submit("work", {"response_url": "https://hooks.slack.com/commands/T1/secret-capability"}, lane="a")
    [queued] = [row for row in await job_rows(db) if row.status == "queued"]
    assert b"secret-capability" not in bytes(queued.payload), "no plaintext at rest"
    assert vault.open_transient(queued.payload, job_context("work", queued.id))
    for wrong in (job_context("other", queued.id), job_context("work", queued.id + 1)):
        try:
            vault.open_transient(queued.payload, wrong)
        except Exception as error:
            assert type(error).__name__ == "DecryptionError"
        else:
            raise AssertionError("a payload opened in another row, or as another kind")
    release.set()
    assert await queue.drain(10)
    assert seen[0]["response_url"].endswith("secret-capability")

    async with db.transaction() as repo:  # rows queued by older versions: Fernet, then unbound AES-GCM
        now = utcnow()
        await repo.jobs.add("work", vault.encrypt_json({"n": 7}), now=now, lease_until=now - timedelta(seconds=1))
        await repo.jobs.add("work", vault.seal_transient(b'{"n": 8}'), now=now, lease_until=now - timedelta(seconds=1))
    assert await queue.resume_orphans() == 2
    assert await queue.drain(10)
    assert [p["n"] for p in seen[-2:]] == [7, 8]


async def test_jobs_submitted_at_once_share_one_transaction(db):
    queue = JobQueue(db, Vault([generate_key()]))

    async def work(payload: dict) -> None:
        pass

    queue.register("work", work)
    await asyncio.gather(*(queue.submit("work", {"n": n}, lane=f"u{n}") for n in range(10)))
    assert await queue.drain(10)
    rows = await job_rows(db)
    assert len(rows) == 10 and len({row.created_at for row in rows}) == 1, "one transaction for all ten"
