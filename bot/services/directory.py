"""Zoom groups, read from the database copy; refreshed from Zoom on a schedule and on a miss."""

from __future__ import annotations

import asyncio
import difflib
import logging
from datetime import timedelta

from bot.clients.zoom import ZoomClient, ZoomGroup
from storage.db import Database
from storage.directory import fold
from storage.models import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # how long one replica may take to read all groups from Zoom


class GroupDirectory:
    def __init__(
        self,
        db: Database,
        zoom: ZoomClient,
        account_id: str,
        *,
        max_age: timedelta = timedelta(minutes=15),
        refresh_on_miss_after: timedelta = timedelta(seconds=30),
    ):
        self._db = db
        self._zoom = zoom
        self._account = account_id
        self.max_age = max_age
        self.refresh_on_miss_after = refresh_on_miss_after
        self._loaded = False

    async def refresh(self, older_than: timedelta = timedelta(0)) -> bool:
        """Re-read every group from Zoom unless the copy is fresher than ``older_than``.

        Replicas take turns through a lease in the database; False when this one did not refresh.
        """
        now = utcnow()
        async with self._db.transaction() as repo:
            claimed = await repo.directory.claim_refresh(
                self._account, now=now, stale_before=now - older_than, lease_until=now + LEASE
            )
        if not claimed:
            return False
        try:
            groups = await self._zoom.groups()
        except BaseException:
            async with self._db.transaction() as repo:
                await repo.directory.release(self._account)
            raise
        async with self._db.transaction() as repo:
            await repo.directory.replace(
                self._account, [(g.id, g.name, g.total_members) for g in groups], utcnow()
            )
        log.info("directory refreshed: %d Zoom groups", len(groups))
        return True

    async def _ensure_loaded(self) -> None:
        """The first use waits for a first copy (made here, or by the replica holding the lease)."""
        if self._loaded:  # a copy, once made, is only ever replaced, never removed
            return
        for _ in range(200):
            async with self._db.transaction() as repo:
                state = await repo.directory.state(self._account)
            if state is not None and state.synced_at is not None or await self.refresh():
                self._loaded = True
                return
            await asyncio.sleep(0.1)
        await self.refresh()

    async def find(self, name: str) -> tuple[ZoomGroup | None, tuple[str, ...]]:
        """The group named ``name`` (any case), or None and the closest names."""
        await self._ensure_loaded()
        row = await self._by_name(name)
        if row is None and await self.refresh(older_than=self.refresh_on_miss_after):
            row = await self._by_name(name)  # a group created in Zoom since the last refresh
        if row is not None:
            return row, ()
        async with self._db.transaction() as repo:
            names = await repo.directory.folded_names(self._account)
        return None, closest(name, names)

    async def _by_name(self, name: str) -> ZoomGroup | None:
        async with self._db.transaction() as repo:
            row = await repo.directory.by_name(self._account, name)
        return ZoomGroup(row.group_id, row.name, row.total_members) if row else None

    async def page(self, query: str, offset: int, limit: int) -> tuple[list[ZoomGroup], int]:
        """Groups whose names contain ``query``, in name order: one page and the total."""
        await self._ensure_loaded()
        async with self._db.transaction() as repo:
            if limit > 0:
                rows, total = await repo.directory.page(self._account, query, offset, limit)
            else:
                rows, total = [], await repo.directory.count(self._account, query)
        return [ZoomGroup(r.group_id, r.name, r.total_members) for r in rows], total


def closest(name: str, names: list[tuple[str, str]], limit: int = 5) -> tuple[str, ...]:
    """Names like ``name``: containing it first, then similar spellings."""
    wanted = fold(name)
    if not wanted:
        return ()
    containing = sorted(real for folded, real in names if wanted in folded or (len(folded) > 2 and folded in wanted))
    by_folded = {folded: real for folded, real in names}
    similar = [by_folded[f] for f in difflib.get_close_matches(wanted, list(by_folded), n=limit, cutoff=0.6)]
    return tuple(dict.fromkeys(similar + containing))[:limit]
