"""All SQL lives here. A Repository works inside one transaction opened by Database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.checks import CheckRepository
from storage.directory import DirectoryRepository
from storage.jobs import JobRepository
from storage.models import AuditEvent, ConsentRequest, Credential, Integration, utcnow
from storage.workspaces import WorkspaceRepository


class ScopeKey(NamedTuple):
    zoom_account_id: str
    kind: str  # "account" | "group"
    group_id: str  # "" for the account


class Duplicate(Exception):
    """A row with the same unique key exists (the caller's work was already done)."""


class ConsumeFailure(Enum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Consumed:
    request: ConsentRequest | None
    failure: ConsumeFailure | None = None


_FRESH = {"populate_existing": True}
# What a replica's read model keeps of each integration row (bot.services.states).
SCOPE_COLUMNS = (
    Integration.scope_kind,
    Integration.group_id,
    Integration.scope_name,
    Integration.status,
    Integration.detail,
    Integration.updated_by,
    Integration.updated_at,
    Integration.enabled_by,
    Integration.enabled_at,
    Integration.last_verified_at,
    Integration.version,
    Integration.last_checked_at,
    Integration.check_result,
    Integration.check_detail,
    Integration.preflight,
)


def _scope(key: ScopeKey) -> tuple:
    """WHERE terms selecting one scope's integration row."""
    return (
        Integration.zoom_account_id == key.zoom_account_id,
        Integration.scope_kind == key.kind,
        Integration.group_id == key.group_id,
    )


class Repository:
    def __init__(self, session: AsyncSession):
        self.session = session
        self.directory = DirectoryRepository(session, self._insert)
        self.checks = CheckRepository(session)
        self.jobs = JobRepository(session)
        self.workspaces = WorkspaceRepository(session, self._insert)

    def _insert(self, table):
        dialect = self.session.bind.dialect.name
        return (postgresql if dialect == "postgresql" else sqlite).insert(table)

    # integrations -------------------------------------------------------

    async def integration(self, key: ScopeKey, *, for_update: bool = False) -> Integration | None:
        query = select(Integration).where(
            *_scope(key),
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def integrations(self, zoom_account_id: str) -> list[Integration]:
        query = select(Integration).where(Integration.zoom_account_id == zoom_account_id)
        return list((await self.session.execute(query)).scalars())

    async def scope_rows(self, zoom_account_id: str, now: datetime) -> list[tuple]:
        """Every configured scope with its stored credentials (ciphertext) and open consent link's expiry.

        Plain rows, not ORM objects: a replica reads them all every second or two to answer reads.
        """
        open_links = (
            select(
                ConsentRequest.scope_kind,
                ConsentRequest.group_id,
                func.max(ConsentRequest.expires_at).label("expires_at"),
            )
            .where(
                ConsentRequest.zoom_account_id == zoom_account_id,
                ConsentRequest.used_at.is_(None),
                ConsentRequest.cancelled_at.is_(None),
                ConsentRequest.expires_at > now,
            )
            .group_by(ConsentRequest.scope_kind, ConsentRequest.group_id)
            .subquery()
        )
        query = (
            select(*SCOPE_COLUMNS, Credential.ciphertext, open_links.c.expires_at)
            .outerjoin(Credential, Credential.integration_id == Integration.id)
            .outerjoin(
                open_links,
                (open_links.c.scope_kind == Integration.scope_kind) & (open_links.c.group_id == Integration.group_id),
            )
            .where(Integration.zoom_account_id == zoom_account_id)
        )
        return [tuple(row) for row in await self.session.execute(query)]

    async def save_status(
        self,
        key: ScopeKey,
        *,
        name: str,
        status: str,
        user: str,
        settings: dict[str, Any] | None = None,
        detail: str | None = None,
        now: datetime | None = None,
        expected_version: int | None = None,
    ) -> Integration | None:
        """Create or update a scope's row in one statement (safe under concurrent writers).

        ``expected_version``: change it only if it is still at that version (0: no row yet);
        None when it was not.
        """
        now = now or utcnow()
        values: dict[str, Any] = {
            "scope_name": name,
            "status": status,
            "detail": detail,
            "updated_by": user,
            "updated_at": now,
        }
        if settings is not None:
            values["settings"] = settings
        if status == "active":
            values |= {"enabled_by": user, "enabled_at": now}
        statement = self._insert(Integration).values(
            zoom_account_id=key.zoom_account_id,
            scope_kind=key.kind,
            group_id=key.group_id,
            version=1,
            **({"settings": {}} | values),
        )
        statement = statement.on_conflict_do_update(
            index_elements=["zoom_account_id", "scope_kind", "group_id"],
            set_=values | {"version": Integration.version + 1},
            where=None if expected_version is None else Integration.version == expected_version,
        )
        return await self._returning(statement, Integration)

    async def _returning(self, statement, entity):
        """The row an INSERT/UPDATE wrote (None if it wrote none), read back by RETURNING.

        populate_existing: a copy loaded earlier in this session takes the new values.
        """
        rows = await self.session.scalars(statement.returning(entity), execution_options=_FRESH)
        return rows.one_or_none()

    async def settle(
        self, key: ScopeKey, version: int, *, status: str, user: str, detail: str | None = None, now: datetime | None = None
    ) -> Integration | None:
        """Set a consent outcome only if the scope is unchanged since it became pending.

        None means someone disabled or re-requested it meanwhile: the outcome is stale.
        """
        now = now or utcnow()
        values: dict[str, Any] = {"status": status, "detail": detail, "updated_by": user, "updated_at": now}
        if status == "active":
            values |= {"enabled_by": user, "enabled_at": now}
        return await self._returning(
            update(Integration)
            .where(
                *_scope(key),
                Integration.version == version,
            )
            .values(**values, version=Integration.version + 1),
            Integration,
        )

    async def mark_disabled(
        self, key: ScopeKey, *, user: str, now: datetime | None = None, version: int | None = None
    ) -> Integration | None:
        """Switch a configured scope to disabled; None when there was nothing to switch.

        One conditional UPDATE: of concurrent callers exactly one sees a row change. With
        ``version``, only a scope still at that version is switched.
        """
        return await self._returning(
            update(Integration)
            .where(
                *_scope(key),
                Integration.status != "disabled",
                *(() if version is None else (Integration.version == version,)),
            )
            .values(
                status="disabled",
                detail=None,
                updated_by=user,
                updated_at=now or utcnow(),
                version=Integration.version + 1,
            ),
            Integration,
        )

    async def mark_verified(self, key: ScopeKey, now: datetime) -> None:
        await self.session.execute(
            update(Integration)
            .where(
                *_scope(key),
            )
            .values(last_verified_at=now)
            .execution_options(synchronize_session=False)
        )

    async def save_verified(
        self, key: ScopeKey, *, version: int, ciphertext: bytes, new_ciphertext: bytes, now: datetime
    ) -> bool:
        """Verify's write, a compare-and-set: the credentials (and the time of verification) change
        only if the scope is still `active` at ``version`` and still holds ``ciphertext``. False:
        it changed meanwhile (disabled, enabled again, new credentials) and nothing was written.

        The scope's row is locked first, so a concurrent disable or consent waits for this write
        or this write sees theirs (each bumps the version).
        """
        row = await self.integration(key, for_update=True)
        if row is None or row.version != version or row.status != "active":
            return False
        result = await self.session.execute(
            update(Credential)
            .where(Credential.integration_id == row.id, Credential.ciphertext == ciphertext)
            .values(ciphertext=new_ciphertext)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:
            return False
        await self.mark_verified(key, now)
        return True

    # credentials --------------------------------------------------------

    async def save_credentials(self, integration_id: int, ciphertext: bytes) -> None:
        statement = self._insert(Credential).values(
            integration_id=integration_id, ciphertext=ciphertext, created_at=utcnow()
        )
        statement = statement.on_conflict_do_update(
            index_elements=["integration_id"],
            set_={"ciphertext": ciphertext, "created_at": utcnow()},
        )
        await self.session.execute(statement)

    async def credentials(self, integration_id: int) -> Credential | None:
        query = select(Credential).where(Credential.integration_id == integration_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def delete_credentials(self, integration_id: int) -> int:
        result = await self.session.execute(
            delete(Credential).where(Credential.integration_id == integration_id)
        )
        return result.rowcount or 0

    # consent requests ---------------------------------------------------

    async def consent_by_request_key(self, request_key: str) -> ConsentRequest | None:
        query = select(ConsentRequest).where(ConsentRequest.request_key == request_key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_consent_request(self, request: ConsentRequest) -> ConsentRequest:
        """Raises Duplicate when its request_key was used; the transaction must then be dropped."""
        self.session.add(request)
        try:
            await self.session.flush()
        except IntegrityError:
            raise Duplicate(request.request_key) from None
        return request

    async def consume_consent_request(self, state_hash: str, now: datetime | None = None) -> Consumed:
        """Mark a state used. The conditional UPDATE lets exactly one concurrent caller win."""
        now = now or utcnow()
        row = await self._returning(
            update(ConsentRequest)
            .where(
                ConsentRequest.state_hash == state_hash,
                ConsentRequest.used_at.is_(None),
                ConsentRequest.cancelled_at.is_(None),
                ConsentRequest.expires_at > now,
            )
            .values(used_at=now),
            ConsentRequest,
        )
        if row is not None:
            return Consumed(row)
        row = (
            await self.session.execute(select(ConsentRequest).where(ConsentRequest.state_hash == state_hash))
        ).scalar_one_or_none()
        if row is None:
            return Consumed(None, ConsumeFailure.UNKNOWN)
        if row.cancelled_at is not None:
            return Consumed(None, ConsumeFailure.CANCELLED)
        if row.used_at is not None:
            return Consumed(None, ConsumeFailure.USED)
        return Consumed(None, ConsumeFailure.EXPIRED)

    @staticmethod
    def _open_consents(key: ScopeKey, now: datetime):
        return (
            ConsentRequest.zoom_account_id == key.zoom_account_id,
            ConsentRequest.scope_kind == key.kind,
            ConsentRequest.group_id == key.group_id,
            ConsentRequest.used_at.is_(None),
            ConsentRequest.cancelled_at.is_(None),
            ConsentRequest.expires_at > now,
        )

    async def pending_consent(self, key: ScopeKey, now: datetime | None = None) -> ConsentRequest | None:
        """The newest open (unused, uncancelled, unexpired) consent request of a scope."""
        query = (
            select(ConsentRequest)
            .where(*self._open_consents(key, now or utcnow()))
            .order_by(ConsentRequest.created_at.desc(), ConsentRequest.id.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def cancel_consents(self, key: ScopeKey, now: datetime | None = None) -> int:
        now = now or utcnow()
        result = await self.session.execute(
            update(ConsentRequest)
            .where(*self._open_consents(key, now))
            .values(cancelled_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0

    async def open_consents_of(self, zoom_account_id: str, team_id: str, user_id: str, now: datetime) -> list[ConsentRequest]:
        """The consent links a Slack user asked for that can still complete."""
        query = select(ConsentRequest).where(
            ConsentRequest.zoom_account_id == zoom_account_id,
            ConsentRequest.slack_team_id == team_id,
            ConsentRequest.slack_user_id == user_id,
            ConsentRequest.used_at.is_(None),
            ConsentRequest.cancelled_at.is_(None),
            ConsentRequest.expires_at > now,
        )
        return list((await self.session.execute(query)).scalars())

    async def cancel_consent(self, request_id: int, now: datetime) -> bool:
        """Cancels one link if it is still open (one conditional UPDATE: a concurrent callback wins or loses)."""
        result = await self.session.execute(
            update(ConsentRequest)
            .where(ConsentRequest.id == request_id, ConsentRequest.used_at.is_(None), ConsentRequest.cancelled_at.is_(None))
            .values(cancelled_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    async def purge_consents(self, expired_before: datetime) -> int:
        """Deletes consent requests that expired before the given time (audit events stay)."""
        result = await self.session.execute(
            delete(ConsentRequest).where(ConsentRequest.expires_at < expired_before)
        )
        return result.rowcount or 0

    # audit --------------------------------------------------------------

    async def add_audit(self, event: AuditEvent) -> AuditEvent:
        self.session.add(event)
        await self.session.flush()
        return event

    async def audit_events(self, limit: int) -> list[AuditEvent]:
        query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
        return list((await self.session.execute(query)).scalars())
