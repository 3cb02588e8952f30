"""Two `zoomcal serve` processes on one PostgreSQL database finish each other's flows."""

from __future__ import annotations

import asyncio
import signal

import pytest

from storage.models import AuditEvent, Credential, Integration
from tests.flows import (
    buttons,
    click,
    command_answer,
    consent_link,
    response_at,
    rows,
    state_of,
    text_of,
)
from tests.harness import ADMIN, Replica, Stack


@pytest.fixture
async def replicas(tmp_path, postgres_url):
    async with Stack(tmp_path, postgres_url) as stack:
        a, b = Replica(stack.env), Replica(stack.env)
        started = await asyncio.gather(a.start(), b.start(), return_exceptions=True)  # side by side: 2 cores
        try:
            for outcome in started:
                if isinstance(outcome, BaseException):
                    raise outcome
            yield stack, a, b
        finally:
            for replica, outcome in zip((a, b), started):
                await replica.stop()
                if not isinstance(outcome, BaseException):
                    assert "Traceback" not in replica.stderr


async def open_modal_on(stack: Stack, base: str, text: str) -> dict:
    _, _, trigger_id = await stack.command(text, base=base)
    return await stack.slack.form_opened_by(trigger_id, timeout=10)


async def test_a_link_issued_by_one_replica_completes_on_the_other(replicas):
    stack, a, b = replicas
    view = await open_modal_on(stack, a.url, "enable group Sales")
    status, _ = await stack.submit_view(view, base=b.url)  # the submission lands on the other replica
    assert status == 200
    url = await consent_link(stack)
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)), base=a.url)
    assert status == 200 and "Contoso Ltd" in page
    [integration] = await rows(stack, Integration)
    assert integration.status == "active" and len(await rows(stack, Credential)) == 1


async def test_one_state_on_both_replicas_at_once_exactly_one_wins(replicas):
    stack, a, b = replicas
    view = await open_modal_on(stack, b.url, "enable account")
    await stack.submit_view(view, base=a.url)
    query = stack.microsoft.callback_query(stack.tenant_id, state_of(await consent_link(stack)))
    results = await asyncio.gather(*(stack.callback(query, base=r.url) for r in (a, b, a, b, a, b)))
    assert sorted(status for status, _, _ in results) == [200, 400, 400, 400, 400, 400]
    assert [e.action for e in await rows(stack, AuditEvent)].count("consent granted") == 1


async def test_the_same_submission_on_both_replicas_makes_one_link(replicas):
    stack, a, b = replicas
    view = await open_modal_on(stack, a.url, "enable account")
    await asyncio.gather(*(stack.submit_view(view, base=r.url) for r in (a, b, a, b)))
    await consent_link(stack)
    await asyncio.sleep(0.5)
    assert [e.action for e in await rows(stack, AuditEvent)] == ["enable requested"]
    assert len([m for m in stack.slack.dms(ADMIN) if "adminconsent" in str(m.get("blocks"))]) == 1


async def test_a_killed_replica_loses_nothing_the_other_finishes(replicas):
    stack, a, b = replicas
    view = await open_modal_on(stack, a.url, "enable account")
    await stack.submit_view(view, base=a.url)
    url = await consent_link(stack)
    a.process.send_signal(signal.SIGKILL)
    await a.stop()
    status, _, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)), base=b.url)
    assert status == 200
    assert (await rows(stack, Integration))[0].status == "active"


async def test_the_same_button_clicked_on_both_replicas_has_one_effect(replicas):
    stack, a, b = replicas
    view = await open_modal_on(stack, a.url, "enable account")
    await stack.submit_view(view, base=a.url)
    url = await consent_link(stack)
    await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)), base=b.url)
    payload = await command_answer(stack, "disable account", base=b.url)
    [button] = buttons(payload["blocks"])
    urls = await asyncio.gather(
        *(click(stack, button["action_id"], button["value"], base=r.url) for r in (a, b, a, b, a, b))
    )
    answers = [await response_at(stack, u, timeout=15) for u in urls]
    assert sum("already disabled" not in text_of(x) for x in answers) == 1
    assert [e.action for e in await rows(stack, AuditEvent)].count("disabled and credentials deleted") == 1
    assert await rows(stack, Credential) == []
