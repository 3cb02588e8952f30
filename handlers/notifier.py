"""The service's Notifier on Slack: direct messages to admins and the audit channel."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.domain import Actor, Scope
from bot.services.results import DomainPreflight
from bot.workspaces import WorkspaceGone, Workspaces
from handlers.blocks import explained
from handlers.blocks import messages as views
from storage.models import AuditEvent

log = logging.getLogger(__name__)


class SlackNotifier:
    def __init__(self, workspaces: Workspaces, audit_channel: str | None, home_team: str):
        self._workspaces = workspaces
        self._audit_channel = audit_channel
        # The audit channel is the home team's: a change made from another allowed workspace is
        # still posted there, with the home team's token.
        self._home_team = home_team

    async def _post(self, team_id: str, channel: str, body: dict) -> bool:
        try:
            client = await self._workspaces.client(team_id)
            await client.chat_postMessage(channel=channel, **body)
            return True
        except WorkspaceGone:
            log.warning("not posting to %s: workspace %s is not installed", channel, team_id)
        except SlackApiError as exc:
            log.warning("chat.postMessage to %s failed: %s", channel, exc.response.get("error"))
        except (SlackClientError, OSError, TimeoutError) as exc:
            log.warning("chat.postMessage to %s failed: %s", channel, type(exc).__name__)
        return False

    async def consent_link(self, actor: Actor, scope: Scope, url: str, expires_at: datetime) -> bool:
        return await self._post(actor.team_id, actor.user_id, views.consent_link(scope, url, expires_at))

    async def consent_granted(self, actor: Actor, scope: Scope, organization: str, tenant_id: str) -> None:
        await self._post(actor.team_id, actor.user_id, views.consent_granted(scope, organization, tenant_id))

    async def consent_failed(self, actor: Actor, scope: Scope, reason: str) -> None:
        await self._post(actor.team_id, actor.user_id, views.consent_failed(scope, reason))

    async def health_failed(self, actor: Actor, scope: Scope, reason: str) -> None:
        await self._post(actor.team_id, actor.user_id, views.health_failed(scope, reason))

    async def health_recovered(self, actor: Actor, scope: Scope) -> None:
        await self._post(actor.team_id, actor.user_id, views.health_recovered(scope))

    async def domain_preflight(self, actor: Actor, scope: Scope, organization: str, preflight: DomainPreflight) -> None:
        await self._post(actor.team_id, actor.user_id, views.domain_preflight(scope, organization, preflight))

    async def domain_preflight_to_audit(self, scope: Scope, organization: str, preflight: DomainPreflight) -> None:
        if self._audit_channel:
            await self._post(self._home_team, self._audit_channel, views.domain_preflight(scope, organization, preflight))

    async def audit(self, event: AuditEvent) -> None:
        if self._audit_channel:
            group = None if event.scope_kind == "account" else event.scope_name
            await self._post(
                self._home_team,
                self._audit_channel,
                views.audit_post(
                    group, event.slack_user_id, event.action, event.outcome, event.detail,
                    team=None if event.slack_team_id == self._home_team else event.slack_team_id,
                ),
            )

    async def credential_episode(self, warning: str | None, variable: str) -> None:
        if self._audit_channel:
            body = explained.credential_failing(warning) if warning else explained.credential_restored(variable)
            await self._post(self._home_team, self._audit_channel, body)

    async def refusals_folded(self, actor: Actor, count: int) -> None:
        if self._audit_channel:
            team = None if actor.team_id == self._home_team else actor.team_id
            await self._post(self._home_team, self._audit_channel, views.refusals_folded(actor.user_id, count, team=team))
