"""What every service shares: its dependencies, audit writing, refusals and scope lookup."""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from bot import logs, metrics
from bot.clients.errors import Refusal, UpstreamError
from bot.clients.microsoft import IDENTITY, AppToken, MicrosoftClient, Organization
from bot.clients.zoom import ZoomClient
from bot.command import Target
from bot.crypto import DecryptionError, Vault
from bot.domain import Action, Actor, Scope
from bot.services.access import AccessPolicy, Grant
from bot.services.directory import GroupDirectory
from bot.services.notifier import Notifier
from bot.services.refusals import Refusals
from bot.services.results import DATABASE_DOWN, AmbiguousGroup, Failure, Refused, UnknownGroup
from bot.services.states import ScopeStates
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from storage.db import Database, DatabaseUnavailable
from storage.models import AuditEvent, utcnow
from storage.repository import Repository

log = logging.getLogger("zoomcal.services")


@dataclass(frozen=True)
class Deps:
    db: Database
    vault: Vault
    access: AccessPolicy
    directory: GroupDirectory
    microsoft: MicrosoftClient
    notifier: Notifier
    zoom_account_id: str
    consent_ttl: timedelta
    workspaces: Workspaces
    states: ScopeStates  # the replica's read model of the scopes' states
    tasks: Tasks  # work after the ack that promises nothing (posts to the audit channel)
    zoom: ZoomClient | None = None  # users and member lists (check, the domain preflight)
    health_interval: timedelta = timedelta(hours=6)  # ZOOMCAL_HEALTH_INTERVAL; 0: checks are off
    refusals: Refusals = field(default_factory=Refusals)  # refused users: limited, their posts folded



@dataclass(frozen=True)
class Judged:
    """A scope a user may act on, and the basis the audit trail records."""

    scope: Scope
    grant: Grant


def answers_upstream_failures(method):
    """An outside service failing past its retries, or the database out of reach, becomes an
    answer, never an exception."""

    @functools.wraps(method)
    async def wrapper(*args, **kwargs):
        try:
            return await method(*args, **kwargs)
        except UpstreamError as exc:
            log.warning("%s failed: %s", exc.service, exc.message)
            return Failure(exc.service, exc.message)
        except DatabaseUnavailable as exc:
            log.warning("the database is unavailable (%s)", exc)
            return DATABASE_DOWN

    return wrapper


