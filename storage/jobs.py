"""SQL of the job queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Job

_TABLE = Job.__table__


class JobRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, kind: str, payload: bytes = b"", *, now: datetime, lease_until: datetime) -> int:
        statement = (
            insert(_TABLE)
            .values(kind=kind, payload=payload, status="queued", attempts=1, created_at=now, lease_until=lease_until)
            .returning(_TABLE.c.id)
        )
        return (await self.session.execute(statement)).scalar_one()

    async def add_many(self, kinds: list[str], *, now: datetime, lease_until: datetime) -> list[int]:
        """Inserts jobs with empty payloads (``seal`` fills them in, bound to their ids); returns the ids in order."""
        return [await self.add(kind, now=now, lease_until=lease_until) for kind in kinds]

    async def seal(self, payloads: list[tuple[int, bytes]]) -> None:
        for job_id, payload in payloads:
            await self.session.execute(update(_TABLE).where(_TABLE.c.id == job_id).values(payload=payload))

    async def claim_orphans(self, *, now: datetime, lease_until: datetime, max_attempts: int, limit: int = 20) -> list[Job]:
        """Queued jobs whose runner's lease ran out (it died or was stopped): take them over.

        Each claim is a conditional UPDATE, so of replicas sweeping together one gets each job.
        A job that has had its attempts fails, and its payload is wiped.
        """
        candidates = (
            await self.session.execute(
                select(Job.id).where(Job.status == "queued", Job.lease_until < now).order_by(Job.id).limit(limit)
            )
        ).scalars().all()
        claimed = []
        for job_id in candidates:
            result = await self.session.execute(
                update(_TABLE)
                .where(_TABLE.c.id == job_id, _TABLE.c.status == "queued", _TABLE.c.lease_until < now)
                .values(lease_until=lease_until, attempts=_TABLE.c.attempts + 1)
            )
            if result.rowcount == 1:
                claimed.append(await self.session.get(Job, job_id, populate_existing=True))
        spent = [job.id for job in claimed if job.attempts > max_attempts]
        if spent:
            await self.finish_many([(job_id, "failed") for job_id in spent], now)
        return [job for job in claimed if job.id not in spent]

    async def finish_many(self, jobs: list[tuple[int, str]], now: datetime) -> None:
        """Marks jobs done or failed and wipes their payloads (response URLs are capabilities)."""
        for status in {status for _, status in jobs}:
            ids = [job_id for job_id, s in jobs if s == status]
            await self.session.execute(
                update(_TABLE).where(_TABLE.c.id.in_(ids)).values(status=status, finished_at=now, payload=b"")
            )

    async def renew(self, ids: list[int], *, lease_until: datetime) -> int:
        result = await self.session.execute(
            update(_TABLE).where(_TABLE.c.id.in_(ids), _TABLE.c.status == "queued").values(lease_until=lease_until)
        )
        return result.rowcount or 0

    async def purge(self, finished_before: datetime) -> int:
        result = await self.session.execute(
            delete(_TABLE).where(_TABLE.c.status != "queued", _TABLE.c.finished_at < finished_before)
        )
        return result.rowcount or 0
