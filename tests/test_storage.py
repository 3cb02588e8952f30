"""Storage on SQLite and PostgreSQL: migrations, upserts, single-use consent state."""

import asyncio
import os
from datetime import timedelta

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage import migrate
from storage.db import background
from storage.models import AuditEvent, ConsentRequest, utcnow
from storage.repository import ConsumeFailure, ScopeKey

SALES = ScopeKey("acc", "group", "g1")


def consent_request(state_hash: str, *, ttl: int = 3600, **overrides) -> ConsentRequest:
    now = utcnow()
    fields = dict(
        state_hash=state_hash, slack_team_id="T1", slack_user_id="U1", zoom_account_id="acc",
        scope_kind="group", group_id="g1", scope_name="Sales", created_at=now,
        expires_at=now + timedelta(seconds=ttl), correlation_id="c-1",
    )
    return ConsentRequest(**(fields | overrides))


async def test_migrations_create_the_contract_tables_and_are_idempotent(db):
    await migrate.upgrade(db.engine)  # a second run changes nothing
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"integrations", "credentials", "consent_requests", "audit_events"} <= tables
    assert await migrate.current(db.engine) == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert await db.ping()


STORE_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}


async def test_migrations_match_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    def ours(obj, name, type_, reflected, compare_to):
        # slack_sdk's store tables are not models; test_slack_installations exercises them.
        return not (type_ == "table" and name in STORE_TABLES)

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"include_object": ours})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_save_status_upserts_one_row_per_scope(db):
    async with db.transaction() as repo:
        first = await repo.save_status(SALES, name="Sales", status="pending", user="U1", settings={"a": 1})
    async with db.transaction() as repo:
        second = await repo.save_status(SALES, name="Sales", status="active", user="U2")
        rows = await repo.integrations("acc")
    assert first.id == second.id and len(rows) == 1
    assert second.status == "active" and second.version == first.version + 1
    assert second.settings == {"a": 1}, "settings survive a status change"
    assert second.enabled_by == "U2" and second.enabled_at is not None
    assert second.updated_at.tzinfo is not None


async def test_concurrent_upserts_of_one_scope_make_one_row(db):
    async def save(i):
        async with db.transaction() as repo:
            await repo.save_status(SALES, name="Sales", status="pending", user=f"U{i}")

    await asyncio.gather(*(save(i) for i in range(8)))
    async with db.transaction() as repo:
        rows = await repo.integrations("acc")
    assert len(rows) == 1 and rows[0].version == 8


async def test_consent_state_is_single_use(db):
    async with db.transaction() as repo:
        await repo.add_consent_request(consent_request("h1"))
    async with db.transaction() as repo:
        won = await repo.consume_consent_request("h1")
    async with db.transaction() as repo:
        again = await repo.consume_consent_request("h1")
        unknown = await repo.consume_consent_request("nope")
    assert won.request is not None and won.request.scope_name == "Sales"
    assert again.request is None and again.failure is ConsumeFailure.USED
    assert unknown.failure is ConsumeFailure.UNKNOWN


async def test_expired_state_cannot_be_used(db):
    async with db.transaction() as repo:
        await repo.add_consent_request(consent_request("old", ttl=-1))
    async with db.transaction() as repo:
        result = await repo.consume_consent_request("old")
    assert result.request is None and result.failure is ConsumeFailure.EXPIRED


async def test_of_concurrent_consumers_exactly_one_wins(db):
    async with db.transaction() as repo:
        await repo.add_consent_request(consent_request("race"))

    async def consume():
        async with db.transaction() as repo:
            return await repo.consume_consent_request("race")

    results = await asyncio.gather(*(consume() for _ in range(10)))
    assert sum(r.request is not None for r in results) == 1


async def test_credentials_upsert_and_delete(db):
    async with db.transaction() as repo:
        row = await repo.save_status(SALES, name="Sales", status="active", user="U1")
        await repo.save_credentials(row.id, b"cipher-1")
        await repo.save_credentials(row.id, b"cipher-2")
        assert (await repo.credentials(row.id)).ciphertext == b"cipher-2"
        assert await repo.delete_credentials(row.id) == 1
        assert await repo.credentials(row.id) is None


async def test_pending_consent_is_the_newest_unused(db):
    async with db.transaction() as repo:
        await repo.add_consent_request(consent_request("a"))
        await repo.add_consent_request(consent_request("b", ttl=7200))
        await repo.add_consent_request(consent_request("dead", ttl=-5))
    async with db.transaction() as repo:
        assert (await repo.pending_consent(SALES)).state_hash in {"a", "b"}
        await repo.consume_consent_request("a")
        await repo.consume_consent_request("b")
        assert await repo.pending_consent(SALES) is None


async def test_audit_events_newest_first(db):
    async with db.transaction() as repo:
        for i in range(3):
            await repo.add_audit(
                AuditEvent(
                    created_at=utcnow() + timedelta(seconds=i), slack_team_id="T", slack_user_id="U",
                    zoom_account_id="acc", scope_kind="account", group_id="", scope_name="Account",
                    action=f"a{i}", outcome="ok", correlation_id="c",
                )
            )
    async with db.transaction() as repo:
        events = await repo.audit_events(2)
    assert [e.action for e in events] == ["a2", "a1"]


async def test_an_acks_transaction_does_not_queue_behind_background_work(db):
    """Jobs and upkeep (background) leave the database to Slack's acks: an ack's write waits
    for at most one background transaction on SQLite, and for none on PostgreSQL's pool."""
    # SQLite has one connection, PostgreSQL a pool of 40: each crowd is several times what it serves at once.
    crowd_size, hold = (20, 0.05) if db.engine.dialect.name == "sqlite" else (200, 0.1)
    started = asyncio.Event()

    async def job() -> None:
        with background():
            async with db.transaction() as repo:
                started.set()
                await repo.jobs.add("command", b"x" + os.urandom(8), now=utcnow(), lease_until=utcnow())
                await asyncio.sleep(hold)  # a slow unit of work holding its connection

    crowd = [asyncio.create_task(job()) for _ in range(crowd_size)]
    await started.wait()
    await asyncio.sleep(0.01)  # the crowd is queued
    loop = asyncio.get_running_loop()
    asked = loop.time()
    async with db.transaction() as repo:
        await repo.jobs.add("command", b"ack" + os.urandom(8), now=utcnow(), lease_until=utcnow())
    waited = loop.time() - asked
    await asyncio.gather(*crowd)
    # Without the gate the ack would queue behind the whole crowd: 1 s on SQLite, 0.4 s on PostgreSQL.
    assert waited < 2.5 * hold, f"the ack's transaction waited {waited:.3f} s"
