"""Verify: a fresh app-only token and a Graph call for the tenant a scope holds.

Verify is a change (it rewrites the stored credentials): its user is judged afresh, and what it
writes is a compare-and-set against what it read (storage: ``save_verified``), so a disable or a
new consent while Microsoft was being asked wins, and deleted credentials never come back.
"""

from __future__ import annotations

from bot.clients.errors import UpstreamError
from bot.command import Target
from bot.domain import Actor, Status
from bot.services.base import Judged, ServiceBase, answers_upstream_failures, credentials, target_words
from bot.services.explain import reason
from bot.services.results import (
    KEY_PROBLEM,
    AmbiguousGroup,
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
    async def door(self, actor: Actor, target: Target) -> Refused | UnknownGroup | AmbiguousGroup | Failure | None:
        """The check inside the command's ack (what reads may use: a role learned a moment ago): a
        refusal, an unknown or ambiguous name known now is answered there and leaves no job behind;
        None: the job runs ``verify``, which judges afresh."""
        judged = await self.judged(actor, target, "verify", f"verify {target_words(target)}")
        return None if isinstance(judged, Judged) else judged

    @answers_upstream_failures
    async def verify(
        self, actor: Actor, target: Target
    ) -> Verified | ChangedMeanwhile | NotVerifiable | Refused | UnknownGroup | AmbiguousGroup | Failure:
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

        verified = Verified(scope, True, now, organization.display_name, token.tenant_id, token.roles)
        if row.status != Status.ACTIVE:
            return verified  # a failed scope's credentials answer again; the health check makes it active
        fresh = self.deps.vault.encrypt_json(credentials(token, organization))
        async with self.writing() as repo:
            written = await repo.save_verified(
                key, version=row.version, ciphertext=credential.ciphertext, new_ciphertext=fresh, now=now
            )
        return verified if written else ChangedMeanwhile(scope)
