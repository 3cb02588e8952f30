"""`zoomcal keys rotate`: every stored secret re-encrypted under the first key, row by row."""

from __future__ import annotations

import asyncio
import os
import sys

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select, text, update

from bot import keys
from bot.crypto import DecryptionError, Vault, generate_key, job_context
from storage.db import make_engine
from storage.models import Credential, Job, utcnow
from storage.repository import ScopeKey
from storage.slack_installations import SealedInstallationStore
from tests.flows import activate, final_answer, last_response
from tests.harness import Replica, Stack

ZOOMCAL = [sys.executable, "-m", "bot.cli"]
SLACK_TOKEN = "xoxb-installed-token-123"


def rotate_env(database_url: str, keys_: str) -> dict[str, str]:
    """Only what the command needs: the database and the keys (plus what runs Python)."""
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "SYSTEMROOT") if name in os.environ}
    return base | {"ZOOMCAL_DATABASE_URL": database_url, "ZOOMCAL_ENCRYPTION_KEY": keys_}


async def run_rotate(database_url: str, keys_: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *ZOOMCAL, "keys", "rotate", env=rotate_env(database_url, keys_),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def seed(db, vault: Vault, *, scopes: int = 2, jobs: int = 2) -> list[int]:
    """Credentials, a Slack install and queued jobs, all sealed by ``vault``; returns the credential ids."""
    ids = []
    async with db.transaction() as repo:
        for n in range(scopes):
            row = await repo.save_status(ScopeKey("acc", "group", f"g{n}"), name=f"G{n}", status="active", user="U1")
            await repo.save_credentials(row.id, vault.encrypt_json({"tenant_id": f"t{n}", "token_cache": "secret"}))
            ids.append((await repo.credentials(row.id)).id)
        now = utcnow()
        for n in range(jobs):
            await repo.jobs.add("command", vault.seal_transient(b'{"response_url":"https://x/%d"}' % n), now=now, lease_until=now)
        await repo.jobs.add("command", vault.encrypt_json({"older": "fernet"}), now=now, lease_until=now)  # older rows
        done = await repo.jobs.add("command", vault.seal_transient(b"{}"), now=now, lease_until=now)
        await repo.jobs.finish_many([(done, "done")], now)  # its payload is wiped: nothing to rotate
    store = SealedInstallationStore("client-1", db.engine, vault)
    await store.async_save(Installation(
        app_id="A1", enterprise_id=None, team_id="T1", user_id="U1", bot_token=SLACK_TOKEN, bot_id="B1",
        bot_user_id="UB1", bot_scopes=["commands"], user_token="xoxp-user-token-456", installed_at=1.0,
    ))
    return ids


async def stored(db, model, column):
    async with db.engine.connect() as conn:
        return list((await conn.execute(select(model.__table__.c.id, column))).all())


async def assert_all_open_under(db, vault: Vault, refused_by: Vault) -> None:
    """Every secret opens with ``vault`` alone and no longer with ``refused_by``."""
    for _, ciphertext in await stored(db, Credential, Credential.ciphertext):
        assert vault.decrypt_json(ciphertext)["token_cache"] == "secret"
        try:
            refused_by.decrypt_json(ciphertext)
            raise AssertionError("still sealed under the old key")
        except DecryptionError:
            pass
    async with db.engine.connect() as conn:
        queued = (await conn.execute(select(Job.id, Job.kind, Job.payload).where(Job.payload != b""))).all()
        for table, columns in (("slack_bots", "bot_token"), ("slack_installations", "bot_token, user_token")):
            for row in (await conn.execute(text(f"SELECT {columns} FROM {table}"))).all():
                for value in row:
                    assert value.startswith("gAAAA") and "xox" not in value
                    assert vault.open(value).startswith(("xoxb-", "xoxp-"))
    for job_id, kind, payload in queued:
        assert bytes(payload)[:1] == b"\x02", "re-sealed bound to its row"
        vault.open_transient(payload, job_context(kind, job_id))
    store = SealedInstallationStore("client-1", db.engine, vault)
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot.bot_token == SLACK_TOKEN


async def test_rotate_re_encrypts_every_kind_under_the_first_key(db, database_url):
    old, new = generate_key(), generate_key()
    await seed(db, Vault([old]))
    code, out, err = await run_rotate(database_url, f"{new},{old}")
    assert code == 0, err
    assert out.splitlines() == [
        "credentials: 2 re-encrypted",
        "slack_bots: 1 re-encrypted",
        "slack_installations: 1 re-encrypted",
        "jobs: 3 re-encrypted",
    ]
    assert "Traceback" not in err and old not in out + err and new not in out + err
    await assert_all_open_under(db, Vault([new]), refused_by=Vault([old]))
    code, out, _ = await run_rotate(database_url, new)  # again, with the old key removed: nothing left behind
    assert code == 0 and "jobs: 3 re-encrypted" in out


async def test_a_row_no_key_opens_is_left_counted_and_fails_the_command_after_the_rest(db, database_url):
    old, new, lost = generate_key(), generate_key(), generate_key()
    [stranger_id] = await seed(db, Vault([lost]), scopes=1, jobs=0)  # first in id order
    async with db.transaction() as repo:  # its Slack install and jobs went with the lost key: only the credential stays
        await repo.session.execute(text("DELETE FROM slack_bots"))
        await repo.session.execute(text("DELETE FROM slack_installations"))
        await repo.session.execute(text("DELETE FROM jobs"))
    [stranger_before] = [c for i, c in await stored(db, Credential, Credential.ciphertext) if i == stranger_id]
    await seed(db, Vault([old]), scopes=0, jobs=1)
    async with db.transaction() as repo:
        row = await repo.save_status(ScopeKey("acc", "account", ""), name="Account", status="active", user="U1")
        await repo.save_credentials(row.id, Vault([old]).encrypt_json({"token_cache": "secret"}))

    assert await keys.unopenable(db.engine, Vault([new, old])) == {"credentials": 1}
    code, out, err = await run_rotate(database_url, f"{new},{old}")
    assert code == 1
    assert "credentials: 1 re-encrypted, 1 left as they are: no configured key opens them" in out.splitlines()
    assert "jobs: 2 re-encrypted" in out and "slack_bots: 1 re-encrypted" in out
    assert "1 stored row(s) open with no configured key" in err and "Traceback" not in err
    after = dict(await stored(db, Credential, Credential.ciphertext))
    assert bytes(after.pop(stranger_id)) == bytes(stranger_before), "left exactly as it was"
    assert [Vault([new]).decrypt_json(c)["token_cache"] for c in after.values()] == ["secret"]


async def test_rotate_needs_only_the_database_and_the_keys(tmp_path):
    code, _, err = await run_rotate(f"sqlite+aiosqlite:///{tmp_path / 'z.db'}", "")
    assert code == 2 and "ZOOMCAL_ENCRYPTION_KEY: required" in err and "SLACK" not in err and "ZOOM_" not in err
    code, _, err = await run_rotate(f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}", generate_key())
    assert code == 1 and "no database file" in err and not (tmp_path / "missing.db").exists()
    (tmp_path / "empty.db").touch()
    code, _, err = await run_rotate(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", generate_key())
    assert code == 1 and "run `zoomcal db upgrade` first" in err and "Traceback" not in err


async def test_a_writer_between_read_and_write_wins(db, database_url):
    """The second writer changes the row after rotate read it; rotate's conditional UPDATE leaves it."""
    old, new = generate_key(), generate_key()
    [credential_id] = await seed(db, Vault([old]), scopes=1, jobs=0)
    newer = Vault([new]).encrypt_json({"tenant_id": "rewritten by a replica", "token_cache": "secret"})
    writer = make_engine(database_url)
    try:
        async with writer.connect() as conn:
            table = Credential.__table__
            await conn.execute(update(table).where(table.c.id == credential_id).values(ciphertext=newer))  # not committed
            rotation = asyncio.create_task(keys.rotate(db.engine, Vault([new, old])))
            await wait_until_blocked(db, rotation)
            await conn.commit()
        tallies = await asyncio.wait_for(rotation, 30)
    finally:
        await writer.dispose()
    assert (tallies["credentials"].rotated, tallies["credentials"].changed) == (0, 1)
    assert "1 changed meanwhile by a running replica" in tallies["credentials"].describe("credentials")
    [(_, kept)] = await stored(db, Credential, Credential.ciphertext)
    assert bytes(kept) == newer
    assert tallies["slack_bots"].rotated == 1, "the other rows were rotated"


async def wait_until_blocked(db, rotation: asyncio.Task) -> None:
    """PostgreSQL shows rotate's UPDATE waiting for the writer's row lock; SQLite's busy wait shows nothing,
    so there the read (milliseconds) is given ample time."""
    if db.engine.dialect.name != "postgresql":
        await asyncio.sleep(1.0)
        assert not rotation.done()
        return
    for _ in range(500):
        async with db.engine.connect() as conn:
            waiting = (await conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ))).scalar()
        if waiting:
            return
        assert not rotation.done(), rotation.result()
        await asyncio.sleep(0.02)
    raise AssertionError("rotate never waited for the writer's lock")


