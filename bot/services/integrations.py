"""The integration's rules: who may do what, enable, the consent callback, status."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Mapping
from datetime import timedelta

from bot.clients.errors import UpstreamError
from bot.clients.microsoft import MicrosoftClient, valid_tenant
from bot.command import USAGE, Target, Verb
from bot.crypto import DecryptionError, Vault
from bot.domain import Action, Actor, Choices, Scope, ScopeKind, Status
from bot.services import consent
from bot.services.access import AccessPolicy
from bot.services.directory import GroupDirectory
from bot.services.notifier import Notifier
from bot.services.results import (
    CallbackPage,
    ConsentLinkSent,
    EnableForm,
    Failure,
    HelpText,
    Problem,
    Refused,
    ScopeStatus,
    StatusReport,
    UnknownGroup,
)
from storage.db import Database
from storage.models import AuditEvent, ConsentRequest, Integration, utcnow
from storage.repository import ConsumeFailure, Repository

log = logging.getLogger(__name__)

ADMIN_VERBS = (Verb.STATUS, Verb.GROUPS, Verb.ENABLE, Verb.DISABLE, Verb.VERIFY, Verb.AUDIT)


def answers_upstream_failures(method):
    """An outside service failing past its retries becomes an answer, never an exception."""

    @functools.wraps(method)
    async def wrapper(*args, **kwargs):
        try:
            return await method(*args, **kwargs)
        except UpstreamError as exc:
            log.warning("%s failed: %s", exc.service, exc.message)
            return Failure(exc.service, exc.message)

    return wrapper


class IntegrationService:
    def __init__(
        self,
        *,
        db: Database,
        vault: Vault,
        access: AccessPolicy,
        directory: GroupDirectory,
        microsoft: MicrosoftClient,
        notifier: Notifier,
        zoom_account_id: str,
        consent_ttl: int,
    ):
        self.db = db
        self.vault = vault
        self.access = access
        self.directory = directory
        self.microsoft = microsoft
        self.notifier = notifier
        self.account_id = zoom_account_id
        self.consent_ttl = timedelta(seconds=consent_ttl)

    # help -----------------------------------------------------------------

    @answers_upstream_failures
    async def help(self, actor: Actor, problem: str | None = None) -> HelpText | Failure:
        """What this user may run: the same policy as the commands, asked as a dry run."""
        is_admin = await self.access.is_admin(actor)
        verbs = (Verb.HELP, *ADMIN_VERBS) if is_admin else (Verb.HELP,)
        commands = tuple(USAGE[v] for v in verbs)
        if is_admin:
            commands = ("/zoomcal (opens the configuration dialog)", *commands)
        return HelpText(commands, is_admin, problem)

    # status ---------------------------------------------------------------

    @answers_upstream_failures
    async def status(self, actor: Actor, target: Target | None):
        if not await self.access.is_admin(actor):
            return Refused()
        async with self.db.transaction() as repo:
            rows = {(r.scope_kind, r.group_id): r for r in await repo.integrations(self.account_id)}
        account = await self._scope_status(Scope.account(), rows)
        if target is not None and target.is_account:
            return StatusReport((account,), single=True)
        if target is not None:
            group, suggestions = await self.directory.find(target.group_name or "")
            if group is None:
                return UnknownGroup(target.group_name or "", suggestions)
            scope = Scope.group(group.id, group.name)
            return StatusReport((await self._scope_status(scope, rows, account.status),), single=True)
        groups = [
            await self._scope_status(Scope.group(g.id, g.name), rows, account.status)
            for g in await self.directory.all()
        ]
        return StatusReport((account, *groups), single=False)

    async def _scope_status(self, scope: Scope, rows: Mapping, account_status: Status | None = None) -> ScopeStatus:
        row: Integration | None = rows.get((scope.kind.value, scope.group_id))
        if row is None:
            if scope.is_account:
                return ScopeStatus(scope, Status.NOT_CONFIGURED)
            return ScopeStatus(scope, Status.INHERITS, account_status=account_status)
        details = await self._details(scope, row) if row.status in (Status.ACTIVE, Status.PENDING) else {}
        return ScopeStatus(
            scope,
            Status(row.status),
            updated_by=row.updated_by,
            updated_at=row.updated_at,
            enabled_by=row.enabled_by,
            enabled_at=row.enabled_at,
            last_verified_at=row.last_verified_at,
            detail=row.detail,
            **details,
        )

    async def _details(self, scope: Scope, row: Integration) -> dict:
        async with self.db.transaction() as repo:
            credential = await repo.credentials(row.id)
            pending = await repo.pending_consent(scope.key(self.account_id))
        details: dict = {"consent_expires_at": pending.expires_at if pending else None}
        if credential is not None:
            try:
                secret = self.vault.decrypt_json(credential.ciphertext)
            except DecryptionError:
                return details | {"organization": "(cannot decrypt: check ZOOMCAL_ENCRYPTION_KEY)"}
            details |= {
                "organization": secret.get("organization"),
                "tenant_id": secret.get("tenant_id"),
                "roles": tuple(secret.get("roles") or ()),
            }
        return details

    # enable ---------------------------------------------------------------

    @answers_upstream_failures
    async def prepare_enable(self, actor: Actor, target: Target) -> EnableForm | Refused | UnknownGroup | Failure:
        """What the enable modal shows, after checking the user and the group."""
        if not await self.access.is_admin(actor):
            await self._refuse(actor, None, f"enable {_target_words(target)}")
            return Refused()
        if target.is_account:
            return EnableForm(Scope.account())
        group, suggestions = await self.directory.find(target.group_name or "")
        if group is None:
            return UnknownGroup(target.group_name or "", suggestions)
        return EnableForm(Scope.group(group.id, group.name))

    @staticmethod
    def check_choices(choices: Choices) -> dict[str, str]:
        """Problems with an enable submission, by field name (empty when it can be saved)."""
        problems: dict[str, str] = {}
        if not choices.third_party:
            problems["third_party"] = "Turn this on to enable the integration (use `/zoomcal disable` to turn it off)."
        if choices.service != "office365":
            problems["service"] = "zoomcal manages the Office 365 integration; choose Office 365."
        if choices.authorize_with != "graph":
            problems["authorize_with"] = "Application permissions need Graph API."
        if choices.setup_by != "app_permissions":
            problems["setup_by"] = (
                "To let users set up the integration with OAuth, use `/zoomcal disable`: "
                "it switches to OAuth and deletes the stored credentials."
            )
        return problems

    @answers_upstream_failures
    async def request_consent(self, actor: Actor, scope: Scope, choices: Choices) -> ConsentLinkSent | Refused | Problem | Failure:
        """Authorize and Save: the scope becomes pending and the admin gets a consent link."""
        if self.check_choices(choices):
            return Problem("Those choices cannot be saved; open the dialog again.")
        if not await self.access.is_admin(actor):
            await self._refuse(actor, scope, "enable")
            return Refused()
        state = consent.new_state()
        now = utcnow()
        correlation = str(uuid.uuid4())
        request = ConsentRequest(
            state_hash=consent.state_hash(state),
            slack_team_id=actor.team_id,
            slack_user_id=actor.user_id,
            zoom_account_id=self.account_id,
            scope_kind=scope.kind.value,
            group_id=scope.group_id,
            scope_name=scope.name,
            created_at=now,
            expires_at=now + self.consent_ttl,
            correlation_id=correlation,
        )
        async with self.db.transaction() as repo:
            await repo.save_status(
                scope.key(self.account_id),
                name=scope.name,
                status=Status.PENDING,
                user=actor.user_id,
                settings=choices.as_dict(),
                now=now,
            )
            await repo.add_consent_request(request)
            event = await self._audit(repo, actor, scope, Action.ENABLE_REQUESTED, "consent link sent", correlation)
        await self.notifier.audit(event)
        url = self.microsoft.consent_url(state)
        delivered = await self.notifier.consent_link(actor, scope, url, request.expires_at)
        return ConsentLinkSent(scope, request.expires_at, delivered, url)

    # the Microsoft callback -----------------------------------------------

    async def complete_consent(self, params: Mapping[str, str]) -> CallbackPage:
        state = params.get("state")
        if not consent.plausible_state(state):
            return _bad_link(ConsumeFailure.UNKNOWN)
        async with self.db.transaction() as repo:
            consumed = await repo.consume_consent_request(consent.state_hash(state))
        if consumed.request is None:
            return _bad_link(consumed.failure)
        request = consumed.request
        actor = Actor(request.slack_team_id, request.slack_user_id)
        scope = Scope(ScopeKind(request.scope_kind), request.group_id, request.scope_name)

        # Microsoft sends admin_consent=True alongside errors too: look at `error` first.
        if params.get("error"):
            reason = f"{params['error'][:100]}: {params.get('error_description', '')[:500]}".rstrip(": ")
            return await self._consent_failed(actor, scope, request, f"Microsoft reported {reason}")
        if params.get("admin_consent", "").lower() != "true":
            return await self._consent_failed(actor, scope, request, "Microsoft did not confirm admin consent")
        tenant = params.get("tenant", "")
        if not valid_tenant(tenant):
            return await self._consent_failed(actor, scope, request, "Microsoft's answer named no valid tenant")
        try:
            token = await self.microsoft.app_token(tenant)
            if not token.roles:
                raise UpstreamError(
                    "Microsoft",
                    "issued a token without application permissions: admin consent is incomplete. "
                    "Grant the app's application permissions in Entra and try again",
                )
            organization = await self.microsoft.organization(token)
        except UpstreamError as exc:
            return await self._consent_failed(actor, scope, request, f"{exc.service} {exc.message}")

        # The tenant stored is the one Microsoft put in the token, not the query parameter.
        secret = {
            "tenant_id": token.tenant_id,
            "roles": list(token.roles),
            "organization": organization.display_name,
            "domains": list(organization.domains),
            "token_cache": token.cache,
        }
        async with self.db.transaction() as repo:
            row = await repo.save_status(
                scope.key(self.account_id), name=scope.name, status=Status.ACTIVE, user=actor.user_id
            )
            await repo.save_credentials(row.id, self.vault.encrypt_json(secret))
            event = await self._audit(
                repo, actor, scope, Action.CONSENT_GRANTED,
                "active", request.correlation_id, organization.display_name,
            )
        await self.notifier.audit(event)
        await self.notifier.consent_granted(actor, scope, organization.display_name, token.tenant_id)
        return CallbackPage(
            200,
            "Integration active",
            f"The Office 365 calendar and mail integration for {_scope_title(scope)} now uses "
            f"application permissions of {organization.display_name}.",
            succeeded=True,
            scope=scope,
            organization=organization.display_name,
        )

    async def _consent_failed(self, actor: Actor, scope: Scope, request: ConsentRequest, reason: str) -> CallbackPage:
        async with self.db.transaction() as repo:
            await repo.save_status(
                scope.key(self.account_id), name=scope.name, status=Status.FAILED, user=actor.user_id, detail=reason
            )
            event = await self._audit(repo, actor, scope, Action.CONSENT_FAILED, "failed", request.correlation_id, reason)
        await self.notifier.audit(event)
        await self.notifier.consent_failed(actor, scope, reason)
        return CallbackPage(
            200,
            "The integration was not enabled",
            f"{reason}. Nothing was stored for {_scope_title(scope)}. "
            f"Run /zoomcal enable {_command_target(scope)} in Slack to try again.",
            scope=scope,
        )

    # shared ---------------------------------------------------------------

    async def _refuse(self, actor: Actor, scope: Scope | None, what: str) -> None:
        async with self.db.transaction() as repo:
            event = await self._audit(
                repo, actor, scope or Scope.account(), Action.REFUSED, "refused", str(uuid.uuid4()), what
            )
        await self.notifier.audit(event)

    async def _audit(
        self,
        repo: Repository,
        actor: Actor,
        scope: Scope,
        action: Action,
        outcome: str,
        correlation_id: str,
        detail: str | None = None,
    ) -> AuditEvent:
        return await repo.add_audit(
            AuditEvent(
                created_at=utcnow(),
                slack_team_id=actor.team_id,
                slack_user_id=actor.user_id,
                zoom_account_id=self.account_id,
                scope_kind=scope.kind.value,
                group_id=scope.group_id,
                scope_name=scope.name,
                action=action.value,
                outcome=outcome,
                detail=detail,
                correlation_id=correlation_id,
            )
        )


def _scope_title(scope: Scope) -> str:
    return "the Zoom account" if scope.is_account else f"the Zoom group {scope.name}"


def _command_target(scope: Scope) -> str:
    return "account" if scope.is_account else f"group {scope.name}"


def _target_words(target: Target) -> str:
    return "account" if target.is_account else f"group {target.group_name}"


def _bad_link(failure: ConsumeFailure | None) -> CallbackPage:
    again = "Run /zoomcal enable account or /zoomcal enable group <name> in Slack to get a new link."
    if failure is ConsumeFailure.EXPIRED:
        return CallbackPage(400, "This consent link has expired", f"Consent links are valid for a limited time. {again}")
    if failure is ConsumeFailure.USED:
        return CallbackPage(400, "This consent link was already used", f"Each consent link works once. {again}")
    return CallbackPage(400, "Unknown consent link", f"This link is not one zoomcal issued, or it is incomplete. {again}")
