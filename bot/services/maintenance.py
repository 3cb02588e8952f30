"""Background upkeep every replica runs: orphaned jobs resumed, a fresh group directory, purges,
and the health checks of the scopes (bot.services.health)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.jobs import JobQueue
from bot.services.directory import GroupDirectory
from bot.services.health import HealthService
from storage.db import Database, background
from storage.models import utcnow

log = logging.getLogger(__name__)

# Expired requests are kept a while so a late click gets "expired" rather than "unknown".
KEEP_EXPIRED = timedelta(days=7)


class Maintenance:
    def __init__(
        self,
        db: Database,
        directory: GroupDirectory,
        jobs: JobQueue,
        *,
        every: timedelta = timedelta(minutes=5),
        jobs_every: timedelta = timedelta(seconds=5),
        health: HealthService | None = None,
    ):
        self._db = db
        self._directory = directory
        self._jobs = jobs
        self._every_interval = every
        self._jobs_every = jobs_every
        self._health = health
        self._stopping = asyncio.Event()

    async def purge_expired_consents(self) -> int:
        async with self._db.transaction() as repo:
            purged = await repo.purge_consents(utcnow() - KEEP_EXPIRED)
        if purged:
            log.info("purged %d expired consent requests", purged)
        return purged

    async def purge_expired_oauth_states(self) -> int:
        """Slack OAuth states (used ones, in multi-workspace mode) are kept only until they expire."""
        async with self._db.transaction() as repo:
            purged = await repo.workspaces.purge_oauth_states(utcnow())
        if purged:
            log.info("purged %d expired Slack OAuth states", purged)
        return purged

    async def refresh_directory(self) -> None:
        await self._directory.refresh(older_than=self._directory.max_age)

    async def run(self) -> None:
        """Runs until ``stop()``; a step under way finishes first (cancelling one mid-query can wedge a pool)."""
        loops = [
            self._every(self._jobs_every, self._jobs.renew_leases, self._jobs.resume_orphans, first_now=True),
            # The directory waits a round: the first command loads it on demand, keeping start-up quiet.
            self._every(
                self._every_interval, self.refresh_directory, self.purge_expired_consents,
                self.purge_expired_oauth_states, self._jobs.purge,
            ),
        ]
        if self._health is not None and self._health.enabled:
            # Every replica looks each period; the database gives each due scope to one of them.
            loops.append(self._every(self._health.period, self._health.run_due, first_now=True))
        with background():  # upkeep can wait: Slack's acks get the database first
            await asyncio.gather(*loops)

    def stop(self) -> None:
        self._stopping.set()

    async def _every(self, interval: timedelta, *steps: Callable[[], Awaitable[object]], first_now: bool = False) -> None:
        if not first_now and await self._sleep(interval):
            return
        while not self._stopping.is_set():
            for step in steps:
                try:
                    await step()
                except Exception as exc:  # a background loop must outlive Zoom or database hiccups
                    log.warning("maintenance step failed: %s: %s", type(exc).__name__, exc)
            if await self._sleep(interval):
                return

    async def _sleep(self, interval: timedelta) -> bool:
        """Waits ``interval``; True when asked to stop meanwhile."""
        try:
            await asyncio.wait_for(self._stopping.wait(), interval.total_seconds())
        except asyncio.TimeoutError:
            return False
        return True
