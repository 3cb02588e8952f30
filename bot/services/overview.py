"""Seeing the state: help, status, groups, the App Home dashboard and the scope typeahead."""

from __future__ import annotations

import math
from collections.abc import Mapping

from bot.command import USAGE, Target, Verb
from bot.domain import Actor, Scope, Status
from bot.services.base import ServiceBase, answers_upstream_failures
from bot.services.results import (
    Dashboard,
    Failure,
    HelpText,
    Refused,
    ScopeStatus,
    StatusReport,
    UnknownGroup,
)
from storage.models import Integration

PAGE_SIZE = 40  # scopes per message or view: one block each stays under Slack's 50 and 100
ADMIN_VERBS = (Verb.STATUS, Verb.GROUPS, Verb.ENABLE, Verb.DISABLE, Verb.VERIFY, Verb.AUDIT)
MAX_SUGGESTIONS = 100  # Slack shows at most 100 options


class OverviewService(ServiceBase):
    @answers_upstream_failures
    async def help(self, actor: Actor, problem: str | None = None) -> HelpText | Failure:
        """What this user may run: the commands' own permission policy, asked as a dry run."""
        is_admin = await self.is_admin(actor)
        verbs = (Verb.HELP, *ADMIN_VERBS) if is_admin else (Verb.HELP,)
        commands = tuple(USAGE[v] for v in verbs)
        if is_admin:
            commands = ("/zoomcal (opens the configuration dialog)", *commands)
        return HelpText(commands, is_admin, problem)

    @answers_upstream_failures
    async def status(self, actor: Actor, target: Target | None, page: int = 1):
        if not await self.is_admin(actor):
            return Refused()
        rows = await self._rows()
        account = await self._scope_status(Scope.account(), rows, details=target is not None)
        if target is None:
            return await self._report(rows, account, page)
        if target.is_account:
            return StatusReport((account,), single=True)
        scope = await self.resolve(target)
        if isinstance(scope, UnknownGroup):
            return scope
        return StatusReport((await self._scope_status(scope, rows, account.status, details=True),), single=True)

    @answers_upstream_failures
    async def groups(self, actor: Actor, query: str, page: int = 1) -> StatusReport | Refused | Failure:
        if not await self.is_admin(actor):
            return Refused()
        rows = await self._rows()
        account = await self._scope_status(Scope.account(), rows)
        return await self._report(rows, account, page, listing="groups", query=query)

    @answers_upstream_failures
    async def dashboard(self, actor: Actor, page: int = 1) -> Dashboard | Failure:
        if not await self.is_admin(actor):
            return Dashboard(None)
        report = await self.status(actor, None, page)
        return report if isinstance(report, Failure) else Dashboard(report)

    @answers_upstream_failures
    async def suggest_scopes(self, actor: Actor, typed: str) -> list[Scope] | Failure:
        """The modal's typeahead: the account and the groups whose names contain what was typed."""
        if not await self.is_admin(actor):
            return []
        typed = typed.strip()
        scopes = [Scope.account()] if typed.casefold() in "account" else []
        groups, _ = await self.deps.directory.page(typed, 0, MAX_SUGGESTIONS - len(scopes))
        return scopes + [Scope.group(g.id, g.name) for g in groups]

    # helpers -------------------------------------------------------------------------

    async def _rows(self) -> dict[tuple[str, str], Integration]:
        async with self.db.transaction() as repo:
            return {(r.scope_kind, r.group_id): r for r in await repo.integrations(self.account_id)}

    async def _report(
        self, rows: Mapping, account: ScopeStatus, page: int, *, listing: str = "status", query: str = ""
    ) -> StatusReport:
        """One page of the account (status only, first) followed by the groups, read from the directory."""
        lead = 0 if listing == "groups" else 1
        page = max(1, page)
        groups, groups_total = await self._page_of_groups(query, page, lead)
        pages = max(1, math.ceil((lead + groups_total) / PAGE_SIZE))
        if page > pages:  # the listing shrank since the button was drawn: show its last page
            page = pages
            groups, groups_total = await self._page_of_groups(query, page, lead)
        shown = [account] if lead and page == 1 else []
        shown += [await self._scope_status(Scope.group(g.id, g.name), rows, account.status) for g in groups]
        return StatusReport(
            tuple(shown), page=page, pages=pages, listing=listing, query=query, total=lead + groups_total
        )

    async def _page_of_groups(self, query: str, page: int, lead: int):
        start = (page - 1) * PAGE_SIZE
        room = PAGE_SIZE - (lead if page == 1 else 0)
        return await self.deps.directory.page(query, max(0, start - lead), room)

    async def _scope_status(
        self, scope: Scope, rows: Mapping, account_status: Status | None = None, *, details: bool = False
    ) -> ScopeStatus:
        row: Integration | None = rows.get((scope.kind.value, scope.group_id))
        if row is None:
            if scope.is_account:
                return ScopeStatus(scope, Status.NOT_CONFIGURED)
            return ScopeStatus(scope, Status.INHERITS, account_status=account_status)
        extra = await self._details(scope, row) if details else {}
        return ScopeStatus(
            scope,
            Status(row.status),
            updated_by=row.updated_by,
            updated_at=row.updated_at,
            enabled_by=row.enabled_by,
            enabled_at=row.enabled_at,
            last_verified_at=row.last_verified_at,
            detail=row.detail,
            **extra,
        )

    async def _details(self, scope: Scope, row: Integration) -> dict:
        async with self.db.transaction() as repo:
            credential = await repo.credentials(row.id)
            pending = await repo.pending_consent(scope.key(self.account_id))
        details: dict = {"consent_expires_at": pending.expires_at if pending else None}
        if credential is not None:
            secret = self.open_credentials(credential.ciphertext)
            details |= {
                "organization": secret.get("organization"),
                "tenant_id": secret.get("tenant_id"),
                "roles": tuple(secret.get("roles") or ()),
            }
        return details
