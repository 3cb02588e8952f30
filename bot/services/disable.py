"""Disable and Delete: the scope switches to users' OAuth and its credentials are deleted."""

from __future__ import annotations

from bot.command import Target
from bot.domain import Action, Actor, Scope, Status
from bot.services.base import (
    Judged,
    ServiceBase,
    answers_upstream_failures,
    new_correlation,
    target_words,
)
from bot.services.results import (
    AmbiguousGroup,
    DisableConfirm,
    Disabled,
    Failure,
    NothingToDisable,
    OutOfDate,
    Refused,
    UnknownGroup,
)
from storage.models import utcnow


class DisableService(ServiceBase):
    @answers_upstream_failures
    async def prepare(
        self, actor: Actor, target: Target
    ) -> DisableConfirm | NothingToDisable | Refused | UnknownGroup | AmbiguousGroup | Failure:
        """What the confirmation message shows (the button does the work)."""
        judged = await self.judged(actor, target, "disable", f"disable {target_words(target)}")
        if not isinstance(judged, Judged):
            return judged
        return await self.review(judged.scope)

    async def review(self, scope: Scope) -> DisableConfirm | NothingToDisable:
        """Whether disabling ``scope`` would change anything, and what it would delete."""
        async with self.db.transaction() as repo:
            row = await repo.integration(scope.key(self.account_id))
            has_credentials = row is not None and await repo.credentials(row.id) is not None
        if row is None:
            return NothingToDisable(scope, Status.INHERITS if not scope.is_account else Status.NOT_CONFIGURED)
        if row.status == Status.DISABLED and not has_credentials:
            return NothingToDisable(scope, Status.DISABLED, row.updated_by, row.updated_at)
        return DisableConfirm(scope, Status(row.status), has_credentials, row.version)

    @answers_upstream_failures
    async def disable(
        self, actor: Actor, scope: Scope, version: int | None = None
    ) -> Disabled | NothingToDisable | OutOfDate | Refused | Failure:
        """The confirmed click. Re-checks whoever clicked, with Zoom: anyone who sees a button can click it.

        ``version``: the scope's version the button was shown for. A click on a message older than
        the scope's last change (or a replayed click) changes nothing.
        """
        grant = await self.permitted(actor, scope, "disable", fresh=True)
        if grant is None:
            return Refused()
        key = scope.key(self.account_id)
        now = utcnow()
        async with self.writing() as repo:
            row = await repo.mark_disabled(key, user=actor.user_id, now=now, version=version)
            if row is None:
                current = await repo.integration(key)
            else:
                deleted = await repo.delete_credentials(row.id)
                cancelled = await repo.cancel_consents(key, now)
                event = await self.audit(
                    repo, actor, scope, Action.DISABLED, "disabled", new_correlation(),
                    f"{grant.basis}: {deleted} credential set(s) deleted, {cancelled} consent link(s) cancelled",
                )
        if row is None:
            # A second click, a concurrent click, or a scope that was never configured.
            if current is None:
                return NothingToDisable(scope, Status.INHERITS if not scope.is_account else Status.NOT_CONFIGURED)
            if current.status == Status.DISABLED:
                return NothingToDisable(scope, Status.DISABLED, current.updated_by, current.updated_at)
            return OutOfDate(scope)
        if deleted:
            await self.db.scrub()
        self.announce(event)
        return Disabled(scope, actor.user_id, now, bool(deleted), cancelled, self.deps.microsoft.client_id)
