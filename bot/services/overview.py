"""Seeing the state: help, status, groups, the App Home dashboard and the scope typeahead.

These answer inside Slack's ack, from the replica's memory: the scopes' states
(bot.services.states), the group index (bot.services.directory) and the user's role as
learned within the last minute (bot.services.access). An answer derived from one copy of the
states is kept with that copy, so a thousand admins asking for the same page cost one page.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

from bot.command import USAGE, Target, Verb
from bot.domain import HEALTH_CHECK_USER, Actor, Scope, ScopeKind, Status
from bot.services.access import Reach
from bot.services.base import Judged, ServiceBase, answers_upstream_failures
from bot.services.directory import GroupIndex
from bot.services.explain import credential_warning
from bot.services.preflight import preflight_from
from bot.services.results import (
    KEY_PROBLEM,
    Dashboard,
    Failure,
    HelpText,
    Refused,
    ScopeStatus,
    StatusReport,
)
from bot.services.states import ScopeRow, Snapshot

PAGE_SIZE = 40  # scopes per message or view: one block each stays under Slack's 50 and 100
ADMIN_VERBS = (Verb.STATUS, Verb.GROUPS, Verb.ENABLE, Verb.DISABLE, Verb.VERIFY, Verb.CHECK, Verb.AUDIT)
MAX_SUGGESTIONS = 100  # Slack shows at most 100 options
_OPENED_KEPT = 10_000  # credentials remembered as opened; past it, start over
MAX_FAILING = 10  # failed scopes listed first on the Home tab (the tab holds 100 blocks)
STORED = (Status.ACTIVE, Status.PENDING, Status.FAILED, Status.DISABLED)  # what a configured scope can be

REFUSED = Refused()
NOT_ADMIN_HOME = Dashboard(None)


# What a user may run, by what Zoom lets them do (bot.services.access.Reach).
GROUP_CHANGES = tuple(f"/zoomcal {verb} group <name>" for verb in ("enable", "disable", "verify"))
_COMMANDS = {
    Reach.ACCOUNT: ("/zoomcal", *(USAGE[v] for v in (Verb.HELP, *ADMIN_VERBS))),
    Reach.GROUPS: (
        "/zoomcal",
        *(USAGE[v] for v in (Verb.HELP, Verb.STATUS, Verb.GROUPS)),
        *GROUP_CHANGES,
        *(USAGE[v] for v in (Verb.CHECK, Verb.AUDIT)),
    ),
    Reach.OWN_GROUPS: (USAGE[Verb.HELP], "/zoomcal status group <name>", *GROUP_CHANGES),
    Reach.NOTHING: (USAGE[Verb.HELP],),
}
_NOTES = {
    Reach.GROUPS: "Your Zoom role lets you manage groups (Group:Edit), not the account's own setting.",
    Reach.OWN_GROUPS: "As a Zoom group admin, you may run these for the Zoom groups you administer.",
}


def _help(reach: Reach, problem: str | None = None) -> HelpText:
    return HelpText(_COMMANDS[reach], reach in (Reach.ACCOUNT, Reach.GROUPS), problem, _NOTES.get(reach))


_HELP = {reach: _help(reach) for reach in Reach}


class OverviewService(ServiceBase):
    def __init__(self, deps):
        super().__init__(deps)
        self._opened: dict[bytes, dict | None] = {}  # credentials ciphertext → what status shows of it
    @answers_upstream_failures
    async def help(self, actor: Actor, problem: str | None = None) -> HelpText | Failure:
        """What this user may run: the commands' own permission policy, asked as a dry run."""
        reach = await self.deps.access.reach(actor)
        return _HELP[reach] if problem is None else _help(reach, problem)

    @answers_upstream_failures
    async def status(self, actor: Actor, target: Target | None, page: int = 1):
        if target is None or target.is_account:
            if not await self.is_admin(actor):
                return REFUSED
            snapshot = await self.deps.states.current()
            if target is None:
                return self._warned(await self._listing(snapshot, "status", "", page))
            return self._warned(self._single(snapshot, Scope.account()))
        # One group: also for that group's own group admins (ZOOMCAL_GROUP_ADMINS).
        judged = await self.judged(actor, target, "status", "status", audited=False)
        if not isinstance(judged, Judged):
            return judged
        return self._warned(self._single(await self.deps.states.current(), judged.scope))

    def _warned(self, report: StatusReport) -> StatusReport:
        """The bot-wide warning while Microsoft refuses zoomcal's own credential (on this replica)."""
        microsoft = self.deps.microsoft  # None in bench.directory, which measures listings alone
        problem = microsoft.watch.problem if microsoft is not None else None
        return report if problem is None else replace(report, warning=credential_warning(problem))

    @answers_upstream_failures
    async def groups(self, actor: Actor, query: str, page: int = 1) -> StatusReport | Refused | Failure:
        if not await self.is_admin(actor):
            return REFUSED
        return await self._listing(await self.deps.states.current(), "groups", query, page)

    @answers_upstream_failures
    async def dashboard(self, actor: Actor, page: int = 1) -> Dashboard | Failure:
        if not await self.is_admin(actor):
            return NOT_ADMIN_HOME
        snapshot = await self.deps.states.current()
        failing = self._failing(snapshot)
        return Dashboard(
            self._warned(await self._listing(snapshot, "status", "", page)), failing[:MAX_FAILING],
            max(0, len(failing) - MAX_FAILING),
        )

    async def status_counts(self) -> dict[str, int]:
        """Configured scopes by the status they show here (/metrics' gauge), from a fresh read model."""
        snapshot = await self.deps.states.fresh()
        counts = dict.fromkeys((s.value for s in STORED), 0)
        for row in snapshot.rows.values():
            counts[self._shown(row)[0].value] += 1
        return counts

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

    def _failing(self, snapshot: Snapshot) -> tuple[ScopeStatus, ...]:
        """The scopes showing `failed`, the account first, then groups by name (the Home tab's top)."""
        found = snapshot.memo.get("failing")
        if found is None:
            rows = sorted(
                (row for row in snapshot.rows.values() if self._shown(row)[0] is Status.FAILED),
                key=lambda row: (row.kind != ScopeKind.ACCOUNT, row.name.casefold(), row.group_id),
            )
            scopes = (Scope.account() if r.kind == ScopeKind.ACCOUNT else Scope.group(r.group_id, r.name) for r in rows)
            found = snapshot.remember("failing", tuple(self._scope_status(snapshot, scope) for scope in scopes))
        return found

    def _shown(self, row: ScopeRow) -> tuple[Status, bool]:
        """The status a stored row shows on this replica, and whether that is for a key problem.

        Credentials no configured key opens cannot work from here, so an `active` scope holding
        them shows `failed` (with ``KEY_PROBLEM``); the stored status stays, as another replica
        may hold the key.
        """
        status = Status(row.status)
        if row.credential is None or status not in (Status.ACTIVE, Status.FAILED) or self._shown_of(row.credential):
            return status, False
        return Status.FAILED, True

    def _scope_status(
        self, snapshot: Snapshot, scope: Scope, account_status: Status | None = None, *, details: bool = False
    ) -> ScopeStatus:
        row = snapshot.rows.get((scope.kind.value, scope.group_id))
        if row is None:
            if scope.is_account:
                return ScopeStatus(scope, Status.NOT_CONFIGURED)
            return ScopeStatus(scope, Status.INHERITS, account_status=account_status)
        status, key_problem = self._shown(row)
        # The health check speaks for active scopes and for those it failed itself.
        checked = Status(row.status) is Status.ACTIVE or row.updated_by == HEALTH_CHECK_USER
        return ScopeStatus(
            scope,
            status,
            version=row.version,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
            enabled_by=row.enabled_by,
            enabled_at=row.enabled_at,
            last_verified_at=row.last_verified_at,
            detail=KEY_PROBLEM if key_problem and row.status == Status.ACTIVE else row.detail,
            key_problem=key_problem,
            **(self._details(snapshot, row, checked) if details else {}),
        )

    def _details(self, snapshot: Snapshot, row: ScopeRow, checked: bool) -> dict:
        details: dict = {"consent_expires_at": row.consent_expires_at, "checks_on": self.deps.health_interval > timedelta(0)}
        if checked:
            details |= {
                "last_checked_at": row.last_checked_at,
                "check_result": row.check_result,
                "check_detail": row.check_detail,
                "preflight": preflight_from(row.preflight),
            }
        if row.credential is not None:
            details |= self._shown_of(row.credential) or {}
        return details

    def _shown_of(self, ciphertext: bytes) -> dict | None:
        """What status shows of stored credentials (never the token cache), or None when no configured
        key opens them. Kept per ciphertext: keys do not change while the process runs."""
        if ciphertext not in self._opened:
            if len(self._opened) >= _OPENED_KEPT:
                self._opened.clear()
            secret = self.open_credentials(ciphertext)
            self._opened[ciphertext] = None if secret is None else {
                "organization": secret.get("organization"),
                "tenant_id": secret.get("tenant_id"),
                "roles": tuple(secret.get("roles") or ()),
            }
        return self._opened[ciphertext]
