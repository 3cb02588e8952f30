"""Background upkeep every replica runs: a fresh group directory, no stale consent requests."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.services.directory import GroupDirectory
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)

# Expired requests are kept a while so a late click gets "expired" rather than "unknown".
KEEP_EXPIRED = timedelta(days=7)


class Maintenance:
    def __init__(self, db: Database, directory: GroupDirectory, *, every: timedelta = timedelta(minutes=5)):
        self._db = db
        self._directory = directory
        self._every = every

    async def purge_expired_consents(self) -> int:
        async with self._db.transaction() as repo:
            purged = await repo.purge_consents(utcnow() - KEEP_EXPIRED)
        if purged:
            log.info("purged %d expired consent requests", purged)
        return purged

    async def run(self) -> None:
        """Runs until cancelled. Sleeps first: the first command loads the directory on demand."""
        while True:
            await asyncio.sleep(self._every.total_seconds())
            for step in (lambda: self._directory.refresh(older_than=self._directory.max_age), self.purge_expired_consents):
                try:
                    await step()
                except Exception as exc:  # a background loop must outlive Zoom or database hiccups
                    log.warning("maintenance step failed: %s", exc)
