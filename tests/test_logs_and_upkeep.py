"""No secret in any log line through whole flows; expired consent requests are purged."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from bot import logs
from bot.services.maintenance import KEEP_EXPIRED, Maintenance
from storage.models import AuditEvent, ConsentRequest, utcnow
from tests.flows import (
    activate,
    buttons,
    click,
    command_answer,
    enable,
    response_at,
    rows,
    state_of,
)
from tests.harness import MEMBER, sign


async def test_whole_flows_log_no_secret(stack, captured):
    logs.configure(stack.settings.secrets, logging.DEBUG, stream=captured)
    url = await activate(stack, "enable account")
    _, second = await enable(stack, "enable group Sales")
    await stack.callback({"error": "access_denied", "error_description": "no", "state": state_of(second)})
    await stack.callback({"admin_consent": "True", "tenant": stack.tenant_id, "state": state_of(url)})  # reused
    await stack.command("status group Sales")
    await stack.command("enable account", MEMBER)
    payload = await command_answer(stack, "disable account")
    [button] = buttons(payload["blocks"])
    await response_at(stack, await click(stack, button["action_id"], button["value"]))
    body = b"token=x&text=status"
    await stack.post_slack(body, sign(body, secret="wrong"), content_type="application/x-www-form-urlencoded")

    text = captured.getvalue()
    assert "/microsoft/callback" in text and "/slack/events" in text, "the flows were logged"
    secrets = [
        *stack.settings.secrets,
        state_of(url),
        state_of(second),
        *stack.microsoft.issued_tokens,
        *stack.zoom.tokens,
        stack.slack.bot_token,
    ]
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:4]}…) reached the log"
    assert "Traceback" not in text


def test_the_filter_redacts_token_shapes():
    f = logs.RedactingFilter(["s3cr3t-value"])
    line = f.redact(
        "Authorization: Bearer abc.def.ghi token=xoxb-123-456 s3cr3t-value "
        "GET /microsoft/callback?state=zzz&tenant=t eyJhbGciOi.eyJzdWIiOiJ4In0.sig"
    )
    for leaked in ("abc.def.ghi", "xoxb-123-456", "s3cr3t-value", "state=zzz", "eyJhbGciOi"):
        assert leaked not in line
    assert "tenant=t" in line


@pytest.mark.parametrize(
    "secret", ["Bearer abc.def.ghi", "xoxb-123-456", "xapp-1-A2-b3", "eyJhbGciOi.eyJzdWIiOiJ4In0.sig", "state=zzz"]
)
def test_each_token_shape_is_redacted_on_its_own(secret):
    """A line holding only one shape (no `=` elsewhere) still passes the quick scan to its pattern."""
    line = logs.RedactingFilter([]).redact(f"POST /x {secret} done")
    assert "[redacted]" in line and secret.split()[-1].split("=")[-1] not in line


async def test_expired_consent_requests_are_purged_and_audit_kept(stack):
    _, url = await enable(stack, "enable account")
    old = utcnow() - KEEP_EXPIRED - timedelta(hours=1)
    async with stack.runtime.db.engine.begin() as conn:
        await conn.execute(ConsentRequest.__table__.update().values(expires_at=old, created_at=old))
    maintenance = Maintenance(stack.runtime.db, stack.runtime.services.deps.directory, stack.runtime.jobs)
    assert await maintenance.purge_expired_consents() == 1
    assert await rows(stack, ConsentRequest) == []
    assert len(await rows(stack, AuditEvent)) == 1
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
    assert status == 400 and "/zoomcal enable" in page


async def test_logs_are_json_lines_and_one_request_id_follows_a_flow_to_its_callback(stack, captured):
    logs.configure(stack.settings.secrets, logging.DEBUG, stream=captured)
    _, url = await enable(stack, "enable group Sales")
    status, _, _ = await stack.callback({"admin_consent": "True", "tenant": stack.tenant_id, "state": state_of(url)})
    assert status == 200
    await stack.slack.wait_for(lambda r: "chat.postMessage" in r.path and b"active" in r.body)

    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    command = next(line for line in lines if "POST /slack/events" in line["message"])
    callback = next(line for line in lines if "GET /microsoft/callback" in line["message"])
    assert command["request_id"] and callback["request_id"] == command["request_id"], "command → callback"
    [request] = await rows(stack, ConsentRequest)
    assert request.correlation_id == command["request_id"]
    events = await rows(stack, AuditEvent)
    assert {e.correlation_id for e in events} == {command["request_id"]}, "the audit trail names the same flow"
    submits = [line for line in lines if "POST /slack/events" in line["message"]][1:]
    assert submits and all(line["request_id"] == command["request_id"] for line in submits), "the submit continues it"

    await command_answer(stack, "status")
    posts = [json.loads(line) for line in captured.getvalue().splitlines() if "POST /slack/events" in line]
    assert len({line["request_id"] for line in posts}) == 2, "a new command starts a new flow"
