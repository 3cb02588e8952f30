"""What service calls answer. Handlers render these; the service never builds Slack blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import Choices, Scope, Status

REFUSAL = "Sorry, only Zoom account owners and admins may do this."


@dataclass(frozen=True)
class Refused:
    message: str = REFUSAL


@dataclass(frozen=True)
class Failure:
    """An outside service failed past our retries; ``message`` says what to do."""

    service: str
    message: str


@dataclass(frozen=True)
class Problem:
    """The request was not understood or is not allowed as asked."""

    message: str


@dataclass(frozen=True)
class UnknownGroup:
    name: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class AlreadySubmitted:
    """The same dialog reached us twice (a double click, or Slack delivering it again)."""

    scope: Scope


@dataclass(frozen=True)
class HelpText:
    commands: tuple[str, ...]
    is_admin: bool
    problem: str | None = None


@dataclass(frozen=True)
class OutOfDate:
    """A button or dialog shown for an older state of the scope (or a replayed request): nothing changed."""

    scope: Scope


@dataclass(frozen=True)
class ScopeStatus:
    scope: Scope
    status: Status
    version: int = 0  # 0: no setting of its own yet
    account_status: Status | None = None  # what an inheriting group gets
    updated_by: str | None = None
    updated_at: datetime | None = None
    enabled_by: str | None = None
    enabled_at: datetime | None = None
    organization: str | None = None
    tenant_id: str | None = None
    roles: tuple[str, ...] = ()
    consent_expires_at: datetime | None = None
    last_verified_at: datetime | None = None
    detail: str | None = None


@dataclass(frozen=True)
class StatusReport:
    scopes: tuple[ScopeStatus, ...]
    single: bool = False  # one scope asked for: show details
    page: int = 1
    pages: int = 1
    listing: str = "status"  # "status" or "groups": what Next / Previous page through
    query: str = ""  # the `groups` filter
    total: int = 0  # scopes across all pages


@dataclass(frozen=True)
class Dashboard:
    """The App Home tab: the report for admins, a short note for everyone else."""

    report: StatusReport | None


@dataclass(frozen=True)
class DisableConfirm:
    scope: Scope
    status: Status
    has_credentials: bool
    version: int = 0  # the scope's version shown: a click acts on this state only


@dataclass(frozen=True)
class Disabled:
    scope: Scope
    user_id: str
    at: datetime
    credentials_deleted: bool
    links_cancelled: int
    app_id: str  # the Entra app whose enterprise application stays in the tenant


@dataclass(frozen=True)
class NothingToDisable:
    scope: Scope
    status: Status  # disabled already, or never configured
    user_id: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Verified:
    scope: Scope
    ok: bool
    at: datetime
    organization: str | None = None
    tenant_id: str | None = None
    roles: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class NotVerifiable:
    scope: Scope
    status: Status


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    user_id: str
    scope: Scope
    action: str
    outcome: str
    detail: str | None
    correlation_id: str


@dataclass(frozen=True)
class AuditLog:
    entries: tuple[AuditEntry, ...]
    asked: int


@dataclass(frozen=True)
class EnableForm:
    scope: Scope
    choices: Choices = field(default_factory=Choices)
    version: int = 0  # the scope's version when the dialog opened: its submission acts on this state only


@dataclass(frozen=True)
class ConfigureForm:
    """The configuration dialog may open: it starts at the account with the portal's choices."""

    choices: Choices = field(default_factory=Choices)


@dataclass(frozen=True)
class ConsentLinkSent:
    scope: Scope
    expires_at: datetime
    delivered: bool  # the DM reached Slack
    url: str = field(default="", repr=False)  # carries the consent state: show only to its admin


@dataclass(frozen=True)
class CallbackPage:
    """The HTML answer of /microsoft/callback."""

    status: int
    title: str
    message: str
    succeeded: bool = False
    scope: Scope | None = None
    organization: str | None = None