async def test_rotation_while_a_replica_serves(tmp_path, database_url):
    async with Stack(tmp_path, database_url) as stack:
        old, new = stack.env["ZOOMCAL_ENCRYPTION_KEY"], generate_key()
        await activate(stack, "enable group Sales")  # credentials sealed under the old key
        # Step 1 of the key rotation (docs/operations.md): every replica runs with the new key first.
        replica = await Replica(stack.env | {"ZOOMCAL_ENCRYPTION_KEY": f"{new},{old}"}).start()
        try:
            # Answers in acks (status) and posted by jobs (verify, which rewrites the credentials).
            answered = lambda: len(stack.acked) + len([r for r in stack.slack.requests if final_answer(r)])  # noqa: E731
            before = answered()
            rotation = asyncio.create_task(run_rotate(database_url, f"{new},{old}"))
            acks = []
            while not rotation.done():
                for command in ("status", "verify group Sales"):
                    status, body, _ = await stack.command(command, base=replica.url)
                    acks.append(status)
                await asyncio.sleep(0.05)
            code, out, err = await rotation
            assert code == 0, err
            assert acks and set(acks) == {200}
            assert "credentials: " in out and "jobs: " in out
            await stack.slack.wait_until(lambda: answered() == before + len(acks), timeout=30, what="every answer")
            status, _, _ = await stack.command("verify group Sales", base=replica.url)  # under the new key now
            assert status == 200
            assert ":white_check_mark:" in await last_response(stack, before + len(acks) + 1)
        finally:
            assert await replica.stop() == 0
        assert "Traceback" not in replica.stderr and "cannot be decrypted" not in replica.stderr
        await assert_credentials_open_under(stack, Vault([new]))


async def assert_credentials_open_under(stack: Stack, vault: Vault) -> None:
    async with stack.runtime.db.engine.connect() as conn:
        ciphertexts = (await conn.execute(select(Credential.ciphertext))).scalars().all()
    assert ciphertexts and all(vault.decrypt_json(c)["tenant_id"] == stack.tenant_id for c in ciphertexts)


async def test_serve_warns_at_start_about_rows_no_key_opens(tmp_path, database_url):
    async with Stack(tmp_path, database_url) as stack:
        await activate(stack, "enable group Sales")
        other = generate_key()
        replica = await Replica(stack.env | {"ZOOMCAL_ENCRYPTION_KEY": other}).start()
        assert await replica.stop() == 0
    log = replica.stderr
    assert "1 stored credentials row(s) open with no key in ZOOMCAL_ENCRYPTION_KEY" in log
    assert other not in log and stack.env["ZOOMCAL_ENCRYPTION_KEY"] not in log and "Traceback" not in log
