"""Microsoft's admin-consent redirect: consume the state, get a token, store the credentials."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from bot import logs
from bot.clients.errors import UpstreamError
from bot.clients.microsoft import AppToken, Organization, valid_tenant
from bot.domain import Action, Actor, Scope, ScopeKind, Status
from bot.services import authority, consent
from bot.services.access import Grant
from bot.services.base import ServiceBase, command_target, credentials, scope_title
from bot.services.explain import consent_error
from bot.services.explain import reason as explained_reason
from bot.services.preflight import PreflightService
from bot.services.results import CallbackPage
from storage.db import DatabaseUnavailable
from storage.models import ConsentRequest, utcnow
from storage.repository import ConsumeFailure

log = logging.getLogger(__name__)

# MS_TENANT values that lock nothing: any work or school tenant may consent.
OPEN_TENANTS = frozenset({"organizations", "common", "consumers"})
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)

SUPERSEDED = (
    "The integration was disabled or enable was requested again while this consent was pending, "
    "so this consent was not used"
)


DATABASE_DOWN_PAGE = CallbackPage(
    200, "zoomcal's database is unavailable right now",
    "A restart or failover is under way, so nothing was stored. Reload this page in a minute; "
    "if it then says the link was already used, run /zoomcal enable account or /zoomcal enable group <name> "
    "in Slack again.",
)


class ConsentCallbackService(ServiceBase):
    async def complete(self, params: Mapping[str, str]) -> CallbackPage:
        """The page for Microsoft's redirect; during a database outage a page saying so, never a 5xx."""
        try:
            return await self._complete(params)
        except DatabaseUnavailable as exc:
            log.warning("consent callback: the database is unavailable (%s)", exc)
            return DATABASE_DOWN_PAGE

    async def _complete(self, params: Mapping[str, str]) -> CallbackPage:
        state = params.get("state")
        if not consent.plausible_state(state):
            return _bad_link(ConsumeFailure.UNKNOWN)
        async with self.db.transaction() as repo:
            consumed = await repo.consume_consent_request(consent.state_hash(state))
        if consumed.request is None:
            return _bad_link(consumed.failure)
        request = consumed.request
        logs.follow(request.correlation_id)  # from here on, this callback logs as the flow that sent the link
        actor = Actor(request.slack_team_id, request.slack_user_id)
        scope = Scope(ScopeKind(request.scope_kind), request.group_id, request.scope_name)

        # Microsoft sends admin_consent=True alongside errors too: look at `error` first.
        if params.get("error"):
            reason = consent_error(params["error"], params.get("error_description", ""))
            return await self._failed(actor, scope, request, reason)
        if params.get("admin_consent", "").lower() != "true":
            return await self._failed(actor, scope, request, "Microsoft did not confirm admin consent")
        grant = await self._requester_grant(actor, scope)
        if isinstance(grant, str):
            return await self._failed(actor, scope, request, grant)
        tenant = params.get("tenant", "")
        if not valid_tenant(tenant):
            return await self._failed(actor, scope, request, "Microsoft's answer named no valid tenant")
        microsoft = self.deps.microsoft
        locked = None if microsoft.consent_tenant.lower() in OPEN_TENANTS else microsoft.consent_tenant
        if locked and _GUID.match(locked) and tenant.lower() != locked.lower():
            return await self._failed(actor, scope, request, other_tenant(tenant, locked))
        try:
            # Locked to MS_TENANT: only its token is ever asked for, whatever tenant the query names.
            token, organization = await self.probe(locked or tenant)
        except UpstreamError as exc:
            reason = explained_reason(exc)
            if locked and tenant.lower() != locked.lower():  # a domain MS_TENANT: say where the consent came from
                reason = f"{reason.rstrip('.')}. {other_tenant(tenant, locked)}"
            return await self._failed(actor, scope, request, reason)
        if locked and not same_tenant(tenant, locked, token, organization):
            return await self._failed(actor, scope, request, other_tenant(tenant, locked, organization))

        secret = credentials(token, organization)
        async with self.writing() as repo:
            row = await self._settle(repo, scope, request, Status.ACTIVE)
            if row is not None:
                await repo.save_credentials(row.id, self.deps.vault.encrypt_json(secret))
                # The consent was a passing check; the health check's messages go to this admin's team.
                await repo.checks.consented(row.id, now=utcnow(), team=request.slack_team_id)
                event = await self.audit(
                    repo, actor, scope, Action.CONSENT_GRANTED, "active", request.correlation_id,
                    f"{organization.display_name} ({grant.basis})",
                )
            else:
                event = await self.audit(
                    repo, actor, scope, Action.CONSENT_FAILED, "superseded", request.correlation_id, SUPERSEDED
                )
        notifier = self.deps.notifier
        self._tell(
            event, actor, scope,
            (lambda: notifier.consent_granted(actor, scope, organization.display_name, token.tenant_id))
            if row is not None else (lambda: notifier.consent_failed(actor, scope, SUPERSEDED)),
            judged=grant,
        )
        if row is None:
            return CallbackPage(409, "Nothing was stored", f"{SUPERSEDED}.", scope=scope)
        self._preflight(actor, scope, row, organization)
        return CallbackPage(
            200,
            "Integration active",
            f"The Office 365 calendar and mail integration for {scope_title(scope)} now uses "
            f"application permissions of {organization.display_name}.",
            succeeded=True,
            scope=scope,
            organization=organization.display_name,
        )

    async def _requester_grant(self, actor: Actor, scope: Scope) -> Grant | str:
        """On what basis the person who asked for the link may still have it take effect, or why not
        (a str), judged afresh: a link can outlive its requester's role (ZOOMCAL_CONSENT_TTL is up to 30 days)."""
        if not self.deps.access.team_allowed(actor):
            return "The Slack workspace of the admin who asked for this link is no longer allowed (ZOOMCAL_SLACK_TEAMS)"
        try:
            grant = await authority.judge(self, actor, scope)
        except UpstreamError as exc:
            return (
                f"{exc.service} could not confirm that the admin who asked for this link may still change "
                f"{scope.label} ({exc.message.split('; try again')[0]}), so the link was used up"
            )
        if grant is None:
            return "The admin who asked for this link may no longer change this scope in Zoom (checked just now)"
        return grant

    def _tell(self, event, actor: Actor, scope: Scope, direct_message, judged: Grant | None = None) -> None:
        """The audit post and the admin's direct message, beside the page: the person who consented
        waits for the page, not for Slack (the outcome is stored before either is sent). The message
        goes to the admin only while they may still act on the scope (bot.services.authority);
        ``judged``: this callback's own fresh judgement of them, a moment ago."""
        self.announce(event)
        self.deps.tasks.spawn(
            authority.tell_enabler(self, actor, scope, direct_message, "consent outcome", judged=judged),
            "consent outcome DM",
        )

    def _preflight(self, actor: Actor, scope: Scope, row, organization) -> None:
        """The domain preflight (bot.services.preflight), once the success page is decided: a task
        beside the page, so Zoom being slow or failing never holds up or fails the consent."""
        preflight = PreflightService(self.deps).after_consent(
            actor, scope, row.id, row.version, organization.display_name, organization.domains
        )
        self.deps.tasks.spawn(preflight, "domain preflight")

    async def _settle(self, repo, scope: Scope, request: ConsentRequest, status: Status, detail: str | None = None):
        """The consent's outcome, unless the scope changed since the link was sent (then None)."""
        key = scope.key(self.account_id)
        if request.integration_version is None:  # a link from before versions were recorded
            return await repo.save_status(key, name=scope.name, status=status, user=request.slack_user_id, detail=detail)
        return await repo.settle(key, request.integration_version, status=status, user=request.slack_user_id, detail=detail)

    async def _failed(self, actor: Actor, scope: Scope, request: ConsentRequest, reason: str) -> CallbackPage:
        async with self.writing() as repo:
            # A stale failure (the scope was disabled or re-requested meanwhile) leaves the state alone.
            await self._settle(repo, scope, request, Status.FAILED, reason)
            event = await self.audit(repo, actor, scope, Action.CONSENT_FAILED, "failed", request.correlation_id, reason)
        self._tell(event, actor, scope, lambda: self.deps.notifier.consent_failed(actor, scope, reason))
        return CallbackPage(
            200,
            "The integration was not enabled",
            f"{reason.rstrip('.')}. Nothing was stored for {scope_title(scope)}. "
            f"Run /zoomcal enable {command_target(scope)} in Slack to try again.",
            scope=scope,
        )


