"""Changes promised before Slack's ack, persisted first so no replica's death loses them.

A listener calls ``submit`` (an INSERT; jobs submitted in the same instant share one
transaction) and then acks. The job starts at once in this process, under a lease the
process renews while it holds the job. Reads never come here: they answer inside the ack
(bot.services.overview), and dialogs open beside it (bot.tasks).

Fairness comes from lanes, not timing: each user's jobs run one at a time, in the order they
were promised, so one user's burst waits behind itself and never delays another user's work.
``max_running`` bounds how many lanes run at once (memory and database connections).

If the process dies or is stopped mid-job, the lease runs out and any replica's sweeper
resumes the job. Jobs must therefore be safe to run twice: the services they call are
idempotent (one consent link per submission, a second disable changes nothing).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot import logs, metrics
from bot.crypto import DecryptionError, Vault, job_context
from storage.db import Database
from storage.models import utcnow

REQUEST_ID_KEY = "_request_id"
LANE_KEY = "_lane"
PROMISED_AT = "promised_at"  # when the ack promised the work (Unix time): handlers may budget with it
log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class JobQueue:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        *,
        # Upkeep renews leases every 5 s: six renewals' worth, so a replica's stall of a few seconds
        # (a long transaction, a GC pause) never hands a job it still runs to another replica.
        lease: timedelta = timedelta(seconds=30),
        # A job whose replica died three times over is not bad luck: it fails, its payload wiped.
        max_attempts: int = 3,
        # Lanes running at once, for memory and database connections (PostgreSQL's pool holds 40);
        # jobs are changes only, and no benchmark comes near it.
        max_running: int = 100,
    ):
        self._db = db
        self._vault = vault
        self.lease = lease
        self._max_attempts = max_attempts
        self._handlers: dict[str, Handler] = {}
        self._slots = asyncio.Semaphore(max_running)
        self._lanes: dict[str, asyncio.Lock] = {}
        self._running: set[asyncio.Task] = set()
        self._pending: list[tuple[str, bytes, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None
        self._held: set[int] = set()  # ids of the jobs this process runs or will run: it renews their leases

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    async def submit(self, kind: str, payload: dict[str, Any], *, lane: str) -> None:
        """Persist the job (the caller acks after this returns), then start it here.

        ``lane``: whose work it is (a user, a workspace); a lane's jobs run one at a time, in order.
        """
        if kind not in self._handlers:
            raise KeyError(f"no job handler for {kind!r}")
        payload = payload | {REQUEST_ID_KEY: logs.request_id(), PROMISED_AT: time.time(), LANE_KEY: lane}
        text = json.dumps(payload, separators=(",", ":"))  # what the job gets here is what a resumed one would
        written = asyncio.get_running_loop().create_future()
        self._pending.append((kind, text.encode(), written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        job_id = await written
        self._start(job_id, kind, text, lane)

    async def _write_pending(self) -> None:
        # Submissions made while a write is under way share the next transaction (a group commit).
        while self._pending:
            batch, self._pending = self._pending, []
            now = utcnow()
            try:
                async with self._db.transaction() as repo:
                    ids = await repo.jobs.add_many([kind for kind, _, _ in batch], now=now, lease_until=now + self.lease)
                    await repo.jobs.seal(
                        [
                            (job_id, self._vault.seal_transient(plaintext, job_context(kind, job_id)))
                            for job_id, (kind, plaintext, _) in zip(ids, batch)
                        ]
                    )
            except Exception as error:  # each submitter sees the failure (DatabaseUnavailable: its ack says so)
                for *_, written in batch:
                    if not written.done():
                        written.set_exception(error)
                continue
            for job_id, (*_, written) in zip(ids, batch):
                if not written.done():
                    written.set_result(job_id)

    def _start(self, job_id: int, kind: str, text: str, lane: str) -> None:
        self._held.add(job_id)
        task = asyncio.create_task(self._run(job_id, kind, text, lane), name=f"job-{job_id}-{kind}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, job_id: int, kind: str, text: str, lane: str) -> None:
        try:
            async with self._lane(lane), self._slots:
                status = await self._handle(job_id, kind, text)
            await self._finish(job_id, status)
        finally:
            self._held.discard(job_id)

    def _lane(self, lane: str) -> asyncio.Lock:
        lock = self._lanes.get(lane)
        if lock is None:
            lock = self._lanes[lane] = _Lane(self._lanes, lane)
        return lock

    async def _handle(self, job_id: int, kind: str, text: str) -> str:
        payload = json.loads(text)
        logs.follow(payload.pop(REQUEST_ID_KEY, None))
        try:
            await self._handlers[kind](payload)
            status = "done"
        except asyncio.CancelledError:
            raise  # stopped: the lease runs out and a replica resumes the job
        except Exception as error:
            # Jobs answer their own failures; anything left here is a bug. Retrying would repeat it.
            log.error("job %s (%s) failed: %s: %s", job_id, kind, type(error).__name__, error)
            status = "failed"
        metrics.JOBS.labels(kind, status).inc()
        return status

    async def _finish(self, job_id: int, status: str) -> None:
        try:
            async with self._db.transaction() as repo:
                await repo.jobs.finish_many([(job_id, status)], utcnow())
        except Exception as error:  # the lease runs out and the job runs again: jobs are idempotent
            log.error("could not mark job %s finished: %s", job_id, type(error).__name__)

    async def renew_leases(self) -> int:
        """Keeps the leases of the jobs this process holds (some may wait in their lane)."""
        if not self._held:
            return 0
        now = utcnow()
        async with self._db.transaction() as repo:
            return await repo.jobs.renew(sorted(self._held), lease_until=now + self.lease)

    async def resume_orphans(self) -> int:
        """Take over jobs whose runner died or stopped; returns how many were started."""
        now = utcnow()
        async with self._db.transaction() as repo:
            jobs = await repo.jobs.claim_orphans(
                now=now, lease_until=now + self.lease, max_attempts=self._max_attempts
            )
        started = 0
        for job in jobs:
            if job.id in self._held:
                continue  # ours already (a stall outlived the lease): never run twice here
            try:
                text = self._vault.open_transient(job.payload, job_context(job.kind, job.id)).decode()
                lane = str(json.loads(text).get(LANE_KEY) or f"job:{job.id}")
            except (DecryptionError, ValueError):
                log.error("job %s cannot be opened with the configured keys", job.id)
                continue
            if job.kind in self._handlers:
                log.info("resuming job %s (%s), attempt %s", job.id, job.kind, job.attempts)
                self._start(job.id, job.kind, text, lane)
                started += 1
        return started

    async def drain(self, timeout: float) -> bool:
        """Wait for held jobs (on SIGTERM). False if some were still waiting or running at the timeout."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)
        return not self._running

    async def purge(self, older_than: timedelta = timedelta(days=1)) -> int:
        async with self._db.transaction() as repo:
            return await repo.jobs.purge(utcnow() - older_than)


class _Lane(asyncio.Lock):
    """A user's jobs, one at a time; the lane is forgotten when nobody holds or waits for it."""

    def __init__(self, lanes: dict[str, asyncio.Lock], name: str):
        super().__init__()
        self._lanes = lanes
        self._name = name

    def release(self) -> None:
        super().release()
        if not self.locked() and not self._waiters and self._lanes.get(self._name) is self:
            del self._lanes[self._name]
