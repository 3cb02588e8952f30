"""SQL of the health checks and the domain preflight (columns of integrations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Credential, Integration


class Claimed(NamedTuple):
    """A scope one replica checks now (it holds the lease until it records the result)."""

    id: int
    kind: str
    group_id: str
    name: str
    status: str
    version: int
    enabled_by: str | None
    enabled_team: str | None


class CheckRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def claim(
        self,
        account: str,
        *,
        now: datetime,
        due_before: datetime,
        lease_until: datetime,
        limit: int,
        checker: str,
        skip: tuple[int, ...] = (),
        skip_locked: bool = True,
    ) -> list[Claimed]:
        """Leases up to ``limit`` scopes due for a check, in one conditional UPDATE.

        Checked: `active` scopes, and `failed` ones the health check itself failed (``checker``
        made the last change) that still hold credentials, so a passing check restores them. Due:
        never checked, last checked before ``due_before``, or inconclusive last time (its lease
        then says when to try again). Of replicas claiming at once each row goes to one: the
        conditions are re-checked on the row the UPDATE writes (PostgreSQL re-reads a row another
        transaction changed; SQLite runs one writer at a time).
        """
        conditions = (
            Integration.zoom_account_id == account,
            or_(
                Integration.status == "active",
                and_(Integration.status == "failed", Integration.updated_by == checker),
            ),
            or_(
                Integration.last_checked_at.is_(None),
                Integration.last_checked_at < due_before,
                Integration.check_result == "inconclusive",
            ),
            or_(Integration.checking_until.is_(None), Integration.checking_until < now),
            exists().where(Credential.integration_id == Integration.id),
            *((Integration.id.notin_(skip),) if skip else ()),
        )
        due = (
            select(Integration.id)
            .where(*conditions)
            .order_by(Integration.last_checked_at.asc().nulls_first(), Integration.id)
            .limit(limit)
            # PostgreSQL: concurrent rounds take different rows instead of queueing for the same
            # ones (SQLite renders no FOR UPDATE: it runs one writer at a time anyway). A check asked
            # for now waits for a row's short write (the preflight's, say) instead of passing it by.
            .with_for_update(skip_locked=skip_locked)
        )
        result = await self.session.execute(
            update(Integration)
            .where(Integration.id.in_(due.scalar_subquery()), *conditions)
            .values(checking_until=lease_until)
            .returning(
                Integration.id, Integration.scope_kind, Integration.group_id, Integration.scope_name,
                Integration.status, Integration.version, Integration.enabled_by, Integration.enabled_team,
            )
            .execution_options(synchronize_session=False)
        )
        return [Claimed(*row) for row in result]

    async def record(
        self,
        integration_id: int,
        version: int,
        *,
        now: datetime,
        result: str,
        detail: str | None,
        retry_at: datetime | None = None,
        status: str | None = None,
        reason: str | None = None,
        by: str | None = None,
    ) -> bool:
        """Stores a check's result (and a new status, when it changes one) and ends the lease.

        Only if the scope is unchanged since the claim (``version``): a scope disabled or enabled
        again meanwhile keeps its new state, and False says the result was dropped.
        """
        values: dict[str, Any] = {
            "last_checked_at": now, "check_result": result, "check_detail": detail, "checking_until": retry_at,
        }
        if status is not None:
            values |= {
                "status": status, "detail": reason, "updated_by": by, "updated_at": now,
                "version": Integration.version + 1,
            }
        written = await self.session.execute(
            update(Integration)
            .where(Integration.id == integration_id, Integration.version == version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if written.rowcount == 1:
            return True
        await self.release(integration_id)
        return False

    async def release(self, integration_id: int) -> None:
        """Ends a lease without a result: any replica may check the scope at once."""
        await self.session.execute(
            update(Integration)
            .where(Integration.id == integration_id)
            .values(checking_until=None)
            .execution_options(synchronize_session=False)
        )

    async def consented(self, integration_id: int, *, now: datetime, team: str) -> None:
        """A consent just succeeded: it counts as a passing check, and its preflight starts over."""
        await self.session.execute(
            update(Integration)
            .where(Integration.id == integration_id)
            .values(
                enabled_team=team, last_checked_at=now, check_result="passed", check_detail=None,
                checking_until=None, preflight=None,
            )
            .execution_options(synchronize_session=False)
        )

    async def save_preflight(self, integration_id: int, version: int, preflight: dict) -> bool:
        """The domain preflight's outcome, unless the scope changed since the consent."""
        written = await self.session.execute(
            update(Integration)
            .where(Integration.id == integration_id, Integration.version == version)
            .values(preflight=preflight)
            .execution_options(synchronize_session=False)
        )
        return written.rowcount == 1

    async def settings_of(self, account: str, group_ids: tuple[str, ...]) -> list[Integration]:
        """The account's row and the rows of these groups (`check`: whose setting applies to a user)."""
        query = select(Integration).where(
            Integration.zoom_account_id == account,
            or_(Integration.scope_kind == "account", and_(Integration.scope_kind == "group", Integration.group_id.in_(group_ids))),
        )
        return list((await self.session.execute(query)).scalars())
