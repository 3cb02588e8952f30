"""SQL of the job queue."""

from __future__ import annotations

import functools
import itertools
from datetime import datetime, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Job

_COLUMNS = ("kind", "payload", "status", "attempts", "created_at", "lease_until")
_MAX_ROWS = 64


@functools.lru_cache(maxsize=2 * _MAX_ROWS)
def _insert_sql(paramstyle: str, rows: int) -> str:
    count = itertools.count(1)
    mark = (lambda: f"${next(count)}") if paramstyle == "numeric_dollar" else (lambda: "?")  # asyncpg | sqlite
    values = ", ".join("(" + ", ".join(mark() for _ in _COLUMNS) + ")" for _ in range(rows))
    return f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES {values} RETURNING id, payload"


class JobRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, kind: str, payload: bytes, *, now: datetime, lease_until: datetime) -> int:
        return (await self.add_many([(kind, payload)], now=now, lease_until=lease_until))[0]

    async def add_many(self, jobs: list[tuple[str, bytes]], *, now: datetime, lease_until: datetime) -> list[int]:
        """Inserts jobs; returns their ids in the order given.

        Every Slack ack waits for this, so it is one multi-row INSERT … RETURNING per 64 jobs,
        as plain SQL cached per row count: the ORM costs a round trip per row, and compiling a
        multi-row INSERT costs more than running it. Payloads are unique (each is sealed
        with a random nonce), so they map the returned ids back to the jobs.
        """
        naive = tuple(t.astimezone(timezone.utc).replace(tzinfo=None) for t in (now, lease_until))  # as UTCDateTime
        connection = await self.session.connection()
        ids: dict[bytes, int] = {}
        for start in range(0, len(jobs), _MAX_ROWS):
            chunk = jobs[start:start + _MAX_ROWS]
            params = tuple(value for kind, payload in chunk for value in (kind, payload, "queued", 1, *naive))
            sql = _insert_sql(connection.dialect.paramstyle, len(chunk))
            result = await connection.exec_driver_sql(sql, params)
            ids.update((bytes(payload), job_id) for job_id, payload in result.all())
        return [ids[payload] for _, payload in jobs]

    async def claim_orphans(self, *, now: datetime, lease_until: datetime, max_attempts: int, limit: int = 20) -> list[Job]:
        """Queued jobs whose runner's lease ran out (it died or was stopped): take them over.

        Each claim is a conditional UPDATE, so of replicas sweeping together one gets each job.
        """
        candidates = (
            await self.session.execute(
                select(Job.id).where(Job.status == "queued", Job.lease_until < now).order_by(Job.id).limit(limit)
            )
        ).scalars().all()
        claimed = []
        for job_id in candidates:
            result = await self.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued", Job.lease_until < now)
                .values(
                    lease_until=lease_until,
                    attempts=Job.attempts + 1,
                    status="queued",
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                claimed.append(await self.session.get(Job, job_id, populate_existing=True))
        for job in claimed:
            if job.attempts > max_attempts:
                job.status = "failed"
                job.finished_at = now
        return [j for j in claimed if j.status == "queued"]

    async def finish(self, job_id: int, status: str, now: datetime) -> None:
        await self.finish_many([(job_id, status)], now)

    async def finish_many(self, jobs: list[tuple[int, str]], now: datetime) -> None:
        """Marks jobs done or failed and wipes their payloads (response URLs are capabilities).

        A Core UPDATE on the table: every job pays for this, and the ORM's bulk-update path
        costs several times the statement itself.
        """
        table = Job.__table__
        for status in {status for _, status in jobs}:
            ids = [job_id for job_id, s in jobs if s == status]
            await self.session.execute(
                update(table).where(table.c.id.in_(ids)).values(status=status, finished_at=now, payload=b"")
            )

    async def renew(self, ids: list[int], *, lease_until: datetime) -> int:
        result = await self.session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.status == "queued")
            .values(lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0

    async def purge(self, finished_before: datetime) -> int:
        result = await self.session.execute(
            delete(Job).where(Job.status != "queued", Job.finished_at < finished_before)
        )
        return result.rowcount or 0
