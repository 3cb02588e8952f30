"""A replica's read model of the scopes' states: what `status`, `groups` and the Home tab read.

Reads answer inside Slack's ack, so they come from memory: every configured scope, read from
the database in one query. A change made through this replica marks the copy stale, so the
next read reads again and shows it at once. A change made on another replica shows once the
copy is ``FRESH`` seconds old: the next read after that starts one reload and is answered
from the old copy meanwhile, so reads never queue behind the database. The bound on how old
an answer can be is therefore ``FRESH`` plus one reload (documented as two seconds).

Answers derived from one copy (a rendered listing page, say) are kept with it in ``memo``
and go with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.db import Database, DatabaseUnavailable
from storage.models import utcnow

log = logging.getLogger(__name__)

FRESH = 1.0  # seconds a copy answers reads before the next read reloads it in the background
_MEMO_LIMIT = 1000  # derived answers kept per copy (pages × filters); past it, start over


@dataclass(frozen=True)
class ScopeRow:
    """One configured scope, as stored (``credential`` is ciphertext)."""

    kind: str
    group_id: str
    name: str
    status: str
    detail: str | None
    updated_by: str | None
    updated_at: datetime | None
    enabled_by: str | None
    enabled_at: datetime | None
    last_verified_at: datetime | None
    version: int
    last_checked_at: datetime | None  # the last health check: when, its result and its words
    check_result: str | None
    check_detail: str | None
    preflight: dict | None  # the domain preflight after consent (bot.services.preflight)
    credential: bytes | None
    consent_expires_at: datetime | None


@dataclass
class Snapshot:
    rows: dict[tuple[str, str], ScopeRow]  # (kind, group_id) → row
    loaded_at: float  # clock time the read started
    changes: int  # how many local changes it has seen
    memo: dict[Any, Any] = field(default_factory=dict)

    def remember(self, key: Any, value: Any) -> Any:
        if len(self.memo) >= _MEMO_LIMIT:
            self.memo.clear()
        self.memo[key] = value
        return value


class ScopeStates:
    def __init__(self, db: Database, zoom_account_id: str, *, fresh: float = FRESH, clock: Callable[[], float] | None = None):
        self._db = db
        self._account = zoom_account_id
        self._fresh = fresh
        self._clock = clock
        self._snapshot: Snapshot | None = None
        self._changes = 0
        self._loading: asyncio.Task | None = None
        self._loading_changes = -1
        self._retry_at = 0.0

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def settle(self) -> None:
        """Waits for a reload under way (before the database closes: it may be mid-query)."""
        if self._loading is not None and not self._loading.done():
            await asyncio.wait({self._loading})

    def changed(self) -> None:
        """A change was written through this replica: the next read must see it."""
        self._changes += 1

    async def current(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is None or snapshot.changes != self._changes:
            try:
                return await asyncio.shield(self._load())
            except DatabaseUnavailable:
                if snapshot is None:
                    raise
                # A change attempted here may not show; reads answer from memory until the database
                # is back (the copy stays marked stale, so the first read after reloads).
                return snapshot
        if self._now() - snapshot.loaded_at > self._fresh and self._now() >= self._retry_at:
            self._load()  # in the background: this read is answered from the copy it has
        return snapshot

    async def fresh(self) -> Snapshot:
        """A copy at most ``FRESH`` seconds old, waiting for a reload if need be (for /metrics,
        which may be the only reader for hours: ``current`` would answer from the old copy)."""
        snapshot = await self.current()
        if self._now() - snapshot.loaded_at > self._fresh:
            return await asyncio.shield(self._load())
        return snapshot

    def _load(self) -> asyncio.Task:
        """The reload under way if it started after the last local change, else a new one."""
        if self._loading is None or self._loading.done() or self._loading_changes != self._changes:
            self._loading_changes = self._changes
            self._loading = asyncio.ensure_future(self._read(self._changes))
            self._loading.add_done_callback(self._read_done)
        return self._loading

    async def _read(self, changes: int) -> Snapshot:
        started = self._now()
        async with self._db.transaction() as repo:
            found = await repo.scope_rows(self._account, utcnow())
        rows = {(row[0], row[1]): ScopeRow(*row) for row in found}
        snapshot = Snapshot(rows, started, changes)
        current = self._snapshot
        if current is None or (current.changes, current.loaded_at) <= (changes, started):
            self._snapshot = snapshot
        return snapshot

    def _read_done(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            # Readers waiting for it see the error; background reloads pause a moment before trying again.
            self._retry_at = self._now() + self._fresh
            log.warning("could not read the scopes' states: %s", type(task.exception()).__name__)
