"""What the service needs to tell people. handlers.notifier implements it on Slack."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain import Actor, Scope
from bot.services.results import DomainPreflight
from storage.models import AuditEvent


class Notifier(Protocol):
    async def consent_link(self, actor: Actor, scope: Scope, url: str, expires_at: datetime) -> bool:
        """DM the admin the consent link; False when Slack did not take the message."""

    async def consent_granted(self, actor: Actor, scope: Scope, organization: str, tenant_id: str) -> None: ...

    async def consent_failed(self, actor: Actor, scope: Scope, reason: str) -> None: ...

    async def health_failed(self, actor: Actor, scope: Scope, reason: str) -> None:
        """Tell the admin who enabled ``scope`` that a health check made it failed."""

    async def health_recovered(self, actor: Actor, scope: Scope) -> None:
        """Tell the admin who enabled ``scope`` that a health check made it active again."""

    async def domain_preflight(self, actor: Actor, scope: Scope, organization: str, preflight: DomainPreflight) -> None:
        """Tell the admin who consented which Zoom users' domains the tenant has not verified (or why
        nothing could be compared)."""

    async def domain_preflight_to_audit(self, scope: Scope, organization: str, preflight: DomainPreflight) -> None:
        """The same, to the audit channel, when the admin who consented may no longer hear of it."""

    async def audit(self, event: AuditEvent) -> None:
        """Post the event to the audit channel, when one is configured."""

    async def credential_episode(self, warning: str | None, variable: str) -> None:
        """Post to the audit channel that Microsoft refuses zoomcal's own credential (``warning``), or
        (None) that it issues tokens for ``variable`` again."""

    async def refusals_folded(self, actor: Actor, count: int) -> None:
        """Post to the audit channel that ``actor`` was refused ``count`` more times in the last minute."""
