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
class HelpText:
    commands: tuple[str, ...]
    is_admin: bool
    problem: str | None = None


@dataclass(frozen=True)
class ScopeStatus:
    scope: Scope
    status: Status
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
    single: bool  # one scope asked for: show details


@dataclass(frozen=True)
class EnableForm:
    scope: Scope
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
