"""Zoom groups, read from the database copy; refreshed from Zoom on a schedule and on a miss.

Name lookups (every command naming a group) and listings (status pages, the typeahead) read
a per-process index of that copy, checked against the copy's sync time every few seconds and
on a miss: a dict lookup or a list slice instead of a database query and 40 ORM rows. The
database stays the only source: a new replica or a restart just reads the index again.
"""

from __future__ import annotations

import asyncio
import difflib
import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clients.zoom import ZoomClient, ZoomGroup
from storage.db import Database, DatabaseUnavailable
from storage.directory import fold
from storage.models import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # how long one replica may take to read all groups from Zoom


_GENERATIONS = itertools.count(1)


@dataclass
class GroupIndex:
    """One replica's copy of the groups, in name order; ``generation`` names it for memos."""

    synced_at: datetime | None
    checked: float  # event-loop time of the last check against the database
    listing: list[tuple[str, str, str, int]]  # (folded name, id, name, members), in name order
    groups: dict[str, tuple[tuple[str, str, int], ...]]  # folded name → each (id, name, members) of that name
    generation: int = 0
    exact: dict[str, tuple[tuple[str, str, int], ...]] = field(default_factory=dict)  # name as Zoom spells it → groups
    ids: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # group id → (id, name, members)

    def page(self, query: str, offset: int, limit: int) -> tuple[list[ZoomGroup], int]:
        """Groups whose names contain ``query`` (any case), in name order: one page and the total."""
        listing = self.listing
        wanted = fold(query)
        if wanted:
            listing = [row for row in listing if wanted in row[0]]
        return [ZoomGroup(gid, real, n) for _, gid, real, n in listing[offset : offset + max(0, limit)]], len(listing)


@dataclass(frozen=True)
class GroupMatch:
    """What a typed group name names: one ``group``; or, when it folds to several names and none is
    typed exactly, each ``candidate``; or neither, and the closest names (``suggestions``)."""

    group: ZoomGroup | None = None
    candidates: tuple[ZoomGroup, ...] = ()
    suggestions: tuple[str, ...] = ()


def _match(index: GroupIndex, name: str) -> GroupMatch | None:
    """A name typed exactly as Zoom spells it names that group; otherwise the caseless match, if one."""
    for found in (index.exact.get(name), index.groups.get(fold(name))):
        if found:
            groups = tuple(ZoomGroup(*g) for g in found)
            return GroupMatch(groups[0]) if len(groups) == 1 else GroupMatch(candidates=groups)
    return None


