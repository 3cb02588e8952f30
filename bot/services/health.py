"""Health checks: each active scope is checked at least once per ZOOMCAL_HEALTH_INTERVAL, by one replica.

A check is what `verify` does: a fresh app-only token for the stored tenant and a Graph call
(/organization). A definite no (bot.clients.errors.Refusal: the token endpoint refuses, e.g.
AADSTS7000229 once the app was removed from the tenant; a token without application roles;
Graph 401/403) makes an active scope `failed` with Microsoft's words, and the admin who enabled
it and the audit trail are told. A timeout or a 5xx past the retries learns nothing: the
scope's state stays, and the check is tried again after ``RETRY``. The credentials stay while
`failed`, so a passing check makes the scope `active` again (and says so).

Replicas share the work through the database: a round claims due scopes with one conditional
UPDATE that sets a lease (storage.checks), so each check is made by one replica, and records
the result with the check's time. Every replica runs a round every ``period`` (Maintenance).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot import metrics
from bot.clients.errors import Refusal, UpstreamError
from bot.clients.microsoft import CredentialError
from bot.domain import HEALTH_CHECK_USER, Action, Actor, Scope, ScopeKind, Status
from bot.services import authority
from bot.services.base import ServiceBase, credentials, new_correlation
from bot.services.explain import reason as explained_reason
from bot.services.results import KEY_PROBLEM, HealthCheck
from storage.checks import Claimed
from storage.models import utcnow

log = logging.getLogger(__name__)

BATCH = 8  # scopes one replica checks at once
LEASE = timedelta(minutes=2)  # a batch's checks: two calls each, every call within the client's 20 s deadline
RETRY = timedelta(minutes=5)  # after an inconclusive check (Microsoft down), or the interval if shorter
MAX_PERIOD = timedelta(minutes=1)
_GRANTED = ("roles", "organization", "domains")  # what a passing check may find changed in the tenant
MIN_PERIOD = timedelta(seconds=1)


def loop_period(interval: timedelta) -> timedelta:
    """How often each replica looks for due scopes: a tenth of the interval, within 1 s to 1 minute.

    A scope is due once its last check is ``interval - 2 × period`` old, so the round that
    finds it starts at most ``interval - period`` after that check: it is checked again within
    the interval as long as a round takes less than a period. A tenth keeps early checks rare
    (10-20% early); a minute at most keeps a round's cost (one UPDATE) negligible at the
    6-hour default, while scopes are checked 1-2 minutes early.
    """
    return min(MAX_PERIOD, max(MIN_PERIOD, interval / 10))


class HealthService(ServiceBase):
    def __init__(self, deps, *, clock: Callable[[], datetime] = utcnow):
        super().__init__(deps)
        self._clock = clock
        # Scopes whose credentials this replica cannot open, and until when it leaves them to others.
        self._unopened: dict[int, datetime] = {}

    @property
    def interval(self) -> timedelta:
        return self.deps.health_interval

    @property
    def enabled(self) -> bool:
        return self.interval > timedelta(0)

    @property
    def period(self) -> timedelta:
        return loop_period(self.interval)

    async def run_due(self) -> list[HealthCheck]:
        """One round: checks every scope due, ``BATCH`` at a time (Maintenance calls this every ``period``)."""
        if not self.enabled:
            return []
        return await self._round(lambda now: now - (self.interval - 2 * self.period), skip_locked=True)

    async def check_now(self) -> list[HealthCheck]:
        """Checks every active scope (and every one a check failed) now, due or not; a scope another
        replica is checking at this moment is left to it. For the console's "run a health check now"."""
        return await self._round(lambda now: now + timedelta(days=36500), skip_locked=False)

    async def _round(self, due_before: Callable[[datetime], datetime], *, skip_locked: bool) -> list[HealthCheck]:
        done: list[HealthCheck] = []
        seen: set[int] = set()  # checked in this round: a result that could not be recorded is not retried now
        while True:
            now = self._clock()
            self._unopened = {i: until for i, until in self._unopened.items() if until > now}
            async with self.db.transaction() as repo:
                batch = await repo.checks.claim(
                    self.account_id, now=now, due_before=due_before(now), lease_until=now + LEASE, limit=BATCH,
                    checker=HEALTH_CHECK_USER, skip=tuple(seen | set(self._unopened)), skip_locked=skip_locked,
                )
            if not batch:
                return done
            seen.update(claimed.id for claimed in batch)
            done += await asyncio.gather(*(self._check(claimed) for claimed in batch))

    async def _check(self, claimed: Claimed) -> HealthCheck:
        scope = Scope(ScopeKind(claimed.kind), claimed.group_id, claimed.name)
        status = Status(claimed.status)
        async with self.db.transaction() as repo:
            credential = await repo.credentials(claimed.id)
        secret = self.open_credentials(credential.ciphertext) if credential is not None else None
        if secret is None:
            return await self._unopenable(claimed, scope, status, credential is None)

        try:
            token, organization = await self.probe(str(secret.get("tenant_id") or ""))
        except CredentialError as exc:
            # zoomcal's own credential, not the tenant's consent: the operator's problem (the
            # client logs it once and counts it; status shows it bot-wide). Nothing about the scope
            # was learned, so its status stays and nobody who enabled it is told.
            return await self._inconclusive(claimed, scope, status, explained_reason(exc))
        except Refusal as exc:
            return await self._failed(claimed, scope, status, explained_reason(exc))
        except UpstreamError as exc:
            return await self._inconclusive(claimed, scope, status, f"{exc.service} {exc.message}")

        now = self._clock()
        recovered = status is Status.FAILED
        fresh = credentials(token, organization)
        async with self.writing() as repo:
            recorded = await repo.checks.record(
                claimed.id, claimed.version, now=now, result="passed", detail=None,
                **({"status": Status.ACTIVE, "reason": None, "by": HEALTH_CHECK_USER} if recovered else {}),
            )
            if recorded and any(secret.get(k) != fresh[k] for k in _GRANTED):  # the tenant changed what it grants
                await repo.save_credentials(claimed.id, self.deps.vault.encrypt_json(fresh))
            event = None
            if recorded and recovered:
                event = await self.audit(
                    repo, self._checker(claimed), scope, Action.HEALTH_RECOVERED, "active", new_correlation(),
                    organization.display_name,
                )
        return await self._done(claimed, scope, "passed", None, Status.ACTIVE if recorded else status, event)

    async def _failed(self, claimed: Claimed, scope: Scope, status: Status, reason: str) -> HealthCheck:
        now = self._clock()
        failing = status is Status.ACTIVE  # one that failed already stays failed, and nobody is told again
        async with self.writing() as repo:
            recorded = await repo.checks.record(
                claimed.id, claimed.version, now=now, result="failed", detail=reason,
                **({"status": Status.FAILED, "reason": f"Health check: {reason}", "by": HEALTH_CHECK_USER} if failing else {}),
            )
            event = None
            if recorded and failing:
                event = await self.audit(
                    repo, self._checker(claimed), scope, Action.HEALTH_FAILED, "failed", new_correlation(), reason
                )
        return await self._done(claimed, scope, "failed", reason, Status.FAILED if recorded else status, event)

    async def _inconclusive(self, claimed: Claimed, scope: Scope, status: Status, why: str) -> HealthCheck:
        """Nothing learned (a timeout, 5xx or 429 past the retries): the state stays; try again later."""
        now = self._clock()
        async with self.writing() as repo:
            await repo.checks.record(
                claimed.id, claimed.version, now=now, result="inconclusive", detail=why,
                retry_at=now + min(RETRY, self.interval or RETRY),
            )
        return await self._done(claimed, scope, "inconclusive", why, status, None)

    async def _unopenable(self, claimed: Claimed, scope: Scope, status: Status, gone: bool) -> HealthCheck:
        """Credentials this replica cannot open are not the scope's fault: another replica may hold the
        key (a rotation under way, a replica started with an old list), so nothing is written about
        the scope. The lease is released so another replica checks it at once, this replica leaves
        it to them for an interval, and the problem is reported (log, metric; status and verify
        show it on this replica)."""
        async with self.db.transaction() as repo:
            await repo.checks.release(claimed.id)
        if gone:  # deleted since the claim (disabled meanwhile): nothing to check
            return HealthCheck(scope, "skipped", None, status)
        self._unopened[claimed.id] = self._clock() + (self.interval or RETRY)
        log.warning("health check of %s skipped here: %s", scope.label, KEY_PROBLEM)
        metrics.HEALTH_CHECKS.labels("undecryptable").inc()
        return HealthCheck(scope, "undecryptable", KEY_PROBLEM, status)

    async def _done(
        self, claimed: Claimed, scope: Scope, result: str, detail: str | None, status: Status, event
    ) -> HealthCheck:
        metrics.HEALTH_CHECKS.labels(result).inc()
        log.info("health check of %s: %s", scope.label, result)
        if event is not None:  # the status changed: the audit trail and the admin who enabled it hear of it
            await self.deps.notifier.audit(event)
            if claimed.enabled_by:  # only while they may still act on it (bot.services.authority)
                admin = Actor(claimed.enabled_team or "", claimed.enabled_by)
                notifier = self.deps.notifier
                if status is Status.FAILED:
                    await authority.tell_enabler(
                        self, admin, scope, lambda: notifier.health_failed(admin, scope, detail or ""), "health check failed"
                    )
                else:
                    await authority.tell_enabler(
                        self, admin, scope, lambda: notifier.health_recovered(admin, scope), "health check recovered"
                    )
        return HealthCheck(scope, result, detail, status, changed=event is not None)

    @staticmethod
    def _checker(claimed: Claimed) -> Actor:
        """Who the audit trail names: the health check, in the team of the admin who enabled the scope."""
        return Actor(claimed.enabled_team or "", HEALTH_CHECK_USER)