def same_tenant(consented: str, locked: str, token: AppToken, organization: Organization) -> bool:
    """Whether the consenting tenant (the query's) and MS_TENANT are both the tenant of MS_TENANT's token.

    Each is a tenant id or a domain. A domain is compared with the tenant's verified domains, read
    from Graph with the token itself: the authority and Graph are trusted already, nothing else is asked.
    """
    names = {token.tenant_id.lower(), *(d.lower() for d in organization.domains)}
    return token.tenant_id != "" and consented.lower() in names and locked.lower() in names


def other_tenant(consented: str, locked: str, organization: Organization | None = None) -> str:
    expected = locked if organization is None else f"{locked} ({organization.display_name})"
    return (
        f"The consent came from Microsoft tenant {consented}, but zoomcal accepts only tenant {expected} (MS_TENANT)"
    )


def _bad_link(failure: ConsumeFailure | None) -> CallbackPage:
    again = "Run /zoomcal enable account or /zoomcal enable group <name> in Slack to get a new link."
    if failure is ConsumeFailure.EXPIRED:
        return CallbackPage(400, "This consent link has expired", f"Consent links are valid for a limited time. {again}")
    if failure is ConsumeFailure.USED:
        return CallbackPage(400, "This consent link was already used", f"Each consent link works once. {again}")
    if failure is ConsumeFailure.CANCELLED:
        return CallbackPage(
            400, "This consent link was cancelled", f"The integration was disabled after this link was sent. {again}"
        )
    return CallbackPage(400, "Unknown consent link", f"This link is not one zoomcal issued, or it is incomplete. {again}")
