"""The words zoomcal reasons in: scopes, statuses, the portal's choices, who is acting."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.repository import ScopeKey


class ScopeKind(StrEnum):
    ACCOUNT = "account"
    GROUP = "group"


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    group_id: str = ""
    name: str = "Account"

    @classmethod
    def account(cls) -> Scope:
        return cls(ScopeKind.ACCOUNT)

    @classmethod
    def group(cls, group_id: str, name: str) -> Scope:
        return cls(ScopeKind.GROUP, group_id, name)

    @property
    def is_account(self) -> bool:
        return self.kind is ScopeKind.ACCOUNT

    @property
    def label(self) -> str:
        """How people read the scope: "the account" or "group Sales"."""
        return "the account" if self.is_account else f"group {self.name}"

    def key(self, zoom_account_id: str) -> ScopeKey:
        return ScopeKey(zoom_account_id, self.kind.value, self.group_id)


class Status(StrEnum):
    """The contract's status words."""

    ACTIVE = "active"
    PENDING = "pending"
    FAILED = "failed"
    DISABLED = "disabled"
    INHERITS = "inherits account"
    NOT_CONFIGURED = "not configured"


class Action(StrEnum):
    """Audit actions, in words."""

    ENABLE_REQUESTED = "enable requested"
    CONSENT_GRANTED = "consent granted"
    CONSENT_FAILED = "consent failed"
    DISABLED = "disabled and credentials deleted"
    HEALTH_FAILED = "health check failed"
    HEALTH_RECOVERED = "health check recovered"
    REFUSED = "refused"


# Who changes a scope's status when a health check does (updated_by, and the audit event's
# user): never a Slack user ID, which are upper-case letters and digits.
HEALTH_CHECK_USER = "health-check"


@dataclass(frozen=True)
class Actor:
    team_id: str
    user_id: str


@dataclass(frozen=True)
class Choices:
    """The portal's Mail & Calendar choices; the defaults are what the enable modal shows."""

    third_party: bool = True
    service: str = "office365"  # office365 | google | exchange
    authorize_with: str = "graph"  # graph | ews
    setup_by: str = "app_permissions"  # app_permissions | user_oauth

    def as_dict(self) -> dict[str, object]:
        return {
            "third_party": self.third_party,
            "service": self.service,
            "authorize_with": self.authorize_with,
            "setup_by": self.setup_by,
        }


SERVICES = {"office365": "Office 365", "google": "Google", "exchange": "Exchange"}
AUTHORIZE_WITH = {"graph": "Graph API", "ews": "EWS"}
SETUP_BY = {
    "app_permissions": "Office 365 admin can set up the integration by using Application Permissions",
    "user_oauth": "Users can set up the integration by using OAuth",
}
THIRD_PARTY = "Integrate third-party mail and calendar services"
