"""The audit log, newest first."""

from __future__ import annotations

from bot.domain import Actor, Scope, ScopeKind
from bot.services.base import ServiceBase, answers_upstream_failures
from bot.services.results import AuditEntry, AuditLog, Failure, Refused


class AuditLogService(ServiceBase):
    @answers_upstream_failures
    async def recent(self, actor: Actor, count: int) -> AuditLog | Refused | Failure:
        if not await self.is_admin(actor):
            return Refused()
        async with self.db.transaction() as repo:
            events = await repo.audit_events(count)
        entries = tuple(
            AuditEntry(
                at=e.created_at,
                user_id=e.slack_user_id,
                scope=Scope(ScopeKind(e.scope_kind), e.group_id, e.scope_name),
                action=e.action,
                outcome=e.outcome,
                detail=e.detail,
                correlation_id=e.correlation_id,
            )
            for e in events
        )
        return AuditLog(entries, count)
