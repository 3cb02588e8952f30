"""SQL of the job queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Job


class JobRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, kind: str, payload: bytes, *, now: datetime, lease_until: datetime) -> Job:
        return (await self.add_many([(kind, payload)], now=now, lease_until=lease_until))[0]

    async def add_many(self, jobs: list[tuple[str, bytes]], *, now: datetime, lease_until: datetime) -> list[Job]:
        rows = [
            Job(kind=kind, payload=payload, status="queued", attempts=1, created_at=now, lease_until=lease_until)
            for kind, payload in jobs
        ]
        self.session.add_all(rows)
        await self.session.flush()
        return rows

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
        """Marks jobs done or failed and wipes their payloads (response URLs are capabilities)."""
        for status in {status for _, status in jobs}:
            ids = [job_id for job_id, s in jobs if s == status]
            await self.session.execute(
                update(Job)
                .where(Job.id.in_(ids))
                .values(status=status, finished_at=now, payload=b"")
                .execution_options(synchronize_session=False)
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
