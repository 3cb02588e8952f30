"""Health checks against the fakes: a removed consent fails a scope, restoring it recovers it, outages
change nothing, and replicas share the checks through the database."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain import HEALTH_CHECK_USER
from bot.services.health import HealthService, loop_period
from bot.services.states import ScopeStates
from storage.db import Database
from storage.models import AuditEvent, Credential, Integration, utcnow
from tests.flows import activate, command_answer, enable, rows, text_of
from tests.harness import ADMIN, TEAM, Replica, Stack

AADSTS7000229 = "AADSTS7000229"


async def activate_in(stack: Stack, text: str, tenant: str) -> None:
    """Enable a scope with the consent of ``tenant``."""
    await activate(stack, text, tenant=tenant)


def health_dms(stack: Stack, words: str) -> list[dict]:
    return [m for m in stack.slack.dms(ADMIN) if words in m["text"]]


def actions(events) -> list[str]:
    return [e.action for e in events]


async def sales(stack: Stack) -> Integration:
    return next(i for i in await rows(stack, Integration) if i.scope_name == "Sales")


async def test_removed_consent_fails_the_scope_and_restored_consent_recovers_it(stack):
    await activate(stack, "enable group Sales")
    health = stack.runtime.services.health
    [passed] = await health.check_now()
    assert (passed.result, passed.changed) == ("passed", False)

    stack.microsoft.revoke_consent(stack.tenant_id)  # an Entra admin deleted the app in the tenant
    [check] = await health.check_now()
    assert (check.result, check.status.value, check.changed) == ("failed", "failed", True)
    integration = await sales(stack)
    assert integration.status == "failed" and integration.updated_by == HEALTH_CHECK_USER
    assert AADSTS7000229 in integration.detail and "missing service principal" in integration.detail
    assert len(await rows(stack, Credential)) == 1, "the credentials are kept while failed"
    [dm] = await stack.slack.wait_until(lambda: health_dms(stack, "failed its health check"), what="the failure DM")
    assert AADSTS7000229 in dm["text"] and "Sales" in dm["text"]
    assert "Its status is now `failed`" in dm["text"] and "is now failed" not in dm["text"], "no 'failed … is now failed'"
    events = await rows(stack, AuditEvent)
    [failed] = [e for e in events if e.action == "health check failed"]
    assert failed.slack_user_id == HEALTH_CHECK_USER and AADSTS7000229 in failed.detail and failed.outcome == "failed"

    shown = text_of(await command_answer(stack, "status group Sales"))
    assert "Sales*: failed" in shown and AADSTS7000229 in shown
    assert re.search(r"Last health check: <!date\^\d+\^.*>: failed", shown)
    assert "Last changed by the health check" in shown
    assert "Sales*: failed" in text_of(await command_answer(stack, "status"))

    again = await health.check_now()  # still refused: nothing new to tell anyone
    assert [(c.result, c.changed) for c in again] == [("failed", False)]
    assert actions(await rows(stack, AuditEvent)).count("health check failed") == 1
    assert len(health_dms(stack, "failed its health check")) == 1

    stack.microsoft.restore_consent(stack.tenant_id)  # consent granted again in the tenant
    [recovered] = await health.check_now()
    assert (recovered.result, recovered.status.value, recovered.changed) == ("passed", "active", True)
    integration = await sales(stack)
    assert integration.status == "active" and integration.detail is None and integration.enabled_by == ADMIN
    await stack.slack.wait_until(lambda: health_dms(stack, "passed its health check and is active again"))
    [event] = [e for e in await rows(stack, AuditEvent) if e.action == "health check recovered"]
    assert event.outcome == "active" and event.detail == "Contoso Ltd"
    shown = text_of(await command_answer(stack, "status group Sales"))
    assert "Sales*: active" in shown and re.search(r"Last health check: <!date\^\d+\^.*>: passed", shown)
    audit = text_of(await command_answer(stack, "audit"))
    assert "the health check · Sales · health check recovered" in audit
    assert "the health check · Sales · health check failed" in audit


async def test_permissions_removed_in_the_tenant_fail_the_scope(stack):
    await activate(stack, "enable account")
    stack.microsoft.revoke_consent(stack.tenant_id, remove_app=False)  # tokens come, without roles
    [check] = await stack.runtime.services.health.check_now()
    assert check.result == "failed" and "without application permissions" in check.detail
    assert (await rows(stack, Integration))[0].status == "failed"


async def test_graph_refusing_the_token_fails_the_scope(stack):
    await activate(stack, "enable account")
    stack.microsoft.fail_next(
        "/organization", 401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}}
    )
    [check] = await stack.runtime.services.health.check_now()
    assert check.result == "failed" and "HTTP 401" in check.detail and "InvalidAuthenticationToken" in check.detail


@pytest.mark.parametrize(
    "path, status, body",
    [
        ("/oauth2/v2.0/token", 503, {"error": "temporarily_unavailable"}),  # the token endpoint is down
        ("/organization", 500, {"error": {"code": "InternalServerError", "message": "Try again later."}}),  # Graph is
    ],
)
async def test_outages_past_the_retries_change_nothing(stack, path, status, body):
    await activate(stack, "enable group Sales")
    dms, events = len(stack.slack.dms(ADMIN)), len(await rows(stack, AuditEvent))
    stack.microsoft.fail_next(path, status, body, times=50)
    [check] = await stack.runtime.services.health.check_now()
    assert check.result == "inconclusive" and not check.changed and check.status.value == "active"
    integration = await sales(stack)
    assert integration.status == "active" and integration.detail is None and integration.check_result == "inconclusive"
    assert integration.checking_until > utcnow() + timedelta(minutes=4), "tried again in a few minutes"
    assert await stack.runtime.services.health.check_now() == [], "not before then"
    await asyncio.sleep(0.2)
    assert len(stack.slack.dms(ADMIN)) == dms and len(await rows(stack, AuditEvent)) == events
    assert "inconclusive" in text_of(await command_answer(stack, "status group Sales"))


async def test_two_replicas_check_each_scope_once_per_interval(stack):
    """Two health services over the same database with their own connections, rounds run at once."""
    other = stack.microsoft.add_tenant(display_name="Fabrikam", domains=("fabrikam.com",))
    await activate(stack, "enable group Sales")  # Contoso
    await activate_in(stack, "enable account", other)
    interval = timedelta(seconds=60)
    now = [utcnow()]
    deps = replace(stack.runtime.services.deps, health_interval=interval)
    second_db = Database(stack.database_url)
    try:
        first = HealthService(deps, clock=lambda: now[0])
        second = HealthService(replace(deps, db=second_db, states=ScopeStates(second_db, deps.zoom_account_id)),
                               clock=lambda: now[0])

        def tokens(tenant: str) -> int:
            return len(stack.microsoft.calls(f"/{tenant}/oauth2/v2.0/token"))

        async def rounds() -> list:
            done = await asyncio.gather(*(s.run_due() for s in (first, second, first, second, first, second)))
            return [check for round_ in done for check in round_]

        before = (tokens(stack.tenant_id), tokens(other))
        assert await rounds() == [], "both were checked by their consent just now"
        for elapsed in (interval - 2 * first.period + timedelta(seconds=1), interval * 2):
            now[0] = utcnow() + elapsed
            checks = await rounds()
            assert sorted(c.scope.name for c in checks) == ["Account", "Sales"], "each scope once, by one replica"
            assert await rounds() == [], "not again within the interval"
        assert (tokens(stack.tenant_id), tokens(other)) == (before[0] + 2, before[1] + 2)
    finally:
        await second_db.close()


def test_the_loop_period_keeps_each_scope_within_its_interval():
    assert loop_period(timedelta(hours=6)) == timedelta(minutes=1)
    assert loop_period(timedelta(seconds=10)) == timedelta(seconds=1)
    assert loop_period(timedelta(seconds=300)) == timedelta(seconds=30)
    for interval in (timedelta(seconds=10), timedelta(minutes=7), timedelta(hours=6), timedelta(days=7)):
        period = loop_period(interval)
        # due after interval - 2 periods, found within one more: a period is left for the round itself
        assert interval - 2 * period + period < interval and period <= interval / 10


async def test_checks_are_off_at_zero(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_HEALTH_INTERVAL="0") as stack:
        await activate(stack, "enable group Sales")
        tokens = stack.microsoft.tokens_issued
        assert await stack.runtime.services.health.run_due() == []
        assert stack.microsoft.tokens_issued == tokens
        assert "Health checks: off" in text_of(await command_answer(stack, "status group Sales"))


async def test_metrics_count_scopes_by_status_and_checks_by_result(stack):
    def value(page: str, name: str) -> float:
        found = re.search(rf"^{re.escape(name)} (\S+)$", page, re.M)
        return float(found.group(1)) if found else 0.0

    await activate(stack, "enable group Sales")
    await enable(stack, "enable account")  # pending
    _, page = await stack.get("/metrics")
    assert value(page, 'zoomcal_scopes{status="active"}') == 1 and value(page, 'zoomcal_scopes{status="pending"}') == 1
    assert value(page, 'zoomcal_scopes{status="failed"}') == 0
    failed_before = value(page, 'zoomcal_health_checks_total{result="failed"}')
    stack.microsoft.revoke_consent(stack.tenant_id)
    await stack.runtime.services.health.check_now()
    _, page = await stack.get("/metrics")
    assert value(page, 'zoomcal_scopes{status="failed"}') == 1 and value(page, 'zoomcal_scopes{status="active"}') == 0
    assert value(page, 'zoomcal_health_checks_total{result="failed"}') == failed_before + 1


async def test_the_home_tab_lists_failed_scopes_first(stack):
    from tests.test_configure_and_home import home_opened

    other = stack.microsoft.add_tenant(display_name="Fabrikam", domains=("fabrikam.com",))
    await activate(stack, "enable group Sales")
    await activate_in(stack, "enable group Support", other)
    stack.microsoft.revoke_consent(other)
    await stack.runtime.services.health.check_now()
    texts = [b["text"]["text"] for b in (await home_opened(stack))["blocks"] if b.get("text")]
    failed_at = next(i for i, t in enumerate(texts) if t.startswith("*Failed (1)*"))
    support_at = next(i for i, t in enumerate(texts) if t.startswith("*Support*: failed"))
    account_at = next(i for i, t in enumerate(texts) if t.startswith("*Account*"))
    assert failed_at < support_at < account_at and AADSTS7000229 in texts[support_at]
    assert [t for t in texts if t.startswith("*Sales*")] == ["*Sales*: active"], "listed once, in the list of all"


async def test_replicas_share_health_checks(tmp_path, postgres_url):
    """`zoomcal serve` twice (and the test's own bot) with a 10 s interval: each scope is checked once
    about every 8-10 s, never twice in a row by two replicas."""
    async with Stack(tmp_path, postgres_url, ZOOMCAL_HEALTH_INTERVAL="10") as stack:
        other = stack.microsoft.add_tenant(display_name="Fabrikam", domains=("fabrikam.com",))
        await activate(stack, "enable group Sales")
        await activate_in(stack, "enable account", other)
        replicas = list(await asyncio.gather(Replica(stack.env).start(), Replica(stack.env).start()))

        def checked_twice() -> bool:  # the consent's token, then two checks' tokens
            return all(len(stack.microsoft.calls(f"/{t}/oauth2/v2.0/token")) >= 3 for t in (stack.tenant_id, other))

        try:
            await stack.microsoft.wait_until(checked_twice, timeout=40, what="two checks of each scope")
            # A round (one period: 1 s) more, so a second replica checking the same scope again would show.
            await asyncio.sleep(loop_period(timedelta(seconds=10)).total_seconds() + 0.5)
        finally:
            for replica in replicas:
                assert await replica.stop() == 0
                assert "Traceback" not in replica.stderr
        for tenant in (stack.tenant_id, other):
            times = [r.at for r in stack.microsoft.calls(f"/{tenant}/oauth2/v2.0/token")]  # the consent, then checks
            gaps = [later - earlier for earlier, later in zip(times, times[1:])]
            assert len(gaps) >= 2, gaps
            assert all(7.0 <= gap <= 10.5 for gap in gaps), gaps


async def test_concurrent_claims_give_each_scope_to_one_caller(db):
    from storage.repository import ScopeKey

    now = utcnow()
    async with db.transaction() as repo:
        for i in range(30):
            row = await repo.save_status(ScopeKey("acc", "group", f"g{i:02}"), name=f"G{i}", status="active", user="U1")
            await repo.save_credentials(row.id, b"sealed")
        await repo.save_status(ScopeKey("acc", "group", "pending"), name="P", status="pending", user="U1")

    async def claim() -> list[int]:
        async with db.transaction() as repo:
            claimed = await repo.checks.claim(
                "acc", now=now, due_before=now, lease_until=now + timedelta(minutes=2), limit=4, checker=HEALTH_CHECK_USER
            )
        return [c.id for c in claimed]

    async def replica() -> list[int]:
        """Claims as a health round does: batch after batch until none is left."""
        mine: list[int] = []
        while batch := await claim():
            mine += batch
        return mine

    claimed = [i for ids in await asyncio.gather(*(replica() for _ in range(6))) for i in ids]
    assert len(claimed) == len(set(claimed)) == 30, "every active scope once; never the pending one"
    assert await claim() == [], "all leased"


async def test_a_result_for_a_scope_changed_meanwhile_is_dropped(db):
    from storage.repository import ScopeKey

    key = ScopeKey("acc", "group", "g1")
    now = utcnow()
    async with db.transaction() as repo:
        row = await repo.save_status(key, name="G1", status="active", user="U1")
        await repo.save_credentials(row.id, b"sealed")
        [claimed] = await repo.checks.claim(
            "acc", now=now, due_before=now, lease_until=now + timedelta(minutes=2), limit=8, checker=HEALTH_CHECK_USER
        )
    async with db.transaction() as repo:
        await repo.mark_disabled(key, user="U2")  # while Microsoft was being asked
    async with db.transaction() as repo:
        assert not await repo.checks.record(
            claimed.id, claimed.version, now=now, result="failed", detail="x", status="failed", reason="x",
            by=HEALTH_CHECK_USER,
        )
        integration = await repo.integration(key)
    assert (integration.status, integration.updated_by, integration.checking_until) == ("disabled", "U2", None)


async def test_health_events_reach_the_audit_channel_in_the_enabling_team(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_AUDIT_CHANNEL="C0AUDIT01") as stack:
        await activate(stack, "enable group Sales")
        assert (await sales(stack)).enabled_team == TEAM
        stack.microsoft.revoke_consent(stack.tenant_id)
        await stack.runtime.services.health.check_now()
        [post] = await stack.slack.wait_until(
            lambda: [m for m in stack.slack.messages if m["channel"] == "C0AUDIT01" and "health check failed" in m["text"]]
        )
        assert post["text"].startswith("the health check · the group `Sales` · health check failed · failed") and AADSTS7000229 in post["text"]


async def test_the_migration_finds_who_enabled_a_scope_in_which_team(database_url):
    """Scopes enabled before 0007 get their enabling admin's team from the audit trail."""
    from sqlalchemy import text

    from storage import migrate

    db = Database(database_url)
    try:
        await migrate.upgrade(db.engine, "0006")
        async with db.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO integrations (zoom_account_id, scope_kind, group_id, scope_name, status, settings, "
                "updated_by, updated_at, enabled_by, enabled_at, version) VALUES "
                "('acc', 'group', 'g1', 'Sales', 'active', '{}', 'U1', '2026-01-01', 'U1', '2026-01-01', 2)"
            ))
            for team, user, action, at in (("TOLD", "U1", "consent granted", "2026-01-01"),
                                            ("TNEW", "U1", "consent granted", "2026-01-02"),
                                            ("TOTHER", "U2", "consent granted", "2026-01-03"),
                                            ("TLATER", "U1", "refused", "2026-01-04")):
                await conn.execute(text(
                    "INSERT INTO audit_events (created_at, slack_team_id, slack_user_id, zoom_account_id, scope_kind, "
                    "group_id, scope_name, action, outcome, correlation_id) VALUES "
                    f"('{at}', '{team}', '{user}', 'acc', 'group', 'g1', 'Sales', '{action}', 'x', 'c')"
                ))
        await migrate.upgrade(db.engine)
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT enabled_team FROM integrations"))).scalar_one() == "TNEW"
    finally:
        await db.close()
