"""Verify: a fresh app-only token and a Graph call for the tenant a scope holds."""

from __future__ import annotations

from bot.clients.errors import UpstreamError
from bot.command import Target
from bot.domain import Actor, Status
from bot.services.base import Judged, ServiceBase, answers_upstream_failures, credentials, target_words
from bot.services.explain import reason
from bot.services.results import (
    KEY_PROBLEM,
    AmbiguousGroup,
    Failure,
    NotVerifiable,
    Refused,
    UnknownGroup,
    Verified,
)
from storage.models import utcnow


class VerifyService(ServiceBase):
    @answers_upstream_failures
    async def verify(
        self, actor: Actor, target: Target
    ) -> Verified | NotVerifiable | Refused | UnknownGroup | AmbiguousGroup | Failure:
        # A change (it rewrites the stored credentials): judged afresh, for the scope it names.
        judged = await self.judged(actor, target, "verify", f"verify {target_words(target)}", fresh=True)
        if not isinstance(judged, Judged):
            return judged
        scope = judged.scope
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
            return Verified(scope, False, now, secret.get("organization"), secret.get("tenant_id"), error=reason(exc))

        secret = credentials(token, organization)
        async with self.writing() as repo:
            await repo.save_credentials(row.id, self.deps.vault.encrypt_json(secret))
            await repo.mark_verified(key, now)
        return Verified(scope, True, now, organization.display_name, token.tenant_id, token.roles)
