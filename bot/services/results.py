"""What service calls answer. Handlers render these; the service never builds Slack blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import Choices, Scope, Status

REFUSAL = "Sorry, only Zoom account owners and admins (and users Zoom lets edit these settings) may do this."
# Credentials sealed under a key this replica lacks. Another replica may hold it (a rotation
# under way), so this is reported where it shows and never written down as the scope's state.
KEY_PROBLEM = (
    "The stored Microsoft credentials open with no key in ZOOMCAL_ENCRYPTION_KEY on this server: "
    "add the key that encrypted them to the list, or enable the scope again"
)


@dataclass(frozen=True)
class Refused:
    message: str = REFUSAL


@dataclass(frozen=True)
class Failure:
    """An outside service failed past our retries; ``message`` says what to do."""

    service: str
    message: str


# The database cannot be reached (a restart or failover): what a change, or a read that memory
# cannot answer, says meanwhile. The answer adds that nothing was changed.
DATABASE_DOWN = Failure("zoomcal's database", "unavailable right now (a restart or failover); try again in a minute")


@dataclass(frozen=True)
class Problem:
    """The request was not understood or is not allowed as asked."""

    message: str


@dataclass(frozen=True)
class UsageHint:
    """A command of a known verb not understood: what was wrong, that verb's usage and an example,
    and the commands the user may have meant (a group named without the word `group`)."""

    problem: str
    usage: str
    example: str
    did_you_mean: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnknownGroup:
    name: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class AmbiguousGroup:
    """A typed name that folds to several Zoom groups' names, none typed exactly: nothing was acted on.

    ``verb`` is the command to run for the candidate picked (status, enable, disable or verify).
    """

    name: str
    verb: str
    candidates: tuple[Scope, ...]


@dataclass(frozen=True)
class AlreadySubmitted:
    """The same dialog reached us twice (a double click, or Slack delivering it again)."""

    scope: Scope


@dataclass(frozen=True)
class HelpText:
    commands: tuple[str, ...]
    is_admin: bool  # may read everything
    problem: str | None = None
    note: str | None = None  # what limits the commands listed


@dataclass(frozen=True)
class OutOfDate:
    """A button or dialog shown for an older state of the scope (or a replayed request): nothing changed."""

    scope: Scope


@dataclass(frozen=True)
class DomainPreflight:
    """The Zoom users a scope covers whose email domains the tenant has not verified.

    Their calendars cannot be reached with the tenant's credentials. ``error`` says why nothing
    was compared (Zoom failed); otherwise ``users`` addresses were compared.
    """

    checked_at: datetime | None
    users: int = 0
    unverified: tuple[tuple[str, int], ...] = ()  # (domain, users), most users first
    more_domains: int = 0  # unverified domains past the ones listed
    more_users: int = 0  # their users
    error: str | None = None
    # Zoom's associated domains (verified in Zoom): Application Permissions need one the tenant verified.
    associated: tuple[str, ...] = ()
    associated_matched: bool | None = None  # None: not compared (see associated_error)
    associated_error: str | None = None  # why Zoom's associated domains could not be compared

    @property
    def associated_problem(self) -> bool:
        """No associated domain the tenant verified, or no comparison possible: worth telling the admin."""
        return self.associated_matched is False or self.associated_error is not None

    @property
    def unverified_users(self) -> int:
        return sum(n for _, n in self.unverified) + self.more_users


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
    last_checked_at: datetime | None = None  # the last health check
    check_result: str | None = None  # passed | failed | inconclusive
    check_detail: str | None = None
    checks_on: bool = True  # ZOOMCAL_HEALTH_INTERVAL is not 0
    preflight: DomainPreflight | None = None
    key_problem: bool = False  # stored credentials no configured key opens: shown as failed


@dataclass(frozen=True)
class StatusReport:
    scopes: tuple[ScopeStatus, ...]
    single: bool = False  # one scope asked for: show details
    page: int = 1
    pages: int = 1
    listing: str = "status"  # "status" or "groups": what Next / Previous page through
    query: str = ""  # the `groups` filter
    total: int = 0  # scopes across all pages
    warning: str | None = None  # bot-wide: Microsoft refuses zoomcal's own credential (bot.services.explain)


@dataclass(frozen=True)
class Dashboard:
    """The App Home tab: the report for admins, a short note for everyone else."""

    report: StatusReport | None
    failing: tuple[ScopeStatus, ...] = ()  # failed scopes, shown first
    more_failing: int = 0  # failed scopes past those listed


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
class ChangedMeanwhile:
    """Verify found the scope changed while Microsoft was being asked (disabled, enabled again, new
    credentials): nothing was written."""

    scope: Scope


@dataclass(frozen=True)
class NotVerifiable:
    scope: Scope
    status: Status


@dataclass(frozen=True)
class UserCheck:
    """`/zoomcal check <email>`: the scope whose setting applies to a Zoom user, and Graph's answer.

    ``access`` is the contract's word (reachable, no mailbox, access denied) with Microsoft's
    ``code`` and ``message``; ``error`` names the failing service and its status instead.
    Neither is set when the scope is not active (no Graph call is made).
    """

    email: str
    zoom_user: bool = True
    scope: Scope | None = None
    status: Status | None = None
    candidates: tuple[Scope, ...] = ()  # the user's groups with a setting of their own, when several
    access: str | None = None
    code: str | None = None
    message: str | None = None
    error: str | None = None
    key_problem: bool = False
    explanation: str | None = None  # what Microsoft's code means and what to do (no mailbox, access denied)


@dataclass(frozen=True)
class HealthCheck:
    """One scope's health check: ``result`` passed, failed, inconclusive, undecryptable (no configured
    key opens its credentials here), or skipped (disabled while it was being checked)."""

    scope: Scope
    result: str
    detail: str | None
    status: Status  # after the check
    changed: bool = False  # the check made it failed, or active again


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
    status: Status | None = None  # the scope's own setting, when it has one
    organization: str | None = None  # the Microsoft organisation of an `active` scope's credentials


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
