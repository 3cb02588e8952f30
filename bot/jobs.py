"""Work done after Slack's ack, persisted before the ack so no replica's death loses it.

A listener calls ``submit`` (one INSERT) and then acks; the job runs in this process under a
lease, which the process renews while it holds the job. Acks come first: Slack needs them
within 3 seconds or the user sees an error, while an answer may follow. So a job waits while
Slack requests are being acked, for at most ``defer`` after it was promised: one pump admits
waiting jobs in order, each only after a lull in acks (or once the oldest has waited
``defer``), into at most ``max_running`` slots, which bound memory and connections. Until
requests have stopped for ``QUIET``, jobs run at most ``busy_running`` at a time: a burst
has short lulls, and a hundred jobs let in by one would hold the database (one SQLite
connection, or PostgreSQL's pool) while the burst's acks queue behind them for a second.

If the process dies or is stopped mid-job, the lease runs out and any replica's sweeper
resumes the job. Jobs must therefore be safe to run twice: the services they call are
idempotent (one consent link per submission, a second disable changes nothing).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

from bot import logs, metrics
from bot.crypto import DecryptionError, Vault
from storage.db import Database, background
from storage.models import utcnow

REQUEST_ID_KEY = "_request_id"
PROMISED_AT = "promised_at"  # when the ack promised the work (Unix time): handlers may budget with it
LULL = 0.005  # seconds without a Slack request in flight before jobs may take the loop
QUIET = 0.1  # seconds without a Slack request before jobs may use every slot
GATHER = 0.001  # seconds an idle writer waits for more jobs to write in the same transaction
log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class JobQueue:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        *,
        lease: timedelta = timedelta(seconds=30),
        max_attempts: int = 3,
        max_running: int = 100,
        busy_running: int = 4,
        defer: float = 2.0,
        lull: float = LULL,
    ):
        self._db = db
        self._vault = vault
        self.lease = lease
        self._max_attempts = max_attempts
        self._handlers: dict[str, Handler] = {}
        self._running: set[asyncio.Task] = set()
        self._pending: list[tuple[str, bytes, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None
        self._slots = asyncio.Semaphore(max_running)
        # Waiting jobs keep their payload as JSON text: a burst leaves thousands waiting, and as
        # dicts they were thousands of objects for the garbage collector to walk again and again.
        self._waiting: collections.deque[tuple[float, int, str, str]] = collections.deque()
        self._pump: asyncio.Task | None = None
        self._defer = defer
        self._lull = lull
        self._busy_running = busy_running
        self._acking = 0  # Slack requests being acked right now
        self._last_acked = float("-inf")  # event-loop time the last one finished
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._held: set[int] = set()  # ids of the jobs this process runs or will run: it renews their leases
        self._finished: list[tuple[int, str, asyncio.Future]] = []
        self._finisher: asyncio.Task | None = None

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    async def submit(self, kind: str, payload: dict[str, Any]) -> None:
        """Persist the job (the caller acks after this returns), then start it here.

        Jobs submitted at the same moment share one transaction (a group commit): under a burst
        of Slack requests, every ack then waits for one write instead of queueing for many.
        """
        if kind not in self._handlers:
            raise KeyError(f"no job handler for {kind!r}")
        written = asyncio.get_running_loop().create_future()
        payload = payload | {REQUEST_ID_KEY: logs.request_id(), PROMISED_AT: time.time()}  # the flow goes on
        text = json.dumps(payload, separators=(",", ":"))  # what the job gets here is what a resumed one would
        self._pending.append((kind, self._vault.seal_transient(text.encode()), written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        job_id = await written
        self._start(job_id, kind, text)

    async def _write_pending(self) -> None:
        # Under a burst, the requests read in the same instant join this transaction: one large
        # write and one wake-up of the database thread instead of a train of small ones (on SQLite,
        # 13% more acks per second). An ack after a quiet spell waits this millisecond longer.
        await asyncio.sleep(GATHER)
        while self._pending:
            batch, self._pending = self._pending, []
            now = utcnow()
            try:
                async with self._db.transaction() as repo:
                    ids = await repo.jobs.add_many(
                        [(kind, ciphertext) for kind, ciphertext, _ in batch], now=now, lease_until=now + self.lease
                    )
            except Exception as error:  # each submitter sees the failure (its request gets no ack)
                for *_, written in batch:
                    if not written.done():
                        written.set_exception(error)
                continue
            for job_id, (*_, written) in zip(ids, batch):
                if not written.done():
                    written.set_result(job_id)

    @contextlib.contextmanager
    def acking(self) -> Iterator[None]:
        """Marks a Slack request in flight: jobs wait (up to ``defer``) until none is."""
        self._acking += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._acking -= 1
            if not self._acking:
                self._last_acked = asyncio.get_running_loop().time()
                self._quiet.set()

    def _start(self, job_id: int, kind: str, text: str) -> None:
        self._held.add(job_id)
        self._waiting.append((asyncio.get_running_loop().time() + self._defer, job_id, kind, text))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._admit())

    async def _admit(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            now = loop.time()
            idle = 0.0 if self._acking else now - self._last_acked  # how long no Slack request was in flight
            if idle < self._lull and now < self._waiting[0][0]:
                if self._acking:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._quiet.wait(), self._waiting[0][0] - now)
                await asyncio.sleep(self._lull)  # between a burst's requests there are gaps: wait for a real lull
                continue
            if idle < QUIET and len(self._running) >= self._busy_running:
                # Jobs let in by a lull, or overdue ones, trickle in while a burst lasts.
                await asyncio.sleep(self._lull)
                continue
            await self._slots.acquire()
            _, job_id, kind, payload = self._waiting.popleft()
            task = asyncio.create_task(self._run(job_id, kind, payload), name=f"job-{job_id}-{kind}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            task.add_done_callback(lambda _: self._slots.release())
            await asyncio.sleep(0)  # let the job take its first step before admitting the next

    async def _run(self, job_id: int, kind: str, text: str) -> None:
        payload = json.loads(text)
        logs.follow(payload.pop(REQUEST_ID_KEY, None))
        try:
            with background():  # its transactions (and its tasks') leave the database to acks first
                await self._handlers[kind](payload)
            status = "done"
        except asyncio.CancelledError:
            self._held.discard(job_id)
            raise  # stopped: the lease runs out and a replica resumes the job
        except Exception as error:
            # Jobs answer their own failures; anything left here is a bug. Retrying would repeat it.
            log.error("job %s (%s) failed: %s: %s", job_id, kind, type(error).__name__, error)
            status = "failed"
        metrics.JOBS.labels(kind, status).inc()
        # Finished jobs are written together too: one UPDATE transaction per burst, not per job.
        done = asyncio.get_running_loop().create_future()
        self._finished.append((job_id, status, done))
        if self._finisher is None or self._finisher.done():
            self._finisher = asyncio.create_task(self._write_finished())
        try:
            await done
        finally:
            self._held.discard(job_id)

    async def _write_finished(self) -> None:
        while self._finished:
            batch, self._finished = self._finished, []
            try:
                async with self._db.transaction() as repo:
                    await repo.jobs.finish_many([(job_id, status) for job_id, status, _ in batch], utcnow())
            except Exception as error:  # the leases run out and the jobs run again: they are idempotent
                log.error("could not mark %s jobs finished: %s", len(batch), type(error).__name__)
            for *_, done in batch:
                if not done.done():
                    done.set_result(None)

    async def renew_leases(self) -> int:
        """Keeps the leases of the jobs this process holds (some may wait for a slot)."""
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
            try:
                payload = self._vault.open_transient(job.payload).decode()
            except DecryptionError:
                log.error("job %s cannot be decrypted with the configured keys", job.id)
                continue
            if job.id in self._held:
                continue  # ours already (a stall outlived the lease): never run twice here
            if job.kind in self._handlers:
                log.info("resuming job %s (%s), attempt %s", job.id, job.kind, job.attempts)
                self._start(job.id, job.kind, payload)
                started += 1
        return started

    async def drain(self, timeout: float) -> bool:
        """Wait for held jobs (on SIGTERM). False if some were still waiting or running at the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._waiting or self._running:
            left = deadline - loop.time()
            if left <= 0:
                return False
            if self._running:
                await asyncio.wait(set(self._running), timeout=left, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(min(0.01, left))
        return True

    async def purge(self, older_than: timedelta = timedelta(days=1)) -> int:
        async with self._db.transaction() as repo:
            return await repo.jobs.purge(utcnow() - older_than)