class GroupDirectory:
    def __init__(
        self,
        db: Database,
        zoom: ZoomClient,
        account_id: str,
        *,
        max_age: timedelta = timedelta(minutes=15),
        refresh_on_miss_after: timedelta = timedelta(seconds=30),
        recheck: float = 5.0,
    ):
        self._db = db
        self._zoom = zoom
        self._account = account_id
        self.max_age = max_age
        self.refresh_on_miss_after = refresh_on_miss_after
        self.recheck = recheck  # seconds a replica may answer from its index before asking if another refreshed
        self._loaded = False
        self._loading: asyncio.Future | None = None  # the first load, shared by everyone waiting for it
        self._index: GroupIndex | None = None
        self._checking: asyncio.Future | None = None

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
        self._index = None  # this replica's next read sees its own refresh at once
        log.info("directory refreshed: %d Zoom groups", len(groups))
        return True

    async def _ensure_loaded(self) -> None:
        """The first use waits for a first copy (made here, or by the replica holding the lease).

        Concurrent first uses (a crowd right after start) share one load and are released together
        when it ends, instead of each polling the database in turn; a failed load is tried afresh.
        """
        if self._loaded:  # a copy, once made, is only ever replaced, never removed
            return
        if self._loading is None or self._loading.done():
            self._loading = asyncio.ensure_future(self._load_first())
            self._loading.add_done_callback(_quiet_first)
        # Shielded: a caller that stops waiting (a timed-out ack) leaves the load to the others.
        await asyncio.shield(self._loading)

    async def _load_first(self) -> None:
        for _ in range(200):
            async with self._db.transaction() as repo:
                state = await repo.directory.state(self._account)
            if state is not None and state.synced_at is not None or await self.refresh():
                break
            await asyncio.sleep(0.1)  # another replica holds the lease: its copy is coming
        else:
            await self.refresh()
            return  # still no copy: the callers read what there is, and the next use tries again
        await self._current(force=True)  # read once for all waiters, before they are released
        self._loaded = True

    async def find(self, name: str) -> GroupMatch:
        """The group ``name`` names (see ``_match``), the groups it could name, or the closest names."""
        await self._ensure_loaded()
        wanted = fold(name)
        index = await self._current()
        try:
            if wanted not in index.groups:  # another replica may have refreshed since the last check
                index = await self._current(force=True)
            if wanted not in index.groups and await self.refresh(older_than=self.refresh_on_miss_after):
                index = await self._current(force=True)  # a group created in Zoom since the last refresh
        except DatabaseUnavailable:
            pass  # the database is out of reach: answer from the copy this replica has
        found = _match(index, name)
        if found is not None:
            return found
        names = [(folded, real) for folded, twins in index.groups.items() for _, real, _ in twins]
        return GroupMatch(suggestions=closest(name, names))

    async def by_id(self, group_id: str) -> ZoomGroup | None:
        """The group with this Zoom id, as the directory knows it (None: no such group, now)."""
        await self._ensure_loaded()
        index = await self._current()
        if group_id not in index.ids:
            index = await self._current(force=True)
        found = index.ids.get(group_id)
        return ZoomGroup(*found) if found is not None else None

    async def index(self) -> GroupIndex:
        """The groups as this replica knows them (rechecked against the database every few seconds)."""
        await self._ensure_loaded()
        return await self._current()

    async def page(self, query: str, offset: int, limit: int) -> tuple[list[ZoomGroup], int]:
        """Groups whose names contain ``query`` (any case), in name order: one page and the total."""
        return (await self.index()).page(query, offset, limit)

    async def _current(self, *, force: bool = False) -> GroupIndex:
        """The index, read again when the database holds a newer copy.

        Reads do not wait for the recheck every ``recheck`` seconds: the index they have answers
        while one recheck runs beside them, so another replica's refresh shows within ``recheck``
        seconds and one read. A miss (``force``) waits for a recheck.
        """
        index = self._index
        if index is not None and not force:
            if asyncio.get_running_loop().time() - index.checked >= self.recheck:
                self._recheck()
            return index
        return await asyncio.shield(self._recheck())

    async def settle(self) -> None:
        """Waits for a first load or a recheck under way (before the database closes: it may be mid-query)."""
        for work in (self._loading, self._checking):
            if work is not None and not work.done():
                await asyncio.wait({work})

    def _recheck(self) -> asyncio.Future:
        """The recheck under way, or a new one (concurrent readers share it)."""
        if self._checking is None or self._checking.done():
            self._checking = asyncio.ensure_future(self._read())
            self._checking.add_done_callback(_quiet)
        return self._checking

    async def _read(self) -> GroupIndex:
        loop = asyncio.get_running_loop()
        index = self._index
        checked = loop.time()
        if index is not None:
            index.checked = checked  # a failing database is asked again after ``recheck``, not per read
        async with self._db.transaction() as repo:
            state = await repo.directory.state(self._account)
            synced_at = state.synced_at if state else None
            if index is not None and synced_at == index.synced_at:
                return index
            # The time was read first: a refresh committing in between makes the rows newer
            # than it says, and the next check reads them again (never the other way round).
            listing = await repo.directory.names(self._account)
        # Sorted here, not by the database, so every replica and database orders names alike.
        listing.sort()
        groups: dict[str, tuple[tuple[str, str, int], ...]] = {}
        exact: dict[str, tuple[tuple[str, str, int], ...]] = {}
        ids: dict[str, tuple[str, str, int]] = {}
        for folded, gid, real, n in listing:
            # Names that fold together ("Straße", "Strasse") are kept side by side: neither wins.
            groups[folded] = (*groups.get(folded, ()), (gid, real, n))
            exact[real] = (*exact.get(real, ()), (gid, real, n))
            ids[gid] = (gid, real, n)
        self._index = GroupIndex(synced_at, checked, listing, groups, next(_GENERATIONS), exact, ids)
        return self._index


def _quiet(done: asyncio.Future) -> None:
    """A background recheck that failed is logged; the reads it served went on with the index they had."""
    if not done.cancelled() and done.exception() is not None:
        log.warning("could not recheck the group directory: %s", type(done.exception()).__name__)


def _quiet_first(done: asyncio.Future) -> None:
    """A first load that failed is answered to its waiters; nobody else needs to hear of it."""
    if not done.cancelled():
        done.exception()


def closest(name: str, names: list[tuple[str, str]], limit: int = 5) -> tuple[str, ...]:
    """Names like ``name``: containing it first, then similar spellings."""
    wanted = fold(name)
    if not wanted:
        return ()
    containing = sorted(real for folded, real in names if wanted in folded or (len(folded) > 2 and folded in wanted))
    by_folded = {folded: real for folded, real in names}
    similar = [by_folded[f] for f in difflib.get_close_matches(wanted, list(by_folded), n=limit, cutoff=0.6)]
    return tuple(dict.fromkeys(similar + containing))[:limit]
