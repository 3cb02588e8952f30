"""`/zoomcal check <email>`: the scope whose setting applies to a Zoom user, and Graph's answer for them.

The scope is one of the user's Zoom groups that has a setting of its own, else the account. Zoom
applies the user's primary group (by default the first group the user was added to), which its
user lookup does not name: when several of the user's groups have their own setting, the answer
names each and checks the first in the order Zoom lists the user's groups. Graph is asked only
for an `active` scope, with its stored credentials and an app-only token, reused until shortly
before it expires (per tenant, per replica).
"""

from __future__ import annotations

from dataclasses import replace

from bot.clients.errors import UpstreamError
from bot.clients.microsoft import CredentialError
from bot.clients.microsoft_errors import explain, explained
from bot.domain import Actor, Scope, ScopeKind, Status
from bot.services.base import ServiceBase, answers_upstream_failures
from bot.services.results import Failure, Refused, UserCheck


class CheckService(ServiceBase):
    @answers_upstream_failures
    async def door(self, actor: Actor) -> Refused | Failure | None:
        """The check inside the command's ack: a refusal known now is answered there and leaves no
        job behind; None: the job runs ``check``."""
        if not await self.permitted(actor, None, "check a user"):
            return Refused()
        return None

    @answers_upstream_failures
    async def check(self, actor: Actor, email: str) -> UserCheck | Refused | Failure:
        if not await self.permitted(actor, None, "check a user"):
            return Refused()
        user = await self.deps.zoom.user(email)
        if user is None:
            return UserCheck(email, zoom_user=False)
        async with self.db.transaction() as repo:
            rows = await repo.checks.settings_of(self.account_id, user.group_ids)
            groups = {row.group_id: row for row in rows if row.scope_kind == ScopeKind.GROUP}
            own = [groups[g] for g in dict.fromkeys(user.group_ids) if g in groups]  # in Zoom's order
            row = own[0] if own else next((r for r in rows if r.scope_kind == ScopeKind.ACCOUNT), None)
            credential = await repo.credentials(row.id) if row is not None and row.status == Status.ACTIVE else None
        scope = Scope.group(row.group_id, row.scope_name) if own else Scope.account()
        found = UserCheck(
            user.email or email,
            scope=scope,
            status=Status(row.status) if row is not None else Status.NOT_CONFIGURED,
            candidates=tuple(Scope.group(r.group_id, r.scope_name) for r in own) if len(own) > 1 else (),
        )
        if found.status is not Status.ACTIVE or credential is None:
            return found  # no Graph call: the answer is the scope's status word
        secret = self.open_credentials(credential.ciphertext)
        if secret is None:  # this replica cannot use them: failing here, whatever is stored
            return replace(found, status=Status.FAILED, key_problem=True)
        microsoft = self.deps.microsoft
        try:
            # A token in hand is reused until shortly before it expires: a check is one Graph call.
            token = await microsoft.app_token(str(secret.get("tenant_id") or ""), fresh=False)
            calendar = await microsoft.calendar(token, found.email)
        except UpstreamError as exc:
            return replace(found, error=_failing(exc))
        meaning = explain(calendar.code)
        return replace(
            found, access=calendar.access.value, code=calendar.code, message=calendar.message,
            explanation=meaning.text() if meaning is not None else None,
        )


def _failing(exc: UpstreamError) -> str:
    """The failing service and its status, in words an admin can act on."""
    text = f"{exc.service} {exc.message}"
    if exc.status and f"HTTP {exc.status}" not in text:
        text += f" (HTTP {exc.status})"
    return explained(exc.code, text, exc.variable if isinstance(exc, CredentialError) else None)
