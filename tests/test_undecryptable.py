"""Credentials no configured key opens: the scope shows failing, naming the key, and nothing is asked or
written in its name (another replica may hold the key)."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import select

from bot.crypto import Vault, generate_key
from bot.services.health import HealthService
from storage.models import AuditEvent, Credential, Integration
from tests.flows import activate, command_answer, final_answer, rows, text_of
from tests.harness import ADMIN, Stack

KEY = "ZOOMCAL_ENCRYPTION_KEY"


async def seal_under_another_key(stack: Stack) -> Vault:
    """Re-seals the stored credentials under a key this bot does not have (as a replica started
    without the key that sealed them sees them)."""
    other = Vault([generate_key()])
    async with stack.runtime.db.transaction() as repo:
        [credential] = (await repo.session.execute(select(Credential))).scalars().all()
        credential.ciphertext = other.encrypt_json(stack.runtime.services.deps.vault.decrypt_json(credential.ciphertext))
    stack.runtime.services.deps.states.changed()
    return other


async def job_answer(stack: Stack, text: str) -> str:
    status, body, _ = await stack.command(text)
    assert status == 200 and body == ""
    url = stack.last_response_url
    return text_of((await stack.slack.wait_for(lambda r: url.endswith(r.path) and final_answer(r), timeout=30))[-1].json())


async def test_status_home_and_metrics_show_the_scope_failing_and_name_the_key(stack):
    from tests.test_configure_and_home import home_opened

    await activate(stack, "enable group Sales")
    await seal_under_another_key(stack)
    listing = text_of(await command_answer(stack, "status"))
    assert re.search(rf"Sales\*: failed \(its stored credentials open with no key in {KEY} here\)", listing)
    detail = text_of(await command_answer(stack, "status group Sales"))
    assert "Sales*: failed" in detail and f"Reason: The stored Microsoft credentials open with no key in {KEY}" in detail
    assert "cannot decrypt" not in detail and "active" not in detail.split("\n")[0]
    home = [b["text"]["text"] for b in (await home_opened(stack))["blocks"] if b.get("text")]
    assert home.index("*Failed (1)*") < next(i for i, t in enumerate(home) if t.startswith("*Sales*: failed") and KEY in t)
    _, metrics = await stack.get("/metrics")
    assert 'zoomcal_scopes{status="failed"} 1.0' in metrics and 'zoomcal_scopes{status="active"} 0.0' in metrics
    [integration] = await rows(stack, Integration)
    assert integration.status == "active", "reported here, never written as the scope's state"


async def test_verify_names_the_key_and_asks_microsoft_nothing(stack):
    await activate(stack, "enable group Sales")
    await seal_under_another_key(stack)
    before = len(stack.microsoft.requests)
    shown = await job_answer(stack, "verify group Sales")
    assert "verification failed" in shown and KEY in shown
    assert "tenant id that is not valid" not in shown
    assert len(stack.microsoft.requests) == before


async def test_check_names_the_key_and_asks_microsoft_nothing(stack):
    await activate(stack, "enable group Sales")
    sales = next(g["id"] for g in stack.zoom.groups if g["name"] == "Sales")
    stack.zoom.add_members(sales, ["ann@contoso.onmicrosoft.com"])
    await seal_under_another_key(stack)
    before = len(stack.microsoft.requests)
    shown = await job_answer(stack, "check ann@contoso.onmicrosoft.com")
    assert "Microsoft Graph was not asked: the group `Sales` shows `failed` on this server." in shown
    assert f"The stored Microsoft credentials open with no key in {KEY}" in shown
    assert len(stack.microsoft.requests) == before


async def test_the_health_check_reports_it_and_leaves_the_scope_to_a_replica_with_the_key(stack):
    await activate(stack, "enable group Sales")
    other = await seal_under_another_key(stack)
    health = stack.runtime.services.health
    dms, events = len(stack.slack.dms(ADMIN)), len(await rows(stack, AuditEvent))
    before = len(stack.microsoft.requests)
    [check] = await health.check_now()
    assert (check.result, check.status.value, check.changed) == ("undecryptable", "active", False)
    assert KEY in check.detail and len(stack.microsoft.requests) == before
    [integration] = await rows(stack, Integration)
    assert (integration.status, integration.checking_until) == ("active", None), "not failed; free for another replica"
    assert len(stack.slack.dms(ADMIN)) == dms and len(await rows(stack, AuditEvent)) == events
    assert await health.check_now() == [], "this replica leaves it to the others for an interval"

    keyed = HealthService(replace(stack.runtime.services.deps, vault=other))  # a replica holding the key
    [check] = await keyed.check_now()
    assert check.result == "passed"
    assert (await rows(stack, Integration))[0].check_result == "passed"
