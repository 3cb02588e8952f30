"""Installed workspaces in the database: sealed store, hashed OAuth states, the cached authorize."""

from __future__ import annotations

import hashlib

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from bot.crypto import Vault, generate_key
from bot.workspaces import InstalledWorkspaces, WorkspaceGone
from storage.models import SlackWorkspace
from storage.slack_installations import SealedInstallationStore, SignedOAuthStateStore

TOKEN = "xoxb-1-secret-token"


def installation(team: str = "T1", token: str = TOKEN) -> Installation:
    return Installation(app_id="A1", team_id=team, team_name=team, bot_token=token, bot_id="B1",
                        bot_user_id="UBOT", bot_scopes="commands", user_id="U1")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def bind(db, team: str, account: str = "acc") -> None:
    async with db.transaction() as repo:
        await repo.workspaces.bind(SlackWorkspace(workspace_id=team, enterprise_id=None, team_name=team,
                                                  zoom_account_id=account, installed_by="U1", installed_at=None))


async def test_tokens_are_sealed_at_rest_and_opened_on_read(db):
    store = SealedInstallationStore("1.2", db.engine, Vault([generate_key()]))
    await store.async_save(installation())
    async with db.engine.connect() as conn:
        raw = [dict(r) for t in ("slack_installations", "slack_bots")
               for r in (await conn.execute(text(f"SELECT * FROM {t}"))).mappings()]
    assert len(raw) == 2 and TOKEN not in str(raw)
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot.bot_token == TOKEN


async def test_oauth_states_are_signed_single_use_and_kept_only_as_hashes(db):
    key = generate_key()
    states = SignedOAuthStateStore(600, db.engine, [key])
    state = await states.async_issue()
    assert await count_states(db) == 0, "issuing stores nothing"
    assert await states.async_consume(state) is True
    async with db.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT state FROM slack_oauth_states"))).scalars().all()
    assert stored == [hashlib.sha256(state.encode()).hexdigest()], "a used state is kept as a hash only"
    assert await states.async_consume(state) is False, "single use"
    expires, nonce, mac = state.split(".")
    for forged in ("forged", f"{int(expires) + 60}.{nonce}.{mac}", f"{expires}.{nonce}x.{mac}", "1.2.3.4", ""):
        assert await states.async_consume(forged) is False
    rotated = SignedOAuthStateStore(600, db.engine, [generate_key(), key])  # a new key first: old states still work
    assert await rotated.async_consume(await states.async_issue()) is True
    assert await SignedOAuthStateStore(600, db.engine, [generate_key()]).async_consume(await states.async_issue()) is False
    expired = SignedOAuthStateStore(-1, db.engine, [key])
    assert await expired.async_consume(await expired.async_issue()) is False


async def count_states(db) -> int:
    async with db.engine.connect() as conn:
        return (await conn.execute(text("SELECT COUNT(*) FROM slack_oauth_states"))).scalar_one()


async def test_authorize_caches_per_workspace_and_expires(db):
    store = SealedInstallationStore("1.2", db.engine, Vault([generate_key()]))
    await store.async_save(installation())
    await bind(db, "T1")
    clock = Clock()
    replica_a = InstalledWorkspaces(db, store, lambda token: token, "acc", None, ttl=60, clock=clock)
    replica_b = InstalledWorkspaces(db, store, lambda token: token, "acc", None, ttl=60, clock=clock)
    assert await replica_a.client("T1") == TOKEN
    assert await replica_b.client("T1") == TOKEN
    async with db.transaction() as repo:  # replica A handles app_uninstalled
        await repo.workspaces.forget("T1")
    replica_a.forget("T1")
    with pytest.raises(WorkspaceGone):  # replica A forgets at once
        await replica_a.client("T1")
    assert await replica_b.client("T1") == TOKEN, "B serves its cached token (Slack refuses it now) ..."
    clock.now = 61
    assert await replica_b.bot("T1") is None, "... until the entry expires"


async def test_a_workspace_bound_to_another_zoom_account_is_not_authorized(db):
    store = SealedInstallationStore("1.2", db.engine, Vault([generate_key()]))
    await store.async_save(installation())
    await bind(db, "T1", account="another-account")
    workspaces = InstalledWorkspaces(db, store, lambda token: token, "acc", None)
    assert await workspaces.bot("T1") is None
    assert await workspaces(context={}, enterprise_id=None, team_id="T1", user_id="U1") is None
