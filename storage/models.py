"""Tables, as named by the contract: integrations, credentials, consent_requests, audit_events."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Integration(Base):
    """The setting of one scope: the Zoom account (group_id "") or one Zoom group."""

    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("zoom_account_id", "scope_kind", "group_id", name="uq_integrations_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zoom_account_id: Mapped[str] = mapped_column(String(64))
    scope_kind: Mapped[str] = mapped_column(String(16))  # "account" | "group"
    group_id: Mapped[str] = mapped_column(String(64), default="")
    scope_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # pending | active | failed | disabled
    settings: Mapped[dict] = mapped_column(JSON, default=dict)  # the portal's choices
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it failed
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enabled_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Bumped on every change so concurrent writers can detect a lost update.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The Slack team of enabled_by: where the health check's direct messages go.
    enabled_team: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The last health check (bot.services.health): when, its result (passed | failed |
    # inconclusive) and Microsoft's words. checking_until: the lease of the replica checking
    # it now, or, after an inconclusive check, when to try again.
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    check_result: Mapped[str | None] = mapped_column(String(16), nullable=True)
    check_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    checking_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The domain preflight after consent (bot.services.preflight): users on unverified domains.
    preflight: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class Credential(Base):
    """Microsoft tenant credentials of one scope, one encrypted blob (tenant, roles, token cache)."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), unique=True
    )
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentRequest(Base):
    """One admin-consent link. Only a hash of its state is kept; it can be consumed once."""

    __tablename__ = "consent_requests"
    __table_args__ = (Index("ix_consent_requests_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    slack_team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    zoom_account_id: Mapped[str] = mapped_column(String(64))
    scope_kind: Mapped[str] = mapped_column(String(16))
    group_id: Mapped[str] = mapped_column(String(64), default="")
    scope_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    correlation_id: Mapped[str] = mapped_column(String(36))
    # The scope's version once pending: a completion after any later change is stale.
    integration_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The Slack submission that asked (a view id): a repeated submission makes no second link.
    request_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)


class AuditEvent(Base):
    """Append-only record of every change and refusal."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    slack_team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    zoom_account_id: Mapped[str] = mapped_column(String(64))
    scope_kind: Mapped[str] = mapped_column(String(16))
    group_id: Mapped[str] = mapped_column(String(64), default="")
    scope_name: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    correlation_id: Mapped[str] = mapped_column(String(36))


class ZoomGroupRow(Base):
    """A cached Zoom group. Zoom stays the source of truth; this is refreshed from it."""

    __tablename__ = "zoom_groups"
    __table_args__ = (Index("ix_zoom_groups_name_folded", "zoom_account_id", "name_folded"),)

    zoom_account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255))  # casefolded, spaces collapsed
    total_members: Mapped[int] = mapped_column(Integer, default=0)


class ZoomDirectory(Base):
    """When an account's groups were last read from Zoom, and who is reading them now."""

    __tablename__ = "zoom_directory"

    zoom_account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refreshing_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # a replica's lease
    group_count: Mapped[int] = mapped_column(Integer, default=0)


class Job(Base):
    """Work promised before an ack. Leased by the replica running it; expired leases are resumed."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_lease_until", "status", "lease_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted: response URLs are capabilities
    status: Mapped[str] = mapped_column(String(16))  # queued | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SlackWorkspace(Base):
    """A Slack workspace installed in multi-workspace mode, bound to one Zoom account configuration.

    Its bot token lives in slack_bots (encrypted, see storage.slack_installations).
    """

    __tablename__ = "slack_workspaces"

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # team ID (enterprise ID if org-wide)
    enterprise_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    team_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    zoom_account_id: Mapped[str] = mapped_column(String(64))
    installed_by: Mapped[str] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