class ServiceBase:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.db = deps.db
        self.account_id = deps.zoom_account_id

    async def is_admin(self, actor: Actor, *, fresh: bool = False) -> bool:
        """``fresh`` for changes: reads may use a role learned a moment ago (AccessPolicy)."""
        return await self.deps.access.is_admin(actor, fresh=fresh)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[Repository]:
        """A transaction that changes scopes' states: reads on this replica see it at once."""
        try:
            async with self.db.transaction() as repo:
                yield repo
        finally:
            self.deps.states.changed()

    def open_credentials(self, ciphertext: bytes) -> dict | None:
        """The stored credentials, or None when no configured key opens them (``KEY_PROBLEM``)."""
        try:
            return self.deps.vault.decrypt_json(ciphertext)
        except DecryptionError:
            return None

    async def probe(self, tenant: str) -> tuple[AppToken, Organization]:
        """What the callback, verify and the health check ask Microsoft: a fresh app-only token for
        ``tenant``, which must carry application roles (a Refusal otherwise), and the organization."""
        token = await self.deps.microsoft.app_token(tenant)
        if not token.roles:
            raise Refusal(
                IDENTITY,
                "issued a token without application permissions: admin consent is incomplete or was revoked. "
                "Grant the app's application permissions in Entra and try again",
                code="no roles",
            )
        return token, await self.deps.microsoft.organization(token)

    async def shown_version(self, scope: Scope) -> int:
        """The scope's version as this replica shows it (0: no setting of its own): a dialog opened
        now carries it, and its submission changes the scope only if it is still at that version."""
        row = (await self.deps.states.current()).rows.get((scope.kind.value, scope.group_id))
        return row.version if row is not None else 0

    async def resolve(self, target: Target, verb: str = "status") -> Scope | UnknownGroup | AmbiguousGroup:
        """The scope a typed target names, checked against Zoom's groups (``verb``: what a pick of one
        of several same-named groups runs)."""
        if target.is_account:
            return Scope.account()
        if target.group_id:  # picked by a button among same-named groups: that id, if Zoom still has it
            group = await self.deps.directory.by_id(target.group_id)
            if group is None:
                return UnknownGroup(target.group_name or "", ())
            return Scope.group(group.id, group.name)
        found = await self.deps.directory.find(target.typed)
        if found.group is not None:
            return Scope.group(found.group.id, found.group.name)
        if found.candidates:
            return AmbiguousGroup(target.typed, verb, tuple(Scope.group(g.id, g.name) for g in found.candidates))
        return UnknownGroup(target.group_name or "", found.suggestions)

    async def judged(
        self, actor: Actor, target: Target, verb: str, what: str, *, fresh: bool = False, audited: bool = True
    ) -> Judged | Refused | UnknownGroup | AmbiguousGroup:
        """The scope ``target`` names, if ``actor`` may ``verb`` it (``what``: the refusal's words).

        Group names are looked up only for those who may read every group or (ZOOMCAL_GROUP_ADMINS)
        may be a group admin; an unknown name, or several groups of one name, is said only to those
        who may read every group (a group admin hears of the candidates they administer): nobody
        learns group names through a refusal.
        """
        access = self.deps.access
        if audited and self.deps.refusals.limited(actor):
            return Refused()
        reader = await access.allowed(actor, None, fresh=False) is not None
        if not reader and (target.is_account or not access.group_admins):
            return await self._refused(actor, None, what, audited)
        found = await self.resolve(target, verb)
        if isinstance(found, AmbiguousGroup) and not reader:
            mine = [c for c in found.candidates if await access.allowed(actor, c, fresh=False) is not None]
            found = AmbiguousGroup(found.name, found.verb, tuple(mine)) if mine else None
        if found is None or isinstance(found, UnknownGroup) and not reader:
            return await self._refused(actor, None, what, audited)
        if not isinstance(found, Scope):
            return found
        grant = await access.allowed(actor, found, fresh=fresh)
        if grant is None:
            return await self._refused(actor, found, what, audited)
        return Judged(found, grant)

    async def _refused(self, actor: Actor, scope: Scope | None, what: str, audited: bool) -> Refused:
        if audited:
            await self.refuse(actor, scope, what)
        return Refused()

    async def permitted(
        self, actor: Actor, scope: Scope | None, what: str, *, fresh: bool = False
    ) -> Grant | None:
        """Whether ``actor`` may do ``what`` to ``scope`` (None: a read not about one scope), and on what
        basis (``fresh``: ask Zoom now, as every change does).

        A refusal is audited. A user refused too often lately is refused at once, with no lookup
        and no audit row (bot.services.refusals).
        """
        if self.deps.refusals.limited(actor):
            return None
        grant = await self.deps.access.allowed(actor, scope, fresh=fresh)
        if grant is None:
            await self.refuse(actor, scope, what)
        return grant

    async def refuse(self, actor: Actor, scope: Scope | None, what: str) -> None:
        """Audits a refused change (refusals are audit events too).

        A refusal may be answered inside the ack, so its audit-channel post waits for nobody; a
        user's further refusals within a minute are posted as one line when the minute ends.
        """
        posting = self.deps.refusals.record(actor)  # counted before the write: concurrent refusals too
        if posting == "limited":
            return
        try:
            async with self.db.transaction() as repo:
                event = await self.audit(
                    repo, actor, scope or Scope.account(), Action.REFUSED, "refused", new_correlation(), what
                )
        except DatabaseUnavailable:
            # The refusal stands (nothing was changed); its audit row cannot be written, so the log keeps it.
            log.warning(
                "refused %s:%s (%s) while the database is unavailable: not audited", actor.team_id, actor.user_id, what
            )
            return
        if posting == "post":
            self.announce(event)
        elif posting == "summarize":
            # A timer, not a sleeping task: stopping the replica does not wait for it (the rows stay).
            asyncio.get_running_loop().call_later(
                self.deps.refusals.post_folded_in(actor),
                lambda: self.deps.tasks.spawn(self._post_folded(actor), "folded refusals"),
            )

    def announce(self, event: AuditEvent) -> None:
        """Posts an audit event to the audit channel beside the answer: nobody waits for that post."""
        self.deps.tasks.spawn(self.deps.notifier.audit(event), "audit post")

    async def _post_folded(self, actor: Actor) -> None:
        count = self.deps.refusals.take_folded(actor)
        if count:
            await self.deps.notifier.refusals_folded(actor, count)

    async def audit(
        self,
        repo: Repository,
        actor: Actor,
        scope: Scope,
        action: Action,
        outcome: str,
        correlation_id: str,
        detail: str | None = None,
    ) -> AuditEvent:
        metrics.FLOWS.labels(action.value, outcome).inc()
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


def credentials(token: AppToken, organization: Organization) -> dict:
    """What is stored (encrypted) of a tenant: its id from the token, never from a query parameter."""
    return {
        "tenant_id": token.tenant_id,
        "roles": list(token.roles),
        "organization": organization.display_name,
        "domains": list(organization.domains),
        "token_cache": token.cache,
    }


def new_correlation() -> str:
    """The id that ties audit events and consent requests to the log lines of their flow."""
    return logs.request_id() or uuid.uuid4().hex


def scope_title(scope: Scope) -> str:
    return "the Zoom account" if scope.is_account else f"the Zoom group {scope.name}"


def target_words(target: Target) -> str:
    """A typed target as the command said it: "account" or "group <name>"."""
    return "account" if target.is_account else f"group {target.group_name}"


def command_target(scope: Scope) -> str:
    return "account" if scope.is_account else f"group {scope.name}"
