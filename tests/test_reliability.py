"""Duplicates and races: repeated submissions, stale links, enable racing disable."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.models import (
    AuditEvent,
    ConsentRequest,
    Credential,
    Integration,
    Job,
    utcnow,
)
from tests.flows import (
    activate,
    buttons,
    click,
    command_answer,
    consent_link,
    enable,
    holding,
    open_enable_modal,
    response_at,
    rows,
    state_of,
)
from tests.harness import ADMIN, OWNER, Replica, Stack


async def test_the_same_modal_submitted_five_times_makes_one_link(stack):
    view = await open_enable_modal(stack, "enable group Sales")
    results = await asyncio.gather(*(stack.submit_view(view) for _ in range(5)))
    assert all(status == 200 for status, _ in results)
    await consent_link(stack)
    await asyncio.sleep(0.3)
    assert len(await rows(stack, ConsentRequest)) == 1
    assert [e.action for e in await rows(stack, AuditEvent)] == ["enable requested"]
    assert len(stack.slack.dms(ADMIN)) == 1
    updates = await stack.slack.wait_for("views.update", count=5)
    assert sum("already submitted" in str(u.args()["view"]) for u in updates) == 4


async def test_a_new_request_cancels_the_older_link(stack):
    _, first = await enable(stack, "enable account")
    view = await open_enable_modal(stack, "enable account")
    await stack.submit_view(view)
    second = await consent_link(stack, count=2)
    assert state_of(first) != state_of(second)
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(first)))
    assert status == 400 and "cancelled" in page
    status, _, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(second)))
    assert status == 200


async def test_a_disable_while_microsoft_answers_wins_and_nothing_is_stored(stack):
    _, url = await enable(stack, "enable account")
    stack.microsoft.latency = 0.5  # the callback is busy with Microsoft for a while
    callback = asyncio.ensure_future(stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url))))
    await stack.microsoft.wait_for("openid-configuration")  # the state is consumed by now
    payload = await command_answer(stack, "disable account", OWNER)
    [button] = buttons(payload["blocks"])
    await response_at(stack, await click(stack, button["action_id"], button["value"], OWNER))
    status, page, _ = await callback
    assert status == 409 and "not used" in page
    assert (await rows(stack, Integration))[0].status == "disabled"
    assert await rows(stack, Credential) == []
    outcomes = [(e.action, e.outcome) for e in await rows(stack, AuditEvent)]
    assert ("consent failed", "superseded") in outcomes
    assert "not used" in stack.slack.dms(ADMIN)[-1]["text"]


async def test_enable_and_disable_at_once_never_leave_credentials_on_a_disabled_scope(stack):
    for _ in range(3):
        await activate(stack, "enable account")
        payload = await command_answer(stack, "disable account", OWNER)
        [button] = buttons(payload["blocks"])
        view = await open_enable_modal(stack, "enable account")
        await asyncio.gather(
            stack.submit_view(view),
            click(stack, button["action_id"], button["value"], OWNER),
        )
        await asyncio.sleep(0.5)
        [integration] = await rows(stack, Integration)
        credentials = await rows(stack, Credential)
        assert integration.status in ("pending", "disabled")
        if integration.status == "disabled":
            assert credentials == []
        stack.slack.requests.clear()


async def test_a_job_whose_runner_died_is_resumed_and_finishes(stack):
    """Work promised before the ack survives its runner: here the runner dies mid-job."""
    view = await open_enable_modal(stack, "enable account")
    stack.slack.latency = 0.5  # the job is busy asking Slack who the user is when it "dies"
    status, _ = await stack.submit_view(view)
    assert status == 200
    await asyncio.sleep(0.2)
    jobs = stack.runtime.jobs
    for task in list(jobs._running):  # what SIGKILL does to this replica's work in flight
        task.cancel()
    await asyncio.sleep(0.1)
    stack.slack.latency = 0
    assert await rows(stack, ConsentRequest) == [], "the job had not finished"
    async with stack.runtime.db.engine.begin() as conn:  # the dead runner's lease runs out
        await conn.execute(
            Job.__table__.update().where(Job.status == "queued").values(lease_until=utcnow() - timedelta(seconds=1))
        )
    assert await jobs.resume_orphans() == 1
    await consent_link(stack)
    assert len(await rows(stack, ConsentRequest)) == 1
    assert await jobs.resume_orphans() == 0, "a finished job is not run again"
    [job] = [j for j in await rows(stack, Job) if j.kind == "modal.enable"]
    assert (job.status, job.attempts, job.payload) == ("done", 2, b"")


async def test_sigterm_lets_work_in_flight_finish(tmp_path, database_url):
    async with Stack(tmp_path, database_url) as stack:
        replica = await Replica(stack.env).start()
        stack.zoom.latency = 1.0  # the answer needs Zoom (2 s): its job is still working at SIGTERM
        status, body, _ = await stack.command("status", base=replica.url)
        assert status == 200 and holding(body)
        assert await replica.stop() == 0, replica.stderr
        [answer] = await stack.slack.wait_for(stack.slack.is_response, timeout=1)
        assert "Account" in answer.body.decode()
        assert "Traceback" not in replica.stderr
