"""Seeing the state: help, status, groups, the App Home dashboard and the scope typeahead.

These answer inside Slack's ack, from the replica's memory: the scopes' states
(bot.services.states), the group index (bot.services.directory) and the user's role as
learned within the last minute (bot.services.access). An answer derived from one copy of the
states is kept with that copy, so a thousand admins asking for the same page cost one page.
"""

from __future__ import annotations

import math

from bot.command import USAGE, Target, Verb
from bot.domain import Actor, Scope, Status
from bot.services.base import ServiceBase, answers_upstream_failures
from bot.services.directory import GroupIndex
from bot.services.results import (
    Dashboard,
    Failure,
    HelpText,
    Refused,
    ScopeStatus,
    StatusReport,
    UnknownGroup,
)
from bot.services.states import ScopeRow, Snapshot

PAGE_SIZE = 40  # scopes per message or view: one block each stays under Slack's 50 and 100
ADMIN_VERBS = (Verb.STATUS, Verb.GROUPS, Verb.ENABLE, Verb.DISABLE, Verb.VERIFY, Verb.AUDIT)
MAX_SUGGESTIONS = 100  # Slack shows at most 100 options

REFUSED = Refused()
NOT_ADMIN_HOME = Dashboard(None)


def _help(is_admin: bool, problem: str | None = None) -> HelpText:
    verbs = (Verb.HELP, *ADMIN_VERBS) if is_admin else (Verb.HELP,)
    commands = tuple(USAGE[v] for v in verbs)
    if is_admin:
        commands = ("/zoomcal (opens the configuration dialog)", *commands)
    return HelpText(commands, is_admin, problem)


_HELP = {True: _help(True), False: _help(False)}


class OverviewService(ServiceBase):
    @answers_upstream_failures
    async def help(self, actor: Actor, problem: str | None = None) -> HelpText | Failure:
        """What this user may run: the commands' own permission policy, asked as a dry run."""
        is_admin = await self.is_admin(actor)
        return _HELP[is_admin] if problem is None else _help(is_admin, problem)

    @answers_upstream_failures
    async def status(self, actor: Actor, target: Target | None, page: int = 1):
        if not await self.is_admin(actor):
            return REFUSED
        snapshot = await self.deps.states.current()
        if target is None:
            return await self._listing(snapshot, "status", "", page)
        if target.is_account:
            return self._single(snapshot, Scope.account())
        scope = await self.resolve(target)
        if isinstance(scope, UnknownGroup):
            return scope
        return self._single(snapshot, scope)

    @answers_upstream_failures
    async def groups(self, actor: Actor, query: str, page: int = 1) -> StatusReport | Refused | Failure:
        if not await self.is_admin(actor):
            return REFUSED
        return await self._listing(await self.deps.states.current(), "groups", query, page)

    @answers_upstream_failures
    async def dashboard(self, actor: Actor, page: int = 1) -> Dashboard | Failure:
        if not await self.is_admin(actor):
            return NOT_ADMIN_HOME
        return Dashboard(await self._listing(await self.deps.states.current(), "status", "", page))

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

    async def _listing(self, snapshot: Snapshot, listing: str, query: str, page: int) -> StatusReport:
        """One page of the account (status only, first) followed by the groups, in name order."""
        index = await self.deps.directory.index()
        key = (listing, query, page, index.generation)
        found = snapshot.memo.get(key)
        if found is None:
            found = snapshot.remember(key, self._report(snapshot, index, listing, query, page))
        return found

    def _report(self, snapshot: Snapshot, index: GroupIndex, listing: str, query: str, page: int) -> StatusReport:
        account = self._scope_status(snapshot, Scope.account())
        lead = 0 if listing == "groups" else 1
        total = lead + index.page(query, 0, 0)[1]
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(1, page), pages)  # the listing may have shrunk since the button was drawn
        start = (page - 1) * PAGE_SIZE
        room = PAGE_SIZE - (lead if page == 1 else 0)
        groups, _ = index.page(query, max(0, start - lead), room)
        shown = [account] if lead and page == 1 else []
        shown += [self._scope_status(snapshot, Scope.group(g.id, g.name), account.status) for g in groups]
        return StatusReport(tuple(shown), page=page, pages=pages, listing=listing, query=query, total=total)

    def _single(self, snapshot: Snapshot, scope: Scope) -> StatusReport:
        key = ("one", scope)
        found = snapshot.memo.get(key)
        if found is None:
            account = self._scope_status(snapshot, Scope.account()).status
            item = self._scope_status(snapshot, scope, account, details=True)
            found = snapshot.remember(key, StatusReport((item,), single=True))
        return found

    def _scope_status(
        self, snapshot: Snapshot, scope: Scope, account_status: Status | None = None, *, details: bool = False
    ) -> ScopeStatus:
        row = snapshot.rows.get((scope.kind.value, scope.group_id))
        if row is None:
            if scope.is_account:
                return ScopeStatus(scope, Status.NOT_CONFIGURED)
            return ScopeStatus(scope, Status.INHERITS, account_status=account_status)
        return ScopeStatus(
            scope,
            Status(row.status),
            version=row.version,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
            enabled_by=row.enabled_by,
            enabled_at=row.enabled_at,
            last_verified_at=row.last_verified_at,
            detail=row.detail,
            **(self._details(snapshot, row) if details else {}),
        )

    def _details(self, snapshot: Snapshot, row: ScopeRow) -> dict:
        details: dict = {"consent_expires_at": row.consent_expires_at}
        if row.credential is not None:
            key = ("credential", row.credential)
            secret = snapshot.memo.get(key)
            if secret is None:  # only what status shows is kept, never the token cache
                opened = self.open_credentials(row.credential)
                secret = snapshot.remember(
                    key,
                    {
                        "organization": opened.get("organization"),
                        "tenant_id": opened.get("tenant_id"),
                        "roles": tuple(opened.get("roles") or ()),
                    },
                )
            details |= secret
        return details
