"""Verify: a fresh app-only token and a Graph call for the tenant a scope holds.

Verify is a change (it rewrites the stored credentials): its user is judged afresh, and what it
writes is a compare-and-set against what it read (storage: ``save_verified``), so a disable or a
new consent while Microsoft was being asked wins, and deleted credentials never come back.
"""

from __future__ import annotations

from bot.clients.errors import UpstreamError
from bot.command import Target
from bot.domain import Actor, Status
from bot.services.base import ServiceBase, answers_upstream_failures, credentials, target_words
from bot.services.results import (
    KEY_PROBLEM,
    ChangedMeanwhile,
    Failure,
    NotVerifiable,
    Refused,
    UnknownGroup,
    Verified,
)
from storage.models import utcnow


class VerifyService(ServiceBase):
    @answers_upstream_failures
    async def door(self, actor: Actor, target: Target) -> Refused | Failure | None:
        """The check inside the command's ack (a role learned a moment ago): a refusal known now is
        answered there and leaves no job behind; None: the job runs ``verify``."""
        if not await self.permitted(actor, None, f"verify {target_words(target)}"):
            return Refused()
        return None

    @answers_upstream_failures
    async def verify(
        self, actor: Actor, target: Target
    ) -> Verified | ChangedMeanwhile | NotVerifiable | Refused | UnknownGroup | Failure:
        scope = await self.resolve(target)
        if isinstance(scope, UnknownGroup):
            # Named nothing: no change to judge, but the door's answer still applies to who may see that.
            return scope if await self.permitted(actor, None, f"verify {target_words(target)}") else Refused()
        if not await self.permitted(actor, scope, f"verify {target_words(target)}", fresh=True):
            return Refused()
        key = scope.key(self.account_id)
        async with self.db.transaction() as repo:
            row = await repo.integration(key)
            credential = await repo.credentials(row.id) if row is not None else None
        if row is None or credential is None:
            status = Status(row.status) if row else (Status.NOT_CONFIGURED if scope.is_account else Status.INHERITS)
            return NotVerifiable(scope, status)

        secret = self.open_credentials(credential.ciphertext)
        now = utcnow()
        if secret is None:  # nothing to ask Microsoft with: say why instead of sending an empty tenant
            return Verified(scope, False, now, error=KEY_PROBLEM)
        try:
            token, organization = await self.probe(str(secret.get("tenant_id") or ""))
        except UpstreamError as exc:
            return Verified(scope, False, now, secret.get("organization"), secret.get("tenant_id"), error=f"{exc.service} {exc.message}")

        verified = Verified(scope, True, now, organization.display_name, token.tenant_id, token.roles)
        if row.status != Status.ACTIVE:
            return verified  # a failed scope's credentials answer again; the health check makes it active
        fresh = self.deps.vault.encrypt_json(credentials(token, organization))
        async with self.writing() as repo:
            written = await repo.save_verified(
                key, version=row.version, ciphertext=credential.ciphertext, new_ciphertext=fresh, now=now
            )
        return verified if written else ChangedMeanwhile(scope)
