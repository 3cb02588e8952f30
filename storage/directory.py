"""SQL of the cached Zoom group directory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ZoomDirectory, ZoomGroupRow


def fold(name: str) -> str:
    return " ".join(name.split()).casefold()


class DirectoryRepository:
    def __init__(self, session: AsyncSession, insert_for):
        self.session = session
        self._insert = insert_for

    async def state(self, account: str) -> ZoomDirectory | None:
        return await self.session.get(ZoomDirectory, account, populate_existing=True)

    async def claim_refresh(self, account: str, *, now: datetime, stale_before: datetime, lease_until: datetime) -> bool:
        """Take the refresh lease when the directory is older than ``stale_before`` and nobody holds it."""
        await self.session.execute(
            self._insert(ZoomDirectory)
            .values(zoom_account_id=account, group_count=0)
            .on_conflict_do_nothing(index_elements=["zoom_account_id"])
        )
        result = await self.session.execute(
            update(ZoomDirectory)
            .where(
                ZoomDirectory.zoom_account_id == account,
                or_(ZoomDirectory.synced_at.is_(None), ZoomDirectory.synced_at < stale_before),
                or_(ZoomDirectory.refreshing_until.is_(None), ZoomDirectory.refreshing_until < now),
            )
            .values(refreshing_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def release(self, account: str) -> None:
        await self.session.execute(
            update(ZoomDirectory).where(ZoomDirectory.zoom_account_id == account).values(refreshing_until=None)
        )

    async def replace(self, account: str, groups: list[tuple[str, str, int]], now: datetime) -> None:
        await self.session.execute(delete(ZoomGroupRow).where(ZoomGroupRow.zoom_account_id == account))
        rows = [
            {"zoom_account_id": account, "group_id": gid, "name": name, "name_folded": fold(name), "total_members": n}
            for gid, name, n in groups
        ]
        for start in range(0, len(rows), 5000):  # bounded statements for very large accounts
            await self.session.execute(insert(ZoomGroupRow), rows[start : start + 5000])
        await self.session.execute(
            update(ZoomDirectory)
            .where(ZoomDirectory.zoom_account_id == account)
            .values(synced_at=now, refreshing_until=None, group_count=len(rows))
        )

    async def names(self, account: str) -> list[tuple[str, str, str, int]]:
        """Every group as (folded name, id, name, members)."""
        statement = select(
            ZoomGroupRow.name_folded, ZoomGroupRow.group_id, ZoomGroupRow.name, ZoomGroupRow.total_members
        ).where(ZoomGroupRow.zoom_account_id == account)
        return [tuple(row) for row in (await self.session.execute(statement)).all()]
